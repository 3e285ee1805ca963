package analytics

import (
	"time"

	"tiny/internal/tiny"
)

// StatsQuery is the query of the clicks of a link (linkID 0: every link of
// the instance) from from to to, keeping the top entries of each
// breakdown. The rollups are hourly: the hour that holds to is included.
// The API's statistics and the web app's pages both ask through it.
func StatsQuery(linkID int64, from, to time.Time, includeBots bool, top int) tiny.StatsQuery {
	return tiny.StatsQuery{LinkID: linkID, From: from, To: ceilHour(to), IncludeBots: includeBots, Top: top}
}

// ceilHour rounds t up to a whole hour.
func ceilHour(t time.Time) time.Time {
	if h := t.Truncate(time.Hour); !h.Equal(t) {
		return h.Add(time.Hour)
	}
	return t
}
