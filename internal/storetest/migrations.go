package storetest

import (
	"encoding/hex"
	"testing"

	"tiny/internal/tiny"
)

// OldAPIKey is an API key as stores kept it before migration 00004, with
// the prefix that migration must leave.
type OldAPIKey struct {
	Name, Secret, Prefix string
	Want                 string
}

// OldAPIKeys are the keys a store test inserts into a store migrated up to
// version 3, for the user "admin", before it opens the store (which applies
// 00004) and calls CheckMigratedAPIKeys.
func OldAPIKeys() []OldAPIKey {
	const generated1 = "tiny_0123456789abcdefghijABCDEFGHIJklmnopqrstuvw"
	const generated2 = "tiny_ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
	const chosen = "tiny_e2e_test_key_0123456789"
	fingerprint := func(secret string) string { return "#" + hex.EncodeToString(tiny.HashAPIKey(secret)[:4]) }
	return []OldAPIKey{
		// An operator's TINY_INITIAL_API_KEY: none of it stays.
		{Name: "initial admin key", Secret: chosen, Prefix: chosen[:11], Want: fingerprint(chosen)},
		// A generated initial key looks the same in the store as a chosen
		// one that starts with "tiny_", so it gets a fingerprint too.
		{Name: "initial admin key", Secret: generated1, Prefix: generated1[:11], Want: fingerprint(generated1)},
		// Keys made through the API are generated: 4 random characters.
		{Name: "laptop", Secret: generated2, Prefix: generated2[:11], Want: generated2[:9]},
	}
}

// CheckMigratedAPIKeys checks the prefixes s holds for OldAPIKeys after
// migration 00004.
func CheckMigratedAPIKeys(t *testing.T, s tiny.Store) {
	t.Helper()
	for _, k := range OldAPIKeys() {
		got, _, err := s.APIKeyByHash(t.Context(), tiny.HashAPIKey(k.Secret))
		if err != nil {
			t.Errorf("APIKeyByHash(%s) after migration = %v, want the key", k.Name, err)
			continue
		}
		if got.Prefix != k.Want {
			t.Errorf("prefix of %s %q after migration = %q, want %q", k.Name, k.Prefix, got.Prefix, k.Want)
		}
	}
}
