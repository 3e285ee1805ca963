package accounts

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

// clock is a time the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a Service on a SQLite store in a temporary directory, with a
// clock the test moves.
type env struct {
	store tiny.Store
	clock *clock
	svc   *Service
	cfg   Config
}

func newEnv(t testing.TB) *env {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatalf("sqlite.Open = %v", err)
	}
	t.Cleanup(func() { store.Close() })
	return newEnvOn(t, store, &clock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)})
}

// newEnvOn returns an env with a Service of its own on store, whose time
// is clk: another node of the same store.
func newEnvOn(t testing.TB, store tiny.Store, clk *clock) *env {
	t.Helper()
	e := &env{store: store, clock: clk}
	e.cfg = Config{Store: store, Now: e.clock.Now, Argon2: fastArgon2,
		SessionIdle: 24 * time.Hour, SessionLifetime: 7 * 24 * time.Hour}
	svc, err := New(context.Background(), e.cfg)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	t.Cleanup(svc.Close)
	e.svc = svc
	return e
}

// user creates a user through the store, with a password when it is not
// empty.
func (e *env) user(t testing.TB, name string, role tiny.Role, password string) *tiny.User {
	t.Helper()
	u := &tiny.User{Name: name, Email: name + "@example.com", Role: role}
	if password != "" {
		u.PasswordHash = HashPassword(password, fastArgon2)
	}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s) = %v", name, err)
	}
	return u
}

// key creates a key of u with scopes (none: every scope its role allows)
// and returns its secret.
func (e *env) key(t testing.TB, u *tiny.User, scopes ...tiny.Scope) string {
	t.Helper()
	_, secret, err := e.svc.CreateKey(context.Background(), As(u), NewKey{Name: "key", Scopes: scopes})
	if err != nil {
		t.Fatalf("CreateKey(%s, %v) = %v", u.Name, scopes, err)
	}
	return secret
}

// signIn signs u in with password and returns the session token.
func (e *env) signIn(t testing.TB, u *tiny.User, password string) string {
	t.Helper()
	r, err := e.svc.SignInPassword(context.Background(), SignIn{Email: u.Email, Password: password, Label: "Firefox on Linux"})
	if err != nil || r.Token == "" {
		t.Fatalf("SignInPassword(%s) = %+v, %v; want a session", u.Email, r, err)
	}
	return r.Token
}

// wantAuth fails t unless authenticating with auth gives u's principal (want
// code "") or an error of code want.
func wantAuth(t *testing.T, what string, auth func(context.Context, string) (*Principal, error), secret string, u *tiny.User, want tiny.ErrorCode) {
	t.Helper()
	p, err := auth(context.Background(), secret)
	if got := tiny.ErrorCodeOf(err); got != want {
		t.Errorf("%s = %v (code %q), want code %q", what, err, got, want)
		return
	}
	if want == "" && (p == nil || p.User.ID != u.ID) {
		t.Errorf("%s = principal %+v, want user %d", what, p, u.ID)
	}
}

