package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"tiny/internal/abuse"
	"tiny/internal/abuse/safebrowsing"
)

// registerSafeBrowsing registers the flags of the Google Safe Browsing
// lists. The key is read like every flag from the environment too
// (TINY_SAFEBROWSING_KEY), which keeps it out of the process list.
func (c *Config) registerSafeBrowsing(fs *pflag.FlagSet) {
	fs.StringVar(&c.SafeBrowsingKey, "safebrowsing-key", c.SafeBrowsingKey, "Google API key: keep the Safe Browsing lists locally and block links they list (default off; prefer TINY_SAFEBROWSING_KEY, see docs/safety.md)")
	fs.StringVar(&c.SafeBrowsingURL, "safebrowsing-url", c.SafeBrowsingURL, "base URL of the Safe Browsing API, for a proxy or a test server")
	fs.Var(&c.SafeBrowsingLists, "safebrowsing-lists", "Safe Browsing threat types to keep, comma-separated (default "+strings.Join(safebrowsing.DefaultThreatTypes, ",")+")")
	fs.DurationVar(&c.SafeBrowsingEvery, "safebrowsing-refresh", c.SafeBrowsingEvery, "how often the Safe Browsing lists are updated; the server's minimum wait can lengthen it, and additions rescan every link")
}

// startSafeBrowsing builds the Safe Browsing client when a key is set; Run
// fills its lists in startBackground. An update that adds prefixes rescans
// the existing links, so the first one also covers the links created
// before it.
func (m *Main) startSafeBrowsing() error {
	cfg := m.Config
	if cfg.SafeBrowsingKey == "" {
		return nil
	}
	for _, t := range cfg.SafeBrowsingLists {
		if strings.Trim(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
			return fmt.Errorf("--safebrowsing-lists: %q is not a threat type such as MALWARE", t)
		}
	}
	var err error
	m.safebrowsing, err = safebrowsing.New(safebrowsing.Config{
		Key: cfg.SafeBrowsingKey, ServerURL: cfg.SafeBrowsingURL, ThreatTypes: cfg.SafeBrowsingLists,
		UpdateEvery: cfg.SafeBrowsingEvery, Logger: m.logger, ClientVersion: safeBrowsingClientVersion(),
		Added: func() { m.rescanner.Changed(m.checker) },
	})
	if err != nil {
		return err
	}
	m.logger.Info("Google Safe Browsing on", "lists", strings.Join(threatTypes(cfg.SafeBrowsingLists), ","),
		"refresh", cfg.SafeBrowsingEvery)
	return nil
}

// threatList is the Safe Browsing client as the checker takes it: a nil
// interface, not a nil pointer, when it is off.
func (m *Main) threatList() abuse.ThreatList {
	if m.safebrowsing == nil {
		return nil
	}
	return m.safebrowsing
}

func threatTypes(lists []string) []string {
	if len(lists) == 0 {
		return safebrowsing.DefaultThreatTypes
	}
	return lists
}

// safeBrowsingSetting is what the admin settings page shows: whether it
// is on and which lists, never the key.
func safeBrowsingSetting(cfg Config) string {
	if cfg.SafeBrowsingKey == "" || !cfg.Safety {
		return "off"
	}
	return "on: " + strings.Join(threatTypes(cfg.SafeBrowsingLists), ", ") + ", updated every " + shortDuration(cfg.SafeBrowsingEvery)
}

// safeBrowsingClientVersion names this build in the requests.
func safeBrowsingClientVersion() string {
	if version != "" {
		return version
	}
	return "devel"
}

// defaultSafeBrowsingEvery is the update period Google's own clients use.
const defaultSafeBrowsingEvery = 30 * time.Minute
