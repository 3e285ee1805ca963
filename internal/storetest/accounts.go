package storetest

// The conformance tests of accounts: users, sessions, scoped keys, recovery
// codes, one-time settings and the account feed.

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// accountTests are the subtests of this file, run by Run.
var accountTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"UserRoundTrip", testUserRoundTrip},
	{"UserConflicts", testUserConflicts},
	{"UserIDsNotReused", testUserIDsNotReused},
	{"ListUsers", testListUsers},
	{"UpdateUser", testUpdateUser},
	{"DeleteUserTransfersLinks", testDeleteUserTransfersLinks},
	{"DeleteUserDeletesLinks", testDeleteUserDeletesLinks},
	{"DeleteUserErrors", testDeleteUserErrors},
	{"Sessions", testSessions},
	{"DeleteSessions", testDeleteSessions},
	{"ScopedAPIKeys", testScopedAPIKeys},
	{"DeleteUserAPIKeys", testDeleteUserAPIKeys},
	{"RecoveryCodes", testRecoveryCodes},
	{"RecoveryCodeConcurrent", testRecoveryCodeConcurrent},
	{"TOTPStep", testTOTPStep},
	{"OneTimeSetting", testOneTimeSetting},
	{"AccountFeed", testAccountFeed},
}

// newUser stores a user named name with role, after mod (when not nil) has
// changed it, and fails the test when that fails.
func (e *env) newUser(t *testing.T, name string, role tiny.Role, mod func(u *tiny.User)) *tiny.User {
	t.Helper()
	u := &tiny.User{Name: name, Role: role}
	if mod != nil {
		mod(u)
	}
	if err := e.s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s) = %v, want nil", name, err)
	}
	return u
}

// userDiff returns the fields in which got differs from want, "" when it
// does not. Times compare as instants.
func userDiff(got, want *tiny.User) string {
	var d []string
	add := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s: got %v, want %v", field, g, w)) }
	if got.ID != want.ID {
		add("ID", got.ID, want.ID)
	}
	if got.Name != want.Name {
		add("Name", got.Name, want.Name)
	}
	if got.Email != want.Email {
		add("Email", got.Email, want.Email)
	}
	if got.DisplayName != want.DisplayName {
		add("DisplayName", got.DisplayName, want.DisplayName)
	}
	if got.Role != want.Role {
		add("Role", got.Role, want.Role)
	}
	if got.PasswordHash != want.PasswordHash {
		add("PasswordHash", got.PasswordHash, want.PasswordHash)
	}
	if got.Disabled != want.Disabled {
		add("Disabled", got.Disabled, want.Disabled)
	}
	if got.TOTPSecret != want.TOTPSecret {
		add("TOTPSecret", got.TOTPSecret, want.TOTPSecret)
	}
	if got.TOTPEnabled != want.TOTPEnabled {
		add("TOTPEnabled", got.TOTPEnabled, want.TOTPEnabled)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		add("CreatedAt", got.CreatedAt, want.CreatedAt)
	}
	if !optTimeEqual(got.LastSignInAt, want.LastSignInAt) {
		add("LastSignInAt", optString(got.LastSignInAt), optString(want.LastSignInAt))
	}
	if len(d) == 0 {
		return ""
	}
	return fmt.Sprint(d)
}

// checkUserUTC fails t unless every time of u is in UTC.
func checkUserUTC(t *testing.T, call string, u *tiny.User) {
	t.Helper()
	if u.CreatedAt.Location() != time.UTC || u.LastSignInAt != nil && u.LastSignInAt.Location() != time.UTC {
		t.Errorf("%s times = %v, %v; want UTC", call, u.CreatedAt, optString(u.LastSignInAt))
	}
}

func testUserRoundTrip(t *testing.T, e *env) {
	ctx := t.Context()
	want := e.newUser(t, "alice", tiny.RoleModerator, func(u *tiny.User) {
		u.Email = "Alice@Example.COM"
		u.DisplayName = "Alice Liddell"
		u.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
		u.TOTPSecret = "JBSWY3DPEHPK3PXP"
		u.TOTPEnabled = true
	})
	if want.ID == 0 {
		t.Fatalf("CreateUser(alice) left ID 0, want it set")
	}
	e.checkRecent(t, "CreateUser(alice).CreatedAt", want.CreatedAt)
	if want.Email != "alice@example.com" {
		t.Errorf("CreateUser(Alice@Example.COM).Email = %q, want it lower-cased", want.Email)
	}
	keyOnly := e.newUser(t, "robot", tiny.RoleViewer, func(u *tiny.User) { u.Disabled = true })

	for _, w := range []*tiny.User{want, keyOnly} {
		gets := map[string]func() (*tiny.User, error){
			fmt.Sprintf("UserByID(%d)", w.ID):     func() (*tiny.User, error) { return e.s.UserByID(ctx, w.ID) },
			fmt.Sprintf("UserByName(%q)", w.Name): func() (*tiny.User, error) { return e.s.UserByName(ctx, w.Name) },
		}
		if w.Email != "" {
			for _, email := range []string{w.Email, "ALICE@example.com", "alice@EXAMPLE.com"} {
				gets[fmt.Sprintf("UserByEmail(%q)", email)] = func() (*tiny.User, error) { return e.s.UserByEmail(ctx, email) }
			}
		}
		for call, get := range gets {
			got, err := get()
			if err != nil {
				t.Errorf("%s = %v, want nil", call, err)
				continue
			}
			if d := userDiff(got, w); d != "" {
				t.Errorf("%s differs: %s", call, d)
			}
			checkUserUTC(t, call, got)
		}
	}
	for _, email := range []string{"", "bob@example.com", "alice@example.org"} {
		_, err := e.s.UserByEmail(ctx, email)
		wantCode(t, fmt.Sprintf("UserByEmail(%q)", email), err, tiny.NotFound, "")
	}
}