// waitFollowing returns once node, another Service on e's store, hears of
// the changes made through the store: its FollowChanges starts listening
// a little after its goroutine starts.
func (e *env) waitFollowing(t *testing.T, node *env) {
	t.Helper()
	probe := e.user(t, fmt.Sprintf("probe-%d", time.Now().UnixNano()), tiny.RoleViewer, "")
	secret := e.key(t, probe)
	h := hashToken(secret)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := node.svc.AuthenticateKey(t.Context(), secret); err != nil {
			t.Fatalf("AuthenticateKey(probe) = %v", err)
		}
		if err := e.store.UpdateUser(t.Context(), probe); err != nil {
			t.Fatalf("UpdateUser(probe) = %v", err)
		}
		if _, cached := node.svc.cache.GetIfPresent(h); !cached {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other node heard no account change within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const goodPassword = "correct horse battery staple"

func TestSignInPassword(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	alice := e.user(t, "alice", tiny.RoleMember, goodPassword)
	e.user(t, "nopass", tiny.RoleMember, "")
	e.clock.Advance(time.Hour)

	tests := []struct {
		email, password string
		want            tiny.ErrorCode
	}{
		{"alice@example.com", goodPassword, ""},
		{"  ALICE@Example.com ", goodPassword, ""},
		{"alice@example.com", goodPassword + "!", tiny.Unauthorized},
		{"alice@example.com", "", tiny.Unauthorized},
		{"bob@example.com", goodPassword, tiny.Unauthorized},
		{"nopass@example.com", "", tiny.Unauthorized},
		{"", "", tiny.Unauthorized},
	}
	for _, tt := range tests {
		r, err := e.svc.SignInPassword(ctx, SignIn{Email: tt.email, Password: tt.password, Label: "Firefox on Linux\n"})
		if got := tiny.ErrorCodeOf(err); got != tt.want {
			t.Errorf("SignInPassword(%q, %q) = %v, want code %q", tt.email, tt.password, err, tt.want)
			continue
		}
		if tt.want != "" {
			if msg := tiny.ErrorMessageOf(err); msg != "wrong email or password" {
				t.Errorf("SignInPassword(%q, %q) message = %q, want the one answer for every wrong sign-in", tt.email, tt.password, msg)
			}
			continue
		}
		if r.NeedsSecondFactor() || r.Token == "" || r.Session == nil || r.User.ID != alice.ID {
			t.Fatalf("SignInPassword(%q) = %+v, want a session of alice", tt.email, r)
		}
		if r.Session.Label != "Firefox on Linux" || !r.Session.ExpiresAt.Equal(e.clock.Now().Add(7*24*time.Hour)) {
			t.Errorf("SignInPassword session = label %q, expires %v; want \"Firefox on Linux\", %v", r.Session.Label, r.Session.ExpiresAt, e.clock.Now().Add(7*24*time.Hour))
		}
		wantAuth(t, "AuthenticateSession(new token)", e.svc.AuthenticateSession, r.Token, alice, "")
	}
	u, err := e.store.UserByID(ctx, alice.ID)
	if err != nil || u.LastSignInAt == nil || !u.LastSignInAt.Equal(e.clock.Now()) {
		t.Errorf("alice's LastSignInAt after signing in = %v, %v; want %v", u.LastSignInAt, err, e.clock.Now())
	}

	// A disabled account is told apart only with the right password.
	if _, err := e.svc.SetDisabled(ctx, As(e.user(t, "root", tiny.RoleAdmin, "")), alice.ID, true); err != nil {
		t.Fatalf("SetDisabled(alice) = %v", err)
	}
	_, err = e.svc.SignInPassword(ctx, SignIn{Email: alice.Email, Password: goodPassword})
	if !tiny.IsCode(err, tiny.Unauthorized) || tiny.ErrorMessageOf(err) != "the account is disabled" {
		t.Errorf("SignInPassword(disabled, right password) = %v, want unauthorized: the account is disabled", err)
	}
	_, err = e.svc.SignInPassword(ctx, SignIn{Email: alice.Email, Password: "wrong password!"})
	if tiny.ErrorMessageOf(err) != "wrong email or password" {
		t.Errorf("SignInPassword(disabled, wrong password) = %v, want wrong email or password", err)
	}
}

func TestSignInRotatesTheSession(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", tiny.RoleMember, goodPassword)
	first := e.signIn(t, alice, goodPassword)
	wantAuth(t, "AuthenticateSession(first)", e.svc.AuthenticateSession, first, alice, "")
	r, err := e.svc.SignInPassword(t.Context(), SignIn{Email: alice.Email, Password: goodPassword, PreviousToken: first})
	if err != nil {
		t.Fatalf("SignInPassword(with the previous token) = %v", err)
	}
	if r.Token == first {
		t.Fatalf("SignInPassword gave the previous token again, want a new one")
	}
	wantAuth(t, "AuthenticateSession(previous token after a new sign-in)", e.svc.AuthenticateSession, first, alice, tiny.Unauthorized)
	wantAuth(t, "AuthenticateSession(new token)", e.svc.AuthenticateSession, r.Token, alice, "")
	if list, err := e.svc.Sessions(t.Context(), &Principal{User: alice, Session: r.Session}); err != nil || len(list) != 1 {
		t.Errorf("Sessions after a rotation = %d, %v; want 1", len(list), err)
	}
	// Signing out twice signs out.
	for i := range 2 {
		if err := e.svc.SignOut(t.Context(), r.Token); err != nil {
			t.Errorf("SignOut #%d = %v, want nil", i+1, err)
		}
	}
	wantAuth(t, "AuthenticateSession(after sign-out)", e.svc.AuthenticateSession, r.Token, alice, tiny.Unauthorized)
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	alice := e.user(t, "alice", tiny.RoleMember, goodPassword)
	token := e.signIn(t, alice, goodPassword)
	seen := func() time.Time {
		t.Helper()
		h := hashToken(token)
		s, _, err := e.store.SessionByTokenHash(ctx, h[:])
		if err != nil {
			t.Fatalf("SessionByTokenHash = %v", err)
		}
		return s.LastSeenAt
	}
	start := e.clock.Now()

	// Used every 20 hours: the idle limit of 24 never passes, and the use
	// is written at most once a minute.
	for range 8 {
		e.clock.Advance(20 * time.Hour)
		wantAuth(t, fmt.Sprintf("AuthenticateSession at +%v", e.clock.Now().Sub(start)), e.svc.AuthenticateSession, token, alice, "")
	}
	if got := seen(); !got.Equal(e.clock.Now()) {
		t.Errorf("LastSeenAt after a use = %v, want %v", got, e.clock.Now())
	}
	e.clock.Advance(30 * time.Second)
	wantAuth(t, "AuthenticateSession 30s later", e.svc.AuthenticateSession, token, alice, "")
	if got := seen(); got.Equal(e.clock.Now()) {
		t.Errorf("LastSeenAt after a use 30s after the last write = %v, want it unwritten (at most once a minute)", got)
	}
	// 160h in: the absolute lifetime of 7 days ends it however busy.
	e.clock.Advance(start.Add(7*24*time.Hour).Sub(e.clock.Now()) - time.Second)
	wantAuth(t, "AuthenticateSession a second before the absolute end", e.svc.AuthenticateSession, token, alice, "")
	e.clock.Advance(time.Second)
	wantAuth(t, "AuthenticateSession at the absolute end", e.svc.AuthenticateSession, token, alice, tiny.Unauthorized)

	// Idle for 24 hours ends another.
	other := e.signIn(t, alice, goodPassword)
	e.clock.Advance(24*time.Hour - time.Second)
	wantAuth(t, "AuthenticateSession idle a second short of the limit", e.svc.AuthenticateSession, other, alice, "")
	e.clock.Advance(24 * time.Hour)
	wantAuth(t, "AuthenticateSession idle for the limit", e.svc.AuthenticateSession, other, alice, tiny.Unauthorized)
	if list, err := e.svc.Sessions(ctx, As(alice)); err != nil || len(list) != 0 {
		t.Errorf("Sessions when all have ended = %d, %v; want none", len(list), err)
	}
	if n, err := e.svc.PurgeExpiredSessions(ctx); err != nil || n != 2 {
		t.Errorf("PurgeExpiredSessions = %d, %v; want 2", n, err)
	}
}

// TestSessionIdleOnOneNodeUsedOnAnother: a node whose cached session looks
// idle asks the store, where another node recorded a use.
func TestSessionIdleOnOneNodeUsedOnAnother(t *testing.T) {
	a := newEnv(t)
	b := newEnvOn(t, a.store, a.clock)
	alice := a.user(t, "alice", tiny.RoleMember, goodPassword)
	token := a.signIn(t, alice, goodPassword)
	wantAuth(t, "node b: AuthenticateSession", b.svc.AuthenticateSession, token, alice, "")
	for range 3 {
		a.clock.Advance(20 * time.Hour)
		wantAuth(t, "node a: AuthenticateSession", a.svc.AuthenticateSession, token, alice, "")
	}
	// 60 hours since node b saw it, 0 since node a did.
	wantAuth(t, "node b: AuthenticateSession after node a kept it alive", b.svc.AuthenticateSession, token, alice, "")
}

func TestKeys(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	alice := e.user(t, "alice", tiny.RoleMember, "")
	bob := e.user(t, "bob", tiny.RoleMember, "")
	admin := e.user(t, "root", tiny.RoleAdmin, "")

	expires := e.clock.Now().Add(48 * time.Hour)
	k, secret, err := e.svc.CreateKey(ctx, As(alice), NewKey{Name: "ci", ExpiresAt: &expires})
	if err != nil {
		t.Fatalf("CreateKey(alice) = %v", err)
	}
	if !slices.Equal(k.Scopes, RoleScopes(tiny.RoleMember)) || k.UserID != alice.ID || k.Prefix == "" || secret[:len(k.Prefix)] != k.Prefix {
		t.Errorf("CreateKey(alice, no scopes) = %+v, want alice's key with the member's scopes and the secret's prefix", k)
	}
	wantAuth(t, "AuthenticateKey(new key)", e.svc.AuthenticateKey, secret, alice, "")
	wantAuth(t, "AuthenticateKey(unknown)", e.svc.AuthenticateKey, "tiny_nope", alice, tiny.Unauthorized)
	wantAuth(t, "AuthenticateKey(empty)", e.svc.AuthenticateKey, "", alice, tiny.Unauthorized)

	// Last use: written on the first use, then at most once a minute.
	lastUsed := func() *time.Time {
		t.Helper()
		got, err := e.store.APIKeyByID(ctx, k.ID)
		if err != nil {
			t.Fatalf("APIKeyByID = %v", err)
		}
		return got.LastUsedAt
	}
	first := e.clock.Now()
	if got := lastUsed(); got == nil || !got.Equal(first) {
		t.Errorf("LastUsedAt after the first use = %v, want %v", got, first)
	}
	e.clock.Advance(59 * time.Second)
	wantAuth(t, "AuthenticateKey 59s later", e.svc.AuthenticateKey, secret, alice, "")
	if got := lastUsed(); got == nil || !got.Equal(first) {
		t.Errorf("LastUsedAt after a use 59s later = %v, want still %v", got, first)
	}
	e.clock.Advance(time.Second)
	wantAuth(t, "AuthenticateKey 60s later", e.svc.AuthenticateKey, secret, alice, "")
	if got := lastUsed(); got == nil || !got.Equal(e.clock.Now()) {
		t.Errorf("LastUsedAt after a use a minute later = %v, want %v", got, e.clock.Now())
	}

	// Expiry.
	e.clock.Advance(48 * time.Hour)
	wantAuth(t, "AuthenticateKey(expired)", e.svc.AuthenticateKey, secret, alice, tiny.Unauthorized)

	// Listing and revoking: the owner's and an admin's, nobody else's.
	_, bobSecret, err := e.svc.CreateKey(ctx, As(bob), NewKey{Name: "bob's"})
	if err != nil {
		t.Fatal(err)
	}
	bobKeys, err := e.svc.Keys(ctx, As(bob), bob.ID)
	if err != nil || len(bobKeys) != 1 {
		t.Fatalf("Keys(bob, own) = %d, %v; want 1", len(bobKeys), err)
	}
	if _, err := e.svc.Keys(ctx, As(alice), bob.ID); !tiny.IsCode(err, tiny.Forbidden) {
		t.Errorf("Keys(alice, bob's) = %v, want forbidden", err)
	}
	if all, err := e.svc.Keys(ctx, As(admin), 0); err != nil || len(all) != 2 {
		t.Errorf("Keys(admin, everyone's) = %d, %v; want 2", len(all), err)
	}
	if err := e.svc.RevokeKey(ctx, As(alice), bobKeys[0].ID); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("RevokeKey(alice, bob's key) = %v, want not_found", err)
	}
	wantAuth(t, "AuthenticateKey(bob's, cached)", e.svc.AuthenticateKey, bobSecret, bob, "")
	if err := e.svc.RevokeKey(ctx, As(admin), bobKeys[0].ID); err != nil {
		t.Errorf("RevokeKey(admin, bob's key) = %v, want nil", err)
	}
	wantAuth(t, "AuthenticateKey(revoked)", e.svc.AuthenticateKey, bobSecret, bob, tiny.Unauthorized)
	if err := e.svc.RevokeKey(ctx, As(admin), bobKeys[0].ID); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("RevokeKey(a revoked key) = %v, want not_found", err)
	}
}

