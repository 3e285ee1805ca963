package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"tiny/internal/tiny"
)

// TestCLIServeHelpListsEveryFlag checks `tiny serve --help` against the
// flags Config registers: each one is listed with its variable, so a new
// setting can never be left out of the help.
func TestCLIServeHelpListsEveryFlag(t *testing.T) {
	out, err := exec.Command(tinyBinary(t), "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("tiny serve --help = %v, want exit 0\n%s", err, out)
	}
	cfg := DefaultConfig()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.register(fs)
	n := 0
	fs.VisitAll(func(f *pflag.Flag) {
		n++
		line := regexp.MustCompile(`(?m)^  --` + regexp.QuoteMeta(f.Name) + ` +` + envName(f.Name) + ` `)
		if !line.Match(out) {
			t.Errorf("tiny serve --help has no line for --%s with %s", f.Name, envName(f.Name))
		}
	})
	if n < 50 {
		t.Errorf("Config registers %d flags, want the 50 and more of tiny serve", n)
	}
}

// TestCLIServeFlagsOutrankTheEnvironment parses serve's flags as the
// command does: a flag beats its variable, which beats the default.
func TestCLIServeFlagsOutrankTheEnvironment(t *testing.T) {
	t.Setenv("TINY_CACHE_SIZE", "7")
	t.Setenv("TINY_LOG_LEVEL", "debug")
	t.Setenv("TINY_ANALYTICS", "false")
	cfg, err := parseServeFlags([]string{"--log-level", "warn"})
	if err != nil || cfg.CacheSize != 7 || cfg.LogLevel != "warn" || cfg.Analytics || cfg.Addr != "127.0.0.1:8080" {
		t.Errorf("serve --log-level warn with TINY_CACHE_SIZE=7 TINY_LOG_LEVEL=debug TINY_ANALYTICS=false = %d %q %v %q, %v; want 7 warn false and the default address",
			cfg.CacheSize, cfg.LogLevel, cfg.Analytics, cfg.Addr, err)
	}
	t.Setenv("TINY_CACHE_SIZE", "many")
	if _, err := parseServeFlags(nil); err == nil || !strings.Contains(err.Error(), "TINY_CACHE_SIZE") {
		t.Errorf("serve with TINY_CACHE_SIZE=many = %v, want an error naming the variable", err)
	}
}

// TestCLIExitStatus maps every API error code, and the command line's own
// mistakes, to the documented exit statuses.
func TestCLIExitStatus(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{tiny.Errorf(tiny.Internal, "x"), 1},
		{usagef("bad flag"), 2},
		{fmt.Errorf("wrapped: %w", usageError{err: errors.New("x"), command: "tiny links"}), 2},
		{tiny.Errorf(tiny.NotFound, "x"), 3},
		{tiny.Errorf(tiny.Gone, "x"), 3},
		{tiny.Errorf(tiny.Unauthorized, "x"), 4},
		{tiny.Errorf(tiny.Forbidden, "x"), 4},
		{tiny.Errorf(tiny.Invalid, "x"), 5},
		{tiny.Errorf(tiny.Conflict, "x"), 5},
		{tiny.Errorf(tiny.Unsafe, "x"), 5},
		{tiny.Errorf(tiny.TooLarge, "x"), 5},
		{tiny.Errorf(tiny.Unsupported, "x"), 5},
		{fmt.Errorf("opening: %w", tiny.Errorf(tiny.RateLimited, "x")), 6},
		{tiny.Errorf(tiny.Unavailable, "x"), 7},
	} {
		if got := exitStatus(tt.err); got != tt.want {
			t.Errorf("exitStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	for _, code := range tiny.ErrorCodes() {
		if _, ok := exitByCode[code]; !ok {
			t.Errorf("error code %s has no exit status of its own", code)
		}
	}
}

// TestCLIAPIErrorByStatus reads error answers without the API's body, as
// a proxy in front sends them.
func TestCLIAPIErrorByStatus(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
		want   tiny.ErrorCode
	}{
		{404, `{"error":{"code":"not_found","message":"no such link"}}`, tiny.NotFound},
		{400, `{"error":{"code":"invalid","message":"bad","field":"url"}}`, tiny.Invalid},
		{404, `<html>`, tiny.NotFound},
		{429, ``, tiny.RateLimited},
		{502, `Bad Gateway`, tiny.Unavailable},
		{503, ``, tiny.Unavailable},
		{418, ``, tiny.Internal},
	} {
		if got := tiny.ErrorCodeOf(apiError(tt.status, []byte(tt.body))); got != tt.want {
			t.Errorf("apiError(%d, %q) = %s, want %s", tt.status, tt.body, got, tt.want)
		}
	}
}

