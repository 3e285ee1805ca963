package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"tiny/internal/abuse/follow"
	"tiny/internal/tiny"
)

// FollowConfig is the part of Config that says how far tiny looks past a
// destination (internal/abuse/follow, docs/safety.md "The real
// destination").
type FollowConfig struct {
	ResolveChains    bool
	Redirectors      stringsFlag
	ScanDestinations bool
	ScanEvery        time.Duration
	FollowResolve    resolveFlag
}

// registerFollow registers the flags of FollowConfig.
func (c *FollowConfig) registerFollow(fs *pflag.FlagSet) {
	fs.BoolVar(&c.ResolveChains, "resolve-chains", c.ResolveChains, "follow the redirects of links to known shorteners and redirectors in the background and score every hop; false sends nothing out for them")
	fs.Var(&c.Redirectors, "redirector", "host of a link shortener or redirector whose links are followed, besides the built-in list (repeatable, comma-separated; covers subdomains)")
	fs.BoolVar(&c.ScanDestinations, "scan-destinations", c.ScanDestinations, "fetch every new link's landing page (no JavaScript, size and time limits) and read phishing signals from it")
	fs.DurationVar(&c.ScanEvery, "scan-every", c.ScanEvery, "how often every active link is followed again: its redirect chain, and with --scan-destinations its landing page, so a page swapped after the create is caught; 0 never")
	fs.Var(&c.FollowResolve, "follow-resolve", "HOST:PORT=ADDRESS:PORT: connect there instead of resolving HOST when following links, like curl --resolve; trusted even when private (repeatable)")
}

// startFollower builds the follower of new links' destinations and
// returns the hook the link service calls after each create; nil when the
// safety check is off or there is nothing to follow. Only serve starts it
// (runFollower): tiny import, which builds the same services, leaves it
// idle.
func (m *Main) startFollower() (func(*tiny.Link), error) {
	cfg := m.Config
	if m.checker == nil || !cfg.ResolveChains && !cfg.ScanDestinations {
		return nil, nil
	}
	client, err := follow.NewClient(follow.ClientConfig{Resolve: cfg.FollowResolve.m})
	if err != nil {
		return nil, fmt.Errorf("--follow-resolve: %w", err)
	}
	m.follower = follow.New(follow.Config{
		Client: client, Checker: m.checker, Links: m.store,
		// m.links exists by the time anything is followed: the hook is
		// called by it.
		Block: func(ctx context.Context, id int64, score float64, reason string) (*tiny.Link, error) {
			return m.links.Block(ctx, id, score, reason)
		},
		Flag: func(ctx context.Context, id int64, score float64, reason string) (*tiny.Link, error) {
			return m.links.Flag(ctx, id, score, reason)
		},
		ResolveChains: cfg.ResolveChains,
		ScanPages:     cfg.ScanDestinations,
		Redirectors:   follow.NewRedirectors(cfg.Redirectors),
		ScanEvery:     cfg.ScanEvery,
		LowPriority:   cfg.BackgroundLowPriority,
		Logger:        m.logger,
	})
	return m.follower.Enqueue, nil
}

// runFollower starts the follower, if any, as background work and returns
// its metrics.
func (m *Main) runFollower() []prometheus.Collector {
	if m.follower == nil {
		return nil
	}
	cfg := m.Config
	m.logger.Info("following destinations", "resolve_chains", cfg.ResolveChains, "scan_destinations", cfg.ScanDestinations,
		"scan_every", cfg.ScanEvery.String())
	m.goBackground(m.follower.Run)
	return []prometheus.Collector{m.follower}
}

// resolveFlag is --follow-resolve: HOST:PORT=ADDRESS:PORT, repeatable.
type resolveFlag struct {
	m    map[string]string
	list []string
}

func (r *resolveFlag) String() string { return strings.Join(r.list, ",") }
func (r *resolveFlag) Type() string   { return "host:port=address:port" }

func (r *resolveFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%q: want HOST:PORT=ADDRESS:PORT, like go.example.net:80=127.0.0.1:8081", part)
		}
		if _, _, err := net.SplitHostPort(from); err != nil {
			return fmt.Errorf("%q: %s is not HOST:PORT", part, from)
		}
		if _, err := netip.ParseAddrPort(to); err != nil {
			return fmt.Errorf("%q: %s is not an ADDRESS:PORT like 127.0.0.1:8081 or [::1]:8081", part, to)
		}
		if r.m == nil {
			r.m = map[string]string{}
		}
		r.m[strings.ToLower(from)] = to
		r.list = append(r.list, part)
	}
	return nil
}
