package safebrowsing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tiny/internal/abuse/safebrowsing"
	"tiny/internal/abuse/safebrowsing/sbtest"
)

const testKey = "sb-test-key-5f3a9c"

// clock is a settable time for cache durations.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClient(t *testing.T, srv *sbtest.Server, clk *clock, log *bytes.Buffer) *safebrowsing.Client {
	t.Helper()
	cfg := safebrowsing.Config{Key: testKey, ServerURL: srv.URL, Now: clk.Now}
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	c, err := safebrowsing.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func update(t *testing.T, c *safebrowsing.Client) {
	t.Helper()
	if _, err := c.Update(context.Background()); err != nil {
		t.Fatalf("Update = %v", err)
	}
}

func lookup(t *testing.T, c *safebrowsing.Client, url string) (string, bool) {
	t.Helper()
	threat, ok, err := c.Lookup(context.Background(), url)
	if err != nil {
		t.Fatalf("Lookup(%q) = %v", url, err)
	}
	return threat, ok
}

func start(t *testing.T, rice bool) (*sbtest.Server, *clock) {
	srv := sbtest.NewServer(testKey)
	srv.Rice = rice
	t.Cleanup(srv.Close)
	return srv, &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
}

// A listed expression is confirmed by its full hash, and the confirmation
// sends 4-byte prefixes only.
func TestConfirmedMatch(t *testing.T) {
	for _, rice := range []bool{false, true} {
		t.Run(fmt.Sprintf("rice=%v", rice), func(t *testing.T) {
			srv, clk := start(t, rice)
			srv.Add("MALWARE", "some.example/unrelated")
			srv.Add("SOCIAL_ENGINEERING", "evil.example/")
			c := newClient(t, srv, clk, nil)
			update(t, c)
			const url = "https://login.evil.example/account/verify?user=alice"
			threat, ok := lookup(t, c, url)
			if !ok || threat != "SOCIAL_ENGINEERING" {
				t.Fatalf("Lookup(%q) = %q, %v; want SOCIAL_ENGINEERING, true", url, threat, ok)
			}
			if _, ok := lookup(t, c, "https://example.com/fine"); ok {
				t.Errorf("Lookup(unlisted) = listed")
			}
			bodies := srv.FindBodies()
			if len(bodies) != 1 {
				t.Fatalf("fullHashes:find requests = %d, want 1", len(bodies))
			}
			for _, word := range []string{"evil", "login", "alice", "account", "http"} {
				if strings.Contains(bodies[0], word) {
					t.Errorf("fullHashes:find body %s holds %q", bodies[0], word)
				}
			}
			var req safebrowsing.FindFullHashesRequest
			if err := json.Unmarshal([]byte(bodies[0]), &req); err != nil {
				t.Fatal(err)
			}
			for _, e := range req.ThreatInfo.ThreatEntries {
				if len(e.Hash) != 4 {
					t.Errorf("fullHashes:find sent a %d-byte hash, want 4-byte prefixes only", len(e.Hash))
				}
			}
		})
	}
}

// A prefix hit whose full hash the server does not list is no match.
func TestPrefixHitWithoutFullHash(t *testing.T) {
	srv, clk := start(t, false)
	srv.AddPrefixOnly("MALWARE", "collide.example/")
	c := newClient(t, srv, clk, nil)
	update(t, c)
	if threat, ok := lookup(t, c, "http://collide.example/"); ok {
		t.Errorf("Lookup(prefix-only) = %q, listed; want not listed", threat)
	}
	if _, finds := srv.Counts(); finds != 1 {
		t.Errorf("fullHashes:find requests = %d, want 1 (the prefix hit)", finds)
	}
	if reason, ok := c.Blocked("http://collide.example/x"); ok {
		t.Errorf("Blocked(prefix-only) = %q, true", reason)
	}
}