func testUserConflicts(t *testing.T, e *env) {
	ctx := t.Context()
	e.newUser(t, "alice", tiny.RoleMember, func(u *tiny.User) { u.Email = "alice@example.com" })
	// Users without an email do not collide on it.
	e.newUser(t, "robot-1", tiny.RoleMember, nil)
	e.newUser(t, "robot-2", tiny.RoleMember, nil)

	tests := []struct {
		user  tiny.User
		field string
	}{
		{tiny.User{Name: "alice", Role: tiny.RoleMember}, "name"},
		{tiny.User{Name: "alice", Role: tiny.RoleMember, Email: "other@example.com"}, "name"},
		{tiny.User{Name: "alice2", Role: tiny.RoleMember, Email: "alice@example.com"}, "email"},
		{tiny.User{Name: "alice3", Role: tiny.RoleMember, Email: "ALICE@example.com"}, "email"},
	}
	for _, tt := range tests {
		u := tt.user
		err := e.s.CreateUser(ctx, &u)
		wantCode(t, fmt.Sprintf("CreateUser(%s, %s)", tt.user.Name, tt.user.Email), err, tiny.Conflict, tt.field)
	}
	users, err := e.s.ListUsers(ctx, tiny.UserFilter{})
	if err != nil || len(users) != 3 {
		t.Errorf("ListUsers() after the conflicts = %d users, %v; want 3, nil", len(users), err)
	}
}

func testUserIDsNotReused(t *testing.T, e *env) {
	ctx := t.Context()
	first := e.newUser(t, "first", tiny.RoleMember, nil)
	newest := e.newUser(t, "newest", tiny.RoleMember, nil)
	if _, err := e.s.DeleteUser(ctx, newest.ID, first.ID); err != nil {
		t.Fatalf("DeleteUser(newest) = %v, want nil", err)
	}
	next := e.newUser(t, "next", tiny.RoleMember, nil)
	if next.ID <= newest.ID {
		t.Errorf("CreateUser after the newest user (%d) was deleted = id %d, want a new id above it", newest.ID, next.ID)
	}
}

func testListUsers(t *testing.T, e *env) {
	ctx := t.Context()
	var all []*tiny.User
	roles := []tiny.Role{tiny.RoleAdmin, tiny.RoleMember, tiny.RoleViewer, tiny.RoleMember, tiny.RoleModerator, tiny.RoleMember}
	for i, role := range roles {
		all = append(all, e.newUser(t, fmt.Sprintf("user-%d", i), role, nil))
	}
	ids := func(users []*tiny.User) []int64 {
		out := []int64{}
		for _, u := range users {
			out = append(out, u.ID)
		}
		return out
	}
	tests := []struct {
		f    tiny.UserFilter
		want []*tiny.User
	}{
		{tiny.UserFilter{}, all},
		{tiny.UserFilter{Limit: 2}, all[:2]},
		{tiny.UserFilter{AfterID: all[1].ID, Limit: 3}, all[2:5]},
		{tiny.UserFilter{AfterID: all[5].ID}, nil},
		{tiny.UserFilter{Role: tiny.RoleMember}, []*tiny.User{all[1], all[3], all[5]}},
		{tiny.UserFilter{Role: tiny.RoleMember, AfterID: all[1].ID, Limit: 1}, []*tiny.User{all[3]}},
		{tiny.UserFilter{Role: tiny.RoleAdmin}, all[:1]},
	}
	for _, tt := range tests {
		got, err := e.s.ListUsers(ctx, tt.f)
		if err != nil {
			t.Errorf("ListUsers(%+v) = %v, want nil", tt.f, err)
			continue
		}
		if !slices.Equal(ids(got), ids(tt.want)) {
			t.Errorf("ListUsers(%+v) = ids %v, want %v", tt.f, ids(got), ids(tt.want))
		}
		for _, u := range got {
			if i := slices.IndexFunc(all, func(w *tiny.User) bool { return w.ID == u.ID }); i >= 0 {
				if d := userDiff(u, all[i]); d != "" {
					t.Errorf("ListUsers(%+v) user %d differs: %s", tt.f, u.ID, d)
				}
			}
		}
	}
}

func testUpdateUser(t *testing.T, e *env) {
	ctx := t.Context()
	alice := e.newUser(t, "alice", tiny.RoleMember, func(u *tiny.User) { u.Email = "alice@example.com" })
	bob := e.newUser(t, "bob", tiny.RoleMember, func(u *tiny.User) { u.Email = "bob@example.com" })

	upd := *alice
	upd.Name = "ignored" // the handle never changes
	upd.Email = "Alice@New.Example"
	upd.DisplayName = "Alice"
	upd.Role = tiny.RoleAdmin
	upd.PasswordHash = "$argon2id$new"
	upd.Disabled = true
	upd.TOTPSecret = "SECRET"
	upd.TOTPEnabled = true
	if err := e.s.UpdateUser(ctx, &upd); err != nil {
		t.Fatalf("UpdateUser(alice) = %v, want nil", err)
	}
	want := upd
	want.Name = "alice"
	want.Email = "alice@new.example"
	got, err := e.s.UserByID(ctx, alice.ID)
	if err != nil {
		t.Fatalf("UserByID(%d) = %v, want nil", alice.ID, err)
	}
	if d := userDiff(got, &want); d != "" {
		t.Errorf("UserByID(%d) after UpdateUser differs: %s", alice.ID, d)
	}
	if _, err := e.s.UserByEmail(ctx, "alice@example.com"); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("UserByEmail(old email) after UpdateUser = %v, want not_found", err)
	}

	// Taking bob's email fails and changes nothing.
	clash := *got
	clash.Email = "BOB@example.com"
	clash.DisplayName = "not stored"
	wantCode(t, "UpdateUser(alice with bob's email)", e.s.UpdateUser(ctx, &clash), tiny.Conflict, "email")
	if again, err := e.s.UserByID(ctx, alice.ID); err != nil || userDiff(again, &want) != "" {
		t.Errorf("UserByID(%d) after a refused UpdateUser = %+v, %v; want it unchanged", alice.ID, again, err)
	}
	// Removing an email frees it.
	noEmail := *bob
	noEmail.Email = ""
	if err := e.s.UpdateUser(ctx, &noEmail); err != nil {
		t.Fatalf("UpdateUser(bob without email) = %v, want nil", err)
	}
	if b, err := e.s.UserByID(ctx, bob.ID); err != nil || b.Email != "" {
		t.Errorf("UserByID(bob) after removing the email = %+v, %v; want Email \"\"", b, err)
	}
	clash.Email = "bob@example.com"
	if err := e.s.UpdateUser(ctx, &clash); err != nil {
		t.Errorf("UpdateUser(alice with bob's former email) = %v, want nil", err)
	}

	missing := tiny.User{ID: 424242, Name: "ghost", Role: tiny.RoleMember}
	wantCode(t, "UpdateUser(424242)", e.s.UpdateUser(ctx, &missing), tiny.NotFound, "")
}

