package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCrashLosesAtMostOneBatchWindow visits a link steadily, kills the
// server with SIGKILL, restarts it, and checks the click count: every
// click acknowledged more than one flush window before the kill is stored,
// and nothing is counted twice.
func TestCrashLosesAtMostOneBatchWindow(t *testing.T) {
	const flush = 300 * time.Millisecond
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	// The bound is the writer's when it keeps up: at the lowest OS
	// priority (the default) it yields to every other process, and on a
	// machine saturated by the other test packages it falls behind.
	p := startTinyWith(t, addr, []string{"--database", db, "--click-flush", flush.String(), "--low-priority-background=false"},
		"TINY_INITIAL_API_KEY="+testKey)
	code, status, err := createLink(addr, testKey, "https://example.com/counted")
	if err != nil || status != 201 {
		t.Fatalf("create = %d, %v", status, err)
	}
	var mu sync.Mutex
	var acked []time.Time
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest("GET", "http://"+addr+"/"+code, nil)
			req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")
			resp, err := noRedirect.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode == 302 {
				mu.Lock()
				acked = append(acked, time.Now())
				mu.Unlock()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	killed := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.done <- nil
	close(stop)
	<-done

	q := startTinyWith(t, addr, []string{"--database", db}, "TINY_INITIAL_API_KEY="+testKey)
	_, body := apiCall(t, "GET", q.addr, "/api/v1/links/"+code+"/stats", "")
	var st struct {
		Totals struct{ Clicks int }
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("stats: %v: %s", err, body)
	}
	mu.Lock()
	defer mu.Unlock()
	mustHave := 0
	for _, at := range acked {
		if at.Before(killed.Add(-flush - 100*time.Millisecond)) {
			mustHave++
		}
	}
	t.Logf("%d clicks acknowledged, %d of them more than one flush window (%v) before the kill; %d stored", len(acked), mustHave, flush, st.Totals.Clicks)
	if st.Totals.Clicks < mustHave || st.Totals.Clicks > len(acked) {
		t.Errorf("stored clicks after kill -9 = %d, want between %d and %d", st.Totals.Clicks, mustHave, len(acked))
	}
	if mustHave < 50 {
		t.Errorf("only %d clicks before the last window; the test did not load the server enough to mean anything", mustHave)
	}
}

// TestGracefulShutdownWritesEveryClick: SIGTERM right after a burst of
// visits; after the restart every one of them is counted.
func TestGracefulShutdownWritesEveryClick(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	p := startTinyWith(t, addr, []string{"--database", db, "--click-flush", "1h"}, "TINY_INITIAL_API_KEY="+testKey)
	code, _, _ := createLink(addr, testKey, "https://example.com/flushed")
	const n = 200
	if got := visit(t, addr, code, n); got != n {
		t.Fatalf("%d of %d visits redirected", got, n)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Fatalf("tiny exited with %v after SIGTERM", err)
	}
	p.done <- nil
	q := startTinyWith(t, addr, []string{"--database", db}, "TINY_INITIAL_API_KEY="+testKey)
	_, body := apiCall(t, "GET", q.addr, "/api/v1/links/"+code+"/stats", "")
	var st struct {
		Totals struct{ Clicks int }
	}
	_ = json.Unmarshal([]byte(body), &st)
	if st.Totals.Clicks != n {
		t.Errorf("clicks after a graceful shutdown = %d, want all %d (with a flush window of an hour, only the shutdown wrote them)", st.Totals.Clicks, n)
	}
}
