package tiny

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role is what a user may do. The rules of each role are in one place, the
// policy of the accounts package; the domain only names them.
type Role string

// The roles, from the most to the least powerful.
const (
	RoleAdmin     Role = "admin"     // everything
	RoleModerator Role = "moderator" // review queue, decisions, audit log, read every link
	RoleMember    Role = "member"    // their own links, keys and stats
	RoleViewer    Role = "viewer"    // read-only on their own links and stats

	// RoleUser is the name member had before accounts; stored "user" rows
	// became "member" in migration 6.
	//
	// Deprecated: use RoleMember.
	RoleUser = RoleMember
)

// legacyRoleUser is how RoleMember was spelled before accounts. Clients of
// the key API may still send it.
const legacyRoleUser = "user"

// Roles returns every role, from the most to the least powerful.
func Roles() []Role { return []Role{RoleAdmin, RoleModerator, RoleMember, RoleViewer} }

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// UnmarshalText reads a role, taking the former name "user" for member so
// that clients written before accounts keep working. Other values are kept
// as they are; Valid tells whether they name a role.
func (r *Role) UnmarshalText(b []byte) error {
	if string(b) == legacyRoleUser {
		*r = RoleMember
		return nil
	}
	*r = Role(b)
	return nil
}

// Scope is one kind of access an API key may be given. A key never does
// more than its user's role allows, whatever its scopes.
type Scope string

// The scopes.
const (
	ScopeLinksRead  Scope = "links:read"  // read links
	ScopeLinksWrite Scope = "links:write" // create, edit and delete links
	ScopeStatsRead  Scope = "stats:read"  // read click statistics
	ScopeModeration Scope = "moderation"  // the review queue, decisions, the audit log
	ScopeAdmin      Scope = "admin"       // users, roles, other people's keys, the instance
)

// Scopes returns every scope, in a fixed order.
func Scopes() []Scope {
	return []Scope{ScopeLinksRead, ScopeLinksWrite, ScopeStatsRead, ScopeModeration, ScopeAdmin}
}

// Valid reports whether s is one of the scopes.
func (s Scope) Valid() bool { return slices.Contains(Scopes(), s) }

// ValidateScopes checks a key's scopes: at least one, each known, none
// twice.
func ValidateScopes(scopes []Scope) error {
	if len(scopes) == 0 {
		return FieldErrorf(Invalid, "scopes", "a key needs at least one scope")
	}
	for i, s := range scopes {
		if !s.Valid() {
			return FieldErrorf(Invalid, "scopes", "unknown scope %q", s)
		}
		if slices.Contains(scopes[:i], s) {
			return FieldErrorf(Invalid, "scopes", "scope %q is given twice", s)
		}
	}
	return nil
}

// JoinScopes returns scopes as the stores keep them: separated by spaces,
// in the order of Scopes.
func JoinScopes(scopes []Scope) string {
	var b strings.Builder
	for _, s := range Scopes() {
		if slices.Contains(scopes, s) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(string(s))
		}
	}
	return b.String()
}

// SplitScopes reads scopes written by JoinScopes.
func SplitScopes(s string) []Scope {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil
	}
	scopes := make([]Scope, len(fields))
	for i, f := range fields {
		scopes[i] = Scope(f)
	}
	return scopes
}

// Limits of the fields of accounts, in characters.
const (
	MaxEmailLength       = 254            // RFC 5321's limit on a path
	MaxUserNameLength    = MaxEmailLength // a user made by email is named by it
	MaxDisplayNameLength = 100
	MaxKeyNameLength     = 64
	MaxSessionLabel      = 100
)

// User is a person (or a robot) who owns links and keys. Name is the
// unique handle that the key API and the CLI use, and never changes; Email
// is how a person signs in, and is empty for users that only have API keys
// (every user made before accounts).
type User struct {
	ID           int64
	Name         string
	Email        string // lower-case, unique; "" for none
	DisplayName  string
	Role         Role
	PasswordHash string // argon2id in PHC form; "" when the user has no password
	Disabled     bool   // a disabled user's sessions and keys are refused

	// TOTPSecret is the shared secret of the user's authenticator app,
	// base32 as in otpauth URIs. It is stored as it is, not encrypted: the
	// database is trusted with it as with everything else (see
	// docs/decisions.md). TOTPEnabled is set once the user has proven a
	// code; until then the secret is pending.
	TOTPSecret  string
	TOTPEnabled bool

	CreatedAt    time.Time
	LastSignInAt *time.Time // nil: never signed in with a password
}

// IsAdmin reports whether the user has the admin role.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// Validate checks the fields a person chooses: Name, Email, DisplayName and
// Role. Invalid, with the field, for the first that is wrong.
func (u *User) Validate() error {
	if err := ValidateUserName(u.Name); err != nil {
		return err
	}
	if u.Email != "" {
		if err := ValidateEmail(u.Email); err != nil {
			return err
		}
	}
	if err := ValidateDisplayName(u.DisplayName); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return FieldErrorf(Invalid, "role", "role must be admin, moderator, member or viewer")
	}
	return nil
}