// A removal in a partial update unlists the URL at once: the prefix is no
// longer local, so nothing is asked.
func TestRemovalUnlists(t *testing.T) {
	for _, rice := range []bool{false, true} {
		t.Run(fmt.Sprintf("rice=%v", rice), func(t *testing.T) {
			srv, clk := start(t, rice)
			var many []string
			for i := range 500 {
				many = append(many, fmt.Sprintf("bad%d.example/", i))
			}
			srv.Add("MALWARE", many...)
			srv.Add("MALWARE", "evil.example/")
			c := newClient(t, srv, clk, nil)
			update(t, c)
			if _, ok := lookup(t, c, "http://evil.example/"); !ok {
				t.Fatal("listed URL not found")
			}
			srv.Remove("MALWARE", "evil.example/", "bad7.example/", "bad499.example/")
			srv.Add("MALWARE", "new.example/")
			update(t, c) // a partial update: removals by index, then additions, then the checksum
			if got := c.Lists()[0].Prefixes; got != 499 {
				t.Errorf("MALWARE prefixes after the update = %d, want 501-3+1", got)
			}
			_, before := srv.Counts()
			// The prefix is gone from the local list: no match, whatever
			// the cache holds, and nothing asked.
			if _, ok := lookup(t, c, "http://evil.example/"); ok {
				t.Error("Lookup(removed) = listed")
			}
			if _, after := srv.Counts(); after != before {
				t.Errorf("fullHashes:find requests for a removed prefix = %d, want none", after-before)
			}
			if _, ok := lookup(t, c, "http://new.example/"); !ok {
				t.Error("Lookup(added) = not listed")
			}
			if _, ok := lookup(t, c, "http://bad8.example/"); !ok {
				t.Error("Lookup(kept) = not listed")
			}
		})
	}
}

// Answers are cached for the durations the server sets: positive ones per
// full hash, negative ones per prefix.
func TestCacheDurations(t *testing.T) {
	srv, clk := start(t, false)
	srv.CacheDuration, srv.NegativeCacheDuration = 10*time.Minute, 2*time.Minute
	srv.Add("MALWARE", "evil.example/")
	srv.AddPrefixOnly("MALWARE", "collide.example/")
	c := newClient(t, srv, clk, nil)
	update(t, c)
	finds := func() int { _, f := srv.Counts(); return f }

	for range 3 {
		if _, ok := lookup(t, c, "http://evil.example/"); !ok {
			t.Fatal("not listed")
		}
		lookup(t, c, "http://collide.example/")
	}
	if got := finds(); got != 2 {
		t.Fatalf("fullHashes:find requests after 3 lookups of each = %d, want 2", got)
	}
	clk.Add(3 * time.Minute) // past the negative duration, within the positive one
	lookup(t, c, "http://evil.example/")
	lookup(t, c, "http://collide.example/")
	if got := finds(); got != 3 {
		t.Errorf("requests after the negative duration = %d, want 3 (the denied prefix asked again)", got)
	}
	clk.Add(8 * time.Minute) // past the positive duration
	if _, ok := lookup(t, c, "http://evil.example/"); !ok {
		t.Error("not listed after asking again")
	}
	if got := finds(); got != 4 {
		t.Errorf("requests after the positive duration = %d, want 4", got)
	}
}

// A checksum mismatch empties the list; the next update fetches it whole.
func TestChecksumMismatchResets(t *testing.T) {
	srv, clk := start(t, false)
	srv.Add("MALWARE", "evil.example/", "worse.example/")
	c := newClient(t, srv, clk, nil)
	update(t, c)
	srv.Add("MALWARE", "third.example/")
	srv.CorruptNextChecksum(1)
	if _, err := c.Update(context.Background()); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("Update with a wrong checksum = %v, want a checksum error", err)
	}
	if got := c.Lists()[0].Prefixes; got != 0 {
		t.Errorf("prefixes after a checksum mismatch = %d, want 0 (reset)", got)
	}
	update(t, c)
	if got := c.Lists()[0].Prefixes; got != 3 {
		t.Errorf("prefixes after the full update = %d, want 3", got)
	}
}

