package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"time"

	"tiny/internal/tiny"
)

// SignIns puts the ways of signing in together: the password and the second
// factor behind the throttle, TOTP enrolment with recovery codes, and single
// sign-on. Every outcome is told to the audit hook. It is safe for
// concurrent use.
type SignIns struct {
	svc *Service
	cfg SignInConfig
}

// SignInConfig configures SignIns.
type SignInConfig struct {
	// Throttle limits failed sign-ins; required.
	Throttle *Throttle
	// Recovery hashes recovery codes; required.
	Recovery *RecoveryHasher
	// OIDC is the single sign-on provider; nil: none.
	OIDC *OIDCProvider
	// RequireSecondFactor makes admins and moderators enrol a second
	// factor: until they have, their sign-in says SetupSecondFactor.
	RequireSecondFactor bool
	// Issuer names the service in authenticator apps ("tiny").
	Issuer string
	// Audit receives every sign-in, failure, lockout and change of a
	// credential; nil: none.
	Audit func(ctx context.Context, e AuthEvent)
}

// AuthEventKind is what an AuthEvent records.
type AuthEventKind string

// The kinds of AuthEvent.
const (
	EventSignIn             AuthEventKind = "sign_in"               // a session started
	EventSignInFailed       AuthEventKind = "sign_in_failed"        // a wrong password, code or identity
	EventLockout            AuthEventKind = "lockout"               // the account has to wait
	EventSecondFactorNeeded AuthEventKind = "second_factor_pending" // the password was right
	EventRecoveryCodeUsed   AuthEventKind = "recovery_code_used"
	EventTOTPEnabled        AuthEventKind = "totp_enabled"
	EventTOTPDisabled       AuthEventKind = "totp_disabled"
	EventPasswordChanged    AuthEventKind = "password_changed"
	EventUserCreated        AuthEventKind = "user_created"
)

// AuthEventKinds are the kinds of AuthEvent, each kept in the audit log as
// the action of an entry.
var AuthEventKinds = []AuthEventKind{EventSignIn, EventSignInFailed, EventLockout, EventSecondFactorNeeded,
	EventRecoveryCodeUsed, EventTOTPEnabled, EventTOTPDisabled, EventPasswordChanged, EventUserCreated}

// AuditActions returns every action the audit log holds: the moderation
// actions, then the account events.
func AuditActions() []tiny.AuditAction {
	out := append([]tiny.AuditAction(nil), tiny.ModerationActions...)
	for _, k := range AuthEventKinds {
		out = append(out, tiny.AuditAction(k))
	}
	return out
}

// AuthEvent is one entry of the sign-in audit. It never carries a secret.
type AuthEvent struct {
	Kind   AuthEventKind
	UserID int64  // 0 when no account is known
	Method string // "password", "totp", "recovery_code", "oidc", "setup", "cli"
	Reason string // for failures: the error's message
	// RetryAfter is the wait a failure or lockout set off.
	RetryAfter time.Duration
}

// Client is who is signing in, as the web layer knows them.
type Client struct {
	// Address is the client address as throttled (an IPv6 client's /64).
	Address string
	// DeviceToken is the known-device token the browser holds, if any.
	DeviceToken string
	// Label names the browser in the list of sessions.
	Label string
	// PreviousToken is the session token the browser holds, if any; a
	// sign-in ends it.
	PreviousToken string
}

// Outcome is a sign-in that knew the password (and, when the account has
// one, the second factor).
type Outcome struct {
	*SignInResult
	// DeviceToken is a new known-device token for the browser to keep
	// (empty while a second factor is pending, or without a device key).
	DeviceToken string
	// SetupSecondFactor reports that the user's role requires a second
	// factor they have not set up yet.
	SetupSecondFactor bool
}

// ThrottledError is a sign-in refused before anything was checked, because
// the account or the client address has to wait. Its code is rate_limited.
type ThrottledError struct {
	RetryAfter time.Duration
	err        error
}

func (e *ThrottledError) Error() string { return e.err.Error() }
func (e *ThrottledError) Unwrap() error { return e.err }

// NewSignIns returns the sign-ins of svc.
func NewSignIns(svc *Service, cfg SignInConfig) (*SignIns, error) {
	if cfg.Throttle == nil || cfg.Recovery == nil {
		return nil, errors.New("accounts: sign-ins need a throttle and a recovery hasher")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "tiny"
	}
	return &SignIns{svc: svc, cfg: cfg}, nil
}