func TestKeyScopesNeverExceedTheRole(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	viewer := e.user(t, "viewer", tiny.RoleViewer, "")
	member := e.user(t, "member", tiny.RoleMember, "")
	admin := e.user(t, "root", tiny.RoleAdmin, "")
	readOnly, err := e.svc.AuthenticateKey(ctx, e.key(t, admin, tiny.ScopeLinksRead))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		p      *Principal
		in     NewKey
		code   tiny.ErrorCode
		scopes []tiny.Scope // when created
	}{
		{"viewer, default", As(viewer), NewKey{Name: "k"}, "", []tiny.Scope{tiny.ScopeLinksRead, tiny.ScopeStatsRead}},
		{"viewer, links:write", As(viewer), NewKey{Name: "k", Scopes: []tiny.Scope{tiny.ScopeLinksWrite}}, tiny.Invalid, nil},
		{"member, default", As(member), NewKey{Name: "k"}, "", RoleScopes(tiny.RoleMember)},
		{"member, moderation", As(member), NewKey{Name: "k", Scopes: []tiny.Scope{tiny.ScopeLinksRead, tiny.ScopeModeration}}, tiny.Invalid, nil},
		{"member, admin", As(member), NewKey{Name: "k", Scopes: []tiny.Scope{tiny.ScopeAdmin}}, tiny.Invalid, nil},
		{"admin for member, admin", As(admin), NewKey{UserID: member.ID, Name: "k", Scopes: []tiny.Scope{tiny.ScopeAdmin}}, tiny.Invalid, nil},
		{"admin for member, default", As(admin), NewKey{UserID: member.ID, Name: "k"}, "", RoleScopes(tiny.RoleMember)},
		{"member for admin", As(member), NewKey{UserID: admin.ID, Name: "k"}, tiny.Forbidden, nil},
		{"admin for nobody", As(admin), NewKey{UserID: 98765, Name: "k"}, tiny.NotFound, nil},
		{"read-only key, default", readOnly, NewKey{Name: "k"}, "", []tiny.Scope{tiny.ScopeLinksRead}},
		{"read-only key, links:write", readOnly, NewKey{Name: "k", Scopes: []tiny.Scope{tiny.ScopeLinksWrite}}, tiny.Forbidden, nil},
		{"unknown scope", As(admin), NewKey{Name: "k", Scopes: []tiny.Scope{"links:delete"}}, tiny.Invalid, nil},
		{"no name", As(admin), NewKey{}, tiny.Invalid, nil},
		{"the operator's secret", As(admin), NewKey{Name: "k", Secret: "operator-chosen-secret-0123456789"}, "", RoleScopes(tiny.RoleAdmin)},
		{"a short chosen secret", As(admin), NewKey{Name: "k", Secret: "short"}, tiny.Invalid, nil},
		{"a key chooses a secret", readOnly, NewKey{Name: "k", Secret: "operator-chosen-secret-9876543210"}, tiny.Forbidden, nil},
	}
	for _, tt := range tests {
		k, secret, err := e.svc.CreateKey(ctx, tt.p, tt.in)
		if got := tiny.ErrorCodeOf(err); got != tt.code {
			t.Errorf("CreateKey(%s) = %v, want code %q", tt.name, err, tt.code)
			continue
		}
		if err != nil {
			continue
		}
		if !slices.Equal(k.Scopes, tt.scopes) {
			t.Errorf("CreateKey(%s).Scopes = %v, want %v", tt.name, k.Scopes, tt.scopes)
		}
		if tt.in.Secret != "" && (secret != tt.in.Secret || k.Prefix != tiny.APIKeyDisplayPrefix(tt.in.Secret)) {
			t.Errorf("CreateKey(%s) = secret %q prefix %q, want the chosen secret", tt.name, secret, k.Prefix)
		}
		p, err := e.svc.AuthenticateKey(ctx, secret)
		if err != nil {
			t.Errorf("AuthenticateKey(%s) = %v", tt.name, err)
			continue
		}
		// Whatever the key holds, it does no more than its user's role.
		for _, sc := range p.Key.Scopes {
			if !slices.Contains(RoleScopes(p.User.Role), sc) {
				t.Errorf("CreateKey(%s) made a key with %s for a %s", tt.name, sc, p.User.Role)
			}
		}
	}
}

