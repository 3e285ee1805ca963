package follow

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"tiny/internal/abuse/follow/followtest"

	"golang.org/x/crypto/bcrypt"

	"tiny/internal/abuse"
	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

// env is a real SQLite store, link service and safety check, and a local
// world of sites the follower reaches through its Resolve map.
type env struct {
	store *sqlite.DB
	links *shortener.Service
	owner *tiny.User
	mod   *tiny.User
	world *followtest.Sites
	check *abuse.Checker
}

var worldHosts = []string{"go.example.net", "phish.example.org", "www.example.com", "news.example.org", "down.example.net"}

func newEnv(t *testing.T, blocklist ...string) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	set := feed.SetOf("test-feed", blocklist...)
	e := &env{store: store, world: followtest.New(t)}
	e.check = abuse.NewChecker(abuse.CheckerConfig{Model: urlscore.Default(), Feeds: func() *feed.Set { return set }})
	e.links, err = shortener.New(ctx, store, shortener.Config{IDBlockSize: 100, PasswordCost: bcrypt.MinCost, Screener: e.check},
		func() []byte { return []byte("0123456789abcdef") })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.links.Close)
	e.owner = &tiny.User{Name: "owner", Role: tiny.RoleMember}
	e.mod = &tiny.User{Name: "mod", Role: tiny.RoleModerator}
	for _, u := range []*tiny.User{e.owner, e.mod} {
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// follower returns a follower of the env with cfg's switches.
func (e *env) follower(t *testing.T, cfg Config) *Follower {
	t.Helper()
	cfg.Client = newClient(t, ClientConfig{Resolve: e.world.Resolve(worldHosts...)})
	cfg.Checker, cfg.Links, cfg.Block, cfg.Flag = e.check, e.store, e.links.Block, e.links.Flag
	if cfg.Redirectors == nil {
		cfg.Redirectors = NewRedirectors([]string{"go.example.net"})
	}
	return New(cfg)
}

func (e *env) create(t *testing.T, url string) *tiny.Link {
	t.Helper()
	l, err := e.links.Create(t.Context(), accounts.As(e.owner), shortener.CreateInput{URL: url})
	if err != nil {
		t.Fatalf("Create(%s) = %v", url, err)
	}
	if l.Status != tiny.StatusActive {
		t.Fatalf("Create(%s) status = %s, want active (the test needs a URL the model lets through)", url, l.Status)
	}
	return l
}

func (e *env) link(t *testing.T, id int64) *tiny.Link {
	t.Helper()
	l, err := e.store.LinkByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// lastAudit returns the newest audit entry of link id.
func (e *env) lastAudit(t *testing.T, id int64) *tiny.AuditEntry {
	t.Helper()
	got, err := e.store.AuditLog(t.Context(), tiny.AuditFilter{LinkID: id, Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("AuditLog(link %d) = %v, %v; want an entry", id, got, err)
	}
	return got[0]
}

// TestFollowerBlocksAChainIntoABlocklistedPage: a shortener that leads to
// a listed page gets its link blocked by the system, the reason naming
// the hop.
func TestFollowerBlocksAChainIntoABlocklistedPage(t *testing.T) {
	e := newEnv(t, "phish.example.org")
	e.world.Set("go.example.net", redirect("http://phish.example.org/login", http.StatusFound))
	f := e.follower(t, Config{ResolveChains: true})
	l := e.create(t, "http://go.example.net/abc")
	v, err := f.Check(t.Context(), l)
	if err != nil || v.Status != tiny.StatusBlocked {
		t.Fatalf("Check = %+v, %v; want blocked", v, err)
	}
	if got := e.link(t, l.ID); got.Status != tiny.StatusBlocked || got.Safety.Auto != tiny.StatusBlocked {
		t.Errorf("link after Check = %s (auto %s), want blocked by the system", got.Status, got.Safety.Auto)
	}
	a := e.lastAudit(t, l.ID)
	if a.Action != tiny.ActionBlocked || a.ActorID != tiny.SystemActor ||
		!strings.Contains(a.Reason, "hop 1") || !strings.Contains(a.Reason, "phish.example.org") {
		t.Errorf("audit = %s by %d: %q; want a system block naming hop 1 and the listed host", a.Action, a.ActorID, a.Reason)
	}
	if f.stats.blocked.Load() != 1 || f.stats.hops.Load() != 1 {
		t.Errorf("stats blocked %d hops %d, want 1 and 1", f.stats.blocked.Load(), f.stats.hops.Load())
	}
}

// TestFollowerFlagsAnUnresolvableChain: a shortener that leads to the
// metadata service is not followed there, and its link goes to review.
func TestFollowerFlagsAnUnresolvableChain(t *testing.T) {
	e := newEnv(t)
	e.world.Set("go.example.net", redirect("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	f := e.follower(t, Config{ResolveChains: true})
	l := e.create(t, "http://go.example.net/abc")
	v, err := f.Check(t.Context(), l)
	if err != nil || v.Status != tiny.StatusFlagged {
		t.Fatalf("Check = %+v, %v; want flagged", v, err)
	}
	got := e.link(t, l.ID)
	if got.Status != tiny.StatusFlagged || got.Safety.Review != tiny.ReviewFlagged {
		t.Errorf("link after Check = %s, review %q; want flagged and in review", got.Status, got.Safety.Review)
	}
	if a := e.lastAudit(t, l.ID); a.Action != tiny.ActionFlagged || !strings.Contains(a.Reason, "could not be followed") ||
		!strings.Contains(a.Reason, "cloud metadata service") {
		t.Errorf("audit = %s: %q; want a flag saying the chain leads to a metadata service", a.Action, a.Reason)
	}
	if f.stats.refused.Load() != 1 {
		t.Errorf("stats refused = %d, want 1", f.stats.refused.Load())
	}
}

// TestFollowerScansPages: a brand login form on a foreign domain sends
// its link to review; a moderator's approval of that very page holds on
// the next scan, but a different page is flagged again. A page that
// cannot be fetched is no finding.
func TestFollowerScansPages(t *testing.T) {
	e := newEnv(t)
	e.world.Set("news.example.org", page("<title>Today's news</title>"))
	f := e.follower(t, Config{ScanPages: true})
	l := e.create(t, "http://news.example.org/today")
	if v, err := f.Check(t.Context(), l); err != nil || v.Status != tiny.StatusActive {
		t.Fatalf("Check(plain page) = %+v, %v; want active", v, err)
	}
	e.world.Set("news.example.org", page(brandLogin))
	v, err := f.Check(t.Context(), l)
	if err != nil || v.Status != tiny.StatusFlagged || !strings.Contains(v.Reason, "password form under the name of paypal") {
		t.Fatalf("Check(brand login) = %+v, %v; want flagged for a paypal password form", v, err)
	}
	if got := e.link(t, l.ID); got.Status != tiny.StatusFlagged {
		t.Fatalf("link after Check = %s, want flagged", got.Status)
	}
	if _, err := e.links.Decide(t.Context(), accounts.As(e.mod), l.Code, tiny.StatusActive, "a test page"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Check(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	if got := e.link(t, l.ID); got.Status != tiny.StatusActive {
		t.Errorf("link after an approval and the same page = %s, want active (the moderator saw this page)", got.Status)
	}
	e.world.Set("news.example.org", page(`<title>Microsoft 365</title><form action="https://collect.example.net/"><input type=password></form>`))
	if _, err := f.Check(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	if got := e.link(t, l.ID); got.Status != tiny.StatusFlagged || !strings.Contains(got.Safety.Reason, "microsoft") {
		t.Errorf("link after the page changed again = %s %q, want flagged for the new page", got.Status, got.Safety.Reason)
	}

	down := e.create(t, "http://www.example.com/gone")
	e.world.Set("www.example.com", func(rw http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	if v, err := f.Check(t.Context(), down); err != nil || v.Status != tiny.StatusActive {
		t.Errorf("Check(page that fails) = %+v, %v; want active", v, err)
	}
	if got := e.link(t, down.ID); got.Status != tiny.StatusActive {
		t.Errorf("link whose page failed = %s, want active", got.Status)
	}
}

// TestFollowerPageSignalsNeverBlock: every signal at once on a URL the
// model already doubts reaches review, not block.
func TestFollowerPageSignalsNeverBlock(t *testing.T) {
	block, review := abuse.NewChecker(abuse.CheckerConfig{Model: urlscore.Default()}).Thresholds()
	ch := &Chain{Hops: []Hop{{URL: "http://a.example/"}, {URL: "http://b.example/", Via: "meta refresh"}},
		Page: &Page{PasswordField: true, ForeignForm: "c.example", Brand: "paypal", ObfuscatedScript: true}}
	v := pageVerdict(ch, review, block, review)
	if v.Status != tiny.StatusFlagged || v.Score >= block {
		t.Errorf("pageVerdict(all signals) = %+v, want flagged below the block threshold %v", v, block)
	}
	ch.Page = &Page{PasswordField: true}
	if v := pageVerdict(ch, 0.01, block, review); v.Status != tiny.StatusActive {
		t.Errorf("pageVerdict(a password field and a meta refresh on a clean URL) = %+v, want active", v)
	}
}

// TestFollowerQueue: only destinations worth following are queued; a full
// queue drops and counts; a rescan queues the active links only; Run
// works the queue until its context ends.
func TestFollowerQueue(t *testing.T) {
	e := newEnv(t, "phish.example.org")
	f := e.follower(t, Config{ResolveChains: true, QueueSize: 1, Workers: 1})
	f.Enqueue(&tiny.Link{ID: 1, URL: "https://www.example.com/plain"})
	f.Enqueue(&tiny.Link{ID: 2, URL: "http://go.example.net/a"})
	f.Enqueue(&tiny.Link{ID: 3, URL: "https://bit.ly/b"})
	if q, d := f.stats.queued.Load(), f.stats.dropped.Load(); q != 1 || d != 1 {
		t.Errorf("after 3 enqueues (one plain, two shorteners) on a queue of 1: queued %d dropped %d, want 1 and 1", q, d)
	}

	e.world.Set("go.example.net", redirect("http://phish.example.org/login", http.StatusFound))
	e.world.Set("www.example.com", page("hello"))
	scanner := e.follower(t, Config{ScanPages: true, QueueSize: 10})
	active := e.create(t, "http://go.example.net/x")
	blocked := e.create(t, "http://www.example.com/y")
	if _, err := e.links.Block(t.Context(), blocked.ID, 1, "test"); err != nil {
		t.Fatal(err)
	}
	if n, err := scanner.Rescan(t.Context()); err != nil || n != 1 {
		t.Fatalf("Rescan = %d, %v; want the one active link queued", n, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { scanner.Run(ctx); close(done) }()
	for e.link(t, active.ID).Status != tiny.StatusBlocked {
		select {
		case <-done:
			t.Fatal("Run returned early")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	<-done
}

// TestFollowerSparesSecretDestinations: the landing page of a one-time or
// password link is never fetched, since one GET could spend a secret at
// the destination; a shortener in front of it is still resolved.
func TestFollowerSparesSecretDestinations(t *testing.T) {
	e := newEnv(t)
	e.world.Set("news.example.org", page(brandLogin))
	e.world.Set("go.example.net", redirect("http://news.example.org/secret", http.StatusFound))
	f := e.follower(t, Config{ScanPages: true, ResolveChains: true})
	one := int64(1)
	for _, in := range []shortener.CreateInput{
		{URL: "http://news.example.org/secret", MaxClicks: &one},
		{URL: "http://news.example.org/secret", Password: "correct horse"},
		{URL: "http://go.example.net/s", MaxClicks: &one},
	} {
		l, err := e.links.Create(t.Context(), accounts.As(e.owner), in)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := f.Check(t.Context(), l); err != nil || v.Status != tiny.StatusActive {
			t.Errorf("Check(%s, hidden destination) = %+v, %v; want active, the page unread", in.URL, v, err)
		}
	}
	for _, r := range e.world.Requests() {
		if strings.HasPrefix(r, "GET ") {
			t.Errorf("requests = %v, want no GET (HEAD of the chain only)", e.world.Requests())
			break
		}
	}
	if got := e.world.Requests(); !slices.Contains(got, "HEAD go.example.net/s") {
		t.Errorf("requests = %v, want the shortener resolved by HEAD", got)
	}
}

// TestFollowerRescanForgivesOutages: a shortener that cannot be reached
// sends a new link to review, but not a link a scheduled rescan queued:
// an outage must not flag every link to a shortener at once.
func TestFollowerRescanForgivesOutages(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	f := e.follower(t, Config{ResolveChains: true})
	f.cfg.Client = newClient(t, ClientConfig{Resolve: map[string]string{"go.example.net:80": closed}})
	old := e.create(t, "http://go.example.net/old")
	if v, err := f.check(t.Context(), old, true); err != nil || v.Status != tiny.StatusActive {
		t.Errorf("check(rescan, shortener down) = %+v, %v; want active", v, err)
	}
	if got := e.link(t, old.ID); got.Status != tiny.StatusActive {
		t.Errorf("link after a rescan during an outage = %s, want active", got.Status)
	}
	fresh := e.create(t, "http://go.example.net/new")
	if v, err := f.Check(t.Context(), fresh); err != nil || v.Status != tiny.StatusFlagged {
		t.Errorf("Check(new link, shortener down) = %+v, %v; want flagged", v, err)
	}
}

// TestFollowerHonoursTheAllowlist: a landing page on the operator's
// allowlist is not flagged for what it shows.
func TestFollowerHonoursTheAllowlist(t *testing.T) {
	e := newEnv(t)
	allow := feed.SetOf("allow", "news.example.org")
	e.check = abuse.NewChecker(abuse.CheckerConfig{Model: urlscore.Default(), Allow: func() *feed.Set { return allow }})
	e.world.Set("news.example.org", page(brandLogin))
	f := e.follower(t, Config{ScanPages: true})
	l := e.create(t, "http://news.example.org/today")
	if v, err := f.Check(t.Context(), l); err != nil || v.Status != tiny.StatusActive {
		t.Errorf("Check(allowlisted brand login page) = %+v, %v; want active", v, err)
	}
}
