package tiny_test

import (
	"testing"

	"tiny/internal/tiny"
)

func TestAPIKeyDisplayPrefix(t *testing.T) {
	generated := tiny.NewAPIKeySecret()
	for _, tc := range []struct {
		name, secret, want string
	}{
		{"generated", generated, generated[:9]},
		{"generated, fixed", "tiny_0123456789abcdefghijABCDEFGHIJklmnopqrstuvw", "tiny_0123"},
		// An operator's key shows a fingerprint of its SHA-256, none of
		// its characters, even when it starts like a generated one.
		{"operator's", "my-company-initial-admin-key", "#eadc9442"},
		{"operator's, tiny_ form", "tiny_e2e_test_key_0123456789", "#0e67faac"},
		{"one short of generated", "tiny_0123456789abcdefghijABCDEFGHIJklmnopqrstuv", ""},
		{"generated length, not base62", "tiny_0123456789abcdefghijABCDEFGHIJklmnopqrst-_", ""},
	} {
		got := tiny.APIKeyDisplayPrefix(tc.secret)
		if tc.want != "" && got != tc.want {
			t.Errorf("APIKeyDisplayPrefix(%s %q) = %q, want %q", tc.name, tc.secret, got, tc.want)
		}
		if tc.want == "" && (len(got) != 9 || got[0] != '#') {
			t.Errorf("APIKeyDisplayPrefix(%s %q) = %q, want # and 8 hex digits", tc.name, tc.secret, got)
		}
		// What a reader learns of the secret: at most 4 characters past
		// the fixed "tiny_".
		if n := sharedPrefix(got, tc.secret); n > len(tiny.APIKeyPrefix)+4 {
			t.Errorf("APIKeyDisplayPrefix(%s %q) = %q shows %d characters of the secret, want at most %d",
				tc.name, tc.secret, got, n, len(tiny.APIKeyPrefix)+4)
		}
	}
}

func sharedPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