// When the confirmation fails, or the server's minimum wait forbids it,
// Lookup says so and Blocked does not block.
func TestUnconfirmed(t *testing.T) {
	srv, clk := start(t, false)
	srv.FindMinimumWait = time.Minute
	srv.Add("MALWARE", "evil.example/", "other.example/")
	c := newClient(t, srv, clk, nil)
	update(t, c)
	srv.FailNext(1)
	if _, ok, err := c.Lookup(context.Background(), "http://evil.example/"); ok || !errors.Is(err, safebrowsing.ErrUnconfirmed) {
		t.Errorf("Lookup with the server failing = %v, %v; want ErrUnconfirmed", ok, err)
	}
	if _, ok := lookup(t, c, "http://evil.example/"); !ok {
		t.Fatal("not listed once the server answers")
	}
	if _, ok, err := c.Lookup(context.Background(), "http://other.example/"); ok || !errors.Is(err, safebrowsing.ErrUnconfirmed) {
		t.Errorf("Lookup within the minimum wait = %v, %v; want ErrUnconfirmed", ok, err)
	}
	if _, ok := c.Blocked("http://other.example/"); ok {
		t.Error("Blocked(unconfirmed) = true")
	}
	clk.Add(time.Minute)
	if reason, ok := c.Blocked("http://other.example/"); !ok || reason != "Google Safe Browsing: MALWARE" {
		t.Errorf("Blocked after the minimum wait = %q, %v", reason, ok)
	}
}

