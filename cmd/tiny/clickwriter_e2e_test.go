package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// childPIDs returns the processes whose parent is pid: Linux lists them
// by the thread that started each.
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	lists, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, list := range lists {
		raw, err := os.ReadFile(list)
		if err != nil {
			continue // the thread ended
		}
		for _, f := range strings.Fields(string(raw)) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, n)
		}
	}
	return pids
}

// visit follows code n times and returns how many answered 302.
func visit(t *testing.T, addr, code string, n int) int {
	t.Helper()
	ok := 0
	for range n {
		req, _ := http.NewRequest("GET", "http://"+addr+"/"+code, nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 302 {
			ok++
		}
	}
	return ok
}

// linkClicks reads the link's click total from its statistics.
func linkClicks(t *testing.T, addr, code string) int {
	t.Helper()
	status, body := apiCall(t, "GET", addr, "/api/v1/links/"+code+"/stats", "")
	var st struct {
		Totals struct{ Clicks int }
	}
	if err := json.Unmarshal([]byte(body), &st); status != 200 || err != nil {
		t.Fatalf("stats: %d %v: %s", status, err, body)
	}
	return st.Totals.Clicks
}

// clickWriterPatience is how long a test waits for the click writer. It
// runs in the idle scheduling class, so while other tests keep both CPUs
// busy it runs only in their gaps, and a fresh one takes seconds to start.
const clickWriterPatience = 60 * time.Second

// waitClicks waits until the link's statistics count want clicks.
func waitClicks(t *testing.T, addr, code string, want int) {
	t.Helper()
	deadline := time.Now().Add(clickWriterPatience)
	got := 0
	for time.Now().Before(deadline) {
		if got = linkClicks(t, addr, code); got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the link has %d clicks, want %d", got, want)
}

// On SQLite, `tiny serve` writes its clicks from one child process, every
// thread of it in the idle scheduling class; the clicks are counted exactly;
// a killed child is replaced; and on shutdown the child ends with its
// parent.
func TestClickWriterProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	p := startTinyWith(t, addr, []string{"--database", db, "--click-flush", "50ms"}, "TINY_INITIAL_API_KEY="+testKey)
	kids := childPIDs(t, p.cmd.Process.Pid)
	if len(kids) != 1 {
		t.Fatalf("tiny serve has %d child processes, want its click writer alone", len(kids))
	}
	child := kids[0]
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(child) + "/cmdline")
	if !strings.Contains(string(cmdline), "click-writer") {
		t.Fatalf("the child is %q, not the click writer", cmdline)
	}
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(child) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		attr, err := unix.SchedGetAttr(tid, 0)
		if err != nil {
			t.Fatal(err)
		}
		if attr.Policy != unix.SCHED_IDLE {
			t.Errorf("click writer thread %d has scheduling policy %d, want SCHED_IDLE (%d)", tid, attr.Policy, unix.SCHED_IDLE)
		}
	}
	if attr, err := unix.SchedGetAttr(p.cmd.Process.Pid, 0); err != nil || attr.Policy == unix.SCHED_IDLE {
		t.Errorf("the serving process's main thread: policy %v, err %v; it must keep its priority", attr, err)
	}

	code, status, err := createLink(addr, testKey, "https://example.com/through-the-child")
	if err != nil || status != 201 {
		t.Fatalf("create = %d, %v", status, err)
	}
	first := visit(t, addr, code, 300)
	waitClicks(t, addr, code, first)

	// A killed writer is replaced with the next batch; clicks queued after
	// its death are written by the new one.
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(clickWriterPatience)
	second := 0
	for time.Now().Before(deadline) {
		second += visit(t, addr, code, 20)
		if kids := childPIDs(t, p.cmd.Process.Pid); len(kids) == 1 && kids[0] != child {
			break
		}
	}
	kids = childPIDs(t, p.cmd.Process.Pid)
	if len(kids) != 1 || kids[0] == child {
		t.Fatalf("children after the writer was killed: %v, want one new writer", kids)
	}
	third := visit(t, addr, code, 100)
	// The batch in flight when the child died may be lost (it is counted
	// as failed), never counted twice.
	deadline = time.Now().Add(clickWriterPatience)
	got := 0
	for time.Now().Before(deadline) {
		if got = linkClicks(t, addr, code); got >= first+third {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got < first+third || got > first+second+third {
		t.Fatalf("%d clicks after the writer's restart; want between %d and %d", got, first+third, first+second+third)
	}

	newChild := kids[0]
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Fatalf("tiny exited with %v after SIGTERM", err)
	}
	p.done <- nil
	if err := syscall.Kill(newChild, 0); err == nil {
		t.Errorf("the click writer %d outlived tiny serve", newChild)
	}
}

// --click-process=false writes clicks inline: no child process.
func TestClickWriterProcessOff(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	p := startTinyWith(t, addr, []string{"--database", db, "--click-process=false", "--click-flush", "50ms"}, "TINY_INITIAL_API_KEY="+testKey)
	if kids := childPIDs(t, p.cmd.Process.Pid); len(kids) != 0 {
		t.Fatalf("tiny serve --click-process=false has child processes %v", kids)
	}
	code, status, err := createLink(addr, testKey, "https://example.com/inline")
	if err != nil || status != 201 {
		t.Fatalf("create = %d, %v", status, err)
	}
	waitClicks(t, addr, code, visit(t, addr, code, 50))
}
