// Package deploy holds the files that install and run tiny (a systemd
// unit, a container, a compose cluster, nginx configurations, the release
// script); its tests check them with the tools that read them.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withoutHeader drops a file's leading comment lines.
func withoutHeader(s string) string {
	for strings.HasPrefix(s, "#") {
		_, s, _ = strings.Cut(s, "\n")
	}
	return s
}

// TestComposeNginxMatchesTested keeps compose's nginx configuration the
// tested one (TestClusterBehindNginx runs nginx.conf) but for the names of
// the nodes.
func TestComposeNginxMatchesTested(t *testing.T) {
	tested := withoutHeader(read(t, "nginx.conf"))
	tested = strings.NewReplacer("127.0.0.1:8081", "node1:8080", "127.0.0.1:8082", "node2:8080").Replace(tested)
	if got := withoutHeader(read(t, "compose-nginx.conf")); got != tested {
		t.Error("compose-nginx.conf differs from nginx.conf beyond the node names; change both")
	}
}

func TestComposeRunsTwoNodesOnPostgres(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "compose.yaml")), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"node1", "node2"} {
		n := c.Services[name]
		if n.Image != "localhost/tiny:latest" || !strings.HasPrefix(n.Environment["TINY_DATABASE"], "postgres://") ||
			!strings.HasPrefix(n.Environment["TINY_REDIS"], "redis://redis:") || n.Environment["TINY_TRUST_PROXY"] == "" {
			t.Errorf("service %s = %+v, want the tiny image on PostgreSQL and Redis, trusting nginx", name, n)
		}
	}
	for _, name := range []string{"postgres", "redis", "nginx"} {
		if c.Services[name].Image == "" {
			t.Errorf("compose.yaml has no %s service", name)
		}
	}
	if v := c.Services["nginx"].Volumes; len(v) != 1 || !strings.HasPrefix(v[0], "./compose-nginx.conf:") {
		t.Errorf("nginx mounts %v, want ./compose-nginx.conf", v)
	}
}

// TestSystemdUnit checks the unit with systemd's own verifier and keeps
// its sandbox tight: systemd-analyze's exposure score stays at or under 2
// ("OK"; 1.4 when written).
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("TINY_REQUIRE_SERVICES") != "" {
			t.Fatal("systemd-analyze is missing; install systemd")
		}
		t.Skip("systemd-analyze is missing; install systemd to check deploy/tiny.service")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tiny")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/tiny").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	unit := filepath.Join(dir, "tiny.service")
	text := strings.ReplaceAll(read(t, "tiny.service"), "/usr/local/bin/tiny", bin)
	if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify = %v:\n%s", err, out)
	}
	out, _ = exec.Command(analyze, "security", "--offline=true", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for tiny.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure level:\n%s", out)
	}
	if score, _ := strconv.ParseFloat(string(m[1]), 64); score > 2 {
		t.Errorf("the unit's exposure level is %.1f, want 2 or less", score)
	}
}
