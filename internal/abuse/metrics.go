package abuse

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tiny/internal/abuse/feed"
	"tiny/internal/tiny"
)

// Collector exports the link-safety metrics: the check's decisions, the
// feeds, the rescans, and the quality of automatic decisions (read from
// the store at each scrape). Parts left nil are left out.
type Collector struct {
	Checker   *Checker
	Feeds     *feed.Watcher
	Rescanner *Rescanner
	// Destinations are the moderators' destination blocks.
	Destinations *Destinations
	// Decisions is the store's DecisionCounts.
	Decisions func(ctx context.Context) ([]tiny.DecisionCount, error)
	Logger    *slog.Logger
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("tiny_safety_"+name, help, labels, nil)
}

var (
	descChecks       = desc("checks_total", "New destinations scored, by verdict (active, flagged, blocked).", "verdict")
	descFeedEntries  = desc("feed_entries", "Entries of each blocklist feed.", "feed")
	descFeedErrors   = desc("feed_errors_total", "Failed loads of each blocklist feed.", "feed")
	descFeedLoaded   = desc("feed_last_success_timestamp_seconds", "When each blocklist feed last loaded.", "feed")
	descRescans      = desc("rescans_total", "Rescans of every link after a feed or the destination blocks changed.")
	descDestinations = desc("destination_blocks", "Destinations (URLs, hosts, domains) moderators have blocked, as this node knows them.")
	descRescanned    = desc("rescanned_links_total", "Links checked by rescans.")
	descRescanBlocks = desc("rescan_blocked_total", "Links blocked by rescans.")
	descRescanSecs   = desc("rescan_last_duration_seconds", "How long the last rescan took.")
	descPrecision    = desc("precision", "Share of reviewed automatic decisions (flag or block) that moderators confirmed.")
	descRecall       = desc("recall_estimate", "Confirmed automatic decisions / (those + links moderators blocked that the check had let through).")
	descOverturn     = desc("appeal_overturn_rate", "Share of decided appeals that lifted the block.")
	descReviewed     = desc("reviewed_decisions", "Automatic decisions a moderator has decided on.")
	descMissed       = desc("missed_links", "Links moderators blocked that the check had let through.")
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descChecks, descFeedEntries, descFeedErrors, descFeedLoaded,
		descRescans, descRescanned, descRescanBlocks, descRescanSecs, descDestinations,
		descPrecision, descRecall, descOverturn, descReviewed, descMissed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	metric := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, labels...)
	}
	if c.Checker != nil {
		for verdict, n := range c.Checker.Counts() {
			metric(descChecks, prometheus.CounterValue, float64(n), string(verdict))
		}
	}
	if c.Feeds != nil {
		for _, f := range c.Feeds.Status() {
			metric(descFeedEntries, prometheus.GaugeValue, float64(f.Entries), f.Feed)
			metric(descFeedErrors, prometheus.CounterValue, float64(f.Errors), f.Feed)
			if !f.LastSuccess.IsZero() {
				metric(descFeedLoaded, prometheus.GaugeValue, float64(f.LastSuccess.Unix()), f.Feed)
			}
		}
	}
	if c.Rescanner != nil {
		st := c.Rescanner.Stats()
		metric(descRescans, prometheus.CounterValue, float64(st.Runs))
		metric(descRescanned, prometheus.CounterValue, float64(st.Scanned))
		metric(descRescanBlocks, prometheus.CounterValue, float64(st.Blocked))
		metric(descRescanSecs, prometheus.GaugeValue, st.LastDuration.Seconds())
	}
	if c.Destinations != nil {
		metric(descDestinations, prometheus.GaugeValue, float64(c.Destinations.Current().Len()))
	}
	if c.Decisions != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		counts, err := c.Decisions(ctx)
		if err != nil {
			c.Logger.Warn("safety metrics: reading the moderators' decisions failed", "err", err)
			return
		}
		q := QualityOf(counts)
		metric(descPrecision, prometheus.GaugeValue, float64(q.Precision))
		metric(descRecall, prometheus.GaugeValue, float64(q.Recall))
		metric(descOverturn, prometheus.GaugeValue, float64(q.OverturnRate))
		metric(descReviewed, prometheus.GaugeValue, float64(q.Reviewed))
		metric(descMissed, prometheus.GaugeValue, float64(q.Missed))
	}
}