func TestCLIParseExpiry(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"2027-01-31T18:00:00Z", time.Date(2027, 1, 31, 18, 0, 0, 0, time.UTC)},
		{"30d", now.AddDate(0, 0, 30)},
		{"2w", now.AddDate(0, 0, 14)},
		{"12h", now.Add(12 * time.Hour)},
		{"90m", now.Add(90 * time.Minute)},
	} {
		if got, err := parseExpiry(tt.in, now); err != nil || !got.Equal(tt.want) {
			t.Errorf("parseExpiry(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "soon", "-5h", "0s", "3y", "2027-01-31"} {
		if _, err := parseExpiry(in, now); exitStatus(err) != exitUsage {
			t.Errorf("parseExpiry(%q) = %v, want a usage error", in, err)
		}
	}
}

// TestCLIChart draws bars in eighths of a row: the largest value fills
// the chart, a zero is empty, and one click is never drawn as none.
func TestCLIChart(t *testing.T) {
	lines := chart([]int64{0, 1, 16, 8}, 4)
	if len(lines) != 4 {
		t.Fatalf("chart(4 rows) = %d lines", len(lines))
	}
	bars := make([]string, len(lines))
	for i, l := range lines {
		_, bar, _ := strings.Cut(l, "┤")
		bars[i] = bar + strings.Repeat(" ", 4-len([]rune(bar)))
	}
	want := []string{"  █ ", "  █ ", "  ██", " ▂██"}
	for i := range want {
		if bars[i] != want[i] {
			t.Errorf("chart([0 1 16 8]) row %d = %q, want %q\n%s", i, bars[i], want[i], strings.Join(lines, "\n"))
		}
	}
	if !strings.HasPrefix(strings.TrimSpace(lines[0]), "16") || !strings.HasPrefix(strings.TrimSpace(lines[3]), "0") {
		t.Errorf("chart scale = %q … %q, want 16 at the top and 0 at the bottom", lines[0], lines[3])
	}
	if got := chart([]int64{1, 1000}, 2); !strings.HasSuffix(got[1], "┤▁█") {
		t.Errorf("chart([1 1000]) bottom row = %q, want the 1 drawn as ▁", got[1])
	}
	long := make([]int64, 200)
	long[199] = 5
	if got := fitWidth(long, 50); len(got) != 50 || got[49] != 5 {
		t.Errorf("fitWidth(200 values, 50) = %v, want 50 sums, the last 5", got)
	}
}

// TestCLIMigrate shows the schema of a new SQLite file without making it,
// then upgrades it, through the real binary and TINY_DATABASE.
func TestCLIMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tiny.db")
	checkMigrate(t, db)
	if _, err := os.Stat(db); err != nil {
		t.Errorf("Stat(%s) after tiny migrate up = %v, want the file", db, err)
	}
	if out, err := exec.Command(tinyBinary(t), "migrate", "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "OFFLINE") || !strings.Contains(string(out), "TINY_DATABASE") {
		t.Errorf("tiny migrate --help = %v\n%s\nwant OFFLINE and its variable", err, out)
	}
}

// TestCLIMigratePostgres does the same on an empty PostgreSQL schema.
func TestCLIMigratePostgres(t *testing.T) {
	checkMigrate(t, clusterDatabase(t))
}

