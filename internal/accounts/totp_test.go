package accounts

import (
	"encoding/base32"
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

func TestTOTPGenerate(t *testing.T) {
	k, err := TOTPGenerate("tiny", "alice@example.com")
	if err != nil {
		t.Fatalf("TOTPGenerate error: %v", err)
	}
	parsed, err := otp.NewKeyFromURL(k.URL)
	if err != nil {
		t.Fatalf("TOTPGenerate URL %q does not parse: %v", k.URL, err)
	}
	got := []any{parsed.Type(), parsed.Issuer(), parsed.AccountName(), parsed.Secret(), parsed.Period(), parsed.Digits(), parsed.Algorithm()}
	want := []any{"totp", "tiny", "alice@example.com", k.Secret, uint64(30), otp.DigitsSix, otp.AlgorithmSHA1}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("TOTPGenerate URL field %d = %v, want %v (URL %s)", i, got[i], want[i], k.URL)
		}
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(k.Secret)
	if err != nil || len(raw) != 20 {
		t.Errorf("TOTPGenerate secret %q = %d bytes, %v; want 20 bytes of base32", k.Secret, len(raw), err)
	}
	if k2, _ := TOTPGenerate("tiny", "alice@example.com"); k2.Secret == k.Secret {
		t.Errorf("TOTPGenerate twice = the same secret %q", k.Secret)
	}

	for _, tt := range []struct{ issuer, account string }{
		{"", "alice@example.com"},
		{"tiny:prod", "alice@example.com"},
		{"tiny", " "},
	} {
		if _, err := TOTPGenerate(tt.issuer, tt.account); err == nil {
			t.Errorf("TOTPGenerate(%q, %q) = nil error, want one", tt.issuer, tt.account)
		}
	}
}

// TestTOTPVerifyRFC6238 checks the RFC 6238 test vector (SHA-1, T = 59 s:
// 94287082, of which an app shows the last six digits), so a code made by
// any authenticator app, not only by the library, is accepted.
func TestTOTPVerifyRFC6238(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	step, err := TOTPVerify(secret, "287082", time.Unix(59, 0), 0)
	if err != nil || step != 1 {
		t.Errorf("TOTPVerify(RFC 6238 vector at 59 s) = %d, %v, want step 1", step, err)
	}
}

func TestTOTPVerify(t *testing.T) {
	k, err := TOTPGenerate("tiny", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 10, 0, 15, 0, time.UTC) // mid-step
	cur := TOTPStep(now)
	code := func(offset int) string {
		c, err := totp.GenerateCode(k.Secret, now.Add(time.Duration(offset)*TOTPPeriod))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wrong := "000000"
	for wrong == code(-1) || wrong == code(0) || wrong == code(1) {
		wrong = "999999"
	}
	tests := []struct {
		name     string
		code     string
		lastStep int64
		want     int64
		err      error
	}{
		{"current step", code(0), 0, cur, nil},
		{"previous step (slow typing)", code(-1), 0, cur - 1, nil},
		{"next step (phone ahead)", code(1), 0, cur + 1, nil},
		{"two steps back", code(-2), 0, 0, ErrTOTPCode},
		{"two steps ahead", code(2), 0, 0, ErrTOTPCode},
		{"spaces as apps show it", code(0)[:3] + " " + code(0)[3:], 0, cur, nil},
		{"wrong code", wrong, 0, 0, ErrTOTPCode},
		{"five digits", code(0)[:5], 0, 0, ErrTOTPCode},
		{"letters", "abcdef", 0, 0, ErrTOTPCode},
		{"same code again", code(0), cur, cur, ErrTOTPReplay},
		{"older code after a newer one", code(-1), cur, cur, ErrTOTPReplay},
		{"newer code after an older one", code(1), cur, cur + 1, nil},
		{"step after the last used", code(0), cur - 1, cur, nil},
	}
	for _, tt := range tests {
		got, err := TOTPVerify(k.Secret, tt.code, now, tt.lastStep)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%s: TOTPVerify(%q, last %d) = %d, %v, want %d, %v", tt.name, tt.code, tt.lastStep, got, err, tt.want, tt.err)
		}
	}
}

// TestTOTPReplayOverTime follows one code through its window as the
// service would use TOTPVerify: store the step, pass it back.
func TestTOTPReplayOverTime(t *testing.T) {
	k, _ := TOTPGenerate("tiny", "bob@example.com")
	t0 := time.Date(2026, 12, 6, 10, 0, 1, 0, time.UTC)
	c0, _ := totp.GenerateCode(k.Secret, t0)
	last, err := TOTPVerify(k.Secret, c0, t0, 0)
	if err != nil {
		t.Fatalf("TOTPVerify(first use) error: %v", err)
	}
	// Seen over a shoulder and typed 20 s, then 40 s later (the window
	// still holds it as the previous step): refused both times.
	for _, d := range []time.Duration{20 * time.Second, 40 * time.Second} {
		if _, err := TOTPVerify(k.Secret, c0, t0.Add(d), last); !errors.Is(err, ErrTOTPReplay) {
			t.Errorf("TOTPVerify(used code, %v later) = %v, want ErrTOTPReplay", d, err)
		}
	}
	// The next code is fine.
	t1 := t0.Add(TOTPPeriod)
	c1, _ := totp.GenerateCode(k.Secret, t1)
	if got, err := TOTPVerify(k.Secret, c1, t1, last); err != nil || got != last+1 {
		t.Errorf("TOTPVerify(next code) = %d, %v, want %d", got, err, last+1)
	}
}

func TestTOTPVerifyBadSecret(t *testing.T) {
	_, err := TOTPVerify("not base32!", "123456", time.Now(), 0)
	if err == nil || errors.Is(err, ErrTOTPCode) || errors.Is(err, ErrTOTPReplay) {
		t.Errorf("TOTPVerify(bad secret) = %v, want an error that is not a wrong-code error", err)
	}
}