// session returns a session of user that is not stored yet, made at
// created, with a token hash of its own.
func (e *env) session(user *tiny.User, label string, created time.Time) *tiny.Session {
	e.lastID++
	return &tiny.Session{
		UserID:     user.ID,
		TokenHash:  fmt.Appendf(nil, "token-hash-%026d", e.lastID),
		Label:      label,
		CreatedAt:  created,
		LastSeenAt: created,
		ExpiresAt:  created.Add(30 * 24 * time.Hour),
	}
}

// createSession stores s and fails the test when that fails.
func (e *env) createSession(t *testing.T, s *tiny.Session) *tiny.Session {
	t.Helper()
	if err := e.s.CreateSession(t.Context(), s); err != nil {
		t.Fatalf("CreateSession(%s) = %v, want nil", s.Label, err)
	}
	if s.ID == 0 {
		t.Errorf("CreateSession(%s) left ID 0, want it set", s.Label)
	}
	return s
}

// newKey stores a key of user named name with scopes, and fails the test
// when that fails.
func (e *env) newKey(t *testing.T, user *tiny.User, name string, scopes ...tiny.Scope) *tiny.APIKey {
	t.Helper()
	k := &tiny.APIKey{UserID: user.ID, Name: name, Prefix: "tiny_" + name, Hash: fmt.Appendf(nil, "key-hash-%s-%d", name, user.ID), Scopes: scopes}
	if err := e.s.CreateAPIKey(t.Context(), k); err != nil {
		t.Fatalf("CreateAPIKey(%s) = %v, want nil", name, err)
	}
	return k
}

func testDeleteUserTransfersLinks(t *testing.T, e *env) {
	ctx := t.Context()
	leaving := e.newUser(t, "leaving", tiny.RoleMember, func(u *tiny.User) { u.Email = "leaving@example.com" })
	heir := e.newUser(t, "heir", tiny.RoleMember, nil)
	other := e.newUser(t, "other", tiny.RoleMember, nil)
	mine := []*tiny.Link{
		e.create(t, func(l *tiny.Link) { l.OwnerID = leaving.ID; l.Alias = "leaving-a" }),
		e.create(t, func(l *tiny.Link) { l.OwnerID = leaving.ID }),
	}
	theirs := e.create(t, func(l *tiny.Link) { l.OwnerID = other.ID })
	key := e.newKey(t, leaving, "laptop", tiny.ScopeLinksRead)
	sess := e.createSession(t, e.session(leaving, "Firefox", ms(2030, 1, 1, 0)))
	if err := e.s.ReplaceRecoveryCodes(ctx, leaving.ID, [][]byte{[]byte("code-1")}); err != nil {
		t.Fatalf("ReplaceRecoveryCodes = %v, want nil", err)
	}

	deleted, err := e.s.DeleteUser(ctx, leaving.ID, heir.ID)
	if err != nil {
		t.Fatalf("DeleteUser(%d, to %d) = %v, want nil", leaving.ID, heir.ID, err)
	}
	if len(deleted) != 0 {
		t.Errorf("DeleteUser(%d, to %d) = deleted %q, want none (the links moved)", leaving.ID, heir.ID, deleted)
	}
	for _, l := range mine {
		got := e.link(t, l.ID)
		if got.OwnerID != heir.ID || got.DeletedAt != nil {
			t.Errorf("LinkByID(%d) after its owner was deleted = owner %d, deleted %v; want owner %d, live", l.ID, got.OwnerID, optString(got.DeletedAt), heir.ID)
		}
	}
	if got := e.link(t, theirs.ID); got.OwnerID != other.ID {
		t.Errorf("LinkByID(%d) of another owner = owner %d, want %d", theirs.ID, got.OwnerID, other.ID)
	}
	e.checkUserGone(t, leaving, key, sess)
	// The email is free again.
	e.newUser(t, "returning", tiny.RoleMember, func(u *tiny.User) { u.Email = "leaving@example.com" })
}

// checkUserGone fails t unless the user, their key and their session and
// recovery codes are gone.
func (e *env) checkUserGone(t *testing.T, u *tiny.User, key *tiny.APIKey, sess *tiny.Session) {
	t.Helper()
	ctx := t.Context()
	_, err := e.s.UserByID(ctx, u.ID)
	wantCode(t, fmt.Sprintf("UserByID(%d) of a deleted user", u.ID), err, tiny.NotFound, "")
	_, _, err = e.s.APIKeyByHash(ctx, key.Hash)
	wantCode(t, "APIKeyByHash(key of a deleted user)", err, tiny.NotFound, "")
	_, _, err = e.s.SessionByTokenHash(ctx, sess.TokenHash)
	wantCode(t, "SessionByTokenHash(session of a deleted user)", err, tiny.NotFound, "")
	if n, err := e.s.CountRecoveryCodes(ctx, u.ID); err != nil || n != 0 {
		t.Errorf("CountRecoveryCodes(deleted user) = %d, %v; want 0, nil", n, err)
	}
}

