package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"tiny/internal/abuse"
	"tiny/internal/accounts"
	"tiny/internal/analytics"
	"tiny/internal/contract"
	"tiny/internal/shortener"
	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

// env is a real tiny server for one test: an SQLite file, the link
// service, the click recorder and the fasthttp listener on a free port.
type env struct {
	t        testing.TB
	store    *sqlite.DB
	accounts *accounts.Service
	links    *shortener.Service
	clicks   *analytics.Recorder
	server   *Server
	base     string
	adminKey string
	checker  *contract.Checker
	// api checks every request and response against the OpenAPI spec and
	// does not follow redirects.
	api *http.Client
	// logs holds everything the server logged, at debug level and up.
	logs   *lockedBuffer
	dbPath string
	// dests are the destination blocks; rescanner rescans the links when
	// they gain one.
	dests     *abuse.Destinations
	rescanner *abuse.Rescanner
}

// lockedBuffer is a log sink the test may read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// trustLoopback configures a server behind a proxy on 127.0.0.1, where the
// test's requests come from: their X-Forwarded-For names the client.
func trustLoopback(c *Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

func newEnv(t testing.TB, configure ...func(*Config)) *env {
	t.Helper()
	return newScreenedEnv(t, nil, configure...)
}

// newScreenedEnv is newEnv with a link-safety check on every create. With
// screener nil, creates are checked against the destination blocks alone,
// as with --safety=false.
func newScreenedEnv(t testing.TB, screener shortener.Screener, configure ...func(*Config)) *env {
	t.Helper()
	e := startEnv(t, filepath.Join(t.TempDir(), "tiny.db"), screener, configure...)
	e.adminKey = e.newKey("admin", tiny.RoleAdmin)
	return e
}

// secondNode starts another server on e's database, as another node of a
// cluster: its own link cache and click queue, the same store and keys.
func (e *env) secondNode() *env {
	e.t.Helper()
	n := startEnv(e.t, e.dbPath, nil)
	n.adminKey = e.adminKey
	return n
}

// startEnv starts a server on the SQLite database at dbPath.
func startEnv(t testing.TB, dbPath string, screener shortener.Screener, configure ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var (
		rescanner *abuse.Rescanner
		dests     *abuse.Destinations
	)
	dests = abuse.NewDestinations(abuse.DestinationsConfig{Store: store, Added: func() { rescanner.Changed(blocklistOf(screener, dests)) }})
	if screener == nil {
		screener = dests
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	links, err := shortener.New(ctx, store, shortener.Config{
		URLPolicy:    tiny.URLPolicy{OwnHosts: []string{base.Host}},
		IDBlockSize:  100,
		PasswordCost: bcrypt.MinCost,
		Screener:     screener,
	}, func() []byte { return []byte("0123456789abcdef") })
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	enricher, err := analytics.NewEnricher(analytics.EnricherConfig{Secrets: analytics.SettingSecrets(store), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	clicks := analytics.NewRecorder(store, analytics.Config{FlushInterval: 20 * time.Millisecond, Logger: logger, Enricher: enricher})
	clicks.Start()
	rescanner = abuse.NewRescanner(abuse.RescanConfig{Links: store, Block: links.Block, Rest: -1, Logger: logger})
	rescanCtx, stopRescans := context.WithCancel(context.Background())
	rescans := make(chan struct{})
	go func() { rescanner.Run(rescanCtx); close(rescans) }()
	accts, err := accounts.New(ctx, accounts.Config{Store: store, Argon2: testArgon2, LinksDeleted: links.Invalidate})
	if err != nil {
		t.Fatal(err)
	}
	follow := make(chan struct{})
	go func() { accts.FollowChanges(rescanCtx, logger); close(follow) }()
	cfg := Config{BaseURL: base, Logger: logger, Destinations: dests, Accounts: accts}
	for _, f := range configure {
		f(&cfg)
	}
	server, err := NewServer(cfg, links, store, clicks)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = server.Serve(ln) }()
	e := &env{t: t, store: store, accounts: accts, links: links, clicks: clicks, server: server, base: base.String(), logs: logs, dbPath: dbPath,
		dests: dests, rescanner: rescanner}
	e.checker = contract.New(t)
	e.api = e.checker.Client(nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(ctx)
		stopRescans()
		<-rescans
		<-follow
		_ = clicks.Close(ctx)
		_ = enricher.Close()
		links.Close()
		accts.Close()
		_ = store.Close()
	})
	return e
}

// blocklistOf is what rescans check against: the screener's blocklist,
// or the destination blocks alone.
func blocklistOf(screener shortener.Screener, dests *abuse.Destinations) abuse.Blocklist {
	if b, ok := screener.(abuse.Blocklist); ok {
		return b
	}
	return dests
}

// testArgon2 makes password hashes cheap in tests.
var testArgon2 = accounts.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// newKey creates a user (if new) with a key and returns the key's secret.
func (e *env) newKey(name string, role tiny.Role) string {
	e.t.Helper()
	ctx := context.Background()
	if role == "user" { // as roles were named before accounts
		role = tiny.RoleMember
	}
	u, err := e.store.UserByName(ctx, name)
	if tiny.IsCode(err, tiny.NotFound) {
		u = &tiny.User{Name: name, Role: role}
		err = e.store.CreateUser(ctx, u)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	_, secret, err := e.accounts.CreateKey(ctx, accounts.As(u), accounts.NewKey{Name: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return m
}

// errorCode returns error.code of a JSON error response, or "".
func (r response) errorCode() string {
	var e errorBody
	_ = json.Unmarshal(r.body, &e)
	return string(e.Error.Code)
}

func (r response) errorField() string {
	var e errorBody
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Field
}

// do sends a request through the contract checker. A body that is not a
// string or []byte is sent as JSON.
func (e *env) do(method, path, key string, body any, header ...string) response {
	e.t.Helper()
	return e.doWith(e.api, method, path, key, body, false, header...)
}

// doRaw sends a request the spec does not allow (malformed on purpose);
// only the response is checked against the spec.
func (e *env) doRaw(method, path, key string, body any, header ...string) response {
	e.t.Helper()
	return e.doWith(e.api, method, path, key, body, true, header...)
}

func (e *env) doWith(client *http.Client, method, path, key string, body any, raw bool, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = strings.NewReader(string(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = strings.NewReader(string(j))
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	// A name given twice is sent as two header lines.
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	if raw {
		req = contract.SkipRequestValidation(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// create makes a link through the API and returns its JSON.
func (e *env) create(key string, in map[string]any) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/api/v1/links", key, in)
	if r.status != http.StatusCreated {
		e.t.Fatalf("POST /api/v1/links %v = %d %s, want 201", in, r.status, r.body)
	}
	return r.json(e.t)
}

// visit follows nothing: it returns the server's answer to a short link.
func (e *env) visit(method, path string, header ...string) response {
	e.t.Helper()
	return e.doWith(e.api, method, path, "", nil, false, header...)
}

// flushClicks waits until every queued click is written.
func (e *env) flushClicks() {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		st := e.clicks.Stats()
		if st.QueueDepth == 0 && st.Written+st.Failed >= st.Enqueued {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatal("clicks were not written within 5s")
}
