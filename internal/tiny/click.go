package tiny

import "time"

// VisitorKind tells people, bots and link previewers apart.
type VisitorKind string

// The visitor kinds. Only humans count as clicks; previews never use up a
// click-limited link.
const (
	VisitorHuman   VisitorKind = "human"
	VisitorBot     VisitorKind = "bot"
	VisitorPreview VisitorKind = "preview"
)

// ClickEvent is one recorded visit of a link, enriched and anonymised: it
// holds no IP address, only a visitor hash that changes every day.
type ClickEvent struct {
	LinkID int64
	At     time.Time
	Kind   VisitorKind
	// Visitor is a keyed hash of (daily secret, IP, user agent): equal for
	// the same visitor on the same day, unlinkable across days once the
	// day's secret is destroyed.
	Visitor  uint64
	Referrer string // host of the referring page, or "direct"
	Country  string // ISO 3166-1 alpha-2, or "unknown"
	City     string // "" when unknown
	Browser  string // e.g. "Chrome"; "unknown" when not recognised
	OS       string // e.g. "Android"
	Device   string // "desktop", "mobile", "tablet", "tv", "bot" or "unknown"
}
