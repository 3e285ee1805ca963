package safebrowsing

import (
	"github.com/prometheus/client_golang/prometheus"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("tiny_safebrowsing_"+name, help, labels, nil)
}

var (
	descPrefixes     = desc("list_prefixes", "Hash prefixes held for each Safe Browsing list.", "list")
	descLastUpdate   = desc("last_update_timestamp_seconds", "When every list last updated without error.")
	descUpdates      = desc("updates_total", "threatListUpdates:fetch requests answered.")
	descUpdateErrors = desc("update_errors_total", "Updates that failed, in whole or for one list (back-off follows).")
	descLookups      = desc("lookups_total", "Destinations looked up.")
	descPrefixHits   = desc("prefix_hits_total", "Expressions whose hash prefix is on a local list.")
	descCacheHits    = desc("cache_hits_total", "Prefix hits answered by the positive or negative cache.")
	descFinds        = desc("full_hash_requests_total", "fullHashes:find requests sent.")
	descFindErrors   = desc("full_hash_errors_total", "fullHashes:find requests that failed or timed out (the match stays unconfirmed).")
	descConfirmed    = desc("confirmed_total", "Lookups a full hash confirmed as listed.")
)

// Describe implements prometheus.Collector.
func (c *Client) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPrefixes, descLastUpdate, descUpdates, descUpdateErrors,
		descLookups, descPrefixHits, descCacheHits, descFinds, descFindErrors, descConfirmed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Client) Collect(ch chan<- prometheus.Metric) {
	for _, l := range c.Lists() {
		ch <- prometheus.MustNewConstMetric(descPrefixes, prometheus.GaugeValue, float64(l.Prefixes), l.ThreatType)
	}
	if ns := c.stats.lastUpdate.Load(); ns != 0 {
		ch <- prometheus.MustNewConstMetric(descLastUpdate, prometheus.GaugeValue, float64(ns)/1e9)
	}
	for _, m := range []struct {
		d *prometheus.Desc
		v uint64
	}{
		{descUpdates, c.stats.updates.Load()}, {descUpdateErrors, c.stats.updateErrors.Load()},
		{descLookups, c.stats.lookups.Load()}, {descPrefixHits, c.stats.prefixHits.Load()},
		{descCacheHits, c.stats.cacheHits.Load()}, {descFinds, c.stats.findRequests.Load()},
		{descFindErrors, c.stats.findErrors.Load()}, {descConfirmed, c.stats.confirmed.Load()},
	} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}