func testDeleteUserDeletesLinks(t *testing.T, e *env) {
	ctx := t.Context()
	leaving := e.newUser(t, "leaving", tiny.RoleMember, nil)
	other := e.newUser(t, "other", tiny.RoleMember, nil)
	aliased := e.create(t, func(l *tiny.Link) { l.OwnerID = leaving.ID; l.Alias = "gone-soon" })
	plain := e.create(t, func(l *tiny.Link) { l.OwnerID = leaving.ID })
	before := e.create(t, func(l *tiny.Link) { l.OwnerID = leaving.ID })
	if err := e.s.DeleteLink(ctx, before.ID); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", before.ID, err)
	}
	theirs := e.create(t, func(l *tiny.Link) { l.OwnerID = other.ID })
	key := e.newKey(t, leaving, "ci", tiny.ScopeLinksWrite)
	sess := e.createSession(t, e.session(leaving, "Chrome", ms(2030, 1, 1, 0)))

	deleted, err := e.s.DeleteUser(ctx, leaving.ID, 0)
	if err != nil {
		t.Fatalf("DeleteUser(%d, 0) = %v, want nil", leaving.ID, err)
	}
	slices.Sort(deleted)
	want := []string{aliased.Code, "gone-soon", plain.Code}
	slices.Sort(want)
	if !slices.Equal(deleted, want) {
		t.Errorf("DeleteUser(%d, 0) = deleted %q, want %q (the live links' codes and aliases)", leaving.ID, deleted, want)
	}
	for _, l := range []*tiny.Link{aliased, plain} {
		got := e.link(t, l.ID)
		if got.DeletedAt == nil {
			t.Errorf("LinkByID(%d) after its owner was deleted = live, want deleted", l.ID)
			continue
		}
		e.checkRecent(t, fmt.Sprintf("LinkByID(%d).DeletedAt", l.ID), *got.DeletedAt)
	}
	if got := e.link(t, theirs.ID); got.DeletedAt != nil {
		t.Errorf("LinkByID(%d) of another owner = deleted, want live", theirs.ID)
	}
	e.checkUserGone(t, leaving, key, sess)
}

func testDeleteUserErrors(t *testing.T, e *env) {
	ctx := t.Context()
	u := e.newUser(t, "stays", tiny.RoleMember, nil)
	l := e.create(t, func(l *tiny.Link) { l.OwnerID = u.ID })
	tests := []struct {
		id, to int64
		code   tiny.ErrorCode
		field  string
	}{
		{u.ID, u.ID, tiny.Invalid, "transfer_to"},
		{u.ID, 98765, tiny.NotFound, "transfer_to"},
		{98765, u.ID, tiny.NotFound, ""},
		{98765, 0, tiny.NotFound, ""},
	}
	for _, tt := range tests {
		_, err := e.s.DeleteUser(ctx, tt.id, tt.to)
		wantCode(t, fmt.Sprintf("DeleteUser(%d, %d)", tt.id, tt.to), err, tt.code, tt.field)
	}
	if _, err := e.s.UserByID(ctx, u.ID); err != nil {
		t.Errorf("UserByID(%d) after refused deletes = %v, want nil", u.ID, err)
	}
	if got := e.link(t, l.ID); got.OwnerID != u.ID || got.DeletedAt != nil {
		t.Errorf("LinkByID(%d) after refused deletes = owner %d, deleted %v; want unchanged", l.ID, got.OwnerID, optString(got.DeletedAt))
	}
}

// sessionDiff returns the fields in which got differs from want, "" when
// it does not.
func sessionDiff(got, want *tiny.Session) string {
	if got.ID != want.ID || got.UserID != want.UserID || !bytes.Equal(got.TokenHash, want.TokenHash) || got.Label != want.Label ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.LastSeenAt.Equal(want.LastSeenAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		return fmt.Sprintf("got %+v, want %+v", *got, *want)
	}
	if got.CreatedAt.Location() != time.UTC || got.LastSeenAt.Location() != time.UTC || got.ExpiresAt.Location() != time.UTC {
		return fmt.Sprintf("times %v, %v, %v not in UTC", got.CreatedAt, got.LastSeenAt, got.ExpiresAt)
	}
	return ""
}

func sessionIDs(sessions []*tiny.Session) []int64 {
	ids := []int64{}
	for _, s := range sessions {
		ids = append(ids, s.ID)
	}
	return ids
}

func testSessions(t *testing.T, e *env) {
	ctx := t.Context()
	alice := e.newUser(t, "alice", tiny.RoleMember, nil)
	bob := e.newUser(t, "bob", tiny.RoleMember, nil)
	s1 := e.createSession(t, e.session(alice, "Firefox on Linux", ms(2030, 1, 1, 1)))
	s2 := e.createSession(t, e.session(alice, "Safari on iOS", ms(2030, 1, 2, 2)))
	s3 := e.createSession(t, e.session(bob, "", ms(2030, 1, 3, 3)))
	if s1.ID == s2.ID || s2.ID == s3.ID {
		t.Errorf("CreateSession ids = %d, %d, %d; want them different", s1.ID, s2.ID, s3.ID)
	}

	// CreateSession records the sign-in.
	u, err := e.s.UserByID(ctx, alice.ID)
	if err != nil || u.LastSignInAt == nil || !u.LastSignInAt.Equal(s2.CreatedAt) {
		t.Errorf("UserByID(alice).LastSignInAt after two sessions = %v, %v; want %v", optString(u.LastSignInAt), err, s2.CreatedAt)
	}

	for _, want := range []*tiny.Session{s1, s2, s3} {
		got, user, err := e.s.SessionByTokenHash(ctx, want.TokenHash)
		if err != nil {
			t.Errorf("SessionByTokenHash(%s) = %v, want nil", want.TokenHash, err)
			continue
		}
		if d := sessionDiff(got, want); d != "" {
			t.Errorf("SessionByTokenHash(%s): %s", want.TokenHash, d)
		}
		if user.ID != want.UserID {
			t.Errorf("SessionByTokenHash(%s) user = %d, want %d", want.TokenHash, user.ID, want.UserID)
		}
	}
	_, _, err = e.s.SessionByTokenHash(ctx, []byte("no such token"))
	wantCode(t, "SessionByTokenHash(unknown)", err, tiny.NotFound, "")

	dup := e.session(bob, "dup", ms(2030, 1, 4, 0))
	dup.TokenHash = s1.TokenHash
	wantCode(t, "CreateSession(a taken token hash)", e.s.CreateSession(ctx, dup), tiny.Conflict, "token_hash")
	orphan := e.session(&tiny.User{ID: 5555}, "orphan", ms(2030, 1, 4, 0))
	wantCode(t, "CreateSession(user 5555)", e.s.CreateSession(ctx, orphan), tiny.NotFound, "user_id")

	// TouchSession only moves LastSeenAt forward.
	later := s1.CreatedAt.Add(time.Hour)
	for _, at := range []time.Time{later, s1.CreatedAt.Add(time.Minute)} {
		if err := e.s.TouchSession(ctx, s1.ID, at); err != nil {
			t.Fatalf("TouchSession(%d, %v) = %v, want nil", s1.ID, at, err)
		}
	}
	got, _, err := e.s.SessionByTokenHash(ctx, s1.TokenHash)
	if err != nil || !got.LastSeenAt.Equal(later) {
		t.Errorf("LastSeenAt after touches at +1h and +1m = %v, %v; want %v", got.LastSeenAt, err, later)
	}
	wantCode(t, "TouchSession(98765)", e.s.TouchSession(ctx, 98765, later), tiny.NotFound, "")

	list, err := e.s.ListSessions(ctx, alice.ID)
	if err != nil || !slices.Equal(sessionIDs(list), []int64{s2.ID, s1.ID}) {
		t.Errorf("ListSessions(alice) = %v, %v; want %v (newest first)", sessionIDs(list), err, []int64{s2.ID, s1.ID})
	}
	if list, err := e.s.ListSessions(ctx, 98765); err != nil || len(list) != 0 {
		t.Errorf("ListSessions(98765) = %v, %v; want none", sessionIDs(list), err)
	}
}

