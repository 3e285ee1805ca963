package abuse

import (
	"context"
	"strings"
	"testing"
	"time"

	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/safebrowsing"
	"tiny/internal/abuse/safebrowsing/sbtest"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/tiny"
)

// A confirmed Safe Browsing match blocks like a feed's, even an allowlisted
// destination; a prefix hit the server denies does not; one it cannot
// confirm sends the link to review.
func TestCheckThreatList(t *testing.T) {
	srv := sbtest.NewServer("key")
	defer srv.Close()
	srv.Add("SOCIAL_ENGINEERING", "phish.example/")
	srv.AddPrefixOnly("MALWARE", "collide.example/")
	srv.Add("MALWARE", "down.example/")
	sb, err := safebrowsing.New(safebrowsing.Config{Key: "key", ServerURL: srv.URL, ConfirmTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	allow := feed.SetOf("allow", "phish.example")
	c := NewChecker(CheckerConfig{Model: urlscore.Default(), Threats: sb, Allow: func() *feed.Set { return allow }})
	for _, tc := range []struct {
		url    string
		fail   bool
		want   tiny.LinkStatus
		reason string
	}{
		{"https://www.phish.example/signin", false, tiny.StatusBlocked, "Google Safe Browsing: SOCIAL_ENGINEERING"},
		{"https://collide.example/", false, tiny.StatusActive, "url model"},
		{"https://down.example/", true, tiny.StatusFlagged, "threat list match not confirmed"},
		{cleanURL, false, tiny.StatusActive, "url model"},
	} {
		srv.FailNext(map[bool]int{true: 1}[tc.fail])
		v, err := c.Check(context.Background(), nil, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != tc.want || !strings.Contains(v.Reason, tc.reason) {
			t.Errorf("Check(%s) = %s %q, want %s with %q", tc.url, v.Status, v.Reason, tc.want, tc.reason)
		}
	}
	// Rescans ask Blocked: the confirmed match, now cached, blocks.
	if reason, ok := c.Blocked("http://phish.example/other"); !ok || !strings.Contains(reason, "SOCIAL_ENGINEERING") {
		t.Errorf("Blocked(listed) = %q, %v", reason, ok)
	}
	if reason, ok := c.Blocked("https://down.example/"); !ok || !strings.Contains(reason, "MALWARE") {
		t.Errorf("Blocked(listed, server back) = %q, %v", reason, ok)
	}
	// A later update that removes the entry lets new links through.
	srv.Remove("SOCIAL_ENGINEERING", "phish.example/")
	if _, err := sb.Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Check(context.Background(), nil, "https://www.phish.example/signin"); err != nil || v.Status != tiny.StatusActive {
		t.Errorf("Check after the removal = %s %q, %v; want active", v.Status, v.Reason, err)
	}
}