// ValidateUserName checks a user's handle: 1 to 254 characters (an email
// is a name), printable, without surrounding spaces.
func ValidateUserName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > MaxUserNameLength || strings.TrimSpace(name) != name || !printable(name) {
		return FieldErrorf(Invalid, "name", "name must be 1 to %d printable characters without surrounding spaces", MaxUserNameLength)
	}
	return nil
}

// NormalizeEmail returns an email address as it is stored and compared:
// without surrounding spaces and in lower case. Addresses are unique
// case-insensitively, so Alice@Example.com and alice@example.com are one.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateEmail checks an email address: a bare address (no display name,
// no angle brackets) of at most 254 characters with a local part and a
// domain.
func ValidateEmail(email string) error {
	bad := FieldErrorf(Invalid, "email", "email must be an address such as name@example.com")
	if email == "" || len(email) > MaxEmailLength || strings.ContainsAny(email, " \t\r\n<>") {
		return bad
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return bad
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return bad
	}
	return nil
}

// ValidateDisplayName checks the name shown for a person: at most 100
// printable characters, which may be none.
func ValidateDisplayName(name string) error {
	if utf8.RuneCountInString(name) > MaxDisplayNameLength || strings.TrimSpace(name) != name || !printable(name) {
		return FieldErrorf(Invalid, "display_name", "display name must be at most %d printable characters without surrounding spaces", MaxDisplayNameLength)
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// UserFilter selects users for ListUsers.
type UserFilter struct {
	Role    Role  // "": every role
	AfterID int64 // cursor: only users with ID > AfterID; 0 starts at the first
	Limit   int   // <= 0: no limit
}

// APIKey authenticates requests for its user. Only a hash of the secret is
// stored; the secret is shown once, when the key is created.
type APIKey struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string  // the first characters of the secret, for people to tell keys apart
	Hash       []byte  // SHA-256 of the secret
	Scopes     []Scope // what the key may do, within its user's role
	ExpiresAt  *time.Time
	LastUsedAt *time.Time // written at most once a minute
	CreatedAt  time.Time
}

// Validate checks the fields a person chooses: Name, Scopes and ExpiresAt,
// which must be after now.
func (k *APIKey) Validate(now time.Time) error {
	if n := strings.TrimSpace(k.Name); n == "" || n != k.Name || utf8.RuneCountInString(k.Name) > MaxKeyNameLength || !printable(k.Name) {
		return FieldErrorf(Invalid, "name", "name must be 1 to %d printable characters without surrounding spaces", MaxKeyNameLength)
	}
	if err := ValidateScopes(k.Scopes); err != nil {
		return err
	}
	if k.ExpiresAt != nil && !k.ExpiresAt.After(now) {
		return FieldErrorf(Invalid, "expires_at", "expires_at must be in the future")
	}
	return nil
}

// HasScope reports whether the key was given scope s.
func (k *APIKey) HasScope(s Scope) bool { return slices.Contains(k.Scopes, s) }

// Expired reports whether the key has expired at now.
func (k *APIKey) Expired(now time.Time) bool { return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) }

// Session is a person signed in through the web app. Only a hash of its
// token (the cookie's value) is stored, so a copy of the database signs no
// one in. Label names the browser for the person's list of sessions ("Firefox
// on Linux"); no address is kept.
type Session struct {
	ID         int64
	UserID     int64
	TokenHash  []byte // SHA-256 of the token
	Label      string
	CreatedAt  time.Time
	LastSeenAt time.Time // written at most once a minute
	ExpiresAt  time.Time // the absolute end, however active the session
}

// Expired reports whether the session has ended at now: it reached its
// absolute end, or it was idle for idle or longer (idle 0: no idle limit).
func (s *Session) Expired(now time.Time, idle time.Duration) bool {
	return !now.Before(s.ExpiresAt) || idle > 0 && now.Sub(s.LastSeenAt) >= idle
}

// AccountChangeKind says what an AccountChange is about.
type AccountChangeKind byte

// The kinds of account change.
const (
	ChangedUser    AccountChangeKind = 'u' // a user changed or was deleted: drop all of theirs
	ChangedKey     AccountChangeKind = 'k' // an API key was revoked
	ChangedSession AccountChangeKind = 's' // a session ended
)

// AccountChange names a user, key or session whose cached credentials are
// no longer good.
type AccountChange struct {
	Kind AccountChangeKind
	ID   int64
}

// String returns the change as the PostgreSQL feed sends it: "u:12".
func (c AccountChange) String() string { return string(c.Kind) + ":" + strconv.FormatInt(c.ID, 10) }

// ParseAccountChange reads a change written by String; ok is false for
// anything else.
func ParseAccountChange(s string) (c AccountChange, ok bool) {
	if len(s) < 3 || s[1] != ':' {
		return c, false
	}
	switch k := AccountChangeKind(s[0]); k {
	case ChangedUser, ChangedKey, ChangedSession:
		c.Kind = k
	default:
		return c, false
	}
	id, err := strconv.ParseInt(s[2:], 10, 64)
	if err != nil || id < 1 {
		return AccountChange{}, false
	}
	c.ID = id
	return c, true
}
