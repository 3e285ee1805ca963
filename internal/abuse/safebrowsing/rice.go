package safebrowsing

import (
	"errors"
	"fmt"
	"math/bits"
)

// decodeHashes adds the prefixes of a set of additions to add, 4-byte
// ones straight into their compact form: a full update of millions of
// prefixes makes no slice per prefix.
func decodeHashes(set ThreatEntrySet, add *prefixSet) error {
	switch set.CompressionType {
	case Raw, "":
		r := set.RawHashes
		if r == nil {
			return errors.New("safebrowsing: raw additions without hashes")
		}
		size := int(r.PrefixSize)
		if size < 4 || size > 32 || len(r.RawHashes)%size != 0 {
			return fmt.Errorf("safebrowsing: %d bytes of %d-byte prefixes", len(r.RawHashes), size)
		}
		for i := 0; i < len(r.RawHashes); i += size {
			add.add(r.RawHashes[i : i+size])
		}
		return nil
	case Rice:
		vals, err := decodeRice(set.RiceHashes)
		if err != nil {
			return err
		}
		// Rice codes 4-byte prefixes as little-endian integers; the set
		// keeps them big-endian, in byte order.
		for _, v := range vals {
			add.four = append(add.four, bits.ReverseBytes32(v))
		}
		return nil
	}
	return fmt.Errorf("safebrowsing: unknown compression %q", set.CompressionType)
}

// decodeIndices returns the indices of a set of removals.
func decodeIndices(set ThreatEntrySet) ([]int32, error) {
	switch set.CompressionType {
	case Raw, "":
		if set.RawIndices == nil {
			return nil, errors.New("safebrowsing: raw removals without indices")
		}
		return set.RawIndices.Indices, nil
	case Rice:
		vals, err := decodeRice(set.RiceIndices)
		if err != nil {
			return nil, err
		}
		out := make([]int32, len(vals))
		for i, v := range vals {
			out[i] = int32(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("safebrowsing: unknown compression %q", set.CompressionType)
}

var errRice = errors.New("safebrowsing: malformed Rice-coded data")

// decodeRice decodes a Golomb-Rice delta coding: each delta is a unary
// quotient (ones ended by a zero) then RiceParameter bits of remainder,
// read from the least significant bit of each byte on.
func decodeRice(r *RiceDeltaEncoding) ([]uint32, error) {
	if r == nil {
		return nil, errRice
	}
	if r.RiceParameter < 0 || r.RiceParameter > 32 || r.NumEntries < 0 || r.FirstValue < 0 || r.FirstValue > 1<<32-1 {
		return nil, errRice
	}
	// Each entry takes at least one bit.
	if int(r.NumEntries) > 8*len(r.EncodedData) {
		return nil, errRice
	}
	vals := make([]uint32, 1, r.NumEntries+1)
	vals[0] = uint32(r.FirstValue)
	br := bitReader{buf: r.EncodedData}
	k := uint(r.RiceParameter)
	for i := 0; i < int(r.NumEntries); i++ {
		var q uint64
		for {
			bit, ok := br.read(1)
			if !ok {
				return nil, errRice
			}
			if bit == 0 {
				break
			}
			q++
			if q > 1<<32 {
				return nil, errRice
			}
		}
		rem, ok := br.read(k)
		if !ok {
			return nil, errRice
		}
		delta := q<<k | rem
		next := uint64(vals[i]) + delta
		if next > 1<<32-1 {
			return nil, errRice
		}
		vals = append(vals, uint32(next))
	}
	return vals, nil
}

type bitReader struct {
	buf []byte
	pos uint // bits read
}

func (b *bitReader) read(n uint) (uint64, bool) {
	var v uint64
	for i := uint(0); i < n; i++ {
		if b.pos/8 >= uint(len(b.buf)) {
			return 0, false
		}
		if b.buf[b.pos/8]>>(b.pos%8)&1 == 1 {
			v |= 1 << i
		}
		b.pos++
	}
	return v, true
}
