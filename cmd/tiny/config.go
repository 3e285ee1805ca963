package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"tiny/internal/clientaddr"
	"tiny/internal/ratelimit"
)

// Config is the whole configuration of `tiny serve`, built from flags and
// environment variables and passed down; nothing reads globals.
type Config struct {
	Addr                  string
	Database              string
	BaseURL               string
	InitialAPIKey         string
	LogLevel              string
	LogFormat             string
	ConfigFile            string // settings file; SIGHUP re-reads its log-level
	CacheSize             int
	CacheTTL              time.Duration
	IDBlockSize           int64
	ClickQueue            int
	ClickBatch            int
	ClickFlush            time.Duration
	ReadTimeout           time.Duration
	WriteTimeout          time.Duration
	IdleTimeout           time.Duration
	ShutdownTimeout       time.Duration
	MaxBodyBytes          int
	TrustProxy            proxiesFlag
	IPv6Prefix            ipv6PrefixFlag
	GeoIPDB               string
	ClickRetention        time.Duration
	Analytics             bool
	BackgroundLowPriority bool
	ClickProcess          bool
	DebugAddr             string
	Redis                 string
	RateIP                limitFlag
	RateKey               limitFlag
	RateCreate            limitFlag
	RateReport            limitFlag
	RatePasswordIP        limitFlag
	RatePasswordLink      limitFlag
	Blocklists            stringsFlag
	Allowlists            stringsFlag
	BlocklistEvery        time.Duration
	Safety                bool
	BlockThreshold        float64
	ReviewThreshold       float64
	// AllowPrivateDestinations lets links lead to loopback, private and
	// link-local hosts (intranet shorteners); metadata stays refused.
	AllowPrivateDestinations bool
	// How far tiny looks past a destination (cmd/tiny/follow.go).
	FollowConfig

	// Google Safe Browsing (cmd/tiny/safebrowsing.go); off without a key.
	SafeBrowsingKey   string
	SafeBrowsingURL   string
	SafeBrowsingLists stringsFlag
	SafeBrowsingEvery time.Duration

	// Sign-in (cmd/tiny/signin.go).
	SessionIdle      time.Duration
	SessionLifetime  time.Duration
	SecretKeyFile    string // the secret of recovery codes and known devices; default one in the settings
	Require2FA       bool
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCSecretFile   string
	OIDCDomains      stringsFlag
	OIDCRoleClaim    string
	OIDCRoleMap      stringsFlag // claim value=role
	OIDCDefaultRole  string
	OIDCAllowSignUp  bool
	OIDCAssumeEmail  bool
}

// DefaultConfig is the zero-configuration start: an SQLite file in the
// working directory, served on the loopback interface.
func DefaultConfig() Config {
	return Config{
		Addr:                  "127.0.0.1:8080",
		Database:              "tiny.db",
		LogLevel:              "info",
		LogFormat:             "text",
		CacheSize:             100_000,
		CacheTTL:              10 * time.Minute,
		IDBlockSize:           1000,
		ClickQueue:            1 << 16,
		ClickFlush:            time.Second,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ShutdownTimeout:       20 * time.Second,
		MaxBodyBytes:          16 << 20,
		IPv6Prefix:            clientaddr.DefaultIPv6Prefix,
		ClickRetention:        90 * 24 * time.Hour,
		Analytics:             true,
		BackgroundLowPriority: true,
		ClickProcess:          true,
		RateIP:                limitFlag{Rate: 1200, Period: time.Minute, Burst: 300},
		RateKey:               limitFlag{Rate: 1200, Period: time.Minute, Burst: 300},
		RateCreate:            limitFlag{Rate: 600, Period: time.Minute, Burst: 1000},
		RateReport:            limitFlag{Rate: 20, Period: time.Hour, Burst: 5},
		RatePasswordIP:        limitFlag{Rate: 10, Period: time.Minute, Burst: 5},
		RatePasswordLink:      limitFlag{Rate: 30, Period: time.Minute, Burst: 10},
		BlocklistEvery:        15 * time.Minute,
		Safety:                true,
		FollowConfig:          FollowConfig{ResolveChains: true, ScanEvery: 24 * time.Hour},
		SafeBrowsingEvery:     defaultSafeBrowsingEvery,
		SessionIdle:           7 * 24 * time.Hour,
		SessionLifetime:       30 * 24 * time.Hour,
		OIDCDefaultRole:       "member",
	}
}

