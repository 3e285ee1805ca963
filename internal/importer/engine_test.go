package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

func openFixture(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// skippedRow returns the listed row with that slug, failing t when none.
func skippedRow(t *testing.T, sum *Summary, slug string) Row {
	t.Helper()
	for _, r := range sum.SkippedRows {
		if r.Slug == slug {
			return r
		}
	}
	t.Fatalf("no skipped row with slug %q in %+v", slug, sum.SkippedRows)
	return Row{}
}

func TestRunCSV(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := &tiny.User{Name: "other", Role: tiny.RoleMember}
	if err := e.store.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := e.links.Create(ctx, accounts.As(other), shortener.CreateInput{URL: "https://example.com/elsewhere", Alias: "taken"}); err != nil {
		t.Fatal(err)
	}

	sum := e.run(t, NewCSV(openFixture(t, "tiny.csv")), Options{})

	if sum.Read != 11 || sum.Imported != 6 {
		t.Errorf("Run(tiny.csv) read %d, imported %d, want 11 and 6", sum.Read, sum.Imported)
	}
	wantSkipped := map[Reason]int64{ReservedAlias: 1, InvalidAlias: 1, InvalidURL: 1, AliasTaken: 1, Malformed: 1}
	if fmt.Sprint(sum.Skipped) != fmt.Sprint(wantSkipped) {
		t.Errorf("Run(tiny.csv) skipped %v, want %v", sum.Skipped, wantSkipped)
	}
	for slug, want := range map[string]struct {
		row    int64
		reason Reason
	}{"admin": {3, ReservedAlias}, "team/a": {4, InvalidAlias}, "bad-scheme": {5, InvalidURL}, "taken": {7, AliasTaken}, "broken": {11, Malformed}} {
		if r := skippedRow(t, sum, slug); r.Row != want.row || r.Reason != want.reason || r.Detail == "" {
			t.Errorf("skipped row %q = %+v, want row %d, reason %s, a detail", slug, r, want.row, want.reason)
		}
	}
	if sum.BlockedCount != 1 || len(sum.Blocked) != 1 || sum.Blocked[0].Slug != "bad-dest" || !strings.Contains(sum.Blocked[0].Detail, "blocklist") {
		t.Errorf("Run(tiny.csv) blocked %d %+v, want bad-dest by the blocklist", sum.BlockedCount, sum.Blocked)
	}

	docs := e.link(t, "docs-home")
	created := time.Date(2020, 5, 1, 10, 0, 0, 0, time.UTC)
	if docs.URL != "https://example.com/docs" || docs.Title != "Documentation" || !slices.Equal(docs.Tags, []string{"docs", "help"}) ||
		docs.Redirect != 301 || docs.ImportedClicks != 42 || docs.Clicks != 0 || !docs.CreatedAt.Equal(created) ||
		docs.ExpiresAt == nil || docs.ExpiresAt.Year() != 2099 || docs.OwnerID != e.user.ID || docs.Status != tiny.StatusActive {
		t.Errorf("imported docs-home = %+v, want every field of row 1, owned by the importer", docs)
	}
	if l := e.link(t, "bad-dest"); l.Status != tiny.StatusBlocked || l.Safety.Auto != tiny.StatusBlocked {
		t.Errorf("bad-dest status = %s (auto %s), want blocked", l.Status, l.Safety.Auto)
	}
	if l := e.link(t, "limited"); l.MaxClicks != 70 || l.ImportedClicks != 30 {
		t.Errorf("limited: max_clicks %d, imported clicks %d, want 70 left of 100 and 30", l.MaxClicks, l.ImportedClicks)
	}
	if l := e.link(t, "used-up"); l.ExpiresAt == nil || l.ExpiresAt.After(time.Now()) {
		t.Errorf("used-up expires at %v, want now: its limit was reached before the import", l.ExpiresAt)
	}
	if l := e.link(t, "expired"); l.ExpiresAt == nil || l.ExpiresAt.Year() != 2001 {
		t.Errorf("expired expires at %v, want 2001 kept", l.ExpiresAt)
	}
	if l := e.link(t, "taken"); l.URL != "https://example.com/elsewhere" {
		t.Errorf("taken now leads to %s, want the other user's link untouched", l.URL)
	}
	// Six imported plus the other user's link.
	if n := e.count(t); n != 7 {
		t.Errorf("store has %d links, want 7", n)
	}
}

// TestRunTwice runs the same import twice: the second run adds nothing,
// whether the job's checkpoint skips the rows (Job set) or the aliases are
// found imported already (no Job).
func TestRunTwice(t *testing.T) {
	const rows = "url,alias\nhttps://example.com/1,one\nhttps://example.com/2,two\nhttps://example.com/3,\n"
	t.Run("checkpoint", func(t *testing.T) {
		e := newEnv(t)
		job, _ := JobID("csv", e.user.ID, strings.NewReader(rows))
		first := e.run(t, NewCSV(strings.NewReader(rows)), Options{Job: job})
		second := e.run(t, NewCSV(strings.NewReader(rows)), Options{Job: job})
		if first.Imported != 3 || second.Imported != 0 || second.Resumed != 3 {
			t.Errorf("imported %d then %d (resumed %d), want 3 then 0 (resumed 3)", first.Imported, second.Imported, second.Resumed)
		}
		if n := e.count(t); n != 3 {
			t.Errorf("store has %d links after two runs, want 3", n)
		}
	})
	t.Run("aliases", func(t *testing.T) {
		e := newEnv(t)
		aliased := "url,alias\nhttps://example.com/1,one\nhttps://example.com/2,two\n"
		e.run(t, NewCSV(strings.NewReader(aliased)), Options{})
		second := e.run(t, NewCSV(strings.NewReader(aliased)), Options{})
		if second.Imported != 0 || second.AlreadyImported != 2 || second.SkippedCount() != 0 {
			t.Errorf("second run: imported %d, already %d, skipped %v; want 0, 2, none", second.Imported, second.AlreadyImported, second.Skipped)
		}
		if n := e.count(t); n != 2 {
			t.Errorf("store has %d links after two runs, want 2", n)
		}
	})
}

// cancelAfter is a Reader that cancels the import after n records, as a
// crash or ^C would stop it mid-way.
type cancelAfter struct {
	Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Next(ctx context.Context) (*Record, error) {
	if c.n == 0 {
		c.cancel()
		return nil, ctx.Err()
	}
	c.n--
	return c.Reader.Next(ctx)
}

// TestRunResume stops an import mid-way and runs it again: every row ends
// up imported exactly once, rows without an alias included (only the
// checkpoint protects those), and the rerun skips what was applied.
func TestRunResume(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	buf.WriteString("url,alias\n")
	for i := 1; i <= 100; i++ {
		alias := ""
		if i%2 == 0 {
			alias = fmt.Sprintf("even-%d", i)
		}
		fmt.Fprintf(&buf, "https://example.com/%d,%s\n", i, alias)
	}
	data := buf.Bytes()
	job, err := JobID("csv", e.user.ID, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{Job: job, BatchSize: 10}
	first, err := Run(ctx, e.links, e.p, &cancelAfter{Reader: NewCSV(bytes.NewReader(data)), n: 45, cancel: cancel}, opt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run cancelled mid-way = %v, want context.Canceled", err)
	}
	applied := e.count(t)
	if applied == 0 || applied >= 100 || int64(applied) != first.Imported {
		t.Fatalf("after the cancelled run the store has %d links, summary %d; want the same, between 1 and 99", applied, first.Imported)
	}
	second := e.run(t, NewCSV(bytes.NewReader(data)), opt)
	if n := e.count(t); n != 100 {
		t.Errorf("after the rerun the store has %d links, want 100", n)
	}
	if second.Resumed != int64(applied) || second.Imported != int64(100-applied) {
		t.Errorf("rerun resumed %d and imported %d, want %d and %d", second.Resumed, second.Imported, applied, 100-applied)
	}
}

func TestRunDryRun(t *testing.T) {
	e := newEnv(t)
	rows := "url,alias\nhttps://example.com/a,a1\nhttps://example.com/b,b1\nhttps://example.com/b,b1\nhttps://login.malware.test/,evil\n"
	e.run(t, NewCSV(strings.NewReader("url,alias\nhttps://example.com/a,a1\n")), Options{})

	sum := e.run(t, NewCSV(strings.NewReader(rows)), Options{DryRun: true})
	if !sum.DryRun || sum.AlreadyImported != 1 || sum.Imported != 2 || sum.Skipped[AliasTaken] != 1 || sum.BlockedCount != 1 {
		t.Errorf("dry run = %+v, want 1 already imported, 2 to import, 1 repeated alias taken, 1 blocked", sum)
	}
	if n := e.count(t); n != 1 {
		t.Errorf("store has %d links after a dry run, want the 1 from before", n)
	}
}

func TestRunProgress(t *testing.T) {
	e := newEnv(t)
	var buf strings.Builder
	buf.WriteString("url\n")
	for i := range 25 {
		fmt.Fprintf(&buf, "https://example.com/%d\n", i)
	}
	var calls []int64
	e.run(t, NewCSV(strings.NewReader(buf.String())), Options{BatchSize: 10, Progress: func(done, total int64) {
		if total != -1 {
			t.Errorf("Progress total = %d, want -1 for a file", total)
		}
		calls = append(calls, done)
	}})
	if !slices.Equal(calls, []int64{10, 20, 25}) {
		t.Errorf("Progress done = %v, want [10 20 25]", calls)
	}
}

func TestJobID(t *testing.T) {
	a1, _ := JobID("CSV", 1, strings.NewReader("x"))
	a2, _ := JobID("csv", 1, strings.NewReader("x"))
	b, _ := JobID("csv", 1, strings.NewReader("y"))
	c, _ := JobID("csv", 2, strings.NewReader("x"))
	if a1 != a2 || a1 == b || a1 == c {
		t.Errorf("JobID: same file %q %q, other content %q, other user %q; want equal, then different", a1, a2, b, c)
	}
}

// flagging is a Screener that flags destinations on review.test and
// passes the rest to the real checker.
type flagging struct{ next shortener.Screener }

func (f flagging) Screen(ctx context.Context, u *tiny.User, url string) (tiny.Screening, error) {
	if strings.Contains(url, "review.test") {
		return tiny.Screening{Status: tiny.StatusFlagged, Score: 0.6, Reason: "needs a look"}, nil
	}
	return f.next.Screen(ctx, u, url)
}

func TestRunListsFlagged(t *testing.T) {
	e := newEnv(t, func(c *shortener.Config) { c.Screener = flagging{c.Screener} })
	sum := e.run(t, NewCSV(strings.NewReader("url,alias\nhttps://review.test/a,maybe\nhttps://example.com/,fine\n")), Options{})
	if sum.FlaggedCount != 1 || len(sum.Flagged) != 1 || sum.Flagged[0].Slug != "maybe" || sum.Flagged[0].Detail != "needs a look" || sum.Imported != 2 {
		t.Errorf("summary = %+v, want maybe listed as flagged, both imported", sum)
	}
	if l := e.link(t, "maybe"); l.Status != tiny.StatusFlagged || l.Safety.Review != tiny.ReviewFlagged {
		t.Errorf("maybe = %s, review %q; want flagged, in the review queue", l.Status, l.Safety.Review)
	}
}