func testDeleteSessions(t *testing.T, e *env) {
	ctx := t.Context()
	alice := e.newUser(t, "alice", tiny.RoleMember, nil)
	bob := e.newUser(t, "bob", tiny.RoleMember, nil)
	start := ms(2030, 3, 1, 0)
	var mine []*tiny.Session
	for i := range 4 {
		mine = append(mine, e.createSession(t, e.session(alice, fmt.Sprint(i), start)))
	}
	theirs := e.createSession(t, e.session(bob, "bob's", start))

	if err := e.s.DeleteSession(ctx, mine[0].ID); err != nil {
		t.Fatalf("DeleteSession(%d) = %v, want nil", mine[0].ID, err)
	}
	wantCode(t, "DeleteSession a second time", e.s.DeleteSession(ctx, mine[0].ID), tiny.NotFound, "")
	_, _, err := e.s.SessionByTokenHash(ctx, mine[0].TokenHash)
	wantCode(t, "SessionByTokenHash(deleted session)", err, tiny.NotFound, "")

	n, err := e.s.DeleteUserSessions(ctx, alice.ID, mine[3].ID)
	if err != nil || n != 2 {
		t.Errorf("DeleteUserSessions(alice, except %d) = %d, %v; want 2, nil", mine[3].ID, n, err)
	}
	if list, err := e.s.ListSessions(ctx, alice.ID); err != nil || !slices.Equal(sessionIDs(list), []int64{mine[3].ID}) {
		t.Errorf("ListSessions(alice) after DeleteUserSessions = %v, %v; want only %d", sessionIDs(list), err, mine[3].ID)
	}
	if n, err := e.s.DeleteUserSessions(ctx, alice.ID, 0); err != nil || n != 1 {
		t.Errorf("DeleteUserSessions(alice, 0) = %d, %v; want 1, nil", n, err)
	}
	if _, _, err := e.s.SessionByTokenHash(ctx, theirs.TokenHash); err != nil {
		t.Errorf("SessionByTokenHash(bob's) after alice's were deleted = %v, want nil", err)
	}

	// Expired: by the absolute end, or by idleness.
	now := start.Add(10 * 24 * time.Hour)
	idleSince := now.Add(-24 * time.Hour)
	mk := func(label string, lastSeen, expires time.Time) *tiny.Session {
		s := e.session(bob, label, start)
		s.LastSeenAt, s.ExpiresAt = lastSeen, expires
		return e.createSession(t, s)
	}
	ended := mk("ended", now, now)                                                     // ExpiresAt == now
	idle := mk("idle", idleSince, now.Add(time.Hour))                                  // seen at idleSince
	active := mk("active", idleSince.Add(time.Millisecond), now.Add(time.Millisecond)) // seen after idleSince, ends after now
	n, err = e.s.DeleteExpiredSessions(ctx, now, idleSince)
	// theirs was last seen at start, ten days before now: idle too.
	if err != nil || n != 3 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 3 (ended, idle, bob's first), nil", n, err)
	}
	list, err := e.s.ListSessions(ctx, bob.ID)
	if err != nil || !slices.Equal(sessionIDs(list), []int64{active.ID}) {
		t.Errorf("ListSessions(bob) after DeleteExpiredSessions = %v, %v; want only %d (not %d, %d, %d)",
			sessionIDs(list), err, active.ID, ended.ID, idle.ID, theirs.ID)
	}
}

