package accounts

import (
	"context"
	"errors"
	"testing"

	"github.com/pquerna/otp/totp"

	"tiny/internal/tiny"
)

// newSignIns returns the sign-ins of e's service, throttled in memory on
// e's clock, with the audit events kept in *events.
func newSignIns(t *testing.T, e *env, events *[]AuthEvent) *SignIns {
	t.Helper()
	tc := ThrottleDefaults()
	tc.Now = e.clock.Now
	tc.DeviceKey = DeriveKey([]byte("0123456789abcdef0123456789abcdef"), "known devices")
	mem := NewThrottleMemory(1000)
	t.Cleanup(mem.Close)
	th, err := NewThrottle(mem, tc)
	if err != nil {
		t.Fatal(err)
	}
	rh, err := NewRecoveryHasher(DeriveKey([]byte("0123456789abcdef0123456789abcdef"), "recovery codes"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewSignIns(e.svc, SignInConfig{Throttle: th, Recovery: rh, RequireSecondFactor: true,
		Audit: func(_ context.Context, ev AuthEvent) { *events = append(*events, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func kinds(events []AuthEvent) map[AuthEventKind]int {
	n := map[AuthEventKind]int{}
	for _, e := range events {
		n[e.Kind]++
	}
	return n
}

// TestTwoFactorSignIn enrols TOTP, signs in with a code (which then works
// no more) and with a recovery code (once), and turns it off.
func TestTwoFactorSignIn(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var events []AuthEvent
	g := newSignIns(t, e, &events)
	const pw = "correct horse battery staple"
	alice := e.user(t, "alice", tiny.RoleAdmin, pw)

	out, err := g.Password(ctx, alice.Email, pw, Client{Address: "192.0.2.1"})
	if err != nil || out.Token == "" || !out.SetupSecondFactor || out.DeviceToken == "" {
		t.Fatalf("Password(admin without TOTP) = %+v, %v; want a session, SetupSecondFactor and a device token", out, err)
	}
	p, err := e.svc.AuthenticateSession(ctx, out.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !g.SecondFactorRequired(p) {
		t.Errorf("SecondFactorRequired(admin without TOTP) = false, want true")
	}
	key, err := g.EnrollTOTP(ctx, p)
	if err != nil {
		t.Fatalf("EnrollTOTP = %v", err)
	}
	if _, err := g.ConfirmTOTP(ctx, p, "000000"); !tiny.IsCode(err, tiny.Invalid) || tiny.ErrorFieldOf(err) != "code" {
		t.Errorf("ConfirmTOTP(wrong code) = %v, want invalid on code", err)
	}
	code, _ := totp.GenerateCode(key.Secret, e.clock.Now())
	codes, err := g.ConfirmTOTP(ctx, p, code)
	if err != nil || len(codes) != RecoveryCount {
		t.Fatalf("ConfirmTOTP = %d codes, %v; want %d, nil", len(codes), err, RecoveryCount)
	}

	e.clock.Advance(TOTPPeriod)
	pending, err := g.Password(ctx, alice.Email, pw, Client{Address: "192.0.2.1"})
	if err != nil || !pending.NeedsSecondFactor() || pending.Token != "" {
		t.Fatalf("Password(with TOTP) = %+v, %v; want a pending sign-in", pending, err)
	}
	code, _ = totp.GenerateCode(key.Secret, e.clock.Now())
	done, err := g.SecondFactor(ctx, pending.SecondFactorToken, code, "", Client{Address: "192.0.2.1"})
	if err != nil || done.Token == "" || done.SetupSecondFactor {
		t.Fatalf("SecondFactor(code) = %+v, %v; want a session", done, err)
	}
	if _, err := g.SecondFactor(ctx, pending.SecondFactorToken, code, "", Client{Address: "192.0.2.1"}); !errors.Is(err, ErrTOTPReplay) {
		t.Errorf("SecondFactor(the same code again) = %v, want ErrTOTPReplay", err)
	}
	if _, err := g.SecondFactor(ctx, pending.SecondFactorToken, "", codes[3], Client{Address: "192.0.2.1"}); err != nil {
		t.Errorf("SecondFactor(recovery code) = %v, want nil", err)
	}
	if _, err := g.SecondFactor(ctx, pending.SecondFactorToken, "", codes[3], Client{Address: "192.0.2.1"}); tiny.ErrorFieldOf(err) != "recovery_code" {
		t.Errorf("SecondFactor(the same recovery code again) = %v, want unauthorized on recovery_code", err)
	}
	if err := g.DisableTOTP(ctx, p, "wrong password!"); !tiny.IsCode(err, tiny.Invalid) || tiny.ErrorFieldOf(err) != "password" {
		t.Errorf("DisableTOTP(wrong password) = %v, want invalid on password", err)
	}
	if err := g.DisableTOTP(ctx, p, pw); err != nil {
		t.Errorf("DisableTOTP = %v, want nil", err)
	}
	n := kinds(events)
	if n[EventTOTPEnabled] != 1 || n[EventTOTPDisabled] != 1 || n[EventRecoveryCodeUsed] != 1 || n[EventSignIn] != 3 || n[EventSignInFailed] < 2 {
		t.Errorf("audit events = %v, want totp on and off, a recovery code, 3 sign-ins and the failures", n)
	}
}

// TestPasswordSignInThrottled fails a sign-in until the account has to
// wait: the right password is then refused with rate_limited and a wait,
// a lockout is audited, and after the wait the right password works.
func TestPasswordSignInThrottled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var events []AuthEvent
	g := newSignIns(t, e, &events)
	const pw = "correct horse battery staple"
	bob := e.user(t, "bob", tiny.RoleMember, pw)
	c := Client{Address: "192.0.2.7"}
	for i := range ThrottleDefaults().Account.Free {
		if _, err := g.Password(ctx, bob.Email, "wrong password", c); !tiny.IsCode(err, tiny.Unauthorized) {
			t.Fatalf("Password(wrong) #%d = %v, want unauthorized", i, err)
		}
	}
	_, err := g.Password(ctx, bob.Email, pw, c)
	var te *ThrottledError
	if !errors.As(err, &te) || !tiny.IsCode(err, tiny.RateLimited) || te.RetryAfter <= 0 {
		t.Fatalf("Password(right, past the limit) = %v, want a ThrottledError with a wait", err)
	}
	if kinds(events)[EventLockout] == 0 {
		t.Errorf("audit events = %v, want a lockout", kinds(events))
	}
	e.clock.Advance(te.RetryAfter)
	if out, err := g.Password(ctx, bob.Email, pw, c); err != nil || out.Token == "" {
		t.Errorf("Password(right, after the wait) = %+v, %v; want a session", out, err)
	}
}

// TestOperatorCommands makes a user, resets their password and their
// second factor, as `tiny admin` does.
func TestOperatorCommands(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u, err := e.svc.OperatorCreateUser(ctx, NewUser{Email: "Carol@Example.com", Role: tiny.RoleModerator, Password: "a long enough passphrase"})
	if err != nil || u.Email != "carol@example.com" || u.Role != tiny.RoleModerator {
		t.Fatalf("OperatorCreateUser = %+v, %v", u, err)
	}
	tok := e.signIn(t, u, "a long enough passphrase")
	if _, err := e.svc.OperatorSetPassword(ctx, "carol@example.com", "another long passphrase"); err != nil {
		t.Fatalf("OperatorSetPassword = %v", err)
	}
	if _, err := e.svc.AuthenticateSession(ctx, tok); !tiny.IsCode(err, tiny.Unauthorized) {
		t.Errorf("AuthenticateSession(after a reset) = %v, want unauthorized", err)
	}
	e.signIn(t, u, "another long passphrase")
	if u, err = e.store.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	u.TOTPSecret, u.TOTPEnabled = "JBSWY3DPEHPK3PXP", true
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.OperatorDisableSecondFactor(ctx, "carol@example.com"); err != nil {
		t.Fatalf("OperatorDisableSecondFactor = %v", err)
	}
	r, err := e.svc.SignInPassword(ctx, SignIn{Email: u.Email, Password: "another long passphrase"})
	if err != nil || r.NeedsSecondFactor() {
		t.Errorf("SignInPassword(after disable-2fa) = %+v, %v; want a session without a second factor", r, err)
	}
	if _, err := e.svc.OperatorSetPassword(ctx, "nobody@example.com", "another long passphrase"); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("OperatorSetPassword(unknown) = %v, want not_found", err)
	}
}
