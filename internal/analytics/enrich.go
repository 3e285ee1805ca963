package analytics

import (
	"context"
	"log/slog"
	"strings"

	useragent "github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"

	"tiny/internal/tiny"
)

// EnricherConfig configures an Enricher.
type EnricherConfig struct {
	// GeoIPPath is a MaxMind-format database (GeoIP2 or GeoLite2 City or
	// Country). Empty: every click's country is "unknown".
	GeoIPPath string

	// Secrets keeps the daily secrets of the visitor hash; nodes that share
	// a store count a visitor once. Required: SettingSecrets(store) in
	// production, a MemorySecretStore in tests.
	Secrets SecretStore

	// IPv6Prefix is the prefix length an IPv6 visitor is counted on: one
	// network of that size is one visitor (0: 64, as rate limits).
	IPv6Prefix int

	Logger *slog.Logger // nil: slog.Default()
}

// Enricher turns a raw Click into an anonymised tiny.ClickEvent: visitor
// kind, browser, OS and device from the user agent, the referrer's host,
// the country and city of the IP, and the visitor hash. The IP itself goes
// into no field, cache or log.
//
// An Enricher is not safe for concurrent use: it belongs to the one click
// worker goroutine, so its caches (user agents, referrer hosts, geo places,
// daily secrets) need no lock.
type Enricher struct {
	parser   *useragent.Parser
	agents   map[string]agentInfo
	hosts    map[string]string
	geo      *geoDB // nil without a database
	visitors *VisitorHasher
}

// The caches are bounded, and emptied when full: agents and referrer hosts
// repeat a lot, so they fill again quickly with the common ones.
const (
	maxAgents = 10_000
	maxHosts  = 10_000
	// maxCachedAgentLen keeps huge (often forged) agents out of the cache,
	// so it holds at most a few megabytes.
	maxCachedAgentLen = 512
)

// NewEnricher opens the GeoIP database, if any, and returns an Enricher.
// Close it when done. Errors: invalid when Secrets is nil, IPv6Prefix is
// out of range or the database cannot be opened.
func NewEnricher(cfg EnricherConfig) (*Enricher, error) {
	visitors, err := NewVisitorHasher(cfg.Secrets, cfg.IPv6Prefix, cfg.Logger)
	if err != nil {
		return nil, err
	}
	e := &Enricher{
		parser:   useragent.NewParser(),
		agents:   make(map[string]agentInfo),
		hosts:    make(map[string]string),
		visitors: visitors,
	}
	if cfg.GeoIPPath != "" {
		if e.geo, err = openGeoDB(cfg.GeoIPPath); err != nil {
			return nil, tiny.Errorf(tiny.Invalid, "geoip database %s: %v", cfg.GeoIPPath, err)
		}
	}
	return e, nil
}

// Close releases the GeoIP database.
func (e *Enricher) Close() error {
	if e.geo == nil {
		return nil
	}
	return e.geo.Close()
}

// Rotate destroys the visitor secrets of the days before yesterday; see
// VisitorHasher.Rotate. Call it from the worker goroutine.
func (e *Enricher) Rotate(ctx context.Context) error { return e.visitors.Rotate(ctx) }

// Enrich returns the event of c.
func (e *Enricher) Enrich(c Click) tiny.ClickEvent {
	a := e.agent(c.UserAgent)
	ev := tiny.ClickEvent{
		LinkID:   c.LinkID,
		At:       c.At,
		Kind:     a.kind,
		Visitor:  e.visitors.Hash(c.At, c.IP, c.UserAgent),
		Referrer: e.referrer(c.Referrer),
		Country:  unknownPlace,
		Browser:  a.browser,
		OS:       a.os,
		Device:   a.device,
		Counted:  c.Counted,
	}
	if e.geo != nil {
		ev.Country, ev.City = e.geo.lookup(c.IP)
	}
	return ev
}

// agentInfo is what a user agent tells.
type agentInfo struct {
	kind                tiny.VisitorKind
	browser, os, device string
}

func (e *Enricher) agent(ua string) agentInfo {
	if a, ok := e.agents[ua]; ok {
		return a
	}
	a := classifyAgent(e.parser, ua)
	if len(ua) <= maxCachedAgentLen {
		if len(e.agents) >= maxAgents {
			clear(e.agents)
		}
		// A copy, so the cache never pins the memory of a request.
		e.agents[strings.Clone(ua)] = a
	}
	return a
}

// botMarkers are lower-case fragments of the agents of crawlers, monitors,
// headless browsers and HTTP libraries that go-useragent does not flag.
var botMarkers = []string{
	// crawlers and their generic names
	"bot/", "bot;", "bot)", "bot-", "bot_", "bot+", "spider", "crawl", "slurp", "scrapy",
	"archiver", "facebot",
	// headless browsers, audits, monitors
	"headless", "phantomjs", "lighthouse", "pagespeed", "ptst/", "gtmetrix", "pingdom",
	"uptime", "statuscake", "monitor", "preview",
	// HTTP clients and libraries
	"curl", "wget", "python-requests", "python-urllib", "python-httpx", "aiohttp", "httpx",
	"go-http-client", "okhttp", "java/", "apache-httpclient", "libwww-perl", "lwp::",
	"httpie", "axios/", "node-fetch", "undici", "got (", "postmanruntime", "insomnia",
	"guzzlehttp", "ruby", "faraday", "dart:io", "reqwest", "winhttp", "powershell",
}

