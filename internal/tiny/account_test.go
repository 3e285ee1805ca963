package tiny

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRoleUnmarshalText(t *testing.T) {
	tests := []struct {
		in    string
		want  Role
		valid bool
	}{
		{"admin", RoleAdmin, true},
		{"moderator", RoleModerator, true},
		{"member", RoleMember, true},
		{"viewer", RoleViewer, true},
		{"user", RoleMember, true}, // the former name of member
		{"root", "root", false},
		{"Admin", "Admin", false},
		{"", "", false},
	}
	for _, tt := range tests {
		var r Role
		if err := r.UnmarshalText([]byte(tt.in)); err != nil || r != tt.want || r.Valid() != tt.valid {
			t.Errorf("UnmarshalText(%q) = %q (valid %t), %v; want %q (valid %t), nil", tt.in, r, r.Valid(), err, tt.want, tt.valid)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		email string
		ok    bool
	}{
		{"alice@example.com", true},
		{"a.b+tag@sub.example.org", true},
		{"x@localhost", true},
		{"", false},
		{"alice", false},
		{"@example.com", false},
		{"alice@", false},
		{"Alice <alice@example.com>", false},
		{"<alice@example.com>", false},
		{"alice @example.com", false},
		{"alice@example.com\n", false},
		{strings.Repeat("a", 250) + "@e.co", false},
	}
	for _, tt := range tests {
		err := ValidateEmail(tt.email)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateEmail(%q) = %v, want ok %t", tt.email, err, tt.ok)
		}
		if err != nil && ErrorFieldOf(err) != "email" {
			t.Errorf("ValidateEmail(%q) field = %q, want email", tt.email, ErrorFieldOf(err))
		}
	}
	if got := NormalizeEmail("  Alice@Example.COM "); got != "alice@example.com" {
		t.Errorf("NormalizeEmail = %q, want alice@example.com", got)
	}
}

func TestUserValidate(t *testing.T) {
	ok := User{Name: "alice", Email: "alice@example.com", DisplayName: "Alice Liddell", Role: RoleMember}
	tests := []struct {
		name  string
		mod   func(u *User)
		field string // "" for valid
	}{
		{"valid", func(u *User) {}, ""},
		{"no email", func(u *User) { u.Email = "" }, ""},
		{"no display name", func(u *User) { u.DisplayName = "" }, ""},
		{"unicode display name", func(u *User) { u.DisplayName = "Zoë Ågren" }, ""},
		{"empty name", func(u *User) { u.Name = "" }, "name"},
		{"name with spaces around", func(u *User) { u.Name = " alice" }, "name"},
		{"name too long", func(u *User) { u.Name = strings.Repeat("n", MaxUserNameLength+1) }, "name"},
		{"name with a control", func(u *User) { u.Name = "al\x00ice" }, "name"},
		{"bad email", func(u *User) { u.Email = "alice" }, "email"},
		{"display name too long", func(u *User) { u.DisplayName = strings.Repeat("d", MaxDisplayNameLength+1) }, "display_name"},
		{"display name with a newline", func(u *User) { u.DisplayName = "A\nB" }, "display_name"},
		{"former role name", func(u *User) { u.Role = "user" }, "role"},
		{"no role", func(u *User) { u.Role = "" }, "role"},
	}
	for _, tt := range tests {
		u := ok
		tt.mod(&u)
		err := u.Validate()
		if tt.field == "" && err != nil || tt.field != "" && (!IsCode(err, Invalid) || ErrorFieldOf(err) != tt.field) {
			t.Errorf("Validate(%s) = %v, want field %q", tt.name, err, tt.field)
		}
	}
}