// checkMigrate runs migrate status on a new database (version 0, all
// pending, and for SQLite no file made), migrate up, and migrate again
// (up to date).
func checkMigrate(t *testing.T, db string) {
	t.Helper()
	out, err := exec.Command(tinyBinary(t), "migrate", "status", "--database", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Schema version: 0\n") || !regexp.MustCompile(`Pending: +[1-9]\d* `).Match(out) ||
		!strings.Contains(string(out), "00001_initial.sql") {
		t.Fatalf("tiny migrate status on a new database = %v\n%s\nwant version 0 and every migration pending", err, out)
	}
	if _, err := os.Stat(db); !isPostgresURL(db) && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("tiny migrate status made %s (Stat = %v), want it left alone", db, err)
	}
	up := exec.Command(tinyBinary(t), "migrate", "up")
	up.Env = append(os.Environ(), "TINY_DATABASE="+db)
	if out, err := up.CombinedOutput(); err != nil || !regexp.MustCompile(`Applied [1-9]\d* migrations`).Match(out) || !strings.Contains(string(out), "up to date") {
		t.Fatalf("TINY_DATABASE=… tiny migrate up = %v\n%s\nwant the migrations applied", err, out)
	}
	out, err = exec.Command(tinyBinary(t), "migrate", "--database", db).CombinedOutput()
	if err != nil || strings.Contains(string(out), "pending") || !strings.Contains(string(out), "none, up to date") ||
		strings.Contains(string(out), "Schema version: 0\n") {
		t.Errorf("tiny migrate on an upgraded database = %v\n%s\nwant it up to date", err, out)
	}
}

// TestCLICompletion generates the completion script of each shell.
func TestCLICompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "complete -o default -F __start_tiny tiny",
		"zsh":  "#compdef tiny",
		"fish": "complete -c tiny ",
	} {
		out, err := exec.Command(tinyBinary(t), "completion", shell).Output()
		if err != nil || !bytes.Contains(out, []byte(want)) {
			t.Errorf("tiny completion %s = %v, %d bytes; want a script with %q", shell, err, len(out), want)
		}
	}
	// The scripts ask the binary for candidates: the commands are there.
	out, err := exec.Command(tinyBinary(t), "__complete", "li").Output()
	if err != nil || !bytes.Contains(out, []byte("links\t")) {
		t.Errorf("tiny __complete li = %v, %q; want links", err, out)
	}
}

// TestCLIVersion prints the Go version the binary was built with.
func TestCLIVersion(t *testing.T) {
	out, err := exec.Command(tinyBinary(t), "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "tiny ") || !strings.Contains(string(out), runtime.Version()) || !strings.Contains(string(out), "commit ") {
		t.Errorf("tiny version = %v, %q; want the version, the commit and %s", err, out, runtime.Version())
	}
}

// TestCLIOfflineHelp says OFFLINE in the help of every offline command.
func TestCLIOfflineHelp(t *testing.T) {
	for _, args := range [][]string{{"admin"}, {"admin", "create-user"}, {"admin", "reset-password"}, {"admin", "disable-2fa"}, {"migrate"}, {"migrate", "up"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append(args, "--help"), &out, &errOut); err != nil || !strings.Contains(out.String(), "OFFLINE") {
			t.Errorf("tiny %s --help = %v\n%s\nwant OFFLINE", strings.Join(args, " "), err, out.String())
		}
	}
}

// TestCLIOneDashFlag: a long flag with one dash, which tiny took before
// cobra, is a usage error that shows the spelling.
func TestCLIOneDashFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve", "-addr", "127.0.0.1:1"}, &out, &errOut)
	if exitStatus(err) != exitUsage || err == nil || !strings.Contains(err.Error(), "as in --addr") {
		t.Errorf("tiny serve -addr … = %v (exit %d), want a usage error that shows --addr", err, exitStatus(err))
	}
}
