package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this file build the real binary and run it as a user would.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func tinyBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tiny-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "tiny")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a running tiny binary.
type process struct {
	cmd    *exec.Cmd
	addr   string
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan error
}

// syncBuffer is an output buffer the test may read while the process writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startTiny(t *testing.T, db, addr string, env ...string) *process {
	t.Helper()
	return startTinyWith(t, addr, []string{"--database", db}, env...)
}

// startTinyWith starts `tiny serve` on addr, logging at warn, with more
// flags, and waits until it is ready.
func startTinyWith(t *testing.T, addr string, args []string, env ...string) *process {
	t.Helper()
	return startTinyArgs(t, addr, append([]string{"--log-level", "warn"}, args...), env...)
}

// startTinyArgs starts `tiny serve` on addr with args alone, and waits
// until it is ready.
func startTinyArgs(t *testing.T, addr string, args []string, env ...string) *process {
	t.Helper()
	p := &process{addr: addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(tinyBinary(t), append([]string{"serve", "--addr", addr}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		// A test that waited for the exit itself has taken the value.
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("tiny exited before it was ready: %v\n%s", err, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("tiny was not ready within 15s\n%s", p.stderr)
	return nil
}

var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

func createLink(addr, key, url string) (code string, status int, err error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/links", strings.NewReader(`{"url":"`+url+`"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirect.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	var l struct{ Code string }
	_ = json.NewDecoder(resp.Body).Decode(&l)
	return l.Code, resp.StatusCode, nil
}

const testKey = "tiny_e2e_test_key_0123456789"

// TestKillNineKeepsAcknowledgedLinks creates links against the real binary
// from several clients, kills it with SIGKILL while creates are still
// running, restarts it, and resolves every link whose create returned 201.
func TestKillNineKeepsAcknowledgedLinks(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	p := startTiny(t, db, addr, "TINY_INITIAL_API_KEY="+testKey)

	var mu sync.Mutex
	acked := map[string]string{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				dest := fmt.Sprintf("https://example.com/client-%d/link-%d", c, i)
				code, status, err := createLink(addr, testKey, dest)
				if err != nil {
					return // the server is gone
				}
				if status == 201 {
					mu.Lock()
					acked[code] = dest
					mu.Unlock()
				}
			}
		}(c)
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	close(stop)
	wg.Wait()
	p.done <- nil // for the cleanup

	q := startTiny(t, db, addr, "TINY_INITIAL_API_KEY="+testKey)
	mu.Lock()
	defer mu.Unlock()
	for code, dest := range acked {
		resp, err := noRedirect.Get("http://" + q.addr + "/" + code)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 302 || resp.Header.Get("Location") != dest {
			t.Errorf("GET /%s after kill -9 = %d %q, want 302 %q", code, resp.StatusCode, resp.Header.Get("Location"), dest)
		}
	}
	t.Logf("%d acknowledged links all resolve after kill -9", len(acked))
}

// TestSIGTERMFinishesInFlightRequests sends SIGTERM while a bulk create is
// running: the request completes, the process exits 0, and the store opens
// cleanly afterwards with every link.
func TestSIGTERMFinishesInFlightRequests(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	p := startTiny(t, db, addr, "TINY_INITIAL_API_KEY="+testKey)
	var body strings.Builder
	body.WriteString(`{"links":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"url":"https://example.com/bulk/%d"}`, i)
	}
	body.WriteString(`]}`)
	type result struct {
		status  int
		created int
		err     error
	}
	res := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/links/bulk", strings.NewReader(body.String()))
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := noRedirect.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var out struct{ Created int }
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &out)
		res <- result{status: resp.StatusCode, created: out.Created}
	}()
	time.Sleep(30 * time.Millisecond) // the bulk request is being served
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.err != nil || r.status != 200 || r.created != 1000 {
		t.Errorf("bulk create across SIGTERM = %d, %d created, %v; want 200 with 1000 created", r.status, r.created, r.err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("tiny exited with %v after SIGTERM, want 0\n%s", err, p.stderr)
		}
		p.done <- nil
	case <-time.After(20 * time.Second):
		t.Fatal("tiny did not exit within 20s of SIGTERM")
	}
	if _, err := os.Stat(db + "-wal"); err == nil {
		if fi, _ := os.Stat(db + "-wal"); fi.Size() != 0 {
			t.Errorf("the WAL file holds %d bytes after a clean shutdown, want it checkpointed", fi.Size())
		}
	}
	q := startTiny(t, db, addr, "TINY_INITIAL_API_KEY="+testKey)
	req, _ := http.NewRequest("GET", "http://"+q.addr+"/api/v1/links?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Links []any }
	_ = json.NewDecoder(resp.Body).Decode(&list)
	if len(list.Links) != 1000 {
		t.Errorf("links after a graceful restart = %d, want 1000", len(list.Links))
	}
}

// TestFirstStartPrintsAdminKey starts with no configuration but the
// address: the first start prints an admin key once, which works; the
// second start prints none.
func TestFirstStartPrintsAdminKey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "tiny.db")
	addr := freeAddr(t)
	p := startTiny(t, db, addr)
	time.Sleep(50 * time.Millisecond)
	key := ""
	for _, f := range strings.Fields(p.stdout.String()) {
		if strings.HasPrefix(f, "tiny_") {
			key = f
		}
	}
	if key == "" {
		t.Fatalf("the first start printed no API key; stdout:\n%s", p.stdout)
	}
	if _, status, err := createLink(addr, key, "https://example.com/first"); err != nil || status != 201 {
		t.Errorf("create with the printed key = %d, %v, want 201", status, err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	p.done <- nil
	q := startTiny(t, db, addr)
	time.Sleep(50 * time.Millisecond)
	if strings.Contains(q.stdout.String(), "tiny_") {
		t.Errorf("the second start printed a key again:\n%s", q.stdout)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "/api/v1/links") {
		t.Errorf("GET / = %d, want the home page that explains the API", resp.StatusCode)
	}
}

// TestServeHelpListsEverySetting checks that `tiny serve --help` names every
// flag with its environment variable.
func TestServeHelpListsEverySetting(t *testing.T) {
	out, _ := exec.Command(tinyBinary(t), "serve", "--help").CombinedOutput()
	for _, want := range []string{
		"--addr", "TINY_ADDR", "--database", "TINY_DATABASE", "--base-url", "TINY_BASE_URL",
		"--initial-api-key", "TINY_INITIAL_API_KEY", "--click-flush", "TINY_CLICK_FLUSH",
		"--read-timeout", "TINY_READ_TIMEOUT", "--max-body", "TINY_MAX_BODY", "--config", "TINY_CONFIG",
		"--trust-proxy", "TINY_TRUST_PROXY", "--ipv6-prefix", "TINY_IPV6_PREFIX",
		"--allow-private-destinations", "TINY_ALLOW_PRIVATE_DESTINATIONS", "--rate-password-ip", "TINY_RATE_PASSWORD_IP", "--rate-password-link", "TINY_RATE_PASSWORD_LINK",
		"--session-idle", "TINY_SESSION_IDLE", "--session-lifetime", "TINY_SESSION_LIFETIME",
		"--secret-key-file", "TINY_SECRET_KEY_FILE", "--require-2fa", "TINY_REQUIRE_2FA",
		"--oidc-issuer", "TINY_OIDC_ISSUER", "--oidc-client-id", "TINY_OIDC_CLIENT_ID",
		"--oidc-client-secret", "TINY_OIDC_CLIENT_SECRET", "--oidc-client-secret-file", "TINY_OIDC_CLIENT_SECRET_FILE",
		"--oidc-allowed-domains", "TINY_OIDC_ALLOWED_DOMAINS", "--oidc-role-claim", "TINY_OIDC_ROLE_CLAIM",
		"--oidc-role-map", "TINY_OIDC_ROLE_MAP", "--oidc-default-role", "TINY_OIDC_DEFAULT_ROLE",
		"--oidc-allow-signup", "TINY_OIDC_ALLOW_SIGNUP", "--oidc-assume-email-verified", "TINY_OIDC_ASSUME_EMAIL_VERIFIED",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("tiny serve --help does not mention %s:\n%s", want, out)
		}
	}
}
