package web

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
)

const (
	firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
	iphone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	slack   = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
	curl    = "curl/8.5.0"
)

// TestStatsAreExact sends N human, M bot and P preview visits through the
// real server, on the fast path and the slow one, and checks that the
// statistics say exactly that.
func TestStatsAreExact(t *testing.T) {
	e := newEnv(t)
	fast := e.create(e.adminKey, map[string]any{"url": "https://example.com/stats"})
	slow := e.create(e.adminKey, map[string]any{"url": "https://example.com/stats-slow", "max_clicks": 1000})
	const humans, bots, previews = 23, 7, 4
	for _, l := range []map[string]any{fast, slow} {
		path := "/" + l["code"].(string)
		for i := 0; i < humans; i++ {
			ua, ref := firefox, "https://news.ycombinator.com/item?id=1"
			if i%3 == 0 {
				ua, ref = iphone, ""
			}
			e.visit("GET", path, "User-Agent", ua, "Referer", ref)
		}
		for i := 0; i < bots; i++ {
			e.visit("GET", path, "User-Agent", curl)
		}
		for i := 0; i < previews; i++ {
			e.visit("GET", path, "User-Agent", slack)
		}
	}
	e.flushClicks()
	for _, l := range []map[string]any{fast, slow} {
		code := l["code"].(string)
		r := e.do("GET", "/api/v1/links/"+code+"/stats", e.adminKey, nil)
		st := r.json(t)
		totals := st["totals"].(map[string]any)
		want := map[string]float64{"clicks": humans, "bot_clicks": bots, "previews": previews, "unique_visitors": 2}
		for k, v := range want {
			if totals[k] != v {
				t.Errorf("stats of %s: totals.%s = %v, want %v", code, k, totals[k], v)
			}
		}
		if got := sumSeries(st); got != humans {
			t.Errorf("stats of %s: the series adds up to %v, want %d humans", code, got, humans)
		}
		if top := first(st, "referrers"); top["value"] != "news.ycombinator.com" || top["clicks"] != float64(humans-8) {
			t.Errorf("stats of %s: top referrer = %v, want news.ycombinator.com with %d", code, top, humans-8)
		}
		if top := first(st, "browsers"); top["value"] != "Firefox" {
			t.Errorf("stats of %s: top browser = %v, want Firefox", code, top)
		}
		withBots := e.do("GET", "/api/v1/links/"+code+"/stats?include_bots=true", e.adminKey, nil).json(t)
		if got := sumSeries(withBots); got != humans+bots {
			t.Errorf("stats of %s with bots: the series adds up to %v, want %d", code, got, humans+bots)
		}
		// A click-limited link counts every redirect that used up a click,
		// bots included (else a bot's user agent would open it forever);
		// only previews are free.
		wantCounter := int64(humans)
		if l["max_clicks"] != nil {
			wantCounter = humans + bots
		}
		got, _ := e.store.LinkByID(t.Context(), mustDecode(t, e, code))
		if got.Clicks != wantCounter {
			t.Errorf("link %s clicks counter = %d, want %d", code, got.Clicks, wantCounter)
		}
	}
	all := e.do("GET", "/api/v1/stats?interval=hour", e.adminKey, nil).json(t)["totals"].(map[string]any)
	if all["clicks"] != float64(2*humans) || all["bot_clicks"] != float64(2*bots) {
		t.Errorf("instance totals = %v, want %d clicks and %d bot clicks", all, 2*humans, 2*bots)
	}
	user := e.newKey("stats-user", "user")
	if r := e.do("GET", "/api/v1/stats", user, nil); r.status != 403 {
		t.Errorf("instance stats for a user key = %d, want 403", r.status)
	}
	if r := e.do("GET", "/api/v1/links/"+fast["code"].(string)+"/stats", user, nil); r.status != 404 {
		t.Errorf("stats of another owner's link = %d, want 404", r.status)
	}
}

