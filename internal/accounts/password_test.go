package accounts

import (
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// fastArgon2 keeps the tests quick; the cost does not change what is
// tested.
var fastArgon2 = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPassword(t *testing.T) {
	h := HashPassword("correct horse battery staple", fastArgon2)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Count(h, "$") != 5 {
		t.Fatalf("HashPassword = %q, want a PHC string of argon2id with m=64,t=1,p=1", h)
	}
	if again := HashPassword("correct horse battery staple", fastArgon2); again == h {
		t.Errorf("HashPassword twice = the same hash %q, want a new salt each time", h)
	}
	stronger := fastArgon2
	stronger.Time = 2
	tests := []struct {
		password string
		want     Argon2Params
		ok       bool
		stale    bool
	}{
		{"correct horse battery staple", fastArgon2, true, false},
		{"correct horse battery stapl", fastArgon2, false, false},
		{"", fastArgon2, false, false},
		{"correct horse battery staple", stronger, true, true},
	}
	for _, tt := range tests {
		ok, stale, err := VerifyPassword(h, tt.password, tt.want)
		if err != nil || ok != tt.ok || stale != tt.stale {
			t.Errorf("VerifyPassword(%q, want t=%d) = %t, %t, %v; want %t, %t, nil", tt.password, tt.want.Time, ok, stale, err, tt.ok, tt.stale)
		}
	}
	for _, bad := range []string{"", "$2a$10$abcdefghijklmnopqrstuv", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$$aGFzaA", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$!!"} {
		if _, _, err := VerifyPassword(bad, "x", fastArgon2); err == nil {
			t.Errorf("VerifyPassword(%q) = nil error, want one", bad)
		}
	}
}

func TestValidateNewPassword(t *testing.T) {
	personal := []string{"alice", "alice.liddell@example.com", "Alice Liddell"}
	tests := []struct {
		password string
		ok       bool
	}{
		// Long enough and not guessable by any rule.
		{"correct horse battery staple", true},
		{"Tr0ub4dor&3xyz", true},
		{"vq7#Lm2!xP9zK", true},
		{"my cat eats ravioli on sundays", true},
		{"pässwörtchen-gelb", true},
		// Too short or too long.
		{"", false},
		{"short1!", false},
		{"elevenchars", false},
		{strings.Repeat("x9", MaxPasswordLength/2+1), false},
		// Common passwords, with digits and symbols around, in leet.
		{"password1234", false},
		{"Password2024!", false},
		{"P@ssw0rd2024!", false},
		{"!!!iloveyou123", false},
		{"sunshine1234567", false},
		{"Dragon_2000_!", false},
		{"trustno1trustno1", false},
		{"passwordpassword", false},
		{"correcthorsebatterystaple", false},
		{"manchesterunited99", false},
		// Keyboard walks, sequences and repeats.
		{"qwertyuiop12", false},
		{"qwertyuiop[]", false},
		{"1qaz2wsx3edc", false},
		{"abcdefghijkl", false},
		{"zyxwvutsrqpo", false},
		{"123456789012", false},
		{"0987654321098", false},
		{"aaaaaaaaaaaa", false},
		{"abcabcabcabc", false},
		{"202420242024", false},
		{"asdfghjkl!!!!", false},
		// The person's own name or email.
		{"alicealicealice", false},
		{"alice.liddell2024", false},
		{"Alice2024!!!!!", false},
	}
	for _, tt := range tests {
		err := ValidateNewPassword(tt.password, personal...)
		if tt.ok && err != nil {
			t.Errorf("ValidateNewPassword(%q) = %v, want nil", tt.password, err)
		}
		if !tt.ok && (!tiny.IsCode(err, tiny.Invalid) || tiny.ErrorFieldOf(err) != "password") {
			t.Errorf("ValidateNewPassword(%q) = %v, want invalid on field password", tt.password, err)
		}
	}
}

func TestCommonPasswordsList(t *testing.T) {
	set := commonPasswords()
	if len(set) < 1500 {
		t.Errorf("common passwords = %d, want at least 1500", len(set))
	}
	for _, w := range []string{"password", "iloveyou", "dragon", "monkey", "qwerty", "letmein", "trustno"} {
		if _, ok := set[w]; !ok {
			t.Errorf("common passwords lack %q", w)
		}
	}
	for _, w := range []string{"", "1234"} {
		if _, ok := set[w]; ok {
			t.Errorf("common passwords hold %q, which no core can be", w)
		}
	}
}