func testScopedAPIKeys(t *testing.T, e *env) {
	ctx := t.Context()
	alice := e.newUser(t, "alice", tiny.RoleAdmin, func(u *tiny.User) { u.Email = "alice@example.com"; u.DisplayName = "Alice" })
	expires := ms(2031, 6, 1, 5)
	k := &tiny.APIKey{UserID: alice.ID, Name: "ci", Prefix: "tiny_ab", Hash: []byte("scoped-key-hash"),
		Scopes: []tiny.Scope{tiny.ScopeStatsRead, tiny.ScopeLinksRead}, ExpiresAt: &expires}
	if err := e.s.CreateAPIKey(ctx, k); err != nil {
		t.Fatalf("CreateAPIKey(ci) = %v, want nil", err)
	}
	plain := e.newKey(t, alice, "plain", tiny.ScopeAdmin)

	check := func(call string, got *tiny.APIKey, want *tiny.APIKey, lastUsed *time.Time) {
		t.Helper()
		wantScopes := tiny.SplitScopes(tiny.JoinScopes(want.Scopes))
		if got.ID != want.ID || got.UserID != want.UserID || got.Name != want.Name || got.Prefix != want.Prefix ||
			!bytes.Equal(got.Hash, want.Hash) || !got.CreatedAt.Equal(want.CreatedAt) ||
			!slices.Equal(got.Scopes, wantScopes) || !optTimeEqual(got.ExpiresAt, want.ExpiresAt) ||
			!optTimeEqual(got.LastUsedAt, lastUsed) {
			t.Errorf("%s = %+v (expires %s, last used %s), want %+v (scopes %v, expires %s, last used %s)", call, *got,
				optString(got.ExpiresAt), optString(got.LastUsedAt), *want, wantScopes, optString(want.ExpiresAt), optString(lastUsed))
		}
		if got.ExpiresAt != nil && got.ExpiresAt.Location() != time.UTC || got.LastUsedAt != nil && got.LastUsedAt.Location() != time.UTC {
			t.Errorf("%s times not in UTC: %s, %s", call, optString(got.ExpiresAt), optString(got.LastUsedAt))
		}
	}
	got, user, err := e.s.APIKeyByHash(ctx, k.Hash)
	if err != nil {
		t.Fatalf("APIKeyByHash(ci) = %v, want nil", err)
	}
	check("APIKeyByHash(ci)", got, k, nil)
	if d := userDiff(user, alice); d != "" {
		t.Errorf("APIKeyByHash(ci) user differs: %s", d)
	}
	byID, err := e.s.APIKeyByID(ctx, plain.ID)
	if err != nil {
		t.Fatalf("APIKeyByID(%d) = %v, want nil", plain.ID, err)
	}
	check(fmt.Sprintf("APIKeyByID(%d)", plain.ID), byID, plain, nil)
	_, err = e.s.APIKeyByID(ctx, 98765)
	wantCode(t, "APIKeyByID(98765)", err, tiny.NotFound, "")

	// TouchAPIKey only moves LastUsedAt forward.
	used := ms(2030, 5, 5, 5)
	for _, at := range []time.Time{used, used.Add(-time.Hour)} {
		if err := e.s.TouchAPIKey(ctx, k.ID, at); err != nil {
			t.Fatalf("TouchAPIKey(%d, %v) = %v, want nil", k.ID, at, err)
		}
	}
	list, err := e.s.ListAPIKeys(ctx, alice.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListAPIKeys(alice) = %d keys, %v; want 2, nil", len(list), err)
	}
	check("ListAPIKeys(alice)[0] after touches", list[0], k, &used)
	check("ListAPIKeys(alice)[1]", list[1], plain, nil)
	wantCode(t, "TouchAPIKey(98765)", e.s.TouchAPIKey(ctx, 98765, used), tiny.NotFound, "")
}

func testDeleteUserAPIKeys(t *testing.T, e *env) {
	ctx := t.Context()
	alice := e.newUser(t, "alice", tiny.RoleMember, nil)
	bob := e.newUser(t, "bob", tiny.RoleMember, nil)
	a1 := e.newKey(t, alice, "a1", tiny.ScopeLinksRead)
	e.newKey(t, alice, "a2", tiny.ScopeLinksRead)
	b1 := e.newKey(t, bob, "b1", tiny.ScopeLinksRead)
	if n, err := e.s.DeleteUserAPIKeys(ctx, alice.ID); err != nil || n != 2 {
		t.Errorf("DeleteUserAPIKeys(alice) = %d, %v; want 2, nil", n, err)
	}
	if n, err := e.s.DeleteUserAPIKeys(ctx, alice.ID); err != nil || n != 0 {
		t.Errorf("DeleteUserAPIKeys(alice) a second time = %d, %v; want 0, nil", n, err)
	}
	_, _, err := e.s.APIKeyByHash(ctx, a1.Hash)
	wantCode(t, "APIKeyByHash(a1) after DeleteUserAPIKeys", err, tiny.NotFound, "")
	if keys, err := e.s.ListAPIKeys(ctx, 0); err != nil || len(keys) != 1 || keys[0].ID != b1.ID {
		t.Errorf("ListAPIKeys(0) after DeleteUserAPIKeys(alice) = %s, %v; want only b1", keyNames(keys), err)
	}
}

func testRecoveryCodes(t *testing.T, e *env) {
	ctx := t.Context()
	alice := e.newUser(t, "alice", tiny.RoleMember, nil)
	bob := e.newUser(t, "bob", tiny.RoleMember, nil)
	codes := func(prefix string, n int) [][]byte {
		var out [][]byte
		for i := range n {
			out = append(out, fmt.Appendf(nil, "%s-%d", prefix, i))
		}
		return out
	}
	count := func(u *tiny.User, want int) {
		t.Helper()
		if n, err := e.s.CountRecoveryCodes(ctx, u.ID); err != nil || n != want {
			t.Errorf("CountRecoveryCodes(%s) = %d, %v; want %d, nil", u.Name, n, err, want)
		}
	}
	count(alice, 0)
	first := codes("first", 10)
	if err := e.s.ReplaceRecoveryCodes(ctx, alice.ID, first); err != nil {
		t.Fatalf("ReplaceRecoveryCodes(alice, 10) = %v, want nil", err)
	}
	if err := e.s.ReplaceRecoveryCodes(ctx, bob.ID, codes("first", 3)); err != nil {
		t.Fatalf("ReplaceRecoveryCodes(bob, 3) = %v, want nil", err)
	}
	count(alice, 10)
	if err := e.s.ConsumeRecoveryCode(ctx, alice.ID, first[4]); err != nil {
		t.Errorf("ConsumeRecoveryCode(alice, first-4) = %v, want nil", err)
	}
	wantCode(t, "ConsumeRecoveryCode(alice, first-4) again", e.s.ConsumeRecoveryCode(ctx, alice.ID, first[4]), tiny.NotFound, "")
	wantCode(t, "ConsumeRecoveryCode(alice, unknown)", e.s.ConsumeRecoveryCode(ctx, alice.ID, []byte("nope")), tiny.NotFound, "")
	count(alice, 9)
	count(bob, 3) // the same code of another user is another code

	second := codes("second", 8)
	if err := e.s.ReplaceRecoveryCodes(ctx, alice.ID, second); err != nil {
		t.Fatalf("ReplaceRecoveryCodes(alice, 8) = %v, want nil", err)
	}
	count(alice, 8)
	wantCode(t, "ConsumeRecoveryCode(alice, a replaced code)", e.s.ConsumeRecoveryCode(ctx, alice.ID, first[0]), tiny.NotFound, "")
	if err := e.s.ConsumeRecoveryCode(ctx, alice.ID, second[7]); err != nil {
		t.Errorf("ConsumeRecoveryCode(alice, second-7) = %v, want nil", err)
	}
	if err := e.s.ReplaceRecoveryCodes(ctx, alice.ID, nil); err != nil {
		t.Fatalf("ReplaceRecoveryCodes(alice, none) = %v, want nil", err)
	}
	count(alice, 0)
	count(bob, 3)
	wantCode(t, "ReplaceRecoveryCodes(98765)", e.s.ReplaceRecoveryCodes(ctx, 98765, codes("x", 1)), tiny.NotFound, "")
}