func TestStatsQueryRefusals(t *testing.T) {
	e := newEnv(t)
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/q"})
	base := "/api/v1/links/" + l["code"].(string) + "/stats?"
	for _, tt := range []struct{ query, field string }{
		{"from=yesterday", "from"},
		{"to=2026-13-01T00:00:00Z", "to"},
		{"from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"},
		{"interval=minute", "interval"},
		{"tz=Mars/Olympus", "tz"},
		{"include_bots=maybe", "include_bots"},
		{"interval=hour&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "interval"},
	} {
		r := e.doRaw("GET", base+tt.query, e.adminKey, nil)
		if r.status != 400 || r.errorField() != tt.field {
			t.Errorf("GET stats?%s = %d field %q, want 400 on %s", tt.query, r.status, r.errorField(), tt.field)
		}
	}
	r := e.do("GET", base+"interval=day&tz=Europe/Amsterdam&from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z", e.adminKey, nil)
	st := r.json(t)
	series := st["series"].([]any)
	if len(series) != 31 || series[0].(map[string]any)["start"] != "2026-03-01T00:00:00+01:00" {
		t.Errorf("a March series in Amsterdam = %d points from %v, want 31 from 2026-03-01T00:00:00+01:00", len(series), series[0])
	}
}

func TestClicksCSV(t *testing.T) {
	e := newEnv(t)
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/csv"})
	code := l["code"].(string)
	for i := 0; i < 5; i++ {
		e.visit("GET", "/"+code, "User-Agent", firefox, "Referer", fmt.Sprintf("https://blog.example.org/post/%d?utm=secret", i))
	}
	e.visit("GET", "/"+code, "User-Agent", curl)
	e.flushClicks()
	r := e.do("GET", "/api/v1/links/"+code+"/clicks.csv", e.adminKey, nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET clicks.csv = %d %s", r.status, r.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || strings.Join(rows[0], ",") != "time,kind,visitor,referrer,country,city,browser,os,device" {
		t.Fatalf("clicks.csv = %d rows with header %v, want 1 + 6", len(rows), rows[0])
	}
	kinds := map[string]int{}
	for _, row := range rows[1:] {
		kinds[row[1]]++
		if strings.Contains(strings.Join(row, ","), "/post/") || strings.Contains(strings.Join(row, ","), "utm") {
			t.Errorf("a CSV row keeps the referrer's path or query: %v", row)
		}
	}
	if kinds["human"] != 5 || kinds["bot"] != 1 {
		t.Errorf("clicks.csv kinds = %v, want 5 human and 1 bot", kinds)
	}
}

// TestNoIPAddressIsStored sends visits from a known address (through a
// trusted proxy header, and as the connection's own address) and then
// searches the database files and the logs for it.
func TestNoIPAddressIsStored(t *testing.T) {
	e := newEnv(t, trustLoopback)
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/private"})
	slow := e.create(e.adminKey, map[string]any{"url": "https://example.com/private-slow", "max_clicks": 10})
	const ip = "203.0.113.77"
	for _, code := range []string{l["code"].(string), slow["code"].(string)} {
		for i := 0; i < 5; i++ {
			e.visit("GET", "/"+code, "User-Agent", firefox, "X-Forwarded-For", "198.51.100.1, "+ip)
			e.visit("GET", "/"+code, "User-Agent", firefox)
		}
	}
	e.do("GET", "/api/v1/links", e.adminKey, nil, "X-Forwarded-For", ip)
	e.flushClicks()
	st := e.do("GET", "/api/v1/links/"+l["code"].(string)+"/stats", e.adminKey, nil).json(t)
	if v := st["totals"].(map[string]any)["unique_visitors"]; v != float64(2) {
		t.Fatalf("unique visitors = %v, want 2 (the proxied address and the direct one)", v)
	}
	forms := []string{ip, "127.0.0.1", string([]byte{203, 0, 113, 77})}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(e.dbPath + suffix)
		if err != nil {
			continue
		}
		for _, f := range forms {
			if strings.Contains(string(b), f) {
				t.Errorf("the database file tiny.db%s holds the address %q", suffix, url.QueryEscape(f))
			}
		}
	}
	for _, f := range forms[:2] {
		if strings.Contains(e.logs.String(), f) {
			t.Errorf("the logs hold the address %s", f)
		}
	}
}

func sumSeries(st map[string]any) float64 {
	var n float64
	for _, p := range st["series"].([]any) {
		n += p.(map[string]any)["clicks"].(float64)
	}
	return n
}

func first(st map[string]any, key string) map[string]any {
	list, _ := st[key].([]any)
	if len(list) == 0 {
		return nil
	}
	return list[0].(map[string]any)
}

func mustDecode(t *testing.T, e *env, code string) int64 {
	t.Helper()
	id, ok := e.links.Codec().Decode(code)
	if !ok {
		t.Fatalf("Decode(%s) failed", code)
	}
	return id
}
