package tiny

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
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

// APIKeyDisplayPrefix returns what is stored and shown of a secret to tell
// keys apart. A generated key shows "tiny_" and 4 of its 43 random
// characters. Any other secret, such as an operator's TINY_INITIAL_API_KEY,
// may be words a reader could complete, so it shows none of its characters:
// "#" and the first 8 hex digits of its hash (apiKeyFingerprint).
func APIKeyDisplayPrefix(secret string) string {
	if isGeneratedAPIKey(secret) {
		return secret[:len(APIKeyPrefix)+apiKeyShownChars]
	}
	return apiKeyFingerprint(HashAPIKey(secret))
}

// apiKeyShownChars is how many random characters of a generated key its
// prefix shows: about 24 of its 256 bits.
const apiKeyShownChars = 4

// apiKeyFingerprint is the display prefix of a secret that was not
// generated: "#" and the first 8 hex digits of its hash. Migration 00004
// computes the same from the stored hash.
func apiKeyFingerprint(hash []byte) string {
	return "#" + hex.EncodeToString(hash[:min(4, len(hash))])
}

// isGeneratedAPIKey reports whether secret has the form of
// NewAPIKeySecret's keys.
func isGeneratedAPIKey(secret string) bool {
	rest, ok := strings.CutPrefix(secret, APIKeyPrefix)
	if !ok || len(rest) != apiKeyRandomChars {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(base62Alphabet, rest[i]) < 0 {
			return false
		}
	}
	return true
}
