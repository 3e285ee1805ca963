package accounts

import (
	"context"
	"testing"

	"tiny/internal/postgres"
	"tiny/internal/tiny"
)

// The cost of authenticating a request, from the cache and on a miss, and
// of a password sign-in at the default argon2id cost. Run with
//
//	go test ./internal/accounts -run '^$' -bench . -benchtime 2000x
//
// (-benchtime 20x for BenchmarkSignInPassword).

func BenchmarkAuthenticateKeyCached(b *testing.B) {
	e := newEnv(b)
	secret := e.key(b, e.user(b, "alice", tiny.RoleMember, ""))
	ctx := context.Background()
	if _, err := e.svc.AuthenticateKey(ctx, secret); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.AuthenticateKey(ctx, secret); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateSessionCached(b *testing.B) {
	e := newEnv(b)
	token := e.signIn(b, e.user(b, "alice", tiny.RoleMember, goodPassword), goodPassword)
	ctx := context.Background()
	if _, err := e.svc.AuthenticateSession(ctx, token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.AuthenticateSession(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateKeyMiss drops the key from the cache before each
// authentication: one store read (the key joined with its user) each.
func BenchmarkAuthenticateKeyMiss(b *testing.B) {
	run := func(b *testing.B, e *env) {
		secret := e.key(b, e.user(b, "alice", tiny.RoleMember, ""))
		h := hashToken(secret)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			e.svc.cache.Invalidate(h)
			if _, err := e.svc.AuthenticateKey(ctx, secret); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, newEnv(b)) })
	b.Run("postgres", func(b *testing.B) {
		store, err := postgres.Open(context.Background(), newPostgresSchema(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close() })
		run(b, newEnvOn(b, store, &clock{}))
	})
}

// BenchmarkSignInPassword signs in with the default argon2id parameters:
// the email look-up, one argon2id verify and the session's insert.
func BenchmarkSignInPassword(b *testing.B) {
	e := newEnv(b)
	e.cfg.Argon2 = DefaultArgon2Params()
	svc, err := New(context.Background(), e.cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(svc.Close)
	u := &tiny.User{Name: "alice", Email: "alice@example.com", Role: tiny.RoleMember, PasswordHash: HashPassword(goodPassword, DefaultArgon2Params())}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := svc.SignInPassword(ctx, SignIn{Email: u.Email, Password: goodPassword})
		if err != nil || r.Token == "" {
			b.Fatalf("SignInPassword = %+v, %v", r, err)
		}
	}
}
