package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// BenchmarkAuthenticate measures the authentication middleware of the API
// with a warm credential cache: by API key and by session cookie, up to
// the handler it guards, which finds the principal. The target is well
// under 10 µs a request. Run with
//
//	go test ./internal/web -run '^$' -bench Authenticate -benchtime 2000x
//
// (internal/accounts' benchmarks measure a miss: one store read.)
func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	admin, err := e.store.UserByName(ctx, "admin")
	if err != nil {
		b.Fatal(err)
	}
	const password = "Plum-Orbit-Quartz-7319"
	u, err := e.accounts.CreateUser(ctx, accounts.As(admin), accounts.NewUser{Email: "alice@example.com", Role: tiny.RoleMember, Password: password})
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := e.accounts.CreateKey(ctx, accounts.As(u), accounts.NewKey{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	in, err := e.accounts.SignInPassword(ctx, accounts.SignIn{Email: u.Email, Password: password})
	if err != nil {
		b.Fatal(err)
	}
	guarded := e.server.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if currentPrincipal(r) == nil {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	run := func(b *testing.B, r *http.Request) {
		w := httptest.NewRecorder()
		guarded.ServeHTTP(w, r) // fills the cache
		if w.Code != http.StatusOK {
			b.Fatalf("warm-up status = %d %s, want 200", w.Code, w.Body)
		}
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			guarded.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status = %d, want 200", w.Code)
			}
		}
	}
	b.Run("key", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/api/v1/links", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		run(b, r)
	})
	b.Run("session", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/api/v1/links", nil)
		r.AddCookie(&http.Cookie{Name: e.server.sessionCookieName(), Value: in.Token})
		run(b, r)
	})
}
