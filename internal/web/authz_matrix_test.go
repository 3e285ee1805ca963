package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// outcome is the class of answer a caller gets.
type outcome int

const (
	outOK     outcome = iota // 2xx
	outUnauth                // 401: no credential, or one that does not hold
	outForbid                // 403: the caller may see the resource but not do this
	outHidden                // 404: the caller may not even see the resource
)

func (o outcome) String() string {
	return [...]string{"2xx", "401", "403", "404"}[o]
}

func (o outcome) matches(status int) bool {
	switch o {
	case outOK:
		return status >= 200 && status < 300
	case outUnauth:
		return status == http.StatusUnauthorized
	case outForbid:
		return status == http.StatusForbidden
	}
	return status == http.StatusNotFound
}

// A shorthand per outcome keeps the rows of the table readable.
const (
	Y = outOK
	U = outUnauth
	F = outForbid
	H = outHidden
)

// cellParam fills a path parameter for caller c, afresh for every request so
// that a request that deletes or changes it leaves the next one its own.
type cellParam func(w *world, c caller) string

var (
	aliceLink    cellParam = func(w *world, _ caller) string { return w.link() }
	aliceBlocked cellParam = func(w *world, _ caller) string { return w.blockedLink() }
	aliceKey     cellParam = func(w *world, _ caller) string { return w.keyID(w.alice) }
	destBlock    cellParam = func(w *world, _ caller) string { return w.destinationBlock() }
	// A user is a new member: one whom an admin may change and delete.
	someUser cellParam = func(w *world, _ caller) string { return w.someUser() }
	// A session is the caller's own, but for the other member's and for
	// callers whose user cannot sign in, who get one of alice's.
	ownSession cellParam = func(w *world, c caller) string { return w.sessionOf(c) }
)

// matrixRow is one operation of the spec and the answer each caller gets.
type matrixRow struct {
	op     string               // "METHOD /path" as the spec writes it
	params map[string]cellParam // the path's parameters
	query  string               // the query, if the operation needs one
	// fresh signs the session callers in afresh, as new users, for this
	// row alone: its requests end the caller's session (signing in again
	// ends the one the request came with) or change how its user signs in.
	fresh bool
	body  func(w *world, c caller) any // the request body; nil for none
	want  [numCallers]outcome          // by caller, in the order of the caller constants
}

// sameBody is the body v for every caller.
func sameBody(v any) func(*world, caller) any { return func(*world, caller) any { return v } }