// Service returns the accounts service behind g.
func (g *SignIns) Service() *Service { return g.svc }

// OIDC returns the single sign-on provider, nil when there is none.
func (g *SignIns) OIDC() *OIDCProvider { return g.cfg.OIDC }

// SecretKeySize is the length of the secret the keys of SignIns are derived
// from.
const SecretKeySize = 32

// DeriveKey returns the key for one use (such as "recovery codes" or
// "known devices") of the server secret, so one secret serves every use
// and no two uses share a key.
func DeriveKey(secret []byte, use string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tiny key\x00" + use))
	return m.Sum(nil)
}

// secretSetting names the setting that holds the server secret when the
// operator gives none.
const secretSetting = "accounts_server_secret"

// StoredSecret returns the server secret kept in the store's settings,
// made on the first call: the fallback for an operator who keeps none
// outside the database. It protects the recovery codes only as well as the
// database itself.
func StoredSecret(ctx context.Context, store tiny.SettingStore) ([]byte, error) {
	fresh := make([]byte, SecretKeySize)
	_, _ = rand.Read(fresh)
	return store.Setting(ctx, secretSetting, fresh)
}

// audit tells the audit hook.
func (g *SignIns) audit(ctx context.Context, e AuthEvent) {
	if g.cfg.Audit != nil {
		g.cfg.Audit(ctx, e)
	}
}

// begin charges an attempt on account from c to the throttle, and returns
// a ThrottledError when it has to wait.
func (g *SignIns) begin(ctx context.Context, a ThrottleAttempt, userID int64, method string) error {
	d, err := g.cfg.Throttle.Begin(ctx, a)
	if err != nil {
		return err
	}
	if d.Allowed {
		return nil
	}
	if d.LockedOut {
		g.audit(ctx, AuthEvent{Kind: EventLockout, UserID: userID, Method: method, RetryAfter: d.RetryAfter})
	}
	return &ThrottledError{RetryAfter: d.RetryAfter, err: d.Err()}
}

// failed records a failed attempt, and a lockout when it set one off.
func (g *SignIns) failed(ctx context.Context, a ThrottleAttempt, userID int64, method string, cause error) {
	d, err := g.cfg.Throttle.Failed(ctx, a)
	g.audit(ctx, AuthEvent{Kind: EventSignInFailed, UserID: userID, Method: method, Reason: tiny.ErrorMessageOf(cause), RetryAfter: d.RetryAfter})
	if err == nil && d.LockedOut {
		g.audit(ctx, AuthEvent{Kind: EventLockout, UserID: userID, Method: method, RetryAfter: d.RetryAfter})
	}
}

// Password signs in with an email and a password, throttled per account
// and per client address. With a second factor on the account the outcome
// NeedsSecondFactor. Its errors are those of SignInPassword, and a
// ThrottledError (rate_limited) when the attempt has to wait.
func (g *SignIns) Password(ctx context.Context, email, password string, c Client) (*Outcome, error) {
	a := ThrottleAttempt{Account: email, Address: c.Address, DeviceToken: c.DeviceToken}
	if err := g.begin(ctx, a, 0, "password"); err != nil {
		return nil, err
	}
	res, err := g.svc.SignInPassword(ctx, SignIn{Email: email, Password: password, Label: c.Label, PreviousToken: c.PreviousToken})
	if err != nil {
		if tiny.IsCode(err, tiny.Unauthorized) {
			g.failed(ctx, a, 0, "password", err)
		}
		return nil, err
	}
	if res.NeedsSecondFactor() {
		g.audit(ctx, AuthEvent{Kind: EventSecondFactorNeeded, UserID: res.User.ID, Method: "password"})
		return &Outcome{SignInResult: res}, nil
	}
	return g.succeeded(ctx, a, res, "password")
}

// succeeded finishes a sign-in whose every factor was right.
func (g *SignIns) succeeded(ctx context.Context, a ThrottleAttempt, res *SignInResult, method string) (*Outcome, error) {
	_ = g.cfg.Throttle.Succeeded(ctx, a) // a store outage must not undo a sign-in
	g.audit(ctx, AuthEvent{Kind: EventSignIn, UserID: res.User.ID, Method: method})
	device, _ := g.cfg.Throttle.DeviceToken(a.Account)
	return &Outcome{SignInResult: res, DeviceToken: device, SetupSecondFactor: g.mustSetUp(res.User)}, nil
}

