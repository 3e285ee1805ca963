package accounts

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"tiny/internal/tiny"
)

// Argon2Params is the cost of argon2id, the password hash.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2Params returns the cost tiny hashes passwords with: 19 MiB,
// two passes, one lane, OWASP's first recommendation for argon2id. A whole
// sign-in takes about 30 ms on an idle core of the 2-core machines tiny is
// measured on (BenchmarkSignInPassword), so it stays quick for a person
// while each guess costs an attacker as long and 19 MiB of memory.
// docs/decisions.md has the reasoning.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// HashPassword returns the argon2id hash of password with a new random salt,
// in the PHC string format: $argon2id$v=19$m=19456,t=2,p=1$salt$hash, with
// salt and hash in unpadded base64. The parameters travel with the hash, so
// hashes made with older parameters still verify.
func HashPassword(password string, p Argon2Params) string {
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // never fails, per crypto/rand
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

var b64 = base64.RawStdEncoding

// VerifyPassword reports whether password matches encoded, a hash made by
// HashPassword, and whether the hash was made with parameters other than
// want (the caller then stores a new hash). An encoded string that is not
// an argon2id PHC string is an error.
func VerifyPassword(encoded, password string, want Argon2Params) (ok, stale bool, err error) {
	p, salt, key, err := parsePasswordHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	ok = subtle.ConstantTimeCompare(got, key) == 1
	stale = p.Memory != want.Memory || p.Time != want.Time || p.Threads != want.Threads ||
		p.KeyLen != want.KeyLen || p.SaltLen != want.SaltLen
	return ok, stale, nil
}

// parsePasswordHash reads a PHC string of argon2id.
func parsePasswordHash(encoded string) (p Argon2Params, salt, key []byte, err error) {
	bad := fmt.Errorf("accounts: not an argon2id password hash")
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, bad
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, bad
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, bad
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) == 0 {
		return p, nil, nil, bad
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) == 0 {
		return p, nil, nil, bad
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// hasher runs argon2id at most a few at a time: each hash holds its memory
// cost (19 MiB by default) while it runs, so a burst of sign-ins waits for
// a turn instead of taking all the memory there is.
type hasher struct {
	params Argon2Params
	turns  chan struct{}
	dummy  func() string // a hash of nothing, to spend the time of a verify when there is no user
}

func newHasher(p Argon2Params, concurrent int) *hasher {
	h := &hasher{params: p, turns: make(chan struct{}, concurrent)}
	h.dummy = sync.OnceValue(func() string { return HashPassword("", p) })
	return h
}

// wait takes a turn, or returns Unavailable when ctx ends first.
func (h *hasher) wait(ctx context.Context) (release func(), err error) {
	select {
	case h.turns <- struct{}{}:
		return func() { <-h.turns }, nil
	case <-ctx.Done():
		return nil, tiny.Errorf(tiny.Unavailable, "too many sign-ins at once, try again")
	}
}

// hash returns the hash of password.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	release, err := h.wait(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password, h.params), nil
}

// verify checks password against encoded; encoded "" (no user, or a user
// without a password) is checked against a dummy hash and never matches,
// so the time taken does not tell whether an account exists.
func (h *hasher) verify(ctx context.Context, encoded, password string) (ok, stale bool, err error) {
	release, err := h.wait(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	if encoded == "" {
		_, _, _ = VerifyPassword(h.dummy(), password, h.params)
		return false, false, nil
	}
	return VerifyPassword(encoded, password, h.params)
}

// Limits of a new password.
const (
	MinPasswordLength = 12  // characters
	MaxPasswordLength = 256 // characters; argon2id takes any length, this only bounds the work
)

// ValidateNewPassword checks a password a person chooses: at least 12 and
// at most 256 characters, not one of the common passwords shipped with tiny
// (commonpasswords.txt, also after digits and symbols at its ends are
// taken off and look-alike digits read as letters: "P@ssw0rd2024!" is
// "password"), not a keyboard walk or a sequence ("qwertyuiop12",
// "abcdefghijkl"), not a short run repeated ("abcabcabcabc"), and not made
// of the person's own name or email. Invalid with field "password" says
// which rule failed.
func ValidateNewPassword(password string, personal ...string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return passwordErr("password must be valid UTF-8")
	case n < MinPasswordLength:
		return passwordErr("password must be at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		return passwordErr("password must be at most %d characters", MaxPasswordLength)
	}
	if reason := weakness(password, personal); reason != "" {
		return passwordErr("password is too easy to guess: %s", reason)
	}
	return nil
}

func passwordErr(format string, args ...any) error {
	return tiny.FieldErrorf(tiny.Invalid, "password", format, args...)
}

// weakness returns why password is easy to guess, or "" when no rule
// finds it so.
func weakness(password string, personal []string) string {
	low := strings.ToLower(password)
	forms := []string{low, deleet(low, 'i'), deleet(low, 'l')}
	for _, f := range forms {
		if isWalk(f) {
			return "it is a keyboard pattern or a sequence"
		}
		if repeats(f) {
			return "it repeats a few characters"
		}
	}
	// The cores: the password without the digits and symbols at its ends,
	// read with and without look-alikes.
	cores := []string{trimNonLetters(low)}
	for _, f := range forms[1:] {
		cores = append(cores, trimNonLetters(f), deleet(cores[0], 'i'), deleet(cores[0], 'l'))
	}
	common := commonPasswords()
	for _, c := range cores {
		if c == "" {
			continue
		}
		if _, ok := common[c]; ok {
			return "it is a common password"
		}
		if half := len(c) / 2; len(c)%2 == 0 && c[:half] == c[half:] {
			if _, ok := common[c[:half]]; ok {
				return "it is a common password twice"
			}
		}
		if utf8.RuneCountInString(c) >= 4 && (isWalk(c) || repeats(c)) {
			return "it is a keyboard pattern or a sequence with digits or symbols added"
		}
		for _, p := range personal {
			if personalMatch(c, p) {
				return "it is made of your name or email"
			}
		}
	}
	return ""
}

// personalMatch reports whether core is made of p, a name or an email (or
// its part before the @).
func personalMatch(core, p string) bool {
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "" {
		return false
	}
	candidates := []string{p, trimNonLetters(p)}
	if at := strings.IndexByte(p, '@'); at > 0 {
		candidates = append(candidates, p[:at], trimNonLetters(p[:at]))
	}
	for _, c := range candidates {
		if len(c) >= 3 && (core == c || strings.ReplaceAll(core, c, "") == "") {
			return true
		}
	}
	return false
}

// trimNonLetters removes everything but letters from both ends of s.
func trimNonLetters(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

// deleet reads the digits and symbols that stand in for letters as those
// letters ("p@ssw0rd" is "password"); one is read as one.
func deleet(s string, one rune) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '0':
			return 'o'
		case '1':
			return one
		case '3':
			return 'e'
		case '4', '@':
			return 'a'
		case '5', '$':
			return 's'
		case '7', '+':
			return 't'
		case '8':
			return 'b'
		case '!', '|':
			return one
		}
		return r
	}, s)
}

