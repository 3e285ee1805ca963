package accounts

import (
	"slices"

	"tiny/internal/tiny"
)

// Principal is who is asking: a user, and how they proved it. A request
// authenticated with an API key has Key set, and can do no more than both
// the key's scopes and the user's role allow; one with a session has
// Session set. A principal with neither is the user acting through a
// trusted channel, such as the CLI on the server, and has the powers of
// their role. Principals returned by the Service are shared: callers must
// not modify them.
type Principal struct {
	User    *tiny.User
	Key     *tiny.APIKey
	Session *tiny.Session
}

// As returns the principal of u acting through a trusted channel (no key,
// no session), as the CLI does.
func As(u *tiny.User) *Principal { return &Principal{User: u} }

// Action is what a principal asks to do.
type Action string

// The actions. Each is one row of the policy table.
const (
	ReadLinks     Action = "links.read"     // see links and their settings
	WriteLinks    Action = "links.write"    // create, edit and delete links; appeal a block
	ReadStats     Action = "stats.read"     // a link's statistics; with no owner, the instance's
	Moderate      Action = "moderation"     // the review queue, decisions, the audit log
	ManageKeys    Action = "keys.manage"    // list, create and revoke API keys
	ManageAccount Action = "account.manage" // password, name, sessions, second factor
	ManageUsers   Action = "users.manage"   // list, create, change the role of, disable and delete users
)

// Resource is what an action is on, as far as the policy cares: whose it
// is. OwnerID 0 is nobody's: the instance as a whole, or a link made
// without an account.
type Resource struct {
	OwnerID int64
}

// Own returns the resource of the user with that id.
func Own(userID int64) Resource { return Resource{OwnerID: userID} }

// keyScope says what an API key needs for a row of the policy.
type keyScope struct {
	scope tiny.Scope // the scope the key needs; "" with any: any key
	any   bool       // any key may
	never bool       // no key may, only a session or a trusted channel
}

func needs(s tiny.Scope) keyScope { return keyScope{scope: s} }

var (
	anyKey = keyScope{any: true}
	noKey  = keyScope{never: true}
)

// rule is one row of the policy: the least role that may take the action
// on its own resources and on other people's ("" for no role), and what a
// key needs for each.
type rule struct {
	own      tiny.Role
	ownKey   keyScope
	other    tiny.Role
	otherKey keyScope
}

// policy is the one table of who may do what. Roles are ordered: admin
// can do all a moderator can, a moderator all a member can, a member all a
// viewer can.
//
//	action          own: role, key          other's: role, key
var policy = map[Action]rule{
	ReadLinks:     {tiny.RoleViewer, needs(tiny.ScopeLinksRead), tiny.RoleModerator, needs(tiny.ScopeLinksRead)},
	WriteLinks:    {tiny.RoleMember, needs(tiny.ScopeLinksWrite), tiny.RoleAdmin, needs(tiny.ScopeLinksWrite)},
	ReadStats:     {tiny.RoleViewer, needs(tiny.ScopeStatsRead), tiny.RoleAdmin, needs(tiny.ScopeStatsRead)},
	Moderate:      {tiny.RoleModerator, needs(tiny.ScopeModeration), tiny.RoleModerator, needs(tiny.ScopeModeration)},
	ManageKeys:    {tiny.RoleViewer, anyKey, tiny.RoleAdmin, needs(tiny.ScopeAdmin)},
	ManageAccount: {tiny.RoleViewer, noKey, tiny.RoleAdmin, needs(tiny.ScopeAdmin)},
	ManageUsers:   {tiny.RoleAdmin, needs(tiny.ScopeAdmin), tiny.RoleAdmin, needs(tiny.ScopeAdmin)},
}

// rank orders the roles; an unknown role ranks below every role.
func rank(r tiny.Role) int {
	switch r {
	case tiny.RoleAdmin:
		return 4
	case tiny.RoleModerator:
		return 3
	case tiny.RoleMember:
		return 2
	case tiny.RoleViewer:
		return 1
	}
	return 0
}

// Can reports whether p may take action a on r. A nil principal, a
// disabled user and an unknown action may do nothing.
func (p *Principal) Can(a Action, r Resource) bool { return p.check(a, r) == "" }

// Check returns nil when p may take action a on r, and Forbidden saying
// why not otherwise.
func (p *Principal) Check(a Action, r Resource) error {
	if why := p.check(a, r); why != "" {
		return tiny.Errorf(tiny.Forbidden, "%s", why)
	}
	return nil
}

// check returns why p may not take action a on r, "" when it may.
func (p *Principal) check(a Action, r Resource) string {
	if p == nil || p.User == nil {
		return "sign in first"
	}
	if p.User.Disabled {
		return "the account is disabled"
	}
	row, ok := policy[a]
	if !ok {
		return "unknown action"
	}
	role, key := row.other, row.otherKey
	if r.OwnerID != 0 && r.OwnerID == p.User.ID {
		role, key = row.own, row.ownKey
	}
	if role == "" || rank(p.User.Role) < rank(role) {
		return "the role " + string(p.User.Role) + " may not do this"
	}
	if p.Key != nil {
		switch {
		case key.never:
			return "an API key may not do this; sign in"
		case !key.any && !p.Key.HasScope(key.scope):
			return "the API key lacks the scope " + string(key.scope)
		}
	}
	return ""
}

// RoleScopes returns the scopes a key of a user with role may have: those
// that some action the role may take needs. A key with more would still
// be held to the role, so keys are not given more.
func RoleScopes(role tiny.Role) []tiny.Scope {
	var out []tiny.Scope
	for _, s := range tiny.Scopes() {
		for _, row := range policy {
			if row.ownKey.scope == s && row.own != "" && rank(role) >= rank(row.own) ||
				row.otherKey.scope == s && row.other != "" && rank(role) >= rank(row.other) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// scopesWithin returns the first of scopes that is not in allowed, and
// false; or "", true when all are.
func scopesWithin(scopes, allowed []tiny.Scope) (tiny.Scope, bool) {
	for _, s := range scopes {
		if !slices.Contains(allowed, s) {
			return s, false
		}
	}
	return "", true
}