// TestDisabledUserStopsAtOnce: a disabled user's cached key and session
// fail on the next request, on this node and (through the store's feed)
// on another node of the same store.
func TestDisabledUserStopsAtOnce(t *testing.T) {
	e := newEnv(t)
	other := newEnvOn(t, e.store, e.clock)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan struct{})
	go func() { other.svc.FollowChanges(ctx, slog.New(slog.DiscardHandler)); close(done) }()
	defer func() { cancel(); <-done }()
	e.waitFollowing(t, other)

	admin := e.user(t, "root", tiny.RoleAdmin, "")
	alice := e.user(t, "alice", tiny.RoleMember, goodPassword)
	secret := e.key(t, alice)
	token := e.signIn(t, alice, goodPassword)
	for _, node := range []*env{e, other} {
		wantAuth(t, "AuthenticateKey before", node.svc.AuthenticateKey, secret, alice, "")
		wantAuth(t, "AuthenticateSession before", node.svc.AuthenticateSession, token, alice, "")
	}
	if _, err := e.svc.SetDisabled(ctx, As(admin), alice.ID, true); err != nil {
		t.Fatalf("SetDisabled(alice) = %v", err)
	}
	for name, node := range map[string]*env{"this node": e, "another node": other} {
		wantAuth(t, name+": AuthenticateKey of a disabled user", node.svc.AuthenticateKey, secret, alice, tiny.Unauthorized)
		wantAuth(t, name+": AuthenticateSession of a disabled user", node.svc.AuthenticateSession, token, alice, tiny.Unauthorized)
	}
	// Enabled again: the keys work again, the sessions ended for good.
	if _, err := e.svc.SetDisabled(ctx, As(admin), alice.ID, false); err != nil {
		t.Fatalf("SetDisabled(alice, false) = %v", err)
	}
	wantAuth(t, "AuthenticateKey after enabling again", other.svc.AuthenticateKey, secret, alice, "")
	wantAuth(t, "AuthenticateSession after enabling again", other.svc.AuthenticateSession, token, alice, tiny.Unauthorized)
}

func TestRoleChangeReachesCachedCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	admin := e.user(t, "root", tiny.RoleAdmin, "")
	alice := e.user(t, "alice", tiny.RoleModerator, "")
	secret := e.key(t, alice)
	p, err := e.svc.AuthenticateKey(ctx, secret)
	if err != nil || !p.Can(Moderate, Resource{}) {
		t.Fatalf("a moderator's key: Can(Moderate) = %t, %v; want true", p.Can(Moderate, Resource{}), err)
	}
	if _, err := e.svc.SetRole(ctx, As(admin), alice.ID, tiny.RoleViewer); err != nil {
		t.Fatalf("SetRole(alice, viewer) = %v", err)
	}
	if p, err := e.svc.AuthenticateKey(ctx, secret); err != nil || p.Can(Moderate, Resource{}) || p.Can(WriteLinks, Own(alice.ID)) {
		t.Errorf("the key of a moderator made viewer: Can(Moderate) = %t, Can(WriteLinks own) = %t, %v; want false, false", p.Can(Moderate, Resource{}), p.Can(WriteLinks, Own(alice.ID)), err)
	}
	if _, err := e.svc.SetRole(ctx, As(admin), alice.ID, "user"); !tiny.IsCode(err, tiny.Invalid) {
		t.Errorf("SetRole(\"user\") = %v, want invalid", err)
	}
	if _, err := e.svc.SetRole(ctx, As(alice), admin.ID, tiny.RoleViewer); !tiny.IsCode(err, tiny.Forbidden) {
		t.Errorf("SetRole by a viewer = %v, want forbidden", err)
	}
}