func (c *Config) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on")
	fs.StringVar(&c.Database, "database", c.Database, "SQLite file path, or a postgres:// URL for the cluster store")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL short links are built on (default http://<addr>)")
	fs.StringVar(&c.InitialAPIKey, "initial-api-key", c.InitialAPIKey, "secret of the admin key created on the first start (default random, printed once)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.ConfigFile, "config", c.ConfigFile, "file of settings, one \"flag-name value\" per line; flags and the environment outrank it; SIGHUP re-reads its log-level")
	fs.IntVar(&c.CacheSize, "cache-size", c.CacheSize, "links held in the redirect cache")
	fs.DurationVar(&c.CacheTTL, "cache-ttl", c.CacheTTL, "how long a link stays in the redirect cache")
	fs.Int64Var(&c.IDBlockSize, "id-block", c.IDBlockSize, "link ids leased from the store at a time")
	fs.IntVar(&c.ClickQueue, "click-queue", c.ClickQueue, "clicks queued in memory at most; more are dropped and counted")
	fs.IntVar(&c.ClickBatch, "click-batch", c.ClickBatch, "clicks written per batch at most (0: 50000 through the click writer process, 10000 in this process)")
	fs.DurationVar(&c.ClickFlush, "click-flush", c.ClickFlush, "longest a click waits before it is written; a crash loses at most this much")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "time to read a whole request")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "time to write a response; also the most a bulk create or a password hash may work")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "time an idle keep-alive connection is kept")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "time in-flight requests get to finish on SIGTERM")
	fs.IntVar(&c.MaxBodyBytes, "max-body", c.MaxBodyBytes, "largest request body in bytes")
	fs.StringVar(&c.GeoIPDB, "geoip-db", c.GeoIPDB, "MaxMind-format database (GeoLite2/GeoIP2 City or Country) for click countries (default none: \"unknown\")")
	fs.DurationVar(&c.ClickRetention, "click-retention", c.ClickRetention, "how long raw click events are kept; statistics are kept for good (0 keeps everything)")
	fs.BoolVar(&c.Analytics, "analytics", c.Analytics, "record clicks; false turns click capture off")
	fs.BoolVar(&c.BackgroundLowPriority, "low-priority-background", c.BackgroundLowPriority, "run click writes and blocklist rescans on threads of the lowest OS priority, with CPU time redirects leave (Linux)")
	fs.BoolVar(&c.ClickProcess, "click-process", c.ClickProcess, "on SQLite, write clicks from a child process (at the lowest OS priority with --low-priority-background), so that writing them never holds up a redirect; false writes them in this process")
	fs.StringVar(&c.DebugAddr, "debug-addr", c.DebugAddr, "address for Go's profiler (/debug/pprof/); keep it private (default off)")
	fs.Var(&c.TrustProxy, "trust-proxy", "addresses or CIDR networks of the proxies in front (comma-separated, repeatable): from them, the client is the rightmost X-Forwarded-For address not in this list (default none: the socket's address)")
	fs.Var(&c.IPv6Prefix, "ipv6-prefix", "prefix length an IPv6 client is rate-limited and counted as a visitor on: one network of this size is one client (32..128)")
	fs.StringVar(&c.Redis, "redis", c.Redis, "redis:// URL: share rate limits across the nodes of a cluster (default per node)")
	fs.Var(&c.RateIP, "rate-ip", "API calls per client address: RATE/PERIOD[:BURST], or off")
	fs.Var(&c.RateKey, "rate-key", "API calls per API key: RATE/PERIOD[:BURST], or off")
	fs.Var(&c.RateCreate, "rate-create", "links created per API key: RATE/PERIOD[:BURST], or off")
	fs.Var(&c.RateReport, "rate-report", "abuse reports per client address: RATE/PERIOD[:BURST], or off")
	fs.Var(&c.RatePasswordIP, "rate-password-ip", "link password guesses per client address, over every link: RATE/PERIOD[:BURST], or off")
	fs.Var(&c.RatePasswordLink, "rate-password-link", "password guesses per link, from every address: RATE/PERIOD[:BURST], or off")
	c.registerScreening(fs)
	fs.DurationVar(&c.BlocklistEvery, "blocklist-refresh", c.BlocklistEvery, "how often blocklist and allowlist feeds are reloaded; a blocklist change rescans every link")
	c.registerFollow(fs)
	c.registerSafeBrowsing(fs)
	c.registerSignIn(fs)
}

