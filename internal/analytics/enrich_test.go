package analytics

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	useragent "github.com/medama-io/go-useragent"

	"tiny/internal/tiny"
)

// agentTests are user agents as browsers, apps, crawlers, tools and link
// previewers send them, with what Enrich must make of them.
var agentTests = []struct {
	name, ua            string
	kind                tiny.VisitorKind
	browser, os, device string
}{
	// People: desktop browsers.
	{"Chrome Windows", uaChrome, tiny.VisitorHuman, "Chrome", "Windows", "desktop"},
	{"Chrome macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", tiny.VisitorHuman, "Chrome", "MacOS", "desktop"},
	{"Chrome Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", tiny.VisitorHuman, "Chrome", "Linux", "desktop"},
	{"Chrome ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", tiny.VisitorHuman, "Chrome", "ChromeOS", "desktop"},
	{"Firefox Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", tiny.VisitorHuman, "Firefox", "Windows", "desktop"},
	{"Firefox Ubuntu", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", tiny.VisitorHuman, "Firefox", "Linux", "desktop"},
	{"Safari macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", tiny.VisitorHuman, "Safari", "MacOS", "desktop"},
	{"Edge Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", tiny.VisitorHuman, "Edge", "Windows", "desktop"},
	{"Opera Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0", tiny.VisitorHuman, "Opera", "Windows", "desktop"},
	{"Yandex Browser", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36", tiny.VisitorHuman, "Yandex Browser", "Windows", "desktop"},
	{"Vivaldi", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Vivaldi/6.7.3329.21", tiny.VisitorHuman, "Vivaldi", "Windows", "desktop"},
	{"IE 11", "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko", tiny.VisitorHuman, "IE", "Windows", "desktop"},
	{"Slack desktop app", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.38.115 Chrome/124.0.6367.60 Electron/30.0.1 Safari/537.36 Sonic Slack_SSB/4.38.115", tiny.VisitorHuman, "Safari", "MacOS", "desktop"},

	// People: phones and tablets.
	{"Chrome Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", tiny.VisitorHuman, "Chrome", "Android", "mobile"},
	{"Chrome Android tablet", "Mozilla/5.0 (Linux; Android 12; SM-T970) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", tiny.VisitorHuman, "Chrome", "Android", "tablet"},
	{"Chrome iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", tiny.VisitorHuman, "Chrome", "iOS", "mobile"},
	{"Firefox Android", "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", tiny.VisitorHuman, "Firefox", "Android", "mobile"},
	{"Firefox Android tablet", "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0", tiny.VisitorHuman, "Firefox", "Android", "tablet"},
	{"Safari iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", tiny.VisitorHuman, "Safari", "iOS", "mobile"},
	{"Safari iPad", "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", tiny.VisitorHuman, "Safari", "iOS", "tablet"},
	{"Edge Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.50", tiny.VisitorHuman, "Edge", "Android", "mobile"},
	{"Samsung Internet", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", tiny.VisitorHuman, "Samsung Browser", "Android", "mobile"},
	{"Cubot phone", "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", tiny.VisitorHuman, "Chrome", "Android", "mobile"},
	{"Instagram in-app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 326.0.3.21.104 (iPhone15,2; iOS 17_4; en_US; en; scale=3.00; 1179x2556; 587398577)", tiny.VisitorHuman, "Safari", "iOS", "mobile"},
	{"Facebook in-app Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230805.019; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/458.0.0.54.108;]", tiny.VisitorHuman, "Chrome", "Android", "mobile"},
	{"WhatsApp in-app", "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/128.0.0.0 Mobile Safari/537.36 WhatsApp/2.24.18.78", tiny.VisitorHuman, "Chrome", "Android", "mobile"},
	{"Google app iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/300.0.598994205 Mobile/15E148 Safari/604.1", tiny.VisitorHuman, "Safari", "iOS", "mobile"},

	// People: televisions and consoles.
	{"Samsung TV", "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36", tiny.VisitorHuman, "Samsung Browser", "Linux", "tv"},
	{"LG webOS TV", "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager", tiny.VisitorHuman, "unknown", "unknown", "tv"},
	{"Fire TV", "Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7633) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", tiny.VisitorHuman, "Chrome", "Android", "tv"},
	{"PlayStation 5", "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15", tiny.VisitorHuman, "Safari", "unknown", "tv"},

	// Bots: crawlers, tools, libraries.
	{"empty", "", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"blank", "   ", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"curl", "curl/8.5.0", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"wget", "Wget/1.21.4", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"python-requests", "python-requests/2.31.0", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"Python urllib", "Python-urllib/3.11", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"Go", "Go-http-client/2.0", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"okhttp", "okhttp/4.12.0", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"axios", "axios/1.6.8", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"HTTPie", "HTTPie/3.2.2", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"Feedly", "Feedly/1.0 (+https://feedly.com/poller.html; 16 subscribers; )", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"Googlebot smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.155 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", tiny.VisitorBot, "Chrome", "Android", "bot"},
	{"bingbot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", tiny.VisitorBot, "Chrome", "unknown", "bot"},
	{"HeadlessChrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36", tiny.VisitorBot, "Chrome", "Linux", "bot"},
	{"Baiduspider", "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"Bytespider", "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.0.0 Safari/537.36", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"GPTBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", tiny.VisitorBot, "Safari", "unknown", "bot"},
	{"ClaudeBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)", tiny.VisitorBot, "Safari", "unknown", "bot"},
	{"AhrefsBot", "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", tiny.VisitorBot, "unknown", "unknown", "bot"},
	{"Lighthouse", "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", tiny.VisitorBot, "Chrome", "Android", "bot"},
	{"PhantomJS", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.60 Safari/537.36 PhantomJS/2.1.1", tiny.VisitorBot, "Chrome", "Linux", "bot"},
	{"UptimeRobot", "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", tiny.VisitorBot, "unknown", "unknown", "bot"},

	// Link previewers.
	{"Slackbot", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", tiny.VisitorPreview, "unknown", "unknown", "bot"},
	{"Facebook", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", tiny.VisitorPreview, "unknown", "unknown", "bot"},
	{"Twitterbot", "Twitterbot/1.0", tiny.VisitorPreview, "unknown", "unknown", "bot"},
	{"WhatsApp", "WhatsApp/2.23.20.0 A", tiny.VisitorPreview, "unknown", "unknown", "bot"},
	{"Discordbot", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", tiny.VisitorPreview, "unknown", "unknown", "bot"},
	{"TelegramBot", "TelegramBot (like TwitterBot)", tiny.VisitorPreview, "unknown", "unknown", "bot"},
	{"LinkedInBot", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", tiny.VisitorPreview, "unknown", "unknown", "bot"},
	{"iMessage", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0", tiny.VisitorPreview, "Safari", "MacOS", "bot"},
	{"Skype and Teams", "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com", tiny.VisitorPreview, "unknown", "Windows", "bot"},
}

func TestClassifyAgent(t *testing.T) {
	p := useragent.NewParser()
	kinds := map[tiny.VisitorKind]int{}
	for _, tt := range agentTests {
		got := classifyAgent(p, tt.ua)
		want := agentInfo{kind: tt.kind, browser: tt.browser, os: tt.os, device: tt.device}
		if got != want {
			t.Errorf("%s: classifyAgent(%q) = %+v, want %+v", tt.name, tt.ua, got, want)
		}
		kinds[tt.kind]++
	}
	if len(agentTests) < 40 || kinds[tiny.VisitorHuman] < 10 || kinds[tiny.VisitorBot] < 10 || kinds[tiny.VisitorPreview] < 5 {
		t.Errorf("the table has %d agents (%v), want at least 40 covering every kind", len(agentTests), kinds)
	}
}

func TestEnrichAgent(t *testing.T) {
	e := newTestEnricher(t, "")
	for range 2 { // the second round is served from the cache
		for _, tt := range agentTests {
			ev := e.Enrich(Click{LinkID: 1, At: time.Now(), IP: netip.MustParseAddr("192.0.2.1"), UserAgent: tt.ua})
			if ev.Kind != tt.kind || ev.Browser != tt.browser || ev.OS != tt.os || ev.Device != tt.device {
				t.Errorf("%s: Enrich(UserAgent %q) = kind %q, browser %q, os %q, device %q, want %q, %q, %q, %q",
					tt.name, tt.ua, ev.Kind, ev.Browser, ev.OS, ev.Device, tt.kind, tt.browser, tt.os, tt.device)
			}
		}
	}
}

func TestAgentCacheBounded(t *testing.T) {
	e := newTestEnricher(t, "")
	for i := range maxAgents + 10 {
		e.agent(fmt.Sprintf("%s extra/%d", uaChrome, i))
	}
	if n := len(e.agents); n > maxAgents {
		t.Errorf("len(agents) = %d, want at most %d", n, maxAgents)
	}
	clear(e.agents)
	huge := uaChrome + strings.Repeat(" x", maxCachedAgentLen)
	if got := e.agent(huge); got.browser != "Chrome" {
		t.Errorf("agent(huge Chrome agent).browser = %q, want Chrome", got.browser)
	}
	if n := len(e.agents); n != 0 {
		t.Errorf("len(agents) after a %d-byte agent = %d, want 0 (not cached)", len(huge), n)
	}
}

func TestReferrer(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"", "direct"},
		{"   ", "direct"},
		{"https://www.google.com/", "www.google.com"},
		{"https://www.google.com", "www.google.com"},
		{"https://WWW.Example.COM/Some/Path?q=secret#frag", "www.example.com"},
		{"http://example.com:8080/x", "example.com"},
		{"https://user:password@example.com/private", "example.com"},
		{"https://user@example.com:443", "example.com"},
		{"https://example.com?email=someone@example.org", "example.com"},
		{"https://example.com#x@evil.test", "example.com"},
		{"https://example.com.:443/", "example.com"},
		{"https://t.co/abc123", "t.co"},
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com", "l.facebook.com"},
		{"android-app://com.slack/", "com.slack"},
		{"android-app://com.google.android.gm", "com.google.android.gm"},
		{"ios-app://1234/com.example", "1234"},
		{"http://192.0.2.7:8000/page", "192.0.2.7"},
		{"http://[2001:DB8::1]:8080/page", "2001:db8::1"},
		{"https://xn--bcher-kva.example/", "xn--bcher-kva.example"},
		{"https://my_host.internal/", "my_host.internal"},
		{"https://example.com\\@evil.test/", "example.com"},
		// Unparsable or without a host.
		{"example.com/path", "direct"},
		{"//example.com/path", "direct"},
		{"about:blank", "direct"},
		{"https://", "direct"},
		{"https:///path", "direct"},
		{"https://:8080/", "direct"},
		{"https://user@/", "direct"},
		{"https://[2001:db8::1/", "direct"},
		{"https://exa mple.com/", "direct"},
		{"https://exa%6dple.com/", "direct"},
		{"https://exämple.com/", "direct"},
		{"1https://example.com/", "direct"},
		{"ht tp://example.com/", "direct"},
		{"://example.com/", "direct"},
		{"https://" + strings.Repeat("a", 254) + "/", "direct"},
	}
	e := newTestEnricher(t, "")
	for range 2 { // the second round is served from the cache
		for _, tt := range tests {
			if got := e.referrer(tt.ref); got != tt.want {
				t.Errorf("referrer(%q) = %q, want %q", tt.ref, got, tt.want)
			}
		}
	}
	for raw := range e.hosts {
		if strings.ContainsAny(raw, "/?#@") {
			t.Errorf("host cache key %q holds more than a host", raw)
		}
	}
}

// TestEnrichKeepsNoIP checks that no field of an event, and nothing the
// Enricher keeps, holds the visitor's IP in any spelling.
func TestEnrichKeepsNoIP(t *testing.T) {
	e := newTestEnricher(t, writeTestGeoDB(t))
	for _, s := range []string{"192.0.2.123", "2001:db8::7", "::ffff:192.0.2.123", "203.0.113.45", "8.8.4.4", "10.9.8.7"} {
		ip := netip.MustParseAddr(s)
		ev := e.Enrich(Click{
			LinkID: 42, At: time.Now(), IP: ip, UserAgent: uaChrome,
			Referrer: "https://news.example.com/article?id=7",
		})
		forms := []string{ip.String(), ip.Unmap().String(), ip.StringExpanded(), ip.Unmap().StringExpanded()}
		texts := []string{fmt.Sprintf("%+v", ev), fmt.Sprintf("%#v", ev), fmt.Sprint(ev.Visitor), fmt.Sprintf("%x", ev.Visitor)}
		v := reflect.ValueOf(ev)
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.String {
				texts = append(texts, f.String())
			}
		}
		for _, text := range texts {
			for _, form := range forms {
				if strings.Contains(text, form) {
					t.Errorf("Enrich(IP %s) = %+v: %q holds the IP", s, ev, text)
				}
			}
		}
		if ev.Referrer != "news.example.com" {
			t.Errorf("Enrich(IP %s).Referrer = %q, want news.example.com", s, ev.Referrer)
		}
		for k, v := range e.hosts {
			for _, form := range forms {
				if strings.Contains(k, form) || strings.Contains(v, form) {
					t.Errorf("host cache %q: %q holds the IP %s", k, v, form)
				}
			}
		}
		for k := range e.agents {
			for _, form := range forms {
				if strings.Contains(k, form) {
					t.Errorf("agent cache key %q holds the IP %s", k, form)
				}
			}
		}
		h := e.visitors
		if scratch := h.msg[:cap(h.msg)]; strings.Trim(string(scratch), "\x00") != "" {
			t.Errorf("the hasher's scratch holds %x after Enrich(IP %s), want zeros", scratch, s)
		}
	}
}

func TestEnrichEvent(t *testing.T) {
	e := newTestEnricher(t, writeTestGeoDB(t))
	at := time.Now().UTC()
	c := Click{
		LinkID:    7,
		At:        at,
		IP:        netip.MustParseAddr("192.0.2.200"),
		UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
		Referrer:  "android-app://com.slack/",
	}
	got := e.Enrich(c)
	want := tiny.ClickEvent{
		LinkID: 7, At: at, Kind: tiny.VisitorHuman,
		Visitor:  e.visitors.Hash(at, c.IP, c.UserAgent),
		Referrer: "com.slack", Country: "NL", City: "Amsterdam",
		Browser: "Safari", OS: "iOS", Device: "mobile",
	}
	if got != want {
		t.Errorf("Enrich(%+v) = %+v, want %+v", c, got, want)
	}
	if got.Visitor == 0 {
		t.Errorf("Enrich(%+v).Visitor = 0, want a hash", c)
	}
}

func newTestEnricher(tb testing.TB, geoIPPath string) *Enricher {
	tb.Helper()
	e, err := NewEnricher(EnricherConfig{GeoIPPath: geoIPPath, Secrets: NewMemorySecretStore(), Logger: quietLogger})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

// benchAgents is a mix of 50 agents roughly as a short link sees them:
// mostly phones and desktop browsers, some in-app browsers, previewers and
// crawlers.
var benchAgents = func() []string {
	var uas []string
	for _, tt := range agentTests {
		uas = append(uas, tt.ua)
	}
	return uas[:50]
}()

var benchReferrers = []string{
	"", "", "", "https://t.co/abc123", "https://www.google.com/", "android-app://com.slack/",
	"https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com&h=AT0", "https://news.ycombinator.com/item?id=1",
	"https://www.linkedin.com/feed/", "https://mail.example.com/inbox/123",
}

// BenchmarkEnrich enriches clicks from a mix of 50 repeated agents, 10
// referrers and IPs in the test database, the steady state of a worker.
// BenchmarkEnrich/unseen-agents makes every agent new, the worst case.
func BenchmarkEnrich(b *testing.B) {
	ips := []netip.Addr{
		netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.77"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8:1::9"),
		netip.MustParseAddr("81.2.69.142"), netip.MustParseAddr("203.0.113.5"),
		netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("10.0.0.1"),
	}
	path := writeTestGeoDB(b)
	now := time.Now()
	clicks := make([]Click, 1000)
	for i := range clicks {
		clicks[i] = Click{
			LinkID: int64(i % 37), At: now, IP: ips[i%len(ips)],
			UserAgent: benchAgents[(i*7)%len(benchAgents)],
			Referrer:  benchReferrers[(i*3)%len(benchReferrers)],
		}
	}

	b.Run("repeated-agents", func(b *testing.B) {
		e := newTestEnricher(b, path)
		var sink tiny.ClickEvent
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink = e.Enrich(clicks[i%len(clicks)])
		}
		_ = sink
	})

	b.Run("unseen-agents", func(b *testing.B) {
		e := newTestEnricher(b, path)
		unseen := make([]Click, 2*maxAgents)
		for i := range unseen {
			unseen[i] = clicks[i%len(clicks)]
			unseen[i].UserAgent = fmt.Sprintf("%s rv/%d", unseen[i].UserAgent, i)
		}
		var sink tiny.ClickEvent
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink = e.Enrich(unseen[i%len(unseen)])
		}
		_ = sink
	})
}

func TestAgentNamer(t *testing.T) {
	n := NewAgentNamer()
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                                  "Firefox on Linux",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"curl/8.5.0": "",
		"":           "",
	} {
		if got := n.Name(ua); got != want {
			t.Errorf("Name(%q) = %q, want %q", ua, got, want)
		}
	}
}
