package importer

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const apiToken = "s3cret-apiToken-value"

// fakeAPI is a local server that answers as another shortener's API does,
// from the fixtures, and records what it was asked.
type fakeAPI struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

// newFakeAPI serves answer(r), which returns a status and a fixture file
// name (or a body when it starts with '{' or is not a file name).
func newFakeAPI(t *testing.T, answer func(r *http.Request) (int, string)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r)
		f.mu.Unlock()
		status, body := answer(r)
		if strings.HasSuffix(body, ".json") {
			b, err := os.ReadFile("testdata/" + body)
			if err != nil {
				t.Error(err)
			}
			body = strings.ReplaceAll(string(b), "{{base}}", f.URL)
		}
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) asked() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// waits records the waits between tries instead of sleeping.
type waits struct{ got []time.Duration }

func (w *waits) wait(_ context.Context, d time.Duration) error { w.got = append(w.got, d); return nil }

func (f *fakeAPI) config(w *waits) APIConfig {
	return APIConfig{BaseURL: f.URL, Token: apiToken, Wait: w.wait}
}

func TestShlinkAPI(t *testing.T) {
	api := newFakeAPI(t, func(r *http.Request) (int, string) {
		if r.Header.Get("X-Api-Key") != apiToken || r.URL.Path != "/rest/v3/short-urls" {
			return http.StatusUnauthorized, `{"title":"Invalid API key","status":401}`
		}
		return http.StatusOK, "shlink_page" + r.URL.Query().Get("page") + ".json"
	})
	r, err := NewShlinkAPI(api.config(&waits{}))
	if err != nil {
		t.Fatal(err)
	}
	recs, bad := readAll(t, r)
	if len(recs) != 3 || len(bad) != 0 || r.(Sized).Total() != 3 {
		t.Fatalf("ShlinkAPI = %d records, errors %v, total %d; want 3 of 3", len(recs), bad, r.(Sized).Total())
	}
	if n := len(api.asked()); n != 2 {
		t.Errorf("ShlinkAPI made %d requests, want 2 pages", n)
	}
	s := find(t, recs, "12C18")
	if s.URL != "https://store.steampowered.com" || s.Title != "Welcome to Steam" || s.Clicks != 328 || s.MaxClicks != 100 ||
		!slices.Equal(s.Tags, []string{"games", "tech"}) || !s.CreatedAt.Equal(utc("2016-08-21T18:34:16Z")) || !s.ForwardQuery || s.Row != 1 {
		t.Errorf("12C18 = %+v, want its fields", s)
	}
	if b := find(t, recs, "blog/2024"); b.Title != "" || b.ForwardQuery || b.Clicks != 7 {
		t.Errorf("blog/2024 = %+v, want no title, no query forwarding, 7 clicks", b)
	}
	if p := find(t, recs, "old-promo"); p.Clicks != 41 || p.ExpiresAt == nil || !p.ExpiresAt.Equal(utc("2019-12-31T22:59:59Z")) || p.Row != 3 {
		t.Errorf("old-promo = %+v, want visitsCount 41 and validUntil", p)
	}
}

func TestShlinkAPIImport(t *testing.T) {
	api := newFakeAPI(t, func(r *http.Request) (int, string) {
		return http.StatusOK, "shlink_page" + r.URL.Query().Get("page") + ".json"
	})
	r, _ := NewShlinkAPI(api.config(&waits{}))
	e := newEnv(t)
	var totals []int64
	sum := e.run(t, r, Options{Progress: func(done, total int64) { totals = append(totals, total) }})
	if sum.Imported != 2 || sum.Skipped[InvalidAlias] != 1 || skippedRow(t, sum, "blog/2024").Row != 2 {
		t.Errorf("Shlink import = %+v, want 2 imported and blog/2024 refused for its '/'", sum)
	}
	if l := e.link(t, "12C18"); l.ImportedClicks != 328 || l.Clicks != 0 || l.MaxClicks != 100 || l.ExpiresAt == nil {
		t.Errorf("12C18 = %+v, want 328 imported clicks kept apart, its limit used up", l)
	}
	if len(totals) == 0 || totals[len(totals)-1] != 3 {
		t.Errorf("Progress totals = %v, want the API's total 3", totals)
	}
}