// mustSetUp reports whether u's role requires a second factor u lacks.
func (g *SignIns) mustSetUp(u *tiny.User) bool {
	return g.cfg.RequireSecondFactor && !u.TOTPEnabled && (u.Role == tiny.RoleAdmin || u.Role == tiny.RoleModerator)
}

// SecondFactorRequired reports whether p must set up a second factor before
// anything else: a session of an admin or moderator without one while the
// operator requires it.
func (g *SignIns) SecondFactorRequired(p *Principal) bool {
	return p != nil && p.Session != nil && p.User != nil && g.mustSetUp(p.User)
}

// SecondFactor finishes a sign-in that NeedsSecondFactor with a TOTP code
// or, when recoveryCode is not empty, a recovery code (which then works no
// more). It is throttled with the password attempts of the account.
// Unauthorized for a wrong or used code (field code or recovery_code) or a
// pending token that is not valid or has expired; a ThrottledError when the
// attempt has to wait.
func (g *SignIns) SecondFactor(ctx context.Context, pending, code, recoveryCode string, c Client) (*Outcome, error) {
	id, ok := g.svc.checkPendingToken(pending, g.svc.now())
	if !ok {
		return nil, tiny.Errorf(tiny.Unauthorized, "the sign-in has expired; enter your password again")
	}
	u, err := g.svc.store.UserByID(ctx, id)
	if err != nil {
		if tiny.IsCode(err, tiny.NotFound) {
			return nil, errSignIn()
		}
		return nil, err
	}
	a := ThrottleAttempt{Account: u.Email, Address: c.Address, DeviceToken: c.DeviceToken}
	method := "totp"
	if recoveryCode != "" {
		method = "recovery_code"
	}
	if err := g.begin(ctx, a, u.ID, method); err != nil {
		return nil, err
	}
	res, err := g.svc.CompleteSecondFactor(ctx, pending, func(u *tiny.User) error {
		return g.verifySecondFactor(ctx, u, code, recoveryCode)
	}, c.Label, c.PreviousToken)
	if err != nil {
		if tiny.IsCode(err, tiny.Unauthorized) {
			g.failed(ctx, a, u.ID, method, err)
		}
		return nil, err
	}
	if recoveryCode != "" {
		g.audit(ctx, AuthEvent{Kind: EventRecoveryCodeUsed, UserID: u.ID, Method: method})
	}
	return g.succeeded(ctx, a, res, method)
}

// errRecoveryCode is the answer to a recovery code that is wrong or used.
func errRecoveryCode() error {
	return tiny.FieldErrorf(tiny.Unauthorized, "recovery_code", "the recovery code is not valid, or was used already")
}

// verifySecondFactor checks a TOTP code of u, or spends one of u's recovery
// codes.
func (g *SignIns) verifySecondFactor(ctx context.Context, u *tiny.User, code, recoveryCode string) error {
	if !u.TOTPEnabled {
		return tiny.Errorf(tiny.Unauthorized, "the account has no second factor")
	}
	if recoveryCode != "" {
		h := g.cfg.Recovery.Hash(recoveryCode)
		if h == nil {
			return errRecoveryCode()
		}
		if err := g.svc.store.ConsumeRecoveryCode(ctx, u.ID, h); err != nil {
			if tiny.IsCode(err, tiny.NotFound) {
				return errRecoveryCode()
			}
			return err
		}
		return nil
	}
	return g.useTOTPCode(ctx, u, code)
}

// useTOTPCode checks code against u's secret and spends its time step, so
// the code works once even when two nodes see it at the same moment.
func (g *SignIns) useTOTPCode(ctx context.Context, u *tiny.User, code string) error {
	step, err := TOTPVerify(u.TOTPSecret, code, g.svc.now(), 0)
	if err != nil {
		var te *tiny.Error
		if errors.As(err, &te) {
			return err
		}
		return tiny.Errorf(tiny.Internal, "%v", err)
	}
	if err := g.svc.store.UseTOTPStep(ctx, u.ID, step); err != nil {
		if tiny.IsCode(err, tiny.Conflict) {
			return ErrTOTPReplay
		}
		return err
	}
	return nil
}