func testRecoveryCodeConcurrent(t *testing.T, e *env) {
	ctx := t.Context()
	alice := e.newUser(t, "alice", tiny.RoleMember, nil)
	code := []byte("one-time")
	if err := e.s.ReplaceRecoveryCodes(ctx, alice.ID, [][]byte{code, []byte("other")}); err != nil {
		t.Fatalf("ReplaceRecoveryCodes = %v, want nil", err)
	}
	const callers = 12
	var ok, notFound atomic.Int32
	errs := make([]error, callers)
	together(callers, func(i int) {
		switch err := e.s.ConsumeRecoveryCode(ctx, alice.ID, code); tiny.ErrorCodeOf(err) {
		case "":
			ok.Add(1)
		case tiny.NotFound:
			notFound.Add(1)
		default:
			errs[i] = err
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("ConsumeRecoveryCode #%d = %v, want nil or not_found", i, err)
		}
	}
	if ok.Load() != 1 || notFound.Load() != callers-1 {
		t.Errorf("%d concurrent ConsumeRecoveryCode of one code: %d succeeded, %d not_found; want 1 and %d", callers, ok.Load(), notFound.Load(), callers-1)
	}
}

func testTOTPStep(t *testing.T, e *env) {
	ctx := t.Context()
	alice := e.newUser(t, "alice", tiny.RoleMember, nil)
	bob := e.newUser(t, "bob", tiny.RoleMember, nil)
	if err := e.s.UseTOTPStep(ctx, alice.ID, 100); err != nil {
		t.Fatalf("UseTOTPStep(alice, 100) = %v, want nil", err)
	}
	wantCode(t, "UseTOTPStep(alice, 100) again", e.s.UseTOTPStep(ctx, alice.ID, 100), tiny.Conflict, "")
	wantCode(t, "UseTOTPStep(alice, 99)", e.s.UseTOTPStep(ctx, alice.ID, 99), tiny.Conflict, "")
	if err := e.s.UseTOTPStep(ctx, bob.ID, 100); err != nil {
		t.Errorf("UseTOTPStep(bob, 100) = %v, want nil (each user has a step of their own)", err)
	}
	if err := e.s.UseTOTPStep(ctx, alice.ID, 101); err != nil {
		t.Errorf("UseTOTPStep(alice, 101) = %v, want nil", err)
	}
	wantCode(t, "UseTOTPStep(98765, 1)", e.s.UseTOTPStep(ctx, 98765, 1), tiny.NotFound, "")

	const callers = 12
	var ok, conflict atomic.Int32
	errs := make([]error, callers)
	together(callers, func(i int) {
		switch err := e.s.UseTOTPStep(ctx, alice.ID, 200); tiny.ErrorCodeOf(err) {
		case "":
			ok.Add(1)
		case tiny.Conflict:
			conflict.Add(1)
		default:
			errs[i] = err
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("UseTOTPStep #%d = %v, want nil or conflict", i, err)
		}
	}
	if ok.Load() != 1 || conflict.Load() != callers-1 {
		t.Errorf("%d concurrent UseTOTPStep of one step: %d succeeded, %d conflict; want 1 and %d", callers, ok.Load(), conflict.Load(), callers-1)
	}
}

func testOneTimeSetting(t *testing.T, e *env) {
	ctx := t.Context()
	_, err := e.s.LookupSetting(ctx, "setup")
	wantCode(t, "LookupSetting(setup) of none", err, tiny.NotFound, "")
	if _, err := e.s.Setting(ctx, "setup", []byte("hash-1")); err != nil {
		t.Fatalf("Setting(setup) = %v, want nil", err)
	}
	if v, err := e.s.LookupSetting(ctx, "setup"); err != nil || string(v) != "hash-1" {
		t.Errorf("LookupSetting(setup) = %q, %v; want hash-1, nil", v, err)
	}
	wantCode(t, "TakeSetting(setup, another value)", e.s.TakeSetting(ctx, "setup", []byte("hash-2")), tiny.NotFound, "")
	wantCode(t, "TakeSetting(other, hash-1)", e.s.TakeSetting(ctx, "other", []byte("hash-1")), tiny.NotFound, "")

	const callers = 10
	var ok atomic.Int32
	errs := make([]error, callers)
	together(callers, func(i int) {
		switch err := e.s.TakeSetting(ctx, "setup", []byte("hash-1")); {
		case err == nil:
			ok.Add(1)
		case !tiny.IsCode(err, tiny.NotFound):
			errs[i] = err
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("TakeSetting #%d = %v, want nil or not_found", i, err)
		}
	}
	if ok.Load() != 1 {
		t.Errorf("%d concurrent TakeSetting of one value: %d succeeded, want 1", callers, ok.Load())
	}
	_, err = e.s.LookupSetting(ctx, "setup")
	wantCode(t, "LookupSetting(setup) after TakeSetting", err, tiny.NotFound, "")
}

// feedWait bounds how long a change may take to arrive. Every store
// delivers at commit; the bound is loose for a loaded test machine.
const feedWait = 5 * time.Second

func testAccountFeed(t *testing.T, e *env) {
	feed, ok := e.s.(tiny.AccountFeed)
	if !ok {
		t.Skip("the store has no account feed")
	}
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan tiny.AccountChange, 100)
	done := make(chan error, 1)
	var resyncs atomic.Int32
	go func() {
		done <- feed.ListenAccountChanges(ctx, func(cs []tiny.AccountChange) {
			for _, c := range cs {
				got <- c
			}
		}, func() { resyncs.Add(1) })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("ListenAccountChanges after its context ended = %v, want %v", err, context.Canceled)
		}
	})

	alice := e.newUser(t, "alice", tiny.RoleMember, nil)
	bob := e.newUser(t, "bob", tiny.RoleMember, func(u *tiny.User) { u.Email = "bob@example.com" })
	// The listener may start listening a little after the goroutine
	// starts: touch alice until a change comes through.
	deadline := time.Now().Add(feedWait)
	for heard := false; !heard; {
		if err := e.s.UpdateUser(t.Context(), alice); err != nil {
			t.Fatalf("UpdateUser(alice) = %v, want nil", err)
		}
		select {
		case <-got:
			heard = true
		case <-time.After(50 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("no account change within %v of UpdateUser", feedWait)
			}
		}
	}
	// The feed resyncs once it is in place, before any change reaches
	// it: the caller's process served before, and its caches may be stale.
	if n := resyncs.Load(); n != 1 {
		t.Errorf("resync called %d times by the time a change came through, want once", n)
	}
	drain := func() {
		for {
			select {
			case <-got:
			case <-time.After(200 * time.Millisecond):
				return
			}
		}
	}
	drain()

	expect := func(what string, want ...tiny.AccountChange) {
		t.Helper()
		var heard []tiny.AccountChange
		timeout := time.After(feedWait)
		for len(heard) < len(want) {
			select {
			case c := <-got:
				heard = append(heard, c)
			case <-timeout:
				t.Errorf("%s: heard %v within %v, want %v", what, heard, feedWait, want)
				return
			}
		}
		sortChanges(heard)
		sortChanges(want)
		if !slices.Equal(heard, want) {
			t.Errorf("%s: heard %v, want %v", what, heard, want)
		}
	}
	ctx0 := t.Context()
	user := func(u *tiny.User) tiny.AccountChange { return tiny.AccountChange{Kind: tiny.ChangedUser, ID: u.ID} }

	// A refused update publishes nothing: the next change heard is the
	// one after it.
	clash := *alice
	clash.Email = "bob@example.com"
	wantCode(t, "UpdateUser(alice with bob's email)", e.s.UpdateUser(ctx0, &clash), tiny.Conflict, "email")
	alice.Disabled = true
	if err := e.s.UpdateUser(ctx0, alice); err != nil {
		t.Fatalf("UpdateUser(alice disabled) = %v, want nil", err)
	}
	expect("UpdateUser(alice) after a refused one", user(alice))

	k1 := e.newKey(t, alice, "k1", tiny.ScopeLinksRead)
	k2 := e.newKey(t, alice, "k2", tiny.ScopeLinksRead)
	k3 := e.newKey(t, alice, "k3", tiny.ScopeLinksRead)
	if err := e.s.DeleteAPIKey(ctx0, k1.ID); err != nil {
		t.Fatalf("DeleteAPIKey = %v, want nil", err)
	}
	expect("DeleteAPIKey", tiny.AccountChange{Kind: tiny.ChangedKey, ID: k1.ID})
	if _, err := e.s.DeleteUserAPIKeys(ctx0, alice.ID); err != nil {
		t.Fatalf("DeleteUserAPIKeys = %v, want nil", err)
	}
	expect("DeleteUserAPIKeys", tiny.AccountChange{Kind: tiny.ChangedKey, ID: k2.ID}, tiny.AccountChange{Kind: tiny.ChangedKey, ID: k3.ID})

	s1 := e.createSession(t, e.session(alice, "1", ms(2030, 1, 1, 0)))
	s2 := e.createSession(t, e.session(alice, "2", ms(2030, 1, 1, 0)))
	s3 := e.createSession(t, e.session(alice, "3", ms(2030, 1, 1, 0)))
	if err := e.s.DeleteSession(ctx0, s1.ID); err != nil {
		t.Fatalf("DeleteSession = %v, want nil", err)
	}
	expect("DeleteSession", tiny.AccountChange{Kind: tiny.ChangedSession, ID: s1.ID})
	if _, err := e.s.DeleteUserSessions(ctx0, alice.ID, s3.ID); err != nil {
		t.Fatalf("DeleteUserSessions = %v, want nil", err)
	}
	expect("DeleteUserSessions", tiny.AccountChange{Kind: tiny.ChangedSession, ID: s2.ID})

	if _, err := e.s.DeleteUser(ctx0, bob.ID, alice.ID); err != nil {
		t.Fatalf("DeleteUser(bob) = %v, want nil", err)
	}
	expect("DeleteUser(bob)", user(bob))
}

