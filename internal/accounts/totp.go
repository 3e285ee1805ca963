package accounts

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"tiny/internal/tiny"
)

// The TOTP parameters every authenticator app understands (RFC 6238's
// defaults, which Google Authenticator assumes whatever the URL says).
const (
	// TOTPPeriod is how long one code is valid: one time step.
	TOTPPeriod = 30 * time.Second
	// TOTPDigits is the length of a code.
	TOTPDigits = 6
	// TOTPSkew is how many steps either side of now a code may come from, to
	// absorb a phone's clock drift and the time it takes to type the code.
	TOTPSkew = 1
	// totpSecretSize is 160 bits, the HMAC-SHA1 block RFC 4226 recommends.
	totpSecretSize = 20
)

// TOTP verification errors. Both are unauthorized: the service may show
// them as one message, but audits them apart.
var (
	// ErrTOTPCode is returned for a code that matches no step in the window,
	// or that is not six digits.
	ErrTOTPCode = &tiny.Error{Code: tiny.Unauthorized, Message: "the code is not valid", Field: "code"}
	// ErrTOTPReplay is returned for a right code whose step was used already:
	// someone who saw it typed must not sign in with it.
	ErrTOTPReplay = &tiny.Error{Code: tiny.Unauthorized, Message: "this code was used already; wait for the next one", Field: "code"}
)

// TOTPKey is a new TOTP secret: Secret is what the service stores (it is a
// credential: keep it as carefully as a password), URL the otpauth:// URL an
// authenticator app scans from a QR code.
type TOTPKey struct {
	Secret string
	URL    string
}

// TOTPGenerate returns a new random secret for account (what the app shows,
// e.g. the e-mail address) at issuer (e.g. the site's name). The secret is not
// in use until the user has typed one code from it (see TOTPVerify): that
// proves the app holds it.
func TOTPGenerate(issuer, account string) (TOTPKey, error) {
	// The URL's label is "issuer:account"; a colon in the issuer would split
	// it in the wrong place.
	if strings.TrimSpace(issuer) == "" || strings.Contains(issuer, ":") {
		return TOTPKey{}, fmt.Errorf("accounts: TOTP issuer %q must be non-empty and have no colon", issuer)
	}
	if strings.TrimSpace(account) == "" {
		return TOTPKey{}, errors.New("accounts: TOTP account name is empty")
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      uint(TOTPPeriod / time.Second),
		SecretSize:  totpSecretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("accounts: generate TOTP secret: %w", err)
	}
	return TOTPKey{Secret: k.Secret(), URL: k.URL()}, nil
}

// TOTPStep returns the time step t falls in: the counter a code is made from.
func TOTPStep(t time.Time) int64 {
	return t.Unix() / int64(TOTPPeriod/time.Second)
}

// TOTPVerify checks code against secret at now and returns the step it
// matched, which the service stores as the next call's lastStep. A code is
// accepted from the step before now to the step after (TOTPSkew), and only
// from a step after lastStep (0 when no code was ever accepted): a code, once
// used, is refused for the rest of its window, and so is any older code.
// Spaces in code are ignored, as apps show "123 456".
//
// Its errors: ErrTOTPCode and ErrTOTPReplay; any other error means the stored
// secret is not valid base32 (code internal).
func TOTPVerify(secret, code string, now time.Time, lastStep int64) (int64, error) {
	code = strings.ReplaceAll(code, " ", "")
	if !totpWellFormed(code) {
		return lastStep, ErrTOTPCode
	}
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	current := TOTPStep(now)
	replayed := false
	// Newest first, so that in the one-in-a-million case of one code for two
	// steps the later step is stored.
	for step := current + TOTPSkew; step >= current-TOTPSkew; step-- {
		if step < 0 {
			continue
		}
		ok, err := hotp.ValidateCustom(code, uint64(step), secret, opts) // constant-time compare
		if err != nil {
			return lastStep, fmt.Errorf("accounts: TOTP secret: %w", err)
		}
		if !ok {
			continue
		}
		if step > lastStep {
			return step, nil
		}
		replayed = true
	}
	if replayed {
		return lastStep, ErrTOTPReplay
	}
	return lastStep, ErrTOTPCode
}

// totpWellFormed reports whether code is TOTPDigits ASCII digits.
func totpWellFormed(code string) bool {
	if len(code) != TOTPDigits {
		return false
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}
