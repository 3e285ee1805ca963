package accounts

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func recoveryTestHasher(t *testing.T, fill byte) *RecoveryHasher {
	t.Helper()
	h, err := NewRecoveryHasher(bytes.Repeat([]byte{fill}, RecoveryKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewRecoveryHasherShortKey(t *testing.T) {
	for _, n := range []int{0, 16, RecoveryKeySize - 1} {
		if _, err := NewRecoveryHasher(make([]byte, n)); err == nil {
			t.Errorf("NewRecoveryHasher(%d bytes) = nil error, want one", n)
		}
	}
}

func TestRecoveryGenerate(t *testing.T) {
	h := recoveryTestHasher(t, 1)
	rc, err := h.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Plain) != RecoveryCount || len(rc.Hashes) != RecoveryCount {
		t.Fatalf("Generate() = %d codes, %d hashes, want %d of each", len(rc.Plain), len(rc.Hashes), RecoveryCount)
	}
	format := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$`)
	seen := map[string]bool{}
	for i, c := range rc.Plain {
		if !format.MatchString(c) {
			t.Errorf("Generate() code %q, want xxxx-xxxx in Crockford's alphabet", c)
		}
		if seen[c] {
			t.Errorf("Generate() code %q twice", c)
		}
		seen[c] = true
		if len(rc.Hashes[i]) != 32 || !bytes.Equal(rc.Hashes[i], h.Hash(c)) {
			t.Errorf("Generate() hash of %q = %x, want Hash(%[1]q) = %x", c, rc.Hashes[i], h.Hash(c))
		}
		if got := h.Match(c, rc.Hashes); got != i {
			t.Errorf("Match(%q, hashes) = %d, want %d", c, got, i)
		}
	}
}

// TestRecoveryAlphabetUsed catches a bias or a truncated alphabet: over 800
// codes (6,400 symbols), every one of the 32 symbols turns up.
func TestRecoveryAlphabetUsed(t *testing.T) {
	h := recoveryTestHasher(t, 1)
	var all strings.Builder
	for range 80 {
		rc, err := h.Generate()
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(strings.Join(rc.Plain, ""))
	}
	for _, r := range recoveryAlphabet {
		if !strings.ContainsRune(all.String(), r) {
			t.Errorf("Generate() never used %q in 800 codes", r)
		}
	}
}

func TestRecoveryMatch(t *testing.T) {
	h := recoveryTestHasher(t, 1)
	stored := [][]byte{h.Hash("7k2mq9xd"), h.Hash("10abcdef"), []byte("short"), h.Hash("zzzzzzzz")}
	tests := []struct {
		code string
		want int
	}{
		{"7k2m-q9xd", 0},
		{"7K2M-Q9XD", 0},
		{" 7k2m q9xd ", 0},
		{"7k2mq9xd", 0},
		{"10ab-cdef", 1},
		{"IOab-cdef", 1}, // I for 1, O for 0
		{"lOAB-CDEF", 1}, // l for 1
		{"zzzz-zzzz", 3},
		{"7k2m-q9xe", -1},
		{"7k2m-q9x", -1},
		{"7k2m-q9xdd", -1},
		{"7k2m-q9xu", -1}, // u is not in the alphabet
		{"", -1},
	}
	for _, tt := range tests {
		if got := h.Match(tt.code, stored); got != tt.want {
			t.Errorf("Match(%q) = %d, want %d", tt.code, got, tt.want)
		}
	}
	if got := recoveryTestHasher(t, 2).Match("7k2m-q9xd", stored); got != -1 {
		t.Errorf("Match under another key = %d, want -1", got)
	}
	if got := h.Match("7k2m-q9xd", nil); got != -1 {
		t.Errorf("Match(no hashes) = %d, want -1", got)
	}
}

func TestRecoveryHash(t *testing.T) {
	h := recoveryTestHasher(t, 1)
	want := h.Hash("7k2m-q9xd")
	if len(want) != 32 {
		t.Fatalf("Hash(7k2m-q9xd) = %x, want 32 bytes", want)
	}
	for _, typed := range []string{"7K2M-Q9XD", "7k2m q9xd", "7k2mq9xd"} {
		if got := h.Hash(typed); !bytes.Equal(got, want) {
			t.Errorf("Hash(%q) = %x, want %x as for 7k2m-q9xd", typed, got, want)
		}
	}
	if got := recoveryTestHasher(t, 2).Hash("7k2m-q9xd"); bytes.Equal(got, want) {
		t.Errorf("Hash under another key = the same %x", got)
	}
	for _, bad := range []string{"", "7k2m-q9x", "7k2m-q9xdd", "7k2m-q9xu", "7k2m-q9x!"} {
		if got := h.Hash(bad); got != nil {
			t.Errorf("Hash(%q) = %x, want nil (not a code)", bad, got)
		}
	}
}
