package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tiny/internal/testservice"
)

// TestClusterBehindNginx runs deploy/nginx.conf, the example of
// docs/operations.md, in front of two tiny nodes: links are created and
// followed through nginx, and keep working when one node dies.
func TestClusterBehindNginx(t *testing.T) {
	nginx := testservice.NginxPath(t)
	dsn := clusterDatabase(t)
	front := freeAddr(t)
	nodes := startCluster(t, 2, dsn, "--trust-proxy", "127.0.0.1", "--base-url", "http://"+front)

	example, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	_, frontPort, _ := net.SplitHostPort(front)
	conf := strings.NewReplacer(
		"127.0.0.1:8081", nodes[0].addr,
		"127.0.0.1:8082", nodes[1].addr,
		"listen 8080;", "listen 127.0.0.1:"+frontPort+";",
	).Replace(string(example))
	if conf == string(example) {
		t.Fatal("deploy/nginx.conf no longer has the addresses this test replaces")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"),
		"-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+";")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGQUIT); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", front); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not listen on %s within 10s: %s %s", front, out, log)
		}
		time.Sleep(20 * time.Millisecond)
	}

	var codes []string
	for i := 0; i < 10; i++ {
		code, status, err := createLink(front, testKey, "https://example.com/behind-nginx/"+string(rune('a'+i)))
		if err != nil || status != 201 {
			t.Fatalf("create through nginx = %d, %v", status, err)
		}
		codes = append(codes, code)
	}
	s, body := apiCall(t, "GET", front, "/api/v1/links/"+codes[0], "")
	if s != 200 || !strings.Contains(body, `"short_url":"http://`+front+`/`+codes[0]+`"`) {
		t.Errorf("GET link through nginx = %d %s, want short_url on the public address", s, body)
	}
	follow := func(when string) {
		for i, code := range codes {
			r := get(t, front, "/"+code)
			if want := "https://example.com/behind-nginx/" + string(rune('a'+i)); r.StatusCode != 302 || r.Header.Get("Location") != want {
				t.Errorf("%s: GET /%s through nginx = %d %q, want 302 %q", when, code, r.StatusCode, r.Header.Get("Location"), want)
			}
		}
	}
	follow("both nodes up")

	_ = nodes[0].cmd.Process.Signal(syscall.SIGKILL)
	<-nodes[0].done
	nodes[0].done <- nil
	follow("one node killed")
	if _, status, err := createLink(front, testKey, "https://example.com/after-a-node-died"); err != nil || status != 201 {
		t.Errorf("create through nginx with one node dead = %d, %v, want 201", status, err)
	}
}