func sortChanges(cs []tiny.AccountChange) {
	slices.SortFunc(cs, func(a, b tiny.AccountChange) int {
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		return int(a.ID - b.ID)
	})
}

// CheckMigratedAccounts checks a store opened on a database made before
// accounts (schema version 3) that held two users with a key each: user 1
// "admin" of role admin with a key of hash 0x01, and user 2 "dave" of the
// former role "user" with a key of hash 0x02. Migration 6 must have made
// dave a member and given each key the scopes its user's role allows.
func CheckMigratedAccounts(t *testing.T, s tiny.Store) {
	t.Helper()
	tests := []struct {
		hash   []byte
		role   tiny.Role
		scopes string
	}{
		{[]byte{1}, tiny.RoleAdmin, "links:read links:write stats:read moderation admin"},
		{[]byte{2}, tiny.RoleMember, "links:read links:write stats:read"},
	}
	for _, tt := range tests {
		k, u, err := s.APIKeyByHash(t.Context(), tt.hash)
		if err != nil {
			t.Fatalf("APIKeyByHash(%x) = %v, want nil", tt.hash, err)
		}
		if u.Role != tt.role || tiny.JoinScopes(k.Scopes) != tt.scopes || u.Email != "" || u.Disabled || k.ExpiresAt != nil {
			t.Errorf("APIKeyByHash(%x) = role %s, scopes %q, email %q, disabled %t, expires %v; want role %s, scopes %q, no email, enabled, no expiry",
				tt.hash, u.Role, tiny.JoinScopes(k.Scopes), u.Email, u.Disabled, k.ExpiresAt, tt.role, tt.scopes)
		}
	}
}
