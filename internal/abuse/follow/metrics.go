package follow

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("tiny_follow_"+name, help, labels, nil)
}

var (
	descQueued     = desc("queued_total", "Links queued to have their destination followed.")
	descDropped    = desc("dropped_total", "Links not followed because the queue was full.")
	descQueue      = desc("queue_length", "Links waiting to be followed.")
	descChains     = desc("chains_total", "Destinations followed.")
	descHops       = desc("hops_total", "Redirect hops followed beyond the destinations.")
	descUnresolved = desc("unresolved_total", "Destinations whose redirect chain or page could not be followed to its end.")
	descRefused    = desc("refused_total", "Chains that led to a private, loopback, link-local or metadata address, which were not requested.")
	descPages      = desc("pages_total", "Landing pages read.")
	descSignals    = desc("page_signals_total", "Landing pages on which a signal fired, by signal.", "signal")
	descBlocked    = desc("blocked_total", "Links blocked because a hop of their chain is blocked.")
	descFlagged    = desc("flagged_total", "Links sent to review by their chain or landing page.")
	descRescans    = desc("rescans_total", "Scheduled rescans of the landing pages of active links.")
	descRescanned  = desc("rescanned_links_total", "Links queued by scheduled rescans.")
)

// Describe implements prometheus.Collector.
func (f *Follower) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueued, descDropped, descQueue, descChains, descHops, descUnresolved,
		descRefused, descPages, descSignals, descBlocked, descFlagged, descRescans, descRescanned} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (f *Follower) Collect(ch chan<- prometheus.Metric) {
	s := &f.stats
	for d, v := range map[*prometheus.Desc]*atomic.Int64{
		descQueued: &s.queued, descDropped: &s.dropped, descChains: &s.chains, descHops: &s.hops,
		descUnresolved: &s.unresolved, descRefused: &s.refused, descPages: &s.pages, descBlocked: &s.blocked,
		descFlagged: &s.flagged, descRescans: &s.rescans, descRescanned: &s.rescanned,
	} {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v.Load()))
	}
	ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(len(f.queue)))
	s.signals.Range(func(k, v any) bool {
		ch <- prometheus.MustNewConstMetric(descSignals, prometheus.CounterValue, float64(v.(*atomic.Int64).Load()), k.(string))
		return true
	})
}