func TestBitlyAPI(t *testing.T) {
	var summaries int
	api := newFakeAPI(t, func(r *http.Request) (int, string) {
		if r.Header.Get("Authorization") != "Bearer "+apiToken {
			return http.StatusForbidden, `{"message":"FORBIDDEN"}`
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/clicks/summary"):
			summaries++
			return http.StatusOK, `{"unit_reference":"2024-01-01T00:00:00+0000","total_clicks":120,"units":-1,"unit":"day"}`
		case r.URL.Path == "/v4/groups/Ba1bc23dE4F/bitlinks" && r.URL.Query().Get("page") == "2":
			return http.StatusOK, "bitly_page2.json"
		case r.URL.Path == "/v4/groups/Ba1bc23dE4F/bitlinks":
			return http.StatusOK, "bitly_page1.json"
		}
		return http.StatusNotFound, `{"message":"NOT_FOUND"}`
	})
	r, err := NewBitlyAPI(BitlyConfig{APIConfig: api.config(&waits{}), Group: "Ba1bc23dE4F", Clicks: true})
	if err != nil {
		t.Fatal(err)
	}
	recs, bad := readAll(t, r)
	if len(recs) != 3 || len(bad) != 0 || summaries != 2 {
		t.Fatalf("BitlyAPI = %d records, errors %v, %d click summaries; want 3 records of 2 links, 2 summaries", len(recs), bad, summaries)
	}
	a, custom, b := find(t, recs, "3xYzAbC"), find(t, recs, "spring-sale"), find(t, recs, "2AbCdEf")
	if a.URL != "https://shop.example.com/spring?utm_source=bitly" || custom.URL != a.URL || a.Clicks != 120 || custom.Clicks != 0 ||
		a.Title != "Spring sale" || !a.CreatedAt.Equal(utc("2019-03-04T10:20:30Z")) || a.Redirect != 301 {
		t.Errorf("3xYzAbC = %+v, spring-sale = %+v; want one link under two names, clicks once", a, custom)
	}
	if b.Row != 2 || b.URL != "https://docs.example.com/start" {
		t.Errorf("2AbCdEf = %+v, want row 2 from the next page", b)
	}
}

// TestBitlyAPINextElsewhere: a next page on another host is not followed,
// so the apiToken never leaves for a host it was not meant for.
func TestBitlyAPINextElsewhere(t *testing.T) {
	other := newFakeAPI(t, func(*http.Request) (int, string) { return http.StatusOK, "bitly_page2.json" })
	api := newFakeAPI(t, func(*http.Request) (int, string) {
		return http.StatusOK, strings.Replace(mustRead(t, "bitly_page1.json"), "{{base}}", other.URL, 1)
	})
	r, _ := NewBitlyAPI(BitlyConfig{APIConfig: api.config(&waits{}), Group: "g"})
	_, err := readUntilError(r)
	if err == nil || !strings.Contains(err.Error(), "another host") || strings.Contains(err.Error(), apiToken) {
		t.Errorf("reading with a next page elsewhere = %v, want an error about another host, without the apiToken", err)
	}
	if n := len(other.asked()); n != 0 {
		t.Errorf("the other host got %d requests, want 0", n)
	}
}