func TestKeepsAnAdmin(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	root := e.user(t, "root", tiny.RoleAdmin, "")
	second := e.user(t, "second", tiny.RoleAdmin, "")
	if _, err := e.svc.SetRole(ctx, As(root), second.ID, tiny.RoleMember); err != nil {
		t.Fatalf("SetRole(second admin, member) = %v, want nil", err)
	}
	checks := []struct {
		what string
		err  error
	}{
		{"SetRole(last admin, member)", func() error { _, err := e.svc.SetRole(ctx, As(root), root.ID, tiny.RoleMember); return err }()},
		{"SetDisabled(own account)", func() error { _, err := e.svc.SetDisabled(ctx, As(root), root.ID, true); return err }()},
		{"DeleteUser(own account)", e.svc.DeleteUser(ctx, As(root), root.ID, 0)},
	}
	for _, c := range checks {
		if !tiny.IsCode(c.err, tiny.Conflict) {
			t.Errorf("%s = %v, want conflict", c.what, c.err)
		}
	}
	if u, err := e.store.UserByID(ctx, root.ID); err != nil || u.Role != tiny.RoleAdmin || u.Disabled {
		t.Errorf("the last admin after refused changes = %+v, %v; want an enabled admin", u, err)
	}
}

func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	var dropped []string
	e.cfg.LinksDeleted = func(names ...string) { dropped = append(dropped, names...) }
	svc, err := New(t.Context(), e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	ctx := t.Context()
	admin := e.user(t, "root", tiny.RoleAdmin, "")
	heir := e.user(t, "heir", tiny.RoleMember, "")
	for _, transfer := range []bool{true, false} {
		leaving := e.user(t, fmt.Sprintf("leaving-%t", transfer), tiny.RoleMember, goodPassword)
		secret := e.key(t, leaving)
		token := e.signIn(t, leaving, goodPassword)
		wantAuth(t, "AuthenticateKey before", e.svc.AuthenticateKey, secret, leaving, "")
		l := &tiny.Link{ID: leaving.ID * 100, Code: fmt.Sprintf("code%03d", leaving.ID), OwnerID: leaving.ID,
			URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
		if err := e.store.CreateLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		to := int64(0)
		if transfer {
			to = heir.ID
		}
		if err := e.svc.DeleteUser(ctx, As(heir), leaving.ID, to); !tiny.IsCode(err, tiny.Forbidden) {
			t.Errorf("DeleteUser by a member = %v, want forbidden", err)
		}
		dropped = nil
		if err := e.svc.DeleteUser(ctx, As(admin), leaving.ID, to); err != nil {
			t.Fatalf("DeleteUser(transfer %t) = %v", transfer, err)
		}
		wantAuth(t, "AuthenticateKey of a deleted user", e.svc.AuthenticateKey, secret, leaving, tiny.Unauthorized)
		wantAuth(t, "AuthenticateSession of a deleted user", e.svc.AuthenticateSession, token, leaving, tiny.Unauthorized)
		got, err := e.store.LinkByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case transfer && (got.OwnerID != heir.ID || got.DeletedAt != nil || len(dropped) != 0):
			t.Errorf("DeleteUser(to heir): link owner %d, deleted %v, names dropped %q; want heir's, live, none", got.OwnerID, got.DeletedAt, dropped)
		case !transfer && (got.DeletedAt == nil || !slices.Equal(dropped, []string{l.Code})):
			t.Errorf("DeleteUser(links deleted): link deleted %v, names dropped %q; want deleted, [%s]", got.DeletedAt, dropped, l.Code)
		}
	}
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	alice := e.user(t, "alice", tiny.RoleMember, goodPassword)
	currentToken := e.signIn(t, alice, goodPassword)
	current, err := e.svc.AuthenticateSession(ctx, currentToken)
	if err != nil {
		t.Fatal(err)
	}
	otherToken := e.signIn(t, alice, goodPassword)
	wantAuth(t, "AuthenticateSession(other)", e.svc.AuthenticateSession, otherToken, alice, "")
	const next = "a much better passphrase"

	checks := []struct {
		what     string
		p        *Principal
		current  string
		next     string
		code     tiny.ErrorCode
		field    string
		keyOfHer bool
	}{
		{"wrong current", current, "nope nope nope", next, tiny.Invalid, "current_password", false},
		{"weak new", current, goodPassword, "password1234", tiny.Invalid, "password", false},
		{"by key", nil, goodPassword, next, tiny.Forbidden, "", true},
	}
	for _, c := range checks {
		p := c.p
		if c.keyOfHer {
			if p, err = e.svc.AuthenticateKey(ctx, e.key(t, alice)); err != nil {
				t.Fatal(err)
			}
		}
		err := e.svc.ChangePassword(ctx, p, c.current, c.next)
		if !tiny.IsCode(err, c.code) || c.field != "" && tiny.ErrorFieldOf(err) != c.field {
			t.Errorf("ChangePassword(%s) = %v, want code %q field %q", c.what, err, c.code, c.field)
		}
	}
	if err := e.svc.ChangePassword(ctx, current, goodPassword, next); err != nil {
		t.Fatalf("ChangePassword = %v, want nil", err)
	}
	wantAuth(t, "AuthenticateSession(the session that changed it)", e.svc.AuthenticateSession, currentToken, alice, "")
	wantAuth(t, "AuthenticateSession(another session)", e.svc.AuthenticateSession, otherToken, alice, tiny.Unauthorized)
	if _, err := e.svc.SignInPassword(ctx, SignIn{Email: alice.Email, Password: goodPassword}); !tiny.IsCode(err, tiny.Unauthorized) {
		t.Errorf("SignInPassword(old password) = %v, want unauthorized", err)
	}
	e.signIn(t, alice, next)

	u, err := e.svc.ChangeDisplayName(ctx, current, "Alice L.")
	if err != nil || u.DisplayName != "Alice L." {
		t.Errorf("ChangeDisplayName = %+v, %v; want Alice L.", u, err)
	}
	if _, err := e.svc.ChangeDisplayName(ctx, current, "bad\nname"); !tiny.IsCode(err, tiny.Invalid) {
		t.Errorf("ChangeDisplayName(with a newline) = %v, want invalid", err)
	}
}