// The API key goes in a header: failing requests log their error, and the
// log never holds the key.
func TestKeyNeverLogged(t *testing.T) {
	srv := sbtest.NewServer("another-key")
	defer srv.Close()
	var log syncBuffer
	c, err := safebrowsing.New(safebrowsing.Config{Key: testKey, ServerURL: srv.URL,
		Logger: slog.New(slog.NewTextHandler(&log, nil)), Backoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(log.String(), "update failed"); {
		if time.Now().After(deadline) {
			t.Fatal("no failed update logged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	got := log.String()
	if !strings.Contains(got, "API key not valid") {
		t.Errorf("log = %s, want the server's reason", got)
	}
	if strings.Contains(got, testKey) {
		t.Errorf("log holds the API key: %s", got)
	}
	if _, err := safebrowsing.New(safebrowsing.Config{}); err == nil {
		t.Error("New without a key = nil error")
	}
	for _, bad := range []string{"safebrowsing.googleapis.com", "ftp://example.com", "https://x.example/?key=1", "http://"} {
		if _, err := safebrowsing.New(safebrowsing.Config{Key: "k", ServerURL: bad}); err == nil {
			t.Errorf("New(ServerURL %q) = nil error", bad)
		}
	}
}

// syncBuffer is a log written and read from different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Added is called after an update that added prefixes, not after one that
// only removed or changed nothing.
func TestAddedCallback(t *testing.T) {
	srv, clk := start(t, false)
	calls := 0
	c, err := safebrowsing.New(safebrowsing.Config{Key: testKey, ServerURL: srv.URL, Now: clk.Now, Added: func() { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	srv.Add("MALWARE", "evil.example/")
	update(t, c)
	update(t, c)
	srv.Remove("MALWARE", "evil.example/")
	update(t, c)
	if calls != 1 {
		t.Errorf("Added calls = %d, want 1", calls)
	}
}

func TestMetrics(t *testing.T) {
	srv, clk := start(t, false)
	srv.Add("MALWARE", "evil.example/")
	c := newClient(t, srv, clk, nil)
	update(t, c)
	lookup(t, c, "http://evil.example/")
	lookup(t, c, "http://evil.example/")
	lookup(t, c, "http://fine.example/")
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetValue() + "}"
			}
			got[name] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"tiny_safebrowsing_confirmed_total": 2, "tiny_safebrowsing_full_hash_requests_total": 1,
		"tiny_safebrowsing_cache_hits_total": 1, "tiny_safebrowsing_lookups_total": 3,
		"tiny_safebrowsing_list_prefixes{MALWARE}": 1, "tiny_safebrowsing_list_prefixes{SOCIAL_ENGINEERING}": 0,
		"tiny_safebrowsing_updates_total": 1, "tiny_safebrowsing_update_errors_total": 0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("metric %s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if got["tiny_safebrowsing_last_update_timestamp_seconds"] != float64(clk.Now().Unix()) {
		t.Errorf("last update = %v, want the update's time", got["tiny_safebrowsing_last_update_timestamp_seconds"])
	}
}

// Blocked, the rescans' lookup, asks the server only about prefixes added
// within the recheck window: a rescan after each update does not ask again
// about every old prefix the links hit by chance. Lookup, the create
// path's, asks about every prefix hit.
func TestBlockedAsksOnlyAboutNewPrefixes(t *testing.T) {
	srv, clk := start(t, false)
	srv.NegativeCacheDuration = time.Minute
	srv.AddPrefixOnly("MALWARE", "old.example/")
	c, err := safebrowsing.New(safebrowsing.Config{Key: testKey, ServerURL: srv.URL, Now: clk.Now, RecheckWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	update(t, c)
	finds := func() int { _, f := srv.Counts(); return f }
	c.Blocked("http://old.example/")
	if got := finds(); got != 1 {
		t.Fatalf("requests for a prefix of the first update = %d, want 1", got)
	}
	clk.Add(2 * time.Hour) // past the window and the negative cache
	srv.Add("MALWARE", "new.example/")
	update(t, c)
	if _, ok := c.Blocked("http://old.example/"); ok || finds() != 1 {
		t.Errorf("Blocked(old prefix) asked again: %d requests, want 1", finds())
	}
	if reason, ok := c.Blocked("http://new.example/"); !ok || finds() != 2 {
		t.Errorf("Blocked(new prefix) = %q, %v after %d requests; want listed after 2", reason, ok, finds())
	}
	if _, ok := lookup(t, c, "http://old.example/"); ok || finds() != 3 {
		t.Errorf("Lookup(old prefix) made %d requests, want 3: creates always ask", finds())
	}
}

// Concurrent lookups that need the same prefixes confirmed share one
// request: a burst of creates to one new URL asks Google once.
func TestConcurrentLookupsShareARequest(t *testing.T) {
	srv, clk := start(t, false)
	srv.Add("MALWARE", "burst.example/")
	c := newClient(t, srv, clk, nil)
	update(t, c)
	srv.FindGate = make(chan struct{})
	var wg sync.WaitGroup
	listed := make(chan bool, 20)
	for range 20 {
		wg.Go(func() {
			_, ok, err := c.Lookup(context.Background(), "https://burst.example/")
			listed <- ok && err == nil
		})
	}
	time.Sleep(100 * time.Millisecond) // let them reach the request; late ones find the cache
	close(srv.FindGate)
	wg.Wait()
	close(listed)
	for ok := range listed {
		if !ok {
			t.Error("a concurrent lookup did not find the listed URL")
		}
	}
	if _, finds := srv.Counts(); finds != 1 {
		t.Errorf("fullHashes:find requests for 20 concurrent lookups = %d, want 1", finds)
	}
}

// A confirmed match is trusted for 30 minutes at most, whatever cache
// duration the server sets: the terms allow blocking only on information
// from Google of the last 30 minutes.
func TestPositiveCacheAtMostThirtyMinutes(t *testing.T) {
	srv, clk := start(t, false)
	srv.CacheDuration = 2 * time.Hour
	srv.Add("MALWARE", "evil.example/")
	c := newClient(t, srv, clk, nil)
	update(t, c)
	lookup(t, c, "http://evil.example/")
	clk.Add(29 * time.Minute)
	lookup(t, c, "http://evil.example/")
	if _, finds := srv.Counts(); finds != 1 {
		t.Fatalf("requests within 30 minutes = %d, want 1", finds)
	}
	clk.Add(2 * time.Minute)
	if _, ok := lookup(t, c, "http://evil.example/"); !ok {
		t.Error("not listed")
	}
	if _, finds := srv.Counts(); finds != 2 {
		t.Errorf("requests after 31 minutes = %d, want 2", finds)
	}
}