// TestAPIRedirectElsewhere: a redirect to another host is not followed,
// so the key a header carries never reaches it.
func TestAPIRedirectElsewhere(t *testing.T) {
	other := newFakeAPI(t, func(*http.Request) (int, string) { return http.StatusOK, "kutt_page1.json" })
	api := httptest.NewServer(http.RedirectHandler(other.URL+"/api/v2/links", http.StatusFound))
	t.Cleanup(api.Close)
	r, err := OpenAPI("kutt-api", APIConfig{BaseURL: api.URL, Token: apiToken, Wait: (&waits{}).wait})
	if err != nil {
		t.Fatal(err)
	}
	_, err = readUntilError(r)
	if err == nil || !strings.Contains(err.Error(), "redirected to another host") || strings.Contains(err.Error(), apiToken) {
		t.Errorf("reading through a redirect elsewhere = %v, want an error about another host, without the key", err)
	}
	if n := len(other.asked()); n != 0 {
		t.Errorf("the other host got %d requests, want 0", n)
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readUntilError reads r to its end and returns how many records it gave
// and the error that ended it early.
func readUntilError(r Reader) (int, error) {
	recs, _, err := readRecords(r)
	return len(recs), err
}

func TestKuttAPI(t *testing.T) {
	api := newFakeAPI(t, func(r *http.Request) (int, string) {
		if r.Header.Get("X-API-KEY") != apiToken {
			return http.StatusUnauthorized, `{"error":"Unauthorized"}`
		}
		if r.URL.Query().Get("skip") == "0" {
			return http.StatusOK, "kutt_page1.json"
		}
		return http.StatusOK, "kutt_page2.json"
	})
	r, err := NewKuttAPI(api.config(&waits{}))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	sum := e.run(t, r, Options{})
	if sum.Imported != 2 || sum.Skipped[PasswordLink] != 1 || skippedRow(t, sum, "secret").Row != 2 || sum.BlockedCount != 1 {
		t.Errorf("Kutt import = %+v, want 2 imported, secret skipped for its password, promo blocked", sum)
	}
	asked := api.asked()
	if len(asked) != 2 || asked[1].URL.Query().Get("skip") != "2" || asked[1].URL.Query().Get("limit") != "50" {
		t.Errorf("Kutt requests = %d, second %v; want skip=2 limit=50 after the first page of 2", len(asked), asked)
	}
	if l := e.link(t, "handbook"); l.URL != "https://docs.example.com/" || l.Title != "The docs" || l.ImportedClicks != 77 {
		t.Errorf("handbook = %+v, want target, description and visit_count", l)
	}
	if l := e.link(t, "promo"); l.Status != "blocked" || !strings.Contains(l.Safety.Reason, "banned") || l.ExpiresAt == nil {
		t.Errorf("promo = %+v, want blocked as banned by Kutt, with its expiry", l)
	}
}

func TestYOURLSAPI(t *testing.T) {
	api := newFakeAPI(t, func(r *http.Request) (int, string) {
		q := r.URL.Query()
		if q.Get("signature") != apiToken || q.Get("action") != "stats" || q.Get("filter") != "last" || q.Get("format") != "json" {
			return http.StatusForbidden, `{"errorCode":403,"message":"Please log in","callback":""}`
		}
		return http.StatusOK, "yourls_stats.json"
	})
	r, err := NewYOURLSAPI(YOURLSConfig{APIConfig: api.config(&waits{})})
	if err != nil {
		t.Fatal(err)
	}
	recs, bad := readAll(t, r)
	var slugs []string
	for _, rec := range recs {
		slugs = append(slugs, rec.Slug)
	}
	if !slices.Equal(slugs, []string{"newest", "middle", "oldest"}) || len(bad) != 0 {
		t.Errorf("YOURLSAPI slugs = %q, errors %v; want newest, middle, oldest (link_10 last)", slugs, bad)
	}
	if o := find(t, recs, "oldest"); o.Clicks != 12 || o.URL != "https://example.com/oldest" || !o.CreatedAt.Equal(utc("2010-01-01T00:00:00Z")) {
		t.Errorf("oldest = %+v, want its fields", o)
	}
	if asked := api.asked(); len(asked) != 1 || asked[0].URL.Path != "/yourls-api.php" {
		t.Errorf("YOURLS requests = %v, want one to /yourls-api.php (fewer links than the page size)", asked)
	}
}

func TestYOURLSAPIPages(t *testing.T) {
	api := newFakeAPI(t, func(r *http.Request) (int, string) {
		start := r.URL.Query().Get("start")
		var links []string
		for i, n := range map[string][]string{"0": {"a", "b"}, "2": {"c"}}[start] {
			links = append(links, fmt.Sprintf(`"link_%d":{"shorturl":"https://y.test/%s","url":"https://example.com/%s","title":"","timestamp":"2020-01-01 00:00:00","ip":"::1","clicks":"1"}`, i+1, n, n))
		}
		return http.StatusOK, `{"links":{` + strings.Join(links, ",") + `},"stats":{"total_links":"3"},"statusCode":200}`
	})
	r, _ := NewYOURLSAPI(YOURLSConfig{APIConfig: api.config(&waits{}), PageSize: 2})
	recs, _ := readAll(t, r)
	if len(recs) != 3 || recs[2].Slug != "c" || recs[2].Row != 3 {
		t.Errorf("YOURLSAPI over pages of 2 = %d records, want 3 with c at row 3", len(recs))
	}
}

// TestAPIErrors: refused credentials end the import at once; rate limits
// and server errors are retried, with the server's Retry-After; a body
// that is not the JSON expected ends the import. No error carries the
// apiToken, which YOURLS sends in the query.
func TestAPIErrors(t *testing.T) {
	type answer struct {
		status int
		body   string
	}
	ok := answer{200, `{"links":{"link_1":{"shorturl":"https://y.test/a","url":"https://example.com/","timestamp":"2020-01-01 00:00:00","clicks":0}},"stats":{"total_links":1}}`}
	for _, tt := range []struct {
		name      string
		answers   []answer
		wantErr   string
		wantWaits []time.Duration
	}{
		{"unauthorized", []answer{{401, `{"errorCode":401}`}}, "credentials", nil},
		{"forbidden", []answer{{403, `{"errorCode":403}`}}, "credentials", nil},
		{"rate limited then fine", []answer{{429, `{}`}, ok}, "", []time.Duration{7 * time.Second}},
		{"server errors then fine", []answer{{502, ``}, {503, ``}, ok}, "", []time.Duration{time.Second, 2 * time.Second}},
		{"server errors throughout", []answer{{500, ``}, {500, ``}, {500, ``}, {500, ``}}, "after 4 tries", []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"malformed JSON", []answer{{200, `{"links": {"link_1": {`}}, "not the JSON expected", nil},
		{"not found", []answer{{404, `nope`}}, "404", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			i := 0
			api := newFakeAPI(t, func(*http.Request) (int, string) {
				mu.Lock()
				defer mu.Unlock()
				a := tt.answers[min(i, len(tt.answers)-1)]
				i++
				return a.status, a.body
			})
			w := &waits{}
			r, _ := NewYOURLSAPI(YOURLSConfig{APIConfig: api.config(w)})
			n, err := readUntilError(r)
			switch {
			case tt.wantErr == "" && (err != nil || n != 1):
				t.Errorf("read = %d records, %v; want 1, nil", n, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("read = %v, want an error containing %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), apiToken):
				t.Errorf("error %q carries the apiToken", err)
			}
			if !slices.Equal(w.got, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", w.got, tt.wantWaits)
			}
			if asked := len(api.asked()); asked != len(tt.answers) {
				t.Errorf("requests = %d, want %d", asked, len(tt.answers))
			}
		})
	}
}
