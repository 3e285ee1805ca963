package safebrowsing

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
)

// prefixSet is one list's hash prefixes in byte order. The 4-byte ones,
// nearly all of them, are big-endian integers (4 bytes each in memory);
// the longer ones are strings. It is never changed once built: an update
// builds a new one.
type prefixSet struct {
	four []uint32
	long []string
}

func (s *prefixSet) len() int { return len(s.four) + len(s.long) }

// each calls f with every prefix in byte order, the order removal indices
// count in and the checksum hashes.
func (s *prefixSet) each(f func(p []byte)) {
	var b [4]byte
	i, j := 0, 0
	for i < len(s.four) || j < len(s.long) {
		if i < len(s.four) {
			binary.BigEndian.PutUint32(b[:], s.four[i])
			// A 4-byte prefix sorts before the longer prefixes it starts.
			if j == len(s.long) || bytes.Compare(b[:], []byte(s.long[j])) < 0 {
				f(b[:])
				i++
				continue
			}
		}
		f([]byte(s.long[j]))
		j++
	}
}

// checksum is the SHA-256 of the prefixes concatenated in byte order.
func (s *prefixSet) checksum() []byte {
	h := sha256.New()
	s.each(func(p []byte) { h.Write(p) })
	return h.Sum(nil)
}

var errIndex = errors.New("safebrowsing: removal index out of range")

// apply returns the set less the prefixes at the removal indices, plus
// the prefixes of add.
func (s *prefixSet) apply(removals []int32, add *prefixSet) (*prefixSet, error) {
	removed := make(map[int32]bool, len(removals))
	for _, i := range removals {
		if i < 0 || int(i) >= s.len() {
			return nil, errIndex
		}
		removed[i] = true
	}
	n := &prefixSet{
		four: make([]uint32, 0, len(s.four)+len(add.four)),
		long: make([]string, 0, len(s.long)+len(add.long)),
	}
	var i int32
	s.each(func(p []byte) {
		if !removed[i] {
			n.add(p)
		}
		i++
	})
	n.four = append(n.four, add.four...)
	n.long = append(n.long, add.long...)
	n.sort()
	return n, nil
}

// sort puts the prefixes in order and drops repeats.
func (s *prefixSet) sort() {
	slices.Sort(s.four)
	s.four = slices.Compact(s.four)
	slices.Sort(s.long)
	s.long = slices.Compact(s.long)
}

func (s *prefixSet) add(p []byte) {
	if len(p) == 4 {
		s.four = append(s.four, binary.BigEndian.Uint32(p))
		return
	}
	s.long = append(s.long, string(p))
}

// match returns the prefix of the full hash h that the set holds, if any.
func (s *prefixSet) match(h *[32]byte) (string, bool) {
	v := binary.BigEndian.Uint32(h[:4])
	if _, ok := slices.BinarySearch(s.four, v); ok {
		return string(h[:4]), true
	}
	for i := sortSearch(s.long, string(h[:4])); i < len(s.long) && strings.HasPrefix(s.long[i], string(h[:4])); i++ {
		if strings.HasPrefix(string(h[:]), s.long[i]) {
			return s.long[i], true
		}
	}
	return "", false
}

func sortSearch(list []string, s string) int {
	i, _ := slices.BinarySearch(list, s)
	return i
}
