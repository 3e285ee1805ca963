package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
)

// Recovery codes let a user who lost their authenticator sign in once per
// code. They are shown once, at enrolment, and only their hashes are kept.
const (
	// RecoveryCount is how many codes a user gets at a time.
	RecoveryCount = 10
	// RecoveryKeySize is the least length of the hashing key, in bytes.
	RecoveryKeySize = 32

	// recoveryAlphabet is Crockford's base32 in lower case: no i, l, o or u,
	// so nothing reads as another symbol. 32 symbols are 5 bits each, so a
	// code's 8 symbols carry 40 bits.
	recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	recoveryGroup    = 4 // symbols on each side of the hyphen
	recoveryLen      = 2 * recoveryGroup
)

// RecoveryCodes is a fresh set of codes: Plain to show the user once, Hashes
// (same order, 32 bytes each) to store.
type RecoveryCodes struct {
	Plain  []string
	Hashes [][]byte
}

// RecoveryHasher hashes recovery codes with HMAC-SHA256 under a server key.
//
// A fast keyed hash, not a password hash: a code is 40 random bits, not a
// person's choice, so there is no dictionary to try first, and online
// guessing (throttled like passwords, one code in 2^40/10 per guess) is
// hopeless. What 40 bits do not survive is an offline search of a stolen
// hash: that is what the key is for. Kept out of the database (a file or
// the environment), it makes the stored hashes useless on their own; kept
// in the database, they are as safe as the TOTP secrets next to them. A
// salted slow hash would cost up to RecoveryCount slow hashes per attempt
// (codes are matched against every stored hash) for no gain in either case.
type RecoveryHasher struct {
	key []byte
}

// NewRecoveryHasher returns a RecoveryHasher with key, which must be at least
// RecoveryKeySize random bytes. Changing the key invalidates every stored code.
func NewRecoveryHasher(key []byte) (*RecoveryHasher, error) {
	if len(key) < RecoveryKeySize {
		return nil, fmt.Errorf("accounts: recovery key has %d bytes, want at least %d", len(key), RecoveryKeySize)
	}
	return &RecoveryHasher{key: append([]byte(nil), key...)}, nil
}

// Generate returns RecoveryCount new codes, e.g. "7k2m-q9xd", and their
// hashes. A new set replaces the whole old one.
func (h *RecoveryHasher) Generate() (RecoveryCodes, error) {
	out := RecoveryCodes{Plain: make([]string, RecoveryCount), Hashes: make([][]byte, RecoveryCount)}
	var raw [recoveryLen]byte
	for i := range RecoveryCount {
		if _, err := rand.Read(raw[:]); err != nil {
			return RecoveryCodes{}, fmt.Errorf("accounts: recovery codes: %w", err)
		}
		var b strings.Builder
		for j, r := range raw {
			if j == recoveryGroup {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[r&31]) // 256 is a multiple of 32: no bias
		}
		out.Plain[i] = b.String()
		out.Hashes[i] = h.Hash(out.Plain[i])
	}
	return out, nil
}

// Hash returns the hash of the code typed, to look up among the stored
// ones, and nil for what cannot be a code. Typing is forgiven: case,
// spaces, a missing hyphen, and i, l, o for 1, 1, 0. A lookup by hash in
// the database is safe although not constant-time: timing could at most
// tell how much of the HMAC of a guess matches a stored one, which does
// not lead to a code.
func (h *RecoveryHasher) Hash(code string) []byte {
	norm := recoveryNormalize(code)
	if len(norm) != recoveryLen || strings.Trim(norm, recoveryAlphabet) != "" {
		return nil
	}
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte("tiny recovery code\x00")) // keeps the key's uses apart
	m.Write([]byte(norm))
	return m.Sum(nil)
}

// Match reports which of hashes the code typed matches (see Hash), and -1
// when none does. Every hash is compared, in constant time, whatever
// matches, so the time taken tells nothing. The service deletes the matched
// hash: a code works once.
func (h *RecoveryHasher) Match(code string, hashes [][]byte) int {
	want := h.Hash(code)
	if want == nil {
		return -1
	}
	found := -1
	for i, got := range hashes {
		if subtle.ConstantTimeCompare(got, want) == 1 && found < 0 {
			found = i
		}
	}
	return found
}

// recoveryNormalize returns code without separators, in lower case, with
// the look-alikes Crockford's alphabet leaves out read as what they resemble.
func recoveryNormalize(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch r {
		case ' ', '-', '\t':
			continue
		case 'i', 'l':
			r = '1'
		case 'o':
			r = '0'
		}
		b.WriteRune(r)
	}
	return b.String()
}