// registerScreening registers the flags of the check every new link goes
// through; tiny import takes them too, so imported links are screened as
// the server screens new ones.
func (c *Config) registerScreening(fs *pflag.FlagSet) {
	fs.Var(&c.Blocklists, "blocklist", "blocklist feed, a file path or an http(s) URL: domains, URLs or a hosts file (repeatable)")
	fs.Var(&c.Allowlists, "allowlist", "allowlist feed in the same formats: destinations on it are never flagged or refused by their score (repeatable)")
	fs.BoolVar(&c.Safety, "safety", c.Safety, "score every new link and refuse or flag unsafe ones; false turns the check off")
	fs.Float64Var(&c.BlockThreshold, "block-threshold", c.BlockThreshold, "score at or above which a new link is refused (default the model's, see docs/safety.md)")
	fs.Float64Var(&c.ReviewThreshold, "review-threshold", c.ReviewThreshold, "score at or above which a new link is flagged for review (default the model's)")
	fs.BoolVar(&c.AllowPrivateDestinations, "allow-private-destinations", c.AllowPrivateDestinations, "accept links to (and API imports from) loopback, private and link-local hosts, for intranets (cloud metadata addresses stay refused)")
}

// registerSignIn registers the flags of sign-in and sessions.
func (c *Config) registerSignIn(fs *pflag.FlagSet) {
	fs.DurationVar(&c.SessionIdle, "session-idle", c.SessionIdle, "a web session not used for this long ends")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", c.SessionLifetime, "a web session ends this long after sign-in, however much it is used")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile, "file of 32+ random bytes that key recovery-code hashes and known-device cookies; the same on every node (default a key kept in the database, see docs/operations.md)")
	fs.BoolVar(&c.Require2FA, "require-2fa", c.Require2FA, "admins and moderators must set up two-factor sign-in before anything else")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", c.OIDCIssuer, "OpenID Connect issuer URL for single sign-on (default off)")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", c.OIDCClientID, "OpenID Connect client id")
	fs.StringVar(&c.OIDCClientSecret, "oidc-client-secret", c.OIDCClientSecret, "OpenID Connect client secret (prefer --oidc-client-secret-file)")
	fs.StringVar(&c.OIDCSecretFile, "oidc-client-secret-file", c.OIDCSecretFile, "file holding the OpenID Connect client secret")
	fs.Var(&c.OIDCDomains, "oidc-allowed-domains", "e-mail domains that may sign in by single sign-on, comma-separated (default any: only for a provider whose users are all yours)")
	fs.StringVar(&c.OIDCRoleClaim, "oidc-role-claim", c.OIDCRoleClaim, "ID token claim with the user's roles or groups, e.g. groups or realm_access.roles (default none: everyone gets the default role)")
	fs.Var(&c.OIDCRoleMap, "oidc-role-map", "claim value=tiny role, comma-separated, e.g. tiny-admins=admin,tiny-mods=moderator")
	fs.StringVar(&c.OIDCDefaultRole, "oidc-default-role", c.OIDCDefaultRole, "role of a single sign-on user no claim value maps")
	fs.BoolVar(&c.OIDCAllowSignUp, "oidc-allow-signup", c.OIDCAllowSignUp, "create an account on a first single sign-on; otherwise an admin creates it first")
	fs.BoolVar(&c.OIDCAssumeEmail, "oidc-assume-email-verified", c.OIDCAssumeEmail, "accept an e-mail address without the email_verified claim (Entra ID); only with a single-tenant issuer")
}

// baseURL returns the parsed base URL, defaulting to http://<addr>.
func (c *Config) baseURL() (*url.URL, error) {
	raw := c.BaseURL
	if raw == "" {
		raw = "http://" + c.Addr
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--base-url %q must be an absolute http or https URL", raw)
	}
	return u, nil
}