func TestScopes(t *testing.T) {
	tests := []struct {
		scopes []Scope
		joined string
		field  string
	}{
		{[]Scope{ScopeAdmin, ScopeLinksRead}, "links:read admin", ""},
		{Scopes(), "links:read links:write stats:read moderation admin", ""},
		{nil, "", "scopes"},
		{[]Scope{"links:delete"}, "", "scopes"},
		{[]Scope{ScopeStatsRead, ScopeStatsRead}, "stats:read", "scopes"},
	}
	for _, tt := range tests {
		err := ValidateScopes(tt.scopes)
		if tt.field == "" && err != nil || tt.field != "" && ErrorFieldOf(err) != tt.field {
			t.Errorf("ValidateScopes(%v) = %v, want field %q", tt.scopes, err, tt.field)
		}
		if got := JoinScopes(tt.scopes); got != tt.joined {
			t.Errorf("JoinScopes(%v) = %q, want %q", tt.scopes, got, tt.joined)
		}
		if tt.field == "" {
			back := SplitScopes(JoinScopes(tt.scopes))
			if !slices.Equal(sorted(back), sorted(tt.scopes)) {
				t.Errorf("SplitScopes(JoinScopes(%v)) = %v, want the same scopes", tt.scopes, back)
			}
		}
	}
}

func sorted(s []Scope) []Scope {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestAPIKeyValidate(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	future, past := now.Add(time.Hour), now.Add(-time.Hour)
	tests := []struct {
		k     APIKey
		field string
	}{
		{APIKey{Name: "ci", Scopes: []Scope{ScopeLinksRead}}, ""},
		{APIKey{Name: "ci", Scopes: []Scope{ScopeLinksRead}, ExpiresAt: &future}, ""},
		{APIKey{Name: "ci", Scopes: []Scope{ScopeLinksRead}, ExpiresAt: &now}, "expires_at"},
		{APIKey{Name: "ci", Scopes: []Scope{ScopeLinksRead}, ExpiresAt: &past}, "expires_at"},
		{APIKey{Name: "", Scopes: []Scope{ScopeLinksRead}}, "name"},
		{APIKey{Name: " ci", Scopes: []Scope{ScopeLinksRead}}, "name"},
		{APIKey{Name: strings.Repeat("k", MaxKeyNameLength+1), Scopes: []Scope{ScopeLinksRead}}, "name"},
		{APIKey{Name: "ci"}, "scopes"},
	}
	for _, tt := range tests {
		err := tt.k.Validate(now)
		if tt.field == "" && err != nil || tt.field != "" && ErrorFieldOf(err) != tt.field {
			t.Errorf("Validate(%q, %v, expires %v) = %v, want field %q", tt.k.Name, tt.k.Scopes, tt.k.ExpiresAt, err, tt.field)
		}
	}
	k := APIKey{ExpiresAt: &future}
	if k.Expired(now) || !k.Expired(future) || (&APIKey{}).Expired(now) {
		t.Errorf("Expired: a key expiring at %v is expired at now %t, at its expiry %t; a key without expiry %t; want false, true, false",
			future, k.Expired(now), k.Expired(future), (&APIKey{}).Expired(now))
	}
}

func TestSessionExpired(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Session{CreatedAt: start, LastSeenAt: start.Add(time.Hour), ExpiresAt: start.Add(30 * 24 * time.Hour)}
	idle := 24 * time.Hour
	tests := []struct {
		now  time.Time
		idle time.Duration
		want bool
	}{
		{start.Add(2 * time.Hour), idle, false},
		{s.LastSeenAt.Add(idle - time.Nanosecond), idle, false},
		{s.LastSeenAt.Add(idle), idle, true},
		{s.LastSeenAt.Add(idle), 0, false}, // no idle limit
		{s.ExpiresAt.Add(-time.Nanosecond), 0, false},
		{s.ExpiresAt, 0, true},
	}
	for _, tt := range tests {
		if got := s.Expired(tt.now, tt.idle); got != tt.want {
			t.Errorf("Expired(%v, idle %v) = %t, want %t", tt.now, tt.idle, got, tt.want)
		}
	}
}

func TestAccountChange(t *testing.T) {
	for _, c := range []AccountChange{{ChangedUser, 1}, {ChangedKey, 42}, {ChangedSession, 1 << 40}} {
		got, ok := ParseAccountChange(c.String())
		if !ok || got != c {
			t.Errorf("ParseAccountChange(%q) = %v, %t; want %v, true", c.String(), got, ok, c)
		}
	}
	for _, s := range []string{"", "u", "u:", "u:0", "u:-1", "x:5", "u5", "k:abc", "s:1 2"} {
		if got, ok := ParseAccountChange(s); ok {
			t.Errorf("ParseAccountChange(%q) = %v, true; want false", s, got)
		}
	}
}
