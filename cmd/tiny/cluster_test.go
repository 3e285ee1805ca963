package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/testservice"
)

// The tests in this file run several real tiny processes on one PostgreSQL
// database, as a cluster behind a load balancer would.

// clusterDatabase creates an empty schema for one test and returns a
// database URL that uses it.
func clusterDatabase(t *testing.T) string {
	t.Helper()
	base := testservice.PostgresURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "tiny_cluster_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// startCluster starts n nodes on one database, at the same moment, so their
// migrations race.
func startCluster(t *testing.T, n int, dsn string, extra ...string) []*process {
	t.Helper()
	nodes := make([]*process, n)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			nodes[i] = startTinyWith(t, freeAddr(t), append([]string{"--database", dsn, "--rate-create", "off", "--rate-key", "off", "--rate-ip", "off"}, extra...), "TINY_INITIAL_API_KEY="+testKey)
		}(i)
	}
	wg.Wait()
	for _, p := range nodes {
		if p == nil {
			t.FailNow()
		}
	}
	return nodes
}

func get(t *testing.T, addr, path string) *http.Response {
	t.Helper()
	resp, err := noRedirect.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s%s: %v", addr, path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func apiCall(t *testing.T, method, addr, path, body string) (int, string) {
	t.Helper()
	resp := apiResponseBody(t, method, addr, path, body)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// apiResponse makes an authenticated API call and returns the response with
// its body read.
func apiResponse(t *testing.T, method, addr, path string) *http.Response {
	t.Helper()
	resp := apiResponseBody(t, method, addr, path, "")
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func apiResponseBody(t *testing.T, method, addr, path, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, addr, path, err)
	}
	return resp
}

