package accounts

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// allowed lists the roles that may, as "admin moderator member viewer".
type allowed string

func (a allowed) has(r tiny.Role) bool { return slices.Contains(strings.Fields(string(a)), string(r)) }

const (
	everyone   allowed = "admin moderator member viewer"
	members    allowed = "admin moderator member"
	moderators allowed = "admin moderator"
	admins     allowed = "admin"
	nobody     allowed = ""
)

// The rules, written out by hand rather than read from the policy
// table, so the test checks the table.
var wantPolicy = []struct {
	action     Action
	own, other allowed // through a session (or the CLI)
	keyOwn     allowed // through a key with every scope its role allows
	keyOther   allowed
}{
	{ReadLinks, everyone, moderators, everyone, moderators},
	{WriteLinks, members, admins, members, admins},
	{ReadStats, everyone, admins, everyone, admins},
	{Moderate, moderators, moderators, moderators, moderators},
	{ManageKeys, everyone, admins, everyone, admins},
	{ManageAccount, everyone, admins, nobody, admins},
	{ManageUsers, admins, admins, admins, admins},
}

func TestPolicyRolesAndResources(t *testing.T) {
	const me, someone = 7, 8
	for _, tt := range wantPolicy {
		for _, role := range tiny.Roles() {
			u := &tiny.User{ID: me, Role: role}
			fullKey := &tiny.APIKey{UserID: me, Scopes: RoleScopes(role)}
			for _, c := range []struct {
				how  string
				p    *Principal
				r    Resource
				want bool
			}{
				{"session, own", &Principal{User: u, Session: &tiny.Session{}}, Own(me), tt.own.has(role)},
				{"session, other's", &Principal{User: u, Session: &tiny.Session{}}, Own(someone), tt.other.has(role)},
				{"session, nobody's", &Principal{User: u, Session: &tiny.Session{}}, Resource{}, tt.other.has(role)},
				{"CLI, own", As(u), Own(me), tt.own.has(role)},
				{"CLI, other's", As(u), Own(someone), tt.other.has(role)},
				{"key, own", &Principal{User: u, Key: fullKey}, Own(me), tt.keyOwn.has(role)},
				{"key, other's", &Principal{User: u, Key: fullKey}, Own(someone), tt.keyOther.has(role)},
			} {
				if got := c.p.Can(tt.action, c.r); got != c.want {
					t.Errorf("Can(%s, %s, %s) = %t, want %t", role, c.how, tt.action, got, c.want)
				}
				if err := c.p.Check(tt.action, c.r); (err == nil) != c.want || err != nil && !tiny.IsCode(err, tiny.Forbidden) {
					t.Errorf("Check(%s, %s, %s) = %v, want forbidden: %t", role, c.how, tt.action, err, !c.want)
				}
			}
		}
	}
}

func TestPolicyKeyScopes(t *testing.T) {
	admin := &tiny.User{ID: 1, Role: tiny.RoleAdmin}
	key := func(scopes ...tiny.Scope) *Principal {
		return &Principal{User: admin, Key: &tiny.APIKey{UserID: 1, Scopes: scopes}}
	}
	other := Own(2)
	tests := []struct {
		p      *Principal
		action Action
		r      Resource
		want   bool
	}{
		{key(tiny.ScopeLinksRead), ReadLinks, other, true},
		{key(tiny.ScopeLinksRead), WriteLinks, Own(1), false},
		{key(tiny.ScopeLinksWrite), WriteLinks, Own(1), true},
		{key(tiny.ScopeLinksWrite), ReadLinks, Own(1), false},
		{key(tiny.ScopeStatsRead), ReadStats, Resource{}, true},
		{key(tiny.ScopeLinksRead), ReadStats, Own(1), false},
		{key(tiny.ScopeModeration), Moderate, Resource{}, true},
		{key(tiny.ScopeLinksRead, tiny.ScopeLinksWrite, tiny.ScopeStatsRead), Moderate, Resource{}, false},
		{key(tiny.ScopeAdmin), ManageUsers, Resource{}, true},
		{key(tiny.ScopeLinksRead, tiny.ScopeModeration), ManageUsers, Resource{}, false},
		{key(tiny.ScopeLinksRead), ManageKeys, Own(1), true}, // any key manages its user's keys
		{key(tiny.ScopeLinksRead), ManageKeys, other, false},
		{key(tiny.ScopeAdmin), ManageKeys, other, true},
		{key(tiny.ScopeAdmin), ManageAccount, Own(1), false}, // a password change needs a sign-in
		{key(tiny.ScopeAdmin), ManageAccount, other, true},
		{key(), ReadLinks, Own(1), false},
		// A key never does more than its user's role, whatever its scopes.
		{&Principal{User: &tiny.User{ID: 3, Role: tiny.RoleViewer}, Key: &tiny.APIKey{Scopes: tiny.Scopes()}}, WriteLinks, Own(3), false},
		{&Principal{User: &tiny.User{ID: 3, Role: tiny.RoleMember}, Key: &tiny.APIKey{Scopes: tiny.Scopes()}}, Moderate, Resource{}, false},
		{&Principal{User: &tiny.User{ID: 3, Role: tiny.RoleModerator}, Key: &tiny.APIKey{Scopes: tiny.Scopes()}}, ManageUsers, Resource{}, false},
	}
	for _, tt := range tests {
		scopes := "none"
		if tt.p.Key != nil {
			scopes = fmt.Sprint(tt.p.Key.Scopes)
		}
		if got := tt.p.Can(tt.action, tt.r); got != tt.want {
			t.Errorf("Can(%s key %s, %s on owner %d) = %t, want %t", tt.p.User.Role, scopes, tt.action, tt.r.OwnerID, got, tt.want)
		}
	}
}

func TestPolicyRefusesWithoutAnEnabledUser(t *testing.T) {
	admin := &tiny.User{ID: 1, Role: tiny.RoleAdmin}
	disabled := &tiny.User{ID: 1, Role: tiny.RoleAdmin, Disabled: true}
	unknownRole := &tiny.User{ID: 1, Role: "user"}
	for _, a := range []Action{ReadLinks, WriteLinks, ReadStats, Moderate, ManageKeys, ManageAccount, ManageUsers} {
		for name, p := range map[string]*Principal{"nil": nil, "no user": {}, "disabled": As(disabled), "unknown role": As(unknownRole)} {
			if p.Can(a, Own(1)) {
				t.Errorf("Can(%s, %s) = true, want false", name, a)
			}
		}
	}
	if As(admin).Can("links.delete-everything", Own(1)) {
		t.Errorf("Can(admin, an unknown action) = true, want false")
	}
}

func TestRoleScopes(t *testing.T) {
	tests := []struct {
		role tiny.Role
		want []tiny.Scope
	}{
		{tiny.RoleAdmin, tiny.Scopes()},
		{tiny.RoleModerator, []tiny.Scope{tiny.ScopeLinksRead, tiny.ScopeLinksWrite, tiny.ScopeStatsRead, tiny.ScopeModeration}},
		{tiny.RoleMember, []tiny.Scope{tiny.ScopeLinksRead, tiny.ScopeLinksWrite, tiny.ScopeStatsRead}},
		{tiny.RoleViewer, []tiny.Scope{tiny.ScopeLinksRead, tiny.ScopeStatsRead}},
		{"nobody", nil},
	}
	for _, tt := range tests {
		if got := RoleScopes(tt.role); !slices.Equal(got, tt.want) {
			t.Errorf("RoleScopes(%s) = %v, want %v", tt.role, got, tt.want)
		}
	}
}