// ownHosts are the host[:port] values that reach this instance; links to
// them are refused as redirect loops. A loopback one stands for every
// loopback spelling (tiny.URLPolicy); listening on every interface adds
// the addresses of each.
func (c *Config) ownHosts(base *url.URL) []string {
	hosts := []string{base.Host}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return hosts
	}
	ip := net.ParseIP(host)
	if host != "" && (ip == nil || !ip.IsUnspecified()) {
		return append(hosts, net.JoinHostPort(host, port))
	}
	hosts = append(hosts, net.JoinHostPort("localhost", port))
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			hosts = append(hosts, net.JoinHostPort(n.IP.String(), port))
		}
	}
	return hosts
}

// stringsFlag is a flag that may be given several times. From the
// environment it takes a comma-separated list.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }
func (s *stringsFlag) Type() string   { return "list" }

func (s *stringsFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

// limitFlag is a rate limit on the command line: "600/1m:100" is 600 per
// minute with bursts of 100 (the burst defaults to the rate); "off" is none.
type limitFlag ratelimit.Limit

func (l *limitFlag) String() string {
	if l == nil || ratelimit.Limit(*l).IsZero() {
		return "off"
	}
	return fmt.Sprintf("%d/%s:%d", l.Rate, shortDuration(l.Period), l.Burst)
}

func (l *limitFlag) Type() string { return "limit" }

func (l *limitFlag) Set(v string) error {
	if v == "off" || v == "0" {
		*l = limitFlag{}
		return nil
	}
	ratePart, burstPart, hasBurst := strings.Cut(v, ":")
	n, per, ok := strings.Cut(ratePart, "/")
	if !ok {
		return fmt.Errorf("want RATE/PERIOD[:BURST] like 600/1m:100, or off")
	}
	rate, err := strconv.Atoi(n)
	if err != nil {
		return fmt.Errorf("rate %q is not a number", n)
	}
	period, err := time.ParseDuration(per)
	if err != nil {
		return fmt.Errorf("period %q: %v", per, err)
	}
	burst := rate
	if hasBurst {
		if burst, err = strconv.Atoi(burstPart); err != nil {
			return fmt.Errorf("burst %q is not a number", burstPart)
		}
	}
	lim := ratelimit.Limit{Rate: rate, Period: period, Burst: burst}
	if err := lim.Validate(); err != nil {
		return err
	}
	*l = limitFlag(lim)
	return nil
}

// shortDuration prints 1m rather than 1m0s, and 1h rather than 1h0m0s;
// only zero units go, so 30m stays 30m and 10s stays 10s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// proxiesFlag is --trust-proxy: the addresses and networks of the trusted
// proxies, comma-separated or given again. It was a boolean once: "false"
// still means none, and "true" (which trusted whoever connected) is refused
// with a message that says what to give instead.
type proxiesFlag []netip.Prefix

func (p *proxiesFlag) String() string {
	if p == nil {
		return ""
	}
	parts := make([]string, len(*p))
	for i, pr := range *p {
		parts[i] = pr.String()
	}
	return strings.Join(parts, ",")
}

func (p *proxiesFlag) Type() string { return "proxies" }

func (p *proxiesFlag) Set(v string) error {
	switch strings.TrimSpace(v) {
	case "", "false":
		*p = nil
		return nil
	case "true":
		return errors.New(`list the proxies' addresses or networks instead, e.g. --trust-proxy 127.0.0.1 or 10.0.0.0/8,::1 ("true" trusted every client's X-Forwarded-For)`)
	}
	if strings.HasPrefix(v, "-") {
		return fmt.Errorf("%q is a flag: --trust-proxy takes the proxies' addresses or networks, e.g. --trust-proxy 127.0.0.1", v)
	}
	for _, part := range strings.Split(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		pr, err := clientaddr.ParseProxy(part)
		if err != nil {
			return err
		}
		*p = append(*p, pr)
	}
	return nil
}

// ipv6PrefixFlag is --ipv6-prefix, a prefix length in
// clientaddr.MinIPv6Prefix..clientaddr.MaxIPv6Prefix.
type ipv6PrefixFlag int

func (f *ipv6PrefixFlag) String() string {
	if f == nil {
		return ""
	}
	return strconv.Itoa(int(*f))
}

func (f *ipv6PrefixFlag) Type() string { return "prefix" }

func (f *ipv6PrefixFlag) Set(v string) error {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(v), "/"))
	if err != nil {
		return fmt.Errorf("%q is not a prefix length like 64", v)
	}
	if err := clientaddr.CheckIPv6Prefix(n); err != nil {
		return err
	}
	*f = ipv6PrefixFlag(n)
	return nil
}