// matrix is the authorization table: every operation of the spec under
// /api/v1, and what each caller gets. A new operation needs a row here.
//
// Columns: anonymous, viewer (session), member alice (key, own resources),
// other member bob (key, alice's resources), moderator (key), admin
// (session), admin (key), disabled user's key, disabled user's session,
// alice's expired key, alice's links:read key.
var matrix = []matrixRow{
	// Links: members and up write their own; a viewer reads their own; a
	// moderator reads everyone's; an admin does everything.
	{op: "POST /api/v1/links", body: (*world).linkBodyAny,
		want: [numCallers]outcome{U, F, Y, Y, Y, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/links",
		want: [numCallers]outcome{U, Y, Y, Y, Y, Y, Y, U, U, U, Y}},
	// The export is of the caller's own links, as the list is (all=true,
	// for moderators and admins, is TestAPIExport's).
	{op: "GET /api/v1/export",
		want: [numCallers]outcome{U, Y, Y, Y, Y, Y, Y, U, U, U, Y}},
	{op: "POST /api/v1/links/bulk", body: func(w *world, _ caller) any { return map[string]any{"links": []any{w.linkBody()}} },
		want: [numCallers]outcome{U, F, Y, Y, Y, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/links/{code}", params: map[string]cellParam{"code": aliceLink},
		want: [numCallers]outcome{U, H, Y, H, Y, Y, Y, U, U, U, Y}},
	{op: "GET /api/v1/links/{code}/qr", params: map[string]cellParam{"code": aliceLink},
		want: [numCallers]outcome{U, H, Y, H, Y, Y, Y, U, U, U, Y}},
	{op: "PATCH /api/v1/links/{code}", params: map[string]cellParam{"code": aliceLink}, body: sameBody(map[string]any{"title": "renamed"}),
		want: [numCallers]outcome{U, H, Y, H, F, Y, Y, U, U, U, F}},
	{op: "DELETE /api/v1/links/{code}", params: map[string]cellParam{"code": aliceLink},
		want: [numCallers]outcome{U, H, Y, H, F, Y, Y, U, U, U, F}},
	{op: "POST /api/v1/links/{code}/appeal", params: map[string]cellParam{"code": aliceBlocked}, body: sameBody(map[string]any{"message": "it is fine"}),
		want: [numCallers]outcome{U, H, Y, H, F, Y, Y, U, U, U, F}},

	// Statistics: of one's own links; an admin's of any link and of the
	// whole instance.
	{op: "GET /api/v1/links/{code}/stats", params: map[string]cellParam{"code": aliceLink},
		want: [numCallers]outcome{U, H, Y, H, F, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/links/{code}/clicks.csv", params: map[string]cellParam{"code": aliceLink},
		want: [numCallers]outcome{U, H, Y, H, F, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/stats",
		want: [numCallers]outcome{U, F, F, F, F, Y, Y, U, U, U, F}},

	// Keys: everyone their own, with any key; an admin anyone's.
	{op: "POST /api/v1/keys", body: sameBody(map[string]any{"name": "made"}),
		want: [numCallers]outcome{U, Y, Y, Y, Y, Y, Y, U, U, U, Y}},
	{op: "GET /api/v1/keys",
		want: [numCallers]outcome{U, Y, Y, Y, Y, Y, Y, U, U, U, Y}},
	{op: "DELETE /api/v1/keys/{id}", params: map[string]cellParam{"id": aliceKey},
		want: [numCallers]outcome{U, H, Y, H, H, Y, Y, U, U, U, Y}},

	// Users: admins only. Anyone may read their own user; to anyone else
	// other users do not exist.
	{op: "GET /api/v1/users",
		want: [numCallers]outcome{U, F, F, F, F, Y, Y, U, U, U, F}},
	{op: "POST /api/v1/users", body: func(w *world, _ caller) any { return map[string]any{"name": fmt.Sprintf("new%d", w.next())} },
		want: [numCallers]outcome{U, F, F, F, F, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/users/{id}", params: map[string]cellParam{"id": someUser},
		want: [numCallers]outcome{U, H, H, H, H, Y, Y, U, U, U, H}},
	{op: "PATCH /api/v1/users/{id}", params: map[string]cellParam{"id": someUser}, body: sameBody(map[string]any{"role": "moderator"}),
		want: [numCallers]outcome{U, F, F, F, F, Y, Y, U, U, U, F}},
	{op: "DELETE /api/v1/users/{id}", params: map[string]cellParam{"id": someUser}, query: "delete_links=true",
		want: [numCallers]outcome{U, F, F, F, F, Y, Y, U, U, U, F}},

	// The account: anyone may read their own; only a signed-in person
	// (no API key) may change it or see and end their sessions.
	{op: "GET /api/v1/account",
		want: [numCallers]outcome{U, Y, Y, Y, Y, Y, Y, U, U, U, Y}},
	{op: "PATCH /api/v1/account", body: sameBody(map[string]any{"display_name": "Renamed"}),
		want: [numCallers]outcome{U, Y, F, F, F, Y, F, U, U, U, F}},
	{op: "POST /api/v1/account/password", body: sameBody(map[string]any{"current_password": matrixPassword, "password": matrixPassword}),
		want: [numCallers]outcome{U, Y, F, F, F, Y, F, U, U, U, F}},
	{op: "GET /api/v1/account/sessions",
		want: [numCallers]outcome{U, Y, F, F, F, Y, F, U, U, U, F}},
	{op: "DELETE /api/v1/account/sessions/{id}", params: map[string]cellParam{"id": ownSession},
		want: [numCallers]outcome{U, Y, F, F, F, Y, F, U, U, U, F}},

	// Signing in and out: anyone, whatever credential they hold.
	{op: "POST /api/v1/auth/signin", fresh: true, body: func(w *world, _ caller) any {
		return map[string]any{"email": w.alice.Email, "password": matrixPassword}
	}, want: [numCallers]outcome{Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y}},
	{op: "POST /api/v1/auth/second-factor", fresh: true, body: func(w *world, _ caller) any { return w.pendingSignIn() },
		want: [numCallers]outcome{Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y}},
	{op: "POST /api/v1/auth/signout", fresh: true,
		want: [numCallers]outcome{Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y}},

	// Two-factor sign-in: a signed-in person's own, never an API key's.
	{op: "POST /api/v1/account/totp",
		want: [numCallers]outcome{U, Y, F, F, F, Y, F, U, U, U, F}},
	{op: "POST /api/v1/account/totp/confirm", fresh: true, body: func(w *world, c caller) any { return map[string]any{"code": w.totpCode(c)} },
		want: [numCallers]outcome{U, Y, F, F, F, Y, F, U, U, U, F}},
	{op: "DELETE /api/v1/account/totp", body: sameBody(map[string]any{"password": matrixPassword}),
		want: [numCallers]outcome{U, Y, F, F, F, Y, F, U, U, U, F}},

	// Reports: anyone, signed in or not.
	{op: "POST /api/v1/reports", body: func(w *world, _ caller) any {
		return map[string]any{"link": w.link(), "reason": "phishing"}
	}, want: [numCallers]outcome{Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y}},

	// Moderation: moderators and admins.
	{op: "GET /api/v1/moderation/queue",
		want: [numCallers]outcome{U, F, F, F, Y, Y, Y, U, U, U, F}},
	{op: "POST /api/v1/moderation/links/{code}", params: map[string]cellParam{"code": aliceLink}, body: sameBody(map[string]any{"decision": "approve"}),
		want: [numCallers]outcome{U, F, F, F, Y, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/moderation/audit",
		want: [numCallers]outcome{U, F, F, F, Y, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/moderation/quality",
		want: [numCallers]outcome{U, F, F, F, Y, Y, Y, U, U, U, F}},
	{op: "POST /api/v1/moderation/destinations", body: func(w *world, _ caller) any { return w.destinationBody() },
		want: [numCallers]outcome{U, F, F, F, Y, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/moderation/destinations",
		want: [numCallers]outcome{U, F, F, F, Y, Y, Y, U, U, U, F}},
	{op: "DELETE /api/v1/moderation/destinations/{id}", params: map[string]cellParam{"id": destBlock},
		want: [numCallers]outcome{U, F, F, F, Y, Y, Y, U, U, U, F}},

	// Imports: like creating links; a job is its owner's and an admin's,
	// and hidden from everyone else (api_imports_test.go).
	{op: "POST /api/v1/imports", body: (*world).importBody,
		want: [numCallers]outcome{U, F, Y, Y, Y, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/imports",
		want: [numCallers]outcome{U, F, Y, Y, Y, Y, Y, U, U, U, F}},
	{op: "GET /api/v1/imports/{id}", params: map[string]cellParam{"id": aliceImport},
		want: [numCallers]outcome{U, H, Y, H, H, Y, Y, U, U, U, H}},
	{op: "DELETE /api/v1/imports/{id}", params: map[string]cellParam{"id": aliceImport},
		want: [numCallers]outcome{U, H, Y, H, H, Y, Y, U, U, U, H}},
}

func (w *world) linkBodyAny(caller) any { return w.linkBody() }

// publicOps are the operations outside /api/v1: pages, redirects, probes,
// metrics, the first admin's setup and the sign-in forms, which take no
// credential. They are listed so that the
// matrix still names every operation of the spec.
var publicOps = []string{
	"GET /",
	"GET /healthz",
	"GET /readyz",
	"GET /metrics",
	"GET /api/openapi.yaml",
	"GET /{code}",
	"HEAD /{code}",
	"POST /{code}",
	"GET /{code}+",
	"GET /setup",
	"POST /setup",
	"GET /signin",
	"POST /signin",
	"GET /auth/oidc/start",
	"GET /auth/oidc/callback",
}

// TestAuthorizationMatrix sends every operation of the spec as every kind
// of caller, over HTTP to a running server, and checks each answer's
// class against the matrix.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t, signInsOf(t), importsFromLocalAPIs)
	for _, gap := range matrixGaps(e.checker.Operations()) {
		t.Error(gap)
	}
	w := newWorld(e)
	for _, row := range matrix {
		method, path, _ := strings.Cut(row.op, " ")
		for c := range numCallers {
			restore := func() {}
			if row.fresh {
				restore = w.freshSession(c)
			}
			p := path
			for name, fill := range row.params {
				p = strings.Replace(p, "{"+name+"}", fill(w, c), 1)
			}
			if row.query != "" {
				p += "?" + row.query
			}
			var body any
			if row.body != nil {
				body = row.body(w, c)
			}
			r := w.send(c, method, p, body)
			if want := row.want[c]; !want.matches(r.status) {
				t.Errorf("%s as %s = %d %s, want %s", row.op, c, r.status, strings.TrimSpace(string(r.body)), want)
			}
			restore()
		}
	}
	t.Logf("%d operations × %d callers; %d public operations outside /api/v1", len(matrix), numCallers, len(publicOps))
}

// matrixGaps returns a complaint for every operation of the spec (ops)
// that has no row of the matrix and is not public, and for every row and
// public operation that is not in the spec.
func matrixGaps(ops []string) []string {
	listed := map[string]bool{}
	for _, op := range publicOps {
		listed[op] = true
	}
	var gaps []string
	for _, row := range matrix {
		if listed[row.op] {
			gaps = append(gaps, row.op+" has two rows in the authorization matrix")
		}
		listed[row.op] = true
	}
	for _, op := range ops {
		if !listed[op] {
			gaps = append(gaps, op+" is in api/openapi.yaml but has no row in the authorization matrix")
		}
	}
	for op := range listed {
		if !slices.Contains(ops, op) {
			gaps = append(gaps, op+" is in the authorization matrix but not in api/openapi.yaml")
		}
	}
	slices.Sort(gaps)
	return gaps
}

// TestMatrixGaps checks that an operation the matrix does not know, and a
// row the spec does not know, are both reported.
func TestMatrixGaps(t *testing.T) {
	ops := []string{"GET /api/v1/brand-new"}
	for _, row := range matrix[1:] {
		ops = append(ops, row.op)
	}
	ops = append(ops, publicOps...)
	got := matrixGaps(ops)
	want := []string{
		"GET /api/v1/brand-new is in api/openapi.yaml but has no row in the authorization matrix",
		matrix[0].op + " is in the authorization matrix but not in api/openapi.yaml",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("matrixGaps(spec with one new operation and one gone) = %q, want %q", got, want)
	}
}