func TestSecondFactor(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	alice := e.user(t, "alice", tiny.RoleMember, goodPassword)
	alice.TOTPSecret, alice.TOTPEnabled = "JBSWY3DPEHPK3PXP", true
	if err := e.store.UpdateUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	signIn := func() *SignInResult {
		t.Helper()
		r, err := e.svc.SignInPassword(ctx, SignIn{Email: alice.Email, Password: goodPassword})
		if err != nil || !r.NeedsSecondFactor() || r.Token != "" || r.Session != nil {
			t.Fatalf("SignInPassword(with a second factor) = %+v, %v; want a pending sign-in without a session", r, err)
		}
		return r
	}
	right := func(u *tiny.User) error {
		if u.ID != alice.ID || u.TOTPSecret != "JBSWY3DPEHPK3PXP" {
			return tiny.Errorf(tiny.Internal, "verify got user %d", u.ID)
		}
		return nil
	}
	wrong := func(*tiny.User) error { return tiny.Errorf(tiny.Unauthorized, "wrong code") }

	r := signIn()
	if _, err := e.svc.CompleteSecondFactor(ctx, r.SecondFactorToken, wrong, "", ""); !tiny.IsCode(err, tiny.Unauthorized) {
		t.Errorf("CompleteSecondFactor(wrong code) = %v, want unauthorized", err)
	}
	done, err := e.svc.CompleteSecondFactor(ctx, r.SecondFactorToken, right, "Safari on iOS", "")
	if err != nil || done.Token == "" || done.Session.Label != "Safari on iOS" {
		t.Fatalf("CompleteSecondFactor(right code) = %+v, %v; want a session", done, err)
	}
	wantAuth(t, "AuthenticateSession after the second factor", e.svc.AuthenticateSession, done.Token, alice, "")

	tampered := []byte(signIn().SecondFactorToken)
	tampered[3] ^= 1
	expired := signIn()
	e.clock.Advance(5*time.Minute + time.Second)
	stale := signIn()
	alice.PasswordHash = HashPassword("another fine passphrase", fastArgon2)
	if err := e.store.UpdateUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{
		"tampered": string(tampered), "expired": expired.SecondFactorToken,
		"made before the password changed": stale.SecondFactorToken, "empty": "", "garbage": "abc",
	} {
		if _, err := e.svc.CompleteSecondFactor(ctx, token, right, "", ""); !tiny.IsCode(err, tiny.Unauthorized) {
			t.Errorf("CompleteSecondFactor(%s token) = %v, want unauthorized", name, err)
		}
	}
	// A token signed by another instance's key is refused.
	other := newEnv(t)
	if _, err := other.svc.CompleteSecondFactor(ctx, signInOn(t, e, alice, "another fine passphrase"), right, "", ""); !tiny.IsCode(err, tiny.Unauthorized) {
		t.Errorf("CompleteSecondFactor(a token of another instance) = %v, want unauthorized", err)
	}
}

func signInOn(t *testing.T, e *env, u *tiny.User, password string) string {
	t.Helper()
	r, err := e.svc.SignInPassword(t.Context(), SignIn{Email: u.Email, Password: password})
	if err != nil || !r.NeedsSecondFactor() {
		t.Fatalf("SignInPassword = %+v, %v; want a pending sign-in", r, err)
	}
	return r.SecondFactorToken
}

func TestStaleHashIsReplacedAtSignIn(t *testing.T) {
	e := newEnv(t)
	old := fastArgon2
	old.Time = 2
	alice := &tiny.User{Name: "alice", Email: "alice@example.com", Role: tiny.RoleMember, PasswordHash: HashPassword(goodPassword, old)}
	if err := e.store.CreateUser(t.Context(), alice); err != nil {
		t.Fatal(err)
	}
	e.signIn(t, alice, goodPassword)
	u, err := e.store.UserByID(t.Context(), alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, stale, err := VerifyPassword(u.PasswordHash, goodPassword, fastArgon2); !ok || stale || err != nil {
		t.Errorf("the hash after signing in with an old one = %q (ok %t, stale %t, %v), want one of today's parameters", u.PasswordHash, ok, stale, err)
	}
}
