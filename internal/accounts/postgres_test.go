package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/postgres"
	"tiny/internal/testservice"
	"tiny/internal/tiny"
)

// newPostgresSchema creates an empty schema, dropped when the test ends,
// and returns a DSN whose connections use it.
func newPostgresSchema(t testing.TB) string {
	t.Helper()
	base := testservice.PostgresURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "tiny_accounts_" + hex.EncodeToString(b[:])
	exec := func(sql string) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connecting to the test database: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// postgresNodes returns two nodes, each a Service on a store of its own, on
// one new PostgreSQL schema.
func postgresNodes(t *testing.T) (a, b *env) {
	dsn := newPostgresSchema(t)
	clk := &clock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	var nodes [2]*env
	for i := range nodes {
		store, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("postgres.Open = %v", err)
		}
		t.Cleanup(func() { store.Close() })
		nodes[i] = newEnvOn(t, store, clk)
	}
	return nodes[0], nodes[1]
}

// follow runs e's FollowChanges until the test ends.
func (e *env) follow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.FollowChanges(ctx, slog.New(slog.DiscardHandler)); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// A node serves before its feed listens. A key it cached and another node
// revoked in that gap, a revocation that reached no listener, is refused
// once the feed listens.
func TestRevocationBeforeFollowing(t *testing.T) {
	a, b := postgresNodes(t)
	ctx := t.Context()
	u := a.user(t, "early", tiny.RoleMember, "")
	secret := a.key(t, u)
	wantAuth(t, "node b: AuthenticateKey before", b.svc.AuthenticateKey, secret, u, "")
	keys, err := a.svc.Keys(ctx, As(u), u.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("Keys = %d, %v", len(keys), err)
	}
	if err := a.svc.RevokeKey(ctx, As(u), keys[0].ID); err != nil {
		t.Fatalf("RevokeKey = %v", err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, secret); err != nil {
		t.Fatalf("node b refused the key before its feed listened (%v); the test needs it cached there", err)
	}
	b.follow(t)
	a.waitFollowing(t, b)
	if p, err := b.svc.AuthenticateKey(ctx, secret); err == nil {
		t.Fatalf("node b still accepts the key revoked before its feed listened, as %s", p.User.Name)
	}
}

// TestRevocationReachesAnotherNode runs two nodes, each a Service on a
// store of its own, on one PostgreSQL schema: what one node revokes, the
// other refuses within a second, though it had the credential cached.
func TestRevocationReachesAnotherNode(t *testing.T) {
	a, b := postgresNodes(t)
	ctx := t.Context()
	b.follow(t)
	a.waitFollowing(t, b)

	admin := a.user(t, "root", tiny.RoleAdmin, "")
	tests := []struct {
		name         string
		revoke       func(t *testing.T, u *tiny.User, session *Principal)
		key, session bool // which stop
	}{
		{"revoke the key", func(t *testing.T, u *tiny.User, _ *Principal) {
			keys, err := a.svc.Keys(ctx, As(u), u.ID)
			if err != nil || len(keys) != 1 {
				t.Fatalf("Keys = %d, %v", len(keys), err)
			}
			if err := a.svc.RevokeKey(ctx, As(u), keys[0].ID); err != nil {
				t.Fatalf("RevokeKey = %v", err)
			}
		}, true, false},
		{"end the session", func(t *testing.T, _ *tiny.User, session *Principal) {
			if err := a.svc.EndSession(ctx, session, session.Session.ID); err != nil {
				t.Fatalf("EndSession = %v", err)
			}
		}, false, true},
		{"disable the user", func(t *testing.T, u *tiny.User, _ *Principal) {
			if _, err := a.svc.SetDisabled(ctx, As(admin), u.ID, true); err != nil {
				t.Fatalf("SetDisabled = %v", err)
			}
		}, true, true},
		{"delete the user", func(t *testing.T, u *tiny.User, _ *Principal) {
			if err := a.svc.DeleteUser(ctx, As(admin), u.ID, 0); err != nil {
				t.Fatalf("DeleteUser = %v", err)
			}
		}, true, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := a.user(t, "user-"+string(rune('a'+i)), tiny.RoleMember, goodPassword)
			secret := a.key(t, u)
			token := a.signIn(t, u, goodPassword)
			session, err := a.svc.AuthenticateSession(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			wantAuth(t, "node b: AuthenticateKey before", b.svc.AuthenticateKey, secret, u, "")
			wantAuth(t, "node b: AuthenticateSession before", b.svc.AuthenticateSession, token, u, "")
			tt.revoke(t, u, session)
			start := time.Now()
			for {
				_, errKey := b.svc.AuthenticateKey(ctx, secret)
				_, errSession := b.svc.AuthenticateSession(ctx, token)
				keyOK, sessionOK := errKey == nil, errSession == nil
				if keyOK != tt.key && sessionOK != tt.session {
					t.Logf("node b refused after %v", time.Since(start))
					return
				}
				if time.Since(start) > time.Second || keyOK == tt.key && errKey != nil || sessionOK == tt.session && errSession != nil {
					t.Fatalf("node b %v after %s: AuthenticateKey = %v, AuthenticateSession = %v; want the key refused %t, the session refused %t",
						time.Since(start), tt.name, errKey, errSession, tt.key, tt.session)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}
