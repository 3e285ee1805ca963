package shortener

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"tiny/internal/tiny"
)

// Limits on the descriptive fields of a link. MaxPasswordLength is
// bcrypt's: it reads at most 72 bytes and refuses to hash more.
const (
	MaxTitleLength    = 512
	MaxTags           = 20
	MaxTagLength      = 64
	MaxPasswordLength = 72
)

// CreateInput is what a client sends to create a link. Pointer fields are
// optional; nil means the documented default.
type CreateInput struct {
	URL          string     `json:"url"`
	Alias        string     `json:"alias,omitempty"`
	Title        string     `json:"title,omitempty"`
	Tags         []string   `json:"tags,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	MaxClicks    *int64     `json:"max_clicks,omitempty"`
	Redirect     *int       `json:"redirect,omitempty"`
	CacheSeconds *int       `json:"cache_seconds,omitempty"`
	Password     string     `json:"password,omitempty"`
	ForwardQuery bool       `json:"forward_query,omitempty"`
}

// A bcrypt hash or check costs about 60-80 ms of CPU at the default cost,
// some 300 times a create without a password; the create limits of the
// API and the web app count it that much more (docs/decisions.md).

// PasswordCreateWeight is what a link password counts for against a
// create limit, on a create, in a bulk request and on an edit.
const PasswordCreateWeight = 10

// CountPasswords counts the items that have a password.
func CountPasswords(items ...CreateInput) int {
	n := 0
	for _, in := range items {
		if in.Password != "" {
			n++
		}
	}
	return n
}

// CreateCost is what links, of which passwords have a password, count
// against a create limit.
func CreateCost(links, passwords int) int {
	return links - passwords + passwords*PasswordCreateWeight
}

// UpdateInput is a partial update of a link: only the fields present in the
// request change, and null removes an optional setting.
type UpdateInput struct {
	URL          Optional[string]    `json:"url"`
	Alias        Optional[string]    `json:"alias"` // refused: aliases are immutable
	Title        Optional[string]    `json:"title"`
	Tags         Optional[[]string]  `json:"tags"`
	ExpiresAt    Optional[time.Time] `json:"expires_at"`
	MaxClicks    Optional[int64]     `json:"max_clicks"`
	Redirect     Optional[int]       `json:"redirect"`
	CacheSeconds Optional[int]       `json:"cache_seconds"`
	Password     Optional[string]    `json:"password"`
	ForwardQuery Optional[bool]      `json:"forward_query"`
}

// Optional is a JSON field that distinguishes "absent" (Set false), "null"
// (Set and Null) and a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON records that the field was present and decodes its value.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// validator checks the fields of an input against the rules of a link.
type validator struct {
	policy tiny.URLPolicy
	now    time.Time
}

func (v validator) url(raw string) (string, error) { return v.policy.NormalizeURL(raw) }

func validateTitle(title string) (string, error) {
	if !utf8.ValidString(title) {
		return "", tiny.FieldErrorf(tiny.Invalid, "title", "title must be valid UTF-8")
	}
	if utf8.RuneCountInString(title) > MaxTitleLength {
		return "", tiny.FieldErrorf(tiny.Invalid, "title", "title must be at most %d characters", MaxTitleLength)
	}
	for _, r := range title {
		if r < 0x20 || r == 0x7f {
			return "", tiny.FieldErrorf(tiny.Invalid, "title", "title must not contain control characters")
		}
	}
	return strings.TrimSpace(title), nil
}

// normalizeTags validates tags and returns them without duplicates, in the
// order given.
func normalizeTags(tags []string) ([]string, error) {
	if len(tags) > MaxTags {
		return nil, tiny.FieldErrorf(tiny.Invalid, "tags", "at most %d tags", MaxTags)
	}
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if t == "" || len(t) > MaxTagLength {
			return nil, tiny.FieldErrorf(tiny.Invalid, "tags", "each tag must be 1 to %d characters", MaxTagLength)
		}
		for i := 0; i < len(t); i++ {
			c := t[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':' || c == '/') {
				return nil, tiny.FieldErrorf(tiny.Invalid, "tags", "tag %q may contain only letters, digits and - _ . : /", t)
			}
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func (v validator) expiresAt(t time.Time) (*time.Time, error) {
	if !t.After(v.now) {
		return nil, tiny.FieldErrorf(tiny.Invalid, "expires_at", "expires_at must be in the future")
	}
	t = t.UTC().Truncate(time.Millisecond)
	return &t, nil
}

func validateMaxClicks(n int64) error {
	if n < 1 {
		return tiny.FieldErrorf(tiny.Invalid, "max_clicks", "max_clicks must be at least 1")
	}
	return nil
}

func validateRedirect(status int) error {
	if !tiny.IsValidRedirect(status) {
		return tiny.FieldErrorf(tiny.Invalid, "redirect", "redirect must be 301, 302, 307 or 308")
	}
	return nil
}

func validateCacheSeconds(n int) error {
	if n < 0 || n > tiny.MaxCacheSeconds {
		return tiny.FieldErrorf(tiny.Invalid, "cache_seconds", "cache_seconds must be between 0 and %d", tiny.MaxCacheSeconds)
	}
	return nil
}

func validatePassword(pw string) error {
	if pw == "" || len(pw) > MaxPasswordLength {
		return tiny.FieldErrorf(tiny.Invalid, "password", "password must be 1 to %d bytes", MaxPasswordLength)
	}
	return nil
}

// nonNull refuses null for a field that cannot be removed.
func nonNull[T any](o Optional[T], field string) error {
	if o.Set && o.Null {
		return tiny.FieldErrorf(tiny.Invalid, field, "%s cannot be null", field)
	}
	return nil
}
