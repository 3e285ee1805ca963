package tiny

import (
	"crypto/rand"
	"crypto/sha256"
)

// APIKeyPrefix starts every generated key, so secret scanners can find
// leaked tiny keys.
const APIKeyPrefix = "tiny_"

// apiKeyRandomChars is the number of random base62 characters in a key:
// 43 characters carry more than 256 bits.
const apiKeyRandomChars = 43

// MinAPIKeyLength is the shortest secret accepted as an API key (for keys
// an operator supplies, such as the initial one).
const MinAPIKeyLength = 20

// NewAPIKeySecret returns a new random API key secret.
func NewAPIKeySecret() string {
	b := make([]byte, len(APIKeyPrefix)+apiKeyRandomChars)
	copy(b, APIKeyPrefix)
	// rand.Text would do, but its alphabet is base32; base62 keeps keys short.
	for i := len(APIKeyPrefix); i < len(b); {
		var r [64]byte
		_, _ = rand.Read(r[:]) // never fails, per crypto/rand
		for _, c := range r {
			if c >= 248 { // 248 = 4*62: drop the tail for an unbiased draw
				continue
			}
			b[i] = base62Alphabet[c%62]
			i++
			if i == len(b) {
				break
			}
		}
	}
	return string(b)
}

// HashAPIKey returns the hash stored for an API key secret. The secrets are
// long and random, so a fast hash is enough; a slow one would only slow
// every API request.
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// APIKeyDisplayPrefix returns the part of a secret that is kept to tell keys
// apart.
func APIKeyDisplayPrefix(secret string) string {
	n := len(APIKeyPrefix) + 6
	if len(secret) < n {
		n = len(secret) / 2
	}
	return secret[:n]
}
