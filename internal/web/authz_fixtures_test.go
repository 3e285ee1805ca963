package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pquerna/otp/totp"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// caller is a column of the authorization matrix: who asks, and with what
// credential. Every resource a request names belongs to the member alice,
// so "member" acts on their own and every other caller on someone else's.
type caller int

const (
	asAnonymous       caller = iota // no credential
	asViewer                        // a viewer, signed in (session cookie)
	asMember                        // alice, a member, with a key of every scope she may have
	asOther                         // bob, a member, with such a key, on alice's resources
	asModerator                     // a moderator's key
	asAdmin                         // an admin, signed in (session cookie)
	asAdminKey                      // the same admin's key of every scope
	asDisabledKey                   // a disabled member's key
	asDisabledSession               // the session of a member disabled since (which disabling ends)
	asExpiredKey                    // alice's key past its expiry
	asNarrowKey                     // alice's key with links:read only
	numCallers                      // how many
)

var callerNames = [numCallers]string{"anonymous", "viewer", "member", "other member", "moderator", "admin", "admin's key",
	"disabled (key)", "disabled (session)", "expired key", "links:read key"}

func (c caller) String() string { return callerNames[c] }

// matrixPassword is every matrix user's password.
const matrixPassword = "Plum-Orbit-Quartz-7319"

// world is the users, credentials and resources of the authorization
// matrix, made through the accounts service the server uses.
type world struct {
	e    *env
	svc  *accounts.Service
	root *accounts.Principal // the harness's admin, acting through a trusted channel

	alice, bob *tiny.User
	// cred is the credential of each caller: a key's secret or a session
	// token (see session).
	cred    [numCallers]string
	session [numCallers]bool
	// byUser is the user of each caller, nil for anonymous.
	byUser [numCallers]*tiny.User
	n      int // makes names unique
}

func newWorld(e *env) *world {
	e.t.Helper()
	ctx := context.Background()
	root, err := e.store.UserByName(ctx, "admin")
	if err != nil {
		e.t.Fatal(err)
	}
	w := &world{e: e, svc: e.accounts, root: accounts.As(root)}
	vera := w.user("vera", tiny.RoleViewer)
	w.alice = w.user("alice", tiny.RoleMember)
	w.bob = w.user("bob", tiny.RoleMember)
	mod := w.user("mona", tiny.RoleModerator)
	boss := w.user("ada", tiny.RoleAdmin)
	dan := w.user("dan", tiny.RoleMember)
	dina := w.user("dina", tiny.RoleMember)

	w.byUser = [numCallers]*tiny.User{nil, vera, w.alice, w.bob, mod, boss, boss, dan, dina, w.alice, w.alice}
	w.cred[asViewer], _ = w.signIn(vera)
	w.cred[asMember] = w.key(w.alice)
	w.cred[asOther] = w.key(w.bob)
	w.cred[asModerator] = w.key(mod)
	w.cred[asAdmin], _ = w.signIn(boss)
	w.cred[asAdminKey] = w.key(boss)
	w.cred[asDisabledKey] = w.key(dan)
	w.cred[asDisabledSession], _ = w.signIn(dina)
	w.cred[asNarrowKey] = w.key(w.alice, tiny.ScopeLinksRead)
	for _, c := range []caller{asViewer, asAdmin, asDisabledSession} {
		w.session[c] = true
	}
	// An expired key cannot be made through the service, which refuses a
	// past expiry: it is stored as it would be, then its time passes.
	secret := tiny.NewAPIKeySecret()
	past := time.Now().Add(-time.Hour)
	k := &tiny.APIKey{UserID: w.alice.ID, Name: "expired", Prefix: tiny.APIKeyDisplayPrefix(secret),
		Hash: tiny.HashAPIKey(secret), Scopes: accounts.RoleScopes(tiny.RoleMember), ExpiresAt: &past}
	if err := e.store.CreateAPIKey(ctx, k); err != nil {
		e.t.Fatal(err)
	}
	w.cred[asExpiredKey] = secret
	for _, u := range []*tiny.User{dan, dina} {
		if _, err := w.svc.SetDisabled(ctx, w.root, u.ID, true); err != nil {
			e.t.Fatal(err)
		}
	}
	return w
}

// next returns a number not returned before.
func (w *world) next() int { w.n++; return w.n }

// user makes a user who signs in with matrixPassword.
func (w *world) user(name string, role tiny.Role) *tiny.User {
	w.e.t.Helper()
	u, err := w.svc.CreateUser(context.Background(), w.root, accounts.NewUser{
		Email: name + "@example.com", Name: name, Role: role, Password: matrixPassword})
	if err != nil {
		w.e.t.Fatalf("CreateUser(%s) = %v", name, err)
	}
	return u
}

// key makes a key of u with scopes (none: every scope u's role allows)
// and returns its secret.
func (w *world) key(u *tiny.User, scopes ...tiny.Scope) string {
	w.e.t.Helper()
	_, secret, err := w.svc.CreateKey(context.Background(), accounts.As(u), accounts.NewKey{Name: "matrix", Scopes: scopes})
	if err != nil {
		w.e.t.Fatalf("CreateKey(%s, %v) = %v", u.Name, scopes, err)
	}
	return secret
}

// keyID makes a key of u and returns its id.
func (w *world) keyID(u *tiny.User) string {
	w.e.t.Helper()
	k, _, err := w.svc.CreateKey(context.Background(), accounts.As(u), accounts.NewKey{Name: "spare"})
	if err != nil {
		w.e.t.Fatalf("CreateKey(%s) = %v", u.Name, err)
	}
	return strconv.FormatInt(k.ID, 10)
}

