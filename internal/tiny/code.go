package tiny

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"sync"
)

// Short codes are base62(F_k(id)) at a fixed width of CodeLength characters,
// where F_k is a keyed Feistel permutation of the 40-bit id space. Codes are
// therefore unique without a collision check, look random, cannot be
// enumerated without the key, and decode straight back to the primary key.

const (
	// CodeLength is the width of every generated code: 62^7 > 2^40.
	CodeLength = 7
	// MaxID is the largest id a code can carry.
	MaxID = 1<<idBits - 1

	idBits        = 40
	halfBits      = idBits / 2
	halfMask      = 1<<halfBits - 1
	feistelRounds = 8
	// CodeKeySize is the length of the key that NewCodec takes.
	CodeKeySize = 16
)

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62Value maps a byte to its digit value, or 0xFF when it is not a digit.
var base62Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := 0; i < len(base62Alphabet); i++ {
		t[base62Alphabet[i]] = byte(i)
	}
	return t
}()

// Codec turns ids into short codes and back. It is safe for concurrent use.
type Codec struct {
	block cipher.Block
	// scratch holds AES in/out blocks: they escape through the cipher.Block
	// interface, and pooling them keeps Encode and Decode free of garbage.
	scratch sync.Pool
}

// NewCodec returns a Codec keyed with key, which must be CodeKeySize bytes.
func NewCodec(key []byte) (*Codec, error) {
	if len(key) != CodeKeySize {
		return nil, errors.New("tiny: code key must be 16 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	c := &Codec{block: block}
	c.scratch.New = func() any { return new([2 * aes.BlockSize]byte) }
	return c, nil
}

// round is the Feistel round function: AES of (round, half) truncated to
// halfBits. AES makes it a pseudo-random function, so the permutation
// cannot be inverted or predicted without the key.
func (c *Codec) round(buf *[2 * aes.BlockSize]byte, r int, half uint64) uint64 {
	in, out := buf[:aes.BlockSize], buf[aes.BlockSize:]
	clear(in)
	in[0] = byte(r)
	binary.BigEndian.PutUint64(in[8:], half)
	c.block.Encrypt(out, in)
	return binary.BigEndian.Uint64(out[:8]) & halfMask
}

func (c *Codec) permute(x uint64) uint64 {
	buf := c.scratch.Get().(*[2 * aes.BlockSize]byte)
	defer c.scratch.Put(buf)
	l, r := x>>halfBits, x&halfMask
	for i := 0; i < feistelRounds; i++ {
		l, r = r, l^c.round(buf, i, r)
	}
	return l<<halfBits | r
}

func (c *Codec) unpermute(x uint64) uint64 {
	buf := c.scratch.Get().(*[2 * aes.BlockSize]byte)
	defer c.scratch.Put(buf)
	l, r := x>>halfBits, x&halfMask
	for i := feistelRounds - 1; i >= 0; i-- {
		l, r = r^c.round(buf, i, l), l
	}
	return l<<halfBits | r
}

// Encode returns the code of id. It panics if id is outside 1..MaxID, which
// the id allocator never hands out.
func (c *Codec) Encode(id int64) string {
	if id < 1 || id > MaxID {
		panic("tiny: id out of code range")
	}
	v := c.permute(uint64(id))
	var buf [CodeLength]byte
	for i := CodeLength - 1; i >= 0; i-- {
		buf[i] = base62Alphabet[v%62]
		v /= 62
	}
	return string(buf[:])
}

// Decode returns the id that code stands for. ok is false when code is not
// a well-formed generated code (wrong length, a non-base62 character, or a
// value outside the id space); such a string can only be an alias.
func (c *Codec) Decode(code string) (id int64, ok bool) {
	if len(code) != CodeLength {
		return 0, false
	}
	var v uint64
	for i := 0; i < CodeLength; i++ {
		d := base62Value[code[i]]
		if d == 0xFF {
			return 0, false
		}
		v = v*62 + uint64(d)
	}
	if v > MaxID {
		return 0, false
	}
	id = int64(c.unpermute(v))
	if id == 0 {
		return 0, false
	}
	return id, true
}
