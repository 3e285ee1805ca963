package accounts

import (
	"strings"
	"sync"
	"testing"

	"tiny/internal/tiny"
)

func TestSetupWithToken(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// The admin of the first start before accounts: a key, no email.
	first := &tiny.User{Name: "admin", Role: tiny.RoleAdmin}
	if err := e.store.CreateUser(ctx, first); err != nil {
		t.Fatal(err)
	}
	key := e.key(t, first)
	if needs, err := e.svc.NeedsSetup(ctx); err != nil || !needs {
		t.Fatalf("NeedsSetup with a key-only admin = %t, %v; want true", needs, err)
	}
	stale, err := e.svc.NewSetupToken(ctx)
	if err != nil {
		t.Fatalf("NewSetupToken = %v", err)
	}
	token, err := e.svc.NewSetupToken(ctx)
	if err != nil || token == stale {
		t.Fatalf("NewSetupToken again = %q, %v; want a new token", token, err)
	}
	for name, tok := range map[string]string{"replaced": stale, "wrong": "nope", "empty": ""} {
		if err := e.svc.CheckSetupToken(ctx, tok); !tiny.IsCode(err, tiny.Unauthorized) {
			t.Errorf("CheckSetupToken(%s) = %v, want unauthorized", name, err)
		}
		if _, err := e.svc.SetupAdmin(ctx, tok, NewAdmin{Email: "root@example.com", Password: goodPassword}); !tiny.IsCode(err, tiny.Unauthorized) {
			t.Errorf("SetupAdmin(%s token) = %v, want unauthorized", name, err)
		}
	}
	if err := e.svc.CheckSetupToken(ctx, token); err != nil {
		t.Errorf("CheckSetupToken(token) = %v, want nil", err)
	}
	// Bad input leaves the token unspent.
	for _, in := range []NewAdmin{{Email: "root", Password: goodPassword}, {Email: "root@example.com", Password: "password1234"}} {
		if _, err := e.svc.SetupAdmin(ctx, token, in); !tiny.IsCode(err, tiny.Invalid) {
			t.Errorf("SetupAdmin(%q, %q) = %v, want invalid", in.Email, in.Password, err)
		}
	}

	// Of concurrent setups with the token one succeeds.
	const callers = 5
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		made []*tiny.User
	)
	for range callers {
		wg.Go(func() {
			u, err := e.svc.SetupAdmin(ctx, token, NewAdmin{Email: "Root@Example.com", Password: goodPassword, DisplayName: "Root"})
			if err == nil {
				mu.Lock()
				made = append(made, u)
				mu.Unlock()
			} else if !tiny.IsCode(err, tiny.Unauthorized) && !tiny.IsCode(err, tiny.Conflict) {
				t.Errorf("SetupAdmin (concurrent) = %v, want nil, unauthorized or conflict", err)
			}
		})
	}
	wg.Wait()
	if len(made) != 1 {
		t.Fatalf("%d concurrent SetupAdmin = %d admins, want 1", callers, len(made))
	}
	u := made[0]
	if u.ID != first.ID || u.Email != "root@example.com" || u.Role != tiny.RoleAdmin {
		t.Errorf("SetupAdmin = %+v, want the first admin (id %d) with the email root@example.com", u, first.ID)
	}
	wantAuth(t, "AuthenticateKey(the first admin's key after setup)", e.svc.AuthenticateKey, key, first, "")
	e.signIn(t, u, goodPassword)
	if needs, err := e.svc.NeedsSetup(ctx); err != nil || needs {
		t.Errorf("NeedsSetup after setup = %t, %v; want false", needs, err)
	}
	if err := e.svc.CheckSetupToken(ctx, token); !tiny.IsCode(err, tiny.Unauthorized) {
		t.Errorf("CheckSetupToken(spent) = %v, want unauthorized", err)
	}
	if _, err := e.svc.NewSetupToken(ctx); !tiny.IsCode(err, tiny.Conflict) {
		t.Errorf("NewSetupToken after setup = %v, want conflict", err)
	}
}

func TestCreateAdmin(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	u, err := e.svc.CreateAdmin(ctx, NewAdmin{Email: "ops@example.com", Password: goodPassword})
	if err != nil || u.Name != "ops@example.com" || u.Role != tiny.RoleAdmin {
		t.Fatalf("CreateAdmin on an empty store = %+v, %v; want an admin named by the email", u, err)
	}
	e.signIn(t, u, goodPassword)
	if _, err := e.svc.CreateAdmin(ctx, NewAdmin{Email: "OPS@example.com", Password: goodPassword}); !tiny.IsCode(err, tiny.Conflict) {
		t.Errorf("CreateAdmin(a taken email) = %v, want conflict", err)
	}
	second, err := e.svc.CreateAdmin(ctx, NewAdmin{Email: "ops2@example.com", Password: "another fine passphrase"})
	if err != nil || second.ID == u.ID {
		t.Errorf("CreateAdmin(a second) = %+v, %v; want a new admin", second, err)
	}
}

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	admin := e.user(t, "root", tiny.RoleAdmin, "")
	member := e.user(t, "member", tiny.RoleMember, "")
	tests := []struct {
		p     *Principal
		in    NewUser
		code  tiny.ErrorCode
		field string
	}{
		{As(admin), NewUser{Email: "Bob@Example.com", Password: goodPassword}, "", ""},
		{As(admin), NewUser{Name: "robot", Role: tiny.RoleViewer}, "", ""},
		{As(admin), NewUser{Email: strings.Repeat("long.", 20) + "name@example.com"}, "", ""}, // a name of 116 characters
		{As(member), NewUser{Email: "eve@example.com"}, tiny.Forbidden, ""},
		{As(admin), NewUser{}, tiny.Invalid, "email"},
		{As(admin), NewUser{Email: "not-an-email"}, tiny.Invalid, "email"},
		{As(admin), NewUser{Email: "carol@example.com", Role: "user"}, tiny.Invalid, "role"},
		{As(admin), NewUser{Email: "carol@example.com", Password: "carol@example.com"}, tiny.Invalid, "password"},
		{As(admin), NewUser{Email: "BOB@example.com"}, tiny.Conflict, "email"},
	}
	for _, tt := range tests {
		u, err := e.svc.CreateUser(ctx, tt.p, tt.in)
		if got := tiny.ErrorCodeOf(err); got != tt.code || tt.field != "" && tiny.ErrorFieldOf(err) != tt.field {
			t.Errorf("CreateUser(%s, %+v) = %v, want code %q field %q", tt.p.User.Name, tt.in, err, tt.code, tt.field)
			continue
		}
		if err == nil && tt.in.Password != "" {
			e.signIn(t, u, tt.in.Password)
		}
	}
	users, err := e.svc.Users(ctx, As(admin), tiny.UserFilter{})
	if err != nil || len(users) != 5 || users[2].Email != "bob@example.com" || users[2].Name != "bob@example.com" || users[2].Role != tiny.RoleMember {
		t.Errorf("Users after creating bob and robot = %d users, %v; want 5 with bob a member named by his email", len(users), err)
	}
	if _, err := e.svc.Users(ctx, As(member), tiny.UserFilter{}); !tiny.IsCode(err, tiny.Forbidden) {
		t.Errorf("Users(member) = %v, want forbidden", err)
	}
	if got, err := e.svc.User(ctx, As(member), member.ID); err != nil || got.ID != member.ID {
		t.Errorf("User(member, self) = %+v, %v; want self", got, err)
	}
	if _, err := e.svc.User(ctx, As(member), admin.ID); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("User(member, admin) = %v, want not_found", err)
	}
}