// walks are runs of neighbouring keys and sequences: a password that lies
// within one of them, forwards or backwards, however often it wraps
// around, is a walk.
var walks = []string{
	"1234567890", "`1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./",
	"qwertzuiop", "yxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/", "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
	"qazwsxedcrfvtgbyhnujmikolp", "abcdefghijklmnopqrstuvwxyz",
	"147258369", "159357", "789456123", "741852963", "!@#$%^&*()_+",
}

// isWalk reports whether s lies within one of the walks.
func isWalk(s string) bool {
	if s == "" {
		return false
	}
	for _, w := range walks {
		for _, dir := range []string{w, reverse(w)} {
			// Enough copies for s to wrap around the walk as often as it
			// is long.
			n := len(s)/len(dir) + 2
			if strings.Contains(strings.Repeat(dir, n), s) {
				return true
			}
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// repeats reports whether s is a run of at most four characters repeated
// ("aaaa", "abab", "2024202420").
func repeats(s string) bool {
	for period := 1; period <= 4 && period < len(s); period++ {
		ok := true
		for i := period; i < len(s) && ok; i++ {
			ok = s[i] == s[i-period]
		}
		if ok {
			return true
		}
	}
	return false
}

// commonPasswordList is the list of common passwords shipped with tiny, one
// a line, lower-case; see commonpasswords.txt for where it comes from.
//
//go:embed commonpasswords.txt
var commonPasswordList string

// commonPasswords returns the set of the cores of the common passwords,
// read as weakness reads a password, built once.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := map[string]struct{}{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordList))
	for sc.Scan() {
		line := strings.ToLower(strings.TrimSpace(sc.Text()))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		forms := []string{trimNonLetters(line)}
		if forms[0] != "" { // digits read as letters only beside letters
			forms = append(forms, trimNonLetters(deleet(line, 'i')), trimNonLetters(deleet(line, 'l')))
		}
		for _, c := range forms {
			if c != "" {
				set[c] = struct{}{}
			}
		}
	}
	return set
})