// tvMarkers are lower-case fragments of television agents that go-useragent
// misses or takes for phones.
var tvMarkers = []string{
	"smart-tv", "smarttv", "smart tv", "hbbtv", "web0s", "webos", "netcast", "crkey",
	"roku", "googletv", "google tv", "android tv", "appletv", "apple tv", "bravia", "; aft",
}

// classifyAgent tells the kind, browser, OS and device of a user agent.
// Previewers come first, as go-useragent takes most of them for bots; then
// bots: what go-useragent flags, an empty agent, the markers above, and
// agents that neither look like a browser ("Mozilla/…" or "Opera/…") nor
// name one.
func classifyAgent(p *useragent.Parser, ua string) agentInfo {
	parsed := p.Parse(ua)
	a := agentInfo{
		kind:    tiny.VisitorHuman,
		browser: orUnknown(string(parsed.Browser())),
		os:      orUnknown(string(parsed.OS())),
		device:  deviceName(parsed.Device()),
	}
	lower := strings.ToLower(ua)
	// Cubot phones ("CUBOT_X30") are no bots.
	botLower := strings.ReplaceAll(lower, "cubot", "cu-phone")
	switch {
	case IsPreviewBot(ua):
		a.kind = tiny.VisitorPreview
	case parsed.IsBot() || strings.TrimSpace(ua) == "" || containsAny(botLower, botMarkers) ||
		parsed.Browser() == "" && !strings.HasPrefix(lower, "mozilla/") && !strings.HasPrefix(lower, "opera/"):
		a.kind = tiny.VisitorBot
	}
	if a.kind != tiny.VisitorHuman {
		a.device = "bot"
		return a
	}
	switch {
	case containsAny(lower, tvMarkers):
		a.device = "tv"
	case parsed.OS() == agents.OSAndroid && a.device == "mobile" && !strings.Contains(lower, "mobile"):
		// Android tablets leave "Mobile" out of their agent.
		a.device = "tablet"
	case a.device == "bot":
		// Not flagged above, so a person whose agent looks odd.
		a.device = "unknown"
	}
	return a
}

func deviceName(d agents.Device) string {
	switch d {
	case agents.DeviceDesktop:
		return "desktop"
	case agents.DeviceMobile:
		return "mobile"
	case agents.DeviceTablet:
		return "tablet"
	case agents.DeviceTV:
		return "tv"
	case agents.DeviceBot:
		return "bot"
	}
	return "unknown"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// directReferrer is the referrer of a click that came from no page.
const directReferrer = "direct"

// referrer returns the host of a referrer URL, lower case, without port or
// user info, or "direct" when there is none. Path and query are dropped:
// they can carry personal data. The result shares no memory with ref.
func (e *Enricher) referrer(ref string) string {
	raw, bracketed, ok := referrerHost(ref)
	if !ok {
		return directReferrer
	}
	if h, ok := e.hosts[raw]; ok {
		return h
	}
	h := directReferrer
	if validHost(raw, bracketed) {
		h = strings.Clone(strings.ToLower(raw))
	}
	if len(e.hosts) >= maxHosts {
		clear(e.hosts)
	}
	e.hosts[strings.Clone(raw)] = h
	return h
}

// referrerHost returns the host part of an absolute URL
// (scheme://[userinfo@]host[:port][/path]), without brackets for an IPv6
// literal, and whether there is one.
func referrerHost(ref string) (host string, bracketed, ok bool) {
	ref = strings.TrimSpace(ref)
	i := strings.Index(ref, "://")
	if i <= 0 || !validScheme(ref[:i]) {
		return "", false, false
	}
	auth := ref[i+3:]
	if end := strings.IndexAny(auth, "/?#\\"); end >= 0 {
		auth = auth[:end]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	if strings.HasPrefix(auth, "[") {
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return "", false, false
		}
		host, bracketed = auth[1:end], true
	} else {
		host = auth
		if c := strings.LastIndexByte(host, ':'); c >= 0 {
			host = host[:c]
		}
		host = strings.TrimSuffix(host, ".")
	}
	return host, bracketed, host != ""
}

// validScheme reports whether s is a URL scheme (RFC 3986 §3.1).
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c):
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// validHost reports whether h is a plausible host name (letters, digits,
// '-', '_' and dots, as browsers send them, internationalised names in
// punycode) or, bracketed, an IPv6 address.
func validHost(h string, bracketed bool) bool {
	if len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case isLetter(c), '0' <= c && c <= '9', c == '.':
		case !bracketed && (c == '-' || c == '_'):
		case bracketed && c == ':':
		default:
			return false
		}
	}
	return true
}

// AgentNamer names the browser of a user agent for people, as "Firefox on
// Linux": the label of a session in the account page, which so keeps no
// more of the agent than a person needs to recognise the device.
type AgentNamer struct{ p *useragent.Parser }

// NewAgentNamer builds the parser once; Name is safe for concurrent use.
func NewAgentNamer() *AgentNamer { return &AgentNamer{p: useragent.NewParser()} }

// Name returns "Browser on OS", or what of it is known; "" for an agent
// that names neither, or a bot's.
func (n *AgentNamer) Name(ua string) string {
	a := classifyAgent(n.p, ua)
	if a.kind != tiny.VisitorHuman {
		return ""
	}
	browser, os := a.browser, a.os
	switch {
	case browser != "unknown" && os != "unknown":
		return browser + " on " + os
	case browser != "unknown":
		return browser
	case os != "unknown":
		return "a browser on " + os
	}
	return ""
}
