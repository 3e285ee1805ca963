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
	// Counted is true when the link's click counter already includes this
	// click (click-limited links count in the redirect, exactly).
	Counted bool
}

// StatsQuery selects the clicks that ClickStats aggregates.
type StatsQuery struct {
	LinkID int64 // 0: every link of the instance
	// From and To bound the clicks, [From, To); both are rounded down to
	// the hour, the resolution of the rollups (callers that want the hour
	// holding To round it up first).
	From, To time.Time
	// IncludeBots adds bot clicks to the series and breakdowns; the totals
	// always report them apart.
	IncludeBots bool
	// Top is how many entries each breakdown keeps (the largest).
	Top int
}

// ClickStats are the aggregates of a StatsQuery, from the rollups, so they
// outlive the retention of raw events.
type ClickStats struct {
	Clicks    int64 // human clicks
	BotClicks int64
	Previews  int64 // link-preview fetches: never clicks
	// UniqueVisitors counts distinct (UTC day, visitor hash) pairs of human
	// clicks, over the UTC days that the range touches: the hash changes
	// every day, so a person who comes back on another day counts again.
	UniqueVisitors int64
	// Hours is the series: one entry per UTC hour that has clicks, in
	// order. Callers regroup it into days, weeks or months in a time zone.
	Hours []HourCount
	// Kinds is the series by kind of event: one entry per UTC hour that
	// has any event, in order, humans, bots and previews apart whatever
	// IncludeBots says, for charts that draw them side by side.
	Kinds                                       []HourKinds
	Referrers, Countries, Browsers, OS, Devices []Count
}

// HourCount is the number of clicks in the hour that starts at Hour (UTC).
type HourCount struct {
	Hour   time.Time
	Clicks int64
}

// HourKinds is the events of each kind in the hour that starts at Hour
// (UTC).
type HourKinds struct {
	Hour                   time.Time
	Humans, Bots, Previews int64
}

// Count is one entry of a breakdown: a value and its clicks, largest first.
type Count struct {
	Value  string
	Clicks int64
}