// signIn starts a session of u and returns its token and id.
func (w *world) signIn(u *tiny.User) (string, int64) {
	w.e.t.Helper()
	r, err := w.svc.SignInPassword(context.Background(), accounts.SignIn{Email: u.Email, Password: matrixPassword, Label: "matrix"})
	if err != nil || r.Token == "" {
		w.e.t.Fatalf("SignInPassword(%s) = %+v, %v", u.Email, r, err)
	}
	return r.Token, r.Session.ID
}

// link makes a link of alice through the API and returns its code.
func (w *world) link() string {
	w.e.t.Helper()
	l := w.e.create(w.cred[asMember], map[string]any{"url": fmt.Sprintf("https://example.com/matrix/%d", w.next())})
	return l["code"].(string)
}

// blockedLink makes a link of alice that the harness's admin blocked.
func (w *world) blockedLink() string {
	w.e.t.Helper()
	code := w.link()
	if r := w.e.do("POST", "/api/v1/moderation/links/"+code, w.e.adminKey, map[string]any{"decision": "block"}); r.status != http.StatusOK {
		w.e.t.Fatalf("blocking %s = %d %s, want 200", code, r.status, r.body)
	}
	return code
}

// destinationBlock makes a destination block and returns its id.
func (w *world) destinationBlock() string {
	w.e.t.Helper()
	r := w.e.do("POST", "/api/v1/moderation/destinations", w.e.adminKey, w.destinationBody())
	if r.status != http.StatusCreated {
		w.e.t.Fatalf("blocking a destination = %d %s, want 201", r.status, r.body)
	}
	return fmt.Sprint(int64(r.json(w.e.t)["id"].(float64)))
}

// someUser makes a member and returns their id.
func (w *world) someUser() string {
	w.e.t.Helper()
	return strconv.FormatInt(w.user(fmt.Sprintf("user%d", w.next()), tiny.RoleMember).ID, 10)
}

// sessionOf starts a new session of caller c's user, or of alice's for
// the other member and callers who cannot sign in, and returns its id.
func (w *world) sessionOf(c caller) string {
	w.e.t.Helper()
	u := w.byUser[c]
	switch c {
	case asAnonymous, asOther, asDisabledKey, asDisabledSession:
		u = w.alice
	}
	_, id := w.signIn(u)
	return strconv.FormatInt(id, 10)
}

// freshSession signs caller c in afresh, as a new user of the same role,
// for a request that ends the session or changes the user's sign-in; it
// returns what puts c back. Callers without a session of a user who can
// sign in are left as they are.
func (w *world) freshSession(c caller) (restore func()) {
	w.e.t.Helper()
	if !w.session[c] || c == asDisabledSession {
		return func() {}
	}
	cred, u := w.cred[c], w.byUser[c]
	w.byUser[c] = w.user(fmt.Sprintf("%s%d", u.Role, w.next()), u.Role)
	w.cred[c], _ = w.signIn(w.byUser[c])
	return func() { w.cred[c], w.byUser[c] = cred, u }
}

// totpCode enrolls caller c's user in two-factor sign-in through the API
// and returns a code of the new secret; "000000" when c may not enroll.
func (w *world) totpCode(c caller) string {
	w.e.t.Helper()
	r := w.send(c, "POST", "/api/v1/account/totp", nil)
	if r.status != http.StatusOK {
		return "000000"
	}
	return w.codeOf(r)
}

// codeOf returns a code of the secret an enrolment answered with.
func (w *world) codeOf(enrolled response) string {
	w.e.t.Helper()
	code, err := totp.GenerateCode(enrolled.json(w.e.t)["secret"].(string), time.Now())
	if err != nil {
		w.e.t.Fatal(err)
	}
	return code
}

// pendingSignIn makes a member with two-factor sign-in on, starts their
// sign-in with the password, and returns the body that finishes it with a
// recovery code.
func (w *world) pendingSignIn() map[string]any {
	w.e.t.Helper()
	u := w.user(fmt.Sprintf("totp%d", w.next()), tiny.RoleMember)
	token, _ := w.signIn(u)
	cookie := w.e.server.sessionCookieName() + "=" + token
	r := w.e.do("POST", "/api/v1/account/totp", "", nil, "Cookie", cookie)
	if r.status != http.StatusOK {
		w.e.t.Fatalf("POST /api/v1/account/totp = %d %s, want 200", r.status, r.body)
	}
	r = w.e.do("POST", "/api/v1/account/totp/confirm", "", map[string]any{"code": w.codeOf(r)}, "Cookie", cookie)
	if r.status != http.StatusOK {
		w.e.t.Fatalf("POST /api/v1/account/totp/confirm = %d %s, want 200", r.status, r.body)
	}
	recovery := r.json(w.e.t)["recovery_codes"].([]any)[0]
	r = w.e.do("POST", "/api/v1/auth/signin", "", map[string]any{"email": u.Email, "password": matrixPassword})
	if r.status != http.StatusOK {
		w.e.t.Fatalf("POST /api/v1/auth/signin = %d %s, want 200", r.status, r.body)
	}
	return map[string]any{"pending": r.json(w.e.t)["pending"], "recovery_code": recovery}
}

func (w *world) destinationBody() map[string]any {
	return map[string]any{"kind": "host", "value": fmt.Sprintf("bad%d.example", w.next())}
}

func (w *world) linkBody() map[string]any {
	return map[string]any{"url": fmt.Sprintf("https://example.org/matrix/%d", w.next())}
}

// send makes the request of caller c.
func (w *world) send(c caller, method, path string, body any) response {
	w.e.t.Helper()
	switch {
	case c == asAnonymous:
		return w.e.do(method, path, "", body)
	case w.session[c]:
		return w.e.do(method, path, "", body, "Cookie", w.e.server.sessionCookieName()+"="+w.cred[c])
	}
	return w.e.do(method, path, w.cred[c], body)
}