// TestClusterCreatesAcrossNodes creates 6,000 links through three nodes
// from several concurrent clients: every code is distinct, and every link
// resolves from every node. Ids are leased 100 at a time, so each node
// leases about twenty blocks, interleaved with the others'.
func TestClusterCreatesAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the 6,000-link cluster test takes a while")
	}
	nodes := startCluster(t, 3, clusterDatabase(t), "--id-block", "100")
	const total, clients = 6000, 12
	codes := make([]string, total)
	var next atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				node := nodes[i%int64(len(nodes))]
				code, status, err := createLink(node.addr, testKey, fmt.Sprintf("https://example.com/cluster/%d", i))
				if err != nil || status != 201 {
					failures.Add(1)
					continue
				}
				codes[i] = code
			}
		}()
	}
	wg.Wait()
	if f := failures.Load(); f > 0 {
		t.Fatalf("%d of %d creates failed", f, total)
	}
	seen := make(map[string]int, total)
	for i, c := range codes {
		if j, dup := seen[c]; dup {
			t.Fatalf("links %d and %d got the same code %s", j, i, c)
		}
		seen[c] = i
	}
	var bad atomic.Int64
	next.Store(0)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				want := fmt.Sprintf("https://example.com/cluster/%d", i)
				for _, node := range nodes {
					resp, err := noRedirect.Get("http://" + node.addr + "/" + codes[i])
					if err != nil {
						bad.Add(1)
						continue
					}
					resp.Body.Close()
					if resp.StatusCode != 302 || resp.Header.Get("Location") != want {
						if bad.Add(1) < 5 {
							t.Errorf("GET %s/%s = %d %q, want 302 %q", node.addr, codes[i], resp.StatusCode, resp.Header.Get("Location"), want)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if b := bad.Load(); b > 0 {
		t.Errorf("%d of %d resolves failed", b, total*len(nodes))
	}
}

// TestClusterEditsReachEveryNode edits, then deletes, a link on node A
// while node B has it cached: B must stop serving the old destination
// within one second. The delays are logged for docs/operations.md.
func TestClusterEditsReachEveryNode(t *testing.T) {
	nodes := startCluster(t, 2, clusterDatabase(t))
	a, b := nodes[0], nodes[1]
	code, status, err := createLink(a.addr, testKey, "https://example.com/before")
	if err != nil || status != 201 {
		t.Fatalf("create = %d, %v", status, err)
	}
	waitFor := func(what string, ok func(*http.Response) bool) time.Duration {
		start := time.Now()
		for time.Since(start) < 3*time.Second {
			if ok(get(t, b.addr, "/"+code)) {
				return time.Since(start)
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Fatalf("node B did not see the %s within 3s", what)
		return 0
	}
	if r := get(t, b.addr, "/"+code); r.Header.Get("Location") != "https://example.com/before" {
		t.Fatalf("node B before the edit = %q", r.Header.Get("Location"))
	}
	start := time.Now()
	if s, body := apiCall(t, "PATCH", a.addr, "/api/v1/links/"+code, `{"url":"https://example.com/after"}`); s != 200 {
		t.Fatalf("PATCH on node A = %d %s", s, body)
	}
	acked := time.Since(start)
	edit := waitFor("edit", func(r *http.Response) bool { return r.Header.Get("Location") == "https://example.com/after" })
	start = time.Now()
	if s, body := apiCall(t, "DELETE", a.addr, "/api/v1/links/"+code, ""); s != 204 {
		t.Fatalf("DELETE on node A = %d %s", s, body)
	}
	del := waitFor("delete", func(r *http.Response) bool { return r.StatusCode == 410 })
	t.Logf("node B saw the edit %v and the delete %v after node A answered (the PATCH took %v)", edit, del, acked)
	if edit > time.Second || del > time.Second {
		t.Errorf("propagation took %v (edit) and %v (delete), want at most 1s", edit, del)
	}
}

// TestClusterMaxClicksExact spreads 100 concurrent visits of a link with
// max_clicks 5 over three nodes: exactly 5 redirect.
func TestClusterMaxClicksExact(t *testing.T) {
	nodes := startCluster(t, 3, clusterDatabase(t))
	s, body := apiCall(t, "POST", nodes[0].addr, "/api/v1/links", `{"url":"https://example.com/five","max_clicks":5}`)
	if s != 201 {
		t.Fatalf("create = %d %s", s, body)
	}
	code := body[strings.Index(body, `"code":"`)+8:]
	code = code[:strings.IndexByte(code, '"')]
	var redirects, gone, other atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			resp, err := noRedirect.Get("http://" + nodes[i%3].addr + "/" + code)
			if err != nil {
				other.Add(1)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case 302:
				redirects.Add(1)
			case 410:
				gone.Add(1)
			default:
				other.Add(1)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	if redirects.Load() != 5 || gone.Load() != 95 {
		t.Errorf("100 visits over 3 nodes of a max_clicks 5 link = %d redirects, %d gone, %d other; want 5, 95, 0",
			redirects.Load(), gone.Load(), other.Load())
	}
}

// faultProxy sits between tiny and PostgreSQL; a test cuts and restores it.
type faultProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[u] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(u, c); u.Close() }()
		go func() { _, _ = io.Copy(c, u); c.Close() }()
	}
}

// cut drops every connection and refuses new ones until restore.
func (p *faultProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *faultProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// TestClusterSurvivesDatabaseOutage cuts the connection between a node and
// PostgreSQL: cached links keep redirecting, uncached ones and creates
// answer 503 with Retry-After, /readyz goes red; within 5 seconds of the
// database's return everything works again, and no acknowledged link is lost.
func TestClusterSurvivesDatabaseOutage(t *testing.T) {
	dsn := clusterDatabase(t)
	u, _ := url.Parse(dsn)
	proxy := newFaultProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	node := startTinyWith(t, freeAddr(t), []string{"--database", u.String()}, "TINY_INITIAL_API_KEY="+testKey)

	var cached, uncached []string
	for i := 0; i < 20; i++ {
		code, status, err := createLink(node.addr, testKey, fmt.Sprintf("https://example.com/outage/%d", i))
		if err != nil || status != 201 {
			t.Fatalf("create before the outage = %d, %v", status, err)
		}
		if i%2 == 0 {
			cached = append(cached, code)
		} else {
			uncached = append(uncached, code)
		}
	}
	// Each create's change notification comes back to this node and drops
	// the code from its cache; the notifications must be in before the
	// links are cached, or one may evict a link the test relies on.
	time.Sleep(300 * time.Millisecond)
	for _, code := range cached {
		get(t, node.addr, "/"+code)
	}

	proxy.cut()
	for _, code := range cached {
		if r := get(t, node.addr, "/"+code); r.StatusCode != 302 {
			t.Errorf("cached link during the outage = %d, want 302", r.StatusCode)
		}
	}
	for _, code := range uncached[:3] {
		r := get(t, node.addr, "/"+code)
		if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
			t.Errorf("uncached link during the outage = %d (Retry-After %q), want 503 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
		}
	}
	if _, status, _ := createLink(node.addr, testKey, "https://example.com/during"); status != 503 {
		t.Errorf("create during the outage = %d, want 503", status)
	}
	if r := get(t, node.addr, "/readyz"); r.StatusCode != 503 {
		t.Errorf("/readyz during the outage = %d, want 503", r.StatusCode)
	}

	proxy.restore()
	restored := time.Now()
	var recovered time.Duration
	for time.Since(restored) < 10*time.Second {
		_, status, err := createLink(node.addr, testKey, "https://example.com/after-outage")
		if err == nil && status == 201 && get(t, node.addr, "/readyz").StatusCode == 200 {
			recovered = time.Since(restored)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if recovered == 0 || recovered > 5*time.Second {
		t.Fatalf("the node had not recovered %v after the database came back, want within 5s", time.Since(restored))
	}
	t.Logf("recovered %v after the database came back", recovered)
	for _, code := range append(cached, uncached...) {
		if r := get(t, node.addr, "/"+code); r.StatusCode != 302 {
			t.Errorf("link %s after the outage = %d, want 302", code, r.StatusCode)
		}
	}
}

// TestClusterStatsAreExact sends N human and M bot visits spread over two
// nodes on PostgreSQL; after both flush (a graceful stop), the statistics
// say exactly N and M.
func TestClusterStatsAreExact(t *testing.T) {
	dsn := clusterDatabase(t)
	nodes := startCluster(t, 2, dsn)
	code, status, err := createLink(nodes[0].addr, testKey, "https://example.com/counted-on-postgres")
	if err != nil || status != 201 {
		t.Fatalf("create = %d, %v", status, err)
	}
	const humans, bots = 40, 15
	visit := func(addr, ua string) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/"+code, nil)
		req.Header.Set("User-Agent", ua)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i := 0; i < humans; i++ {
		visit(nodes[i%2].addr, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36")
	}
	for i := 0; i < bots; i++ {
		visit(nodes[i%2].addr, "python-requests/2.32.3")
	}
	for _, n := range nodes {
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
		if err := <-n.done; err != nil {
			t.Fatalf("node exited with %v", err)
		}
		n.done <- nil
	}
	q := startTinyWith(t, freeAddr(t), []string{"--database", dsn}, "TINY_INITIAL_API_KEY="+testKey)
	_, body := apiCall(t, "GET", q.addr, "/api/v1/links/"+code+"/stats", "")
	var st struct {
		Totals map[string]int `json:"totals"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("stats: %v: %s", err, body)
	}
	if st.Totals["clicks"] != humans || st.Totals["bot_clicks"] != bots {
		t.Errorf("stats on PostgreSQL after %d human and %d bot visits over 2 nodes = %v, want exactly those", humans, bots, st.Totals)
	}
}
