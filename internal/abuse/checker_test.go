package abuse

import (
	"context"
	"strings"
	"testing"
	"time"

	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// Destinations the committed model is sure about either way; the test
// checks that it still is, so a retrained model that is not shows up here
// rather than as a confusing failure further down.
const (
	cleanURL    = "https://en.wikipedia.org/wiki/Go_(programming_language)"
	phishingURL = "https://paypal.com.account-verify.secure-login.top/signin"
)

func TestCheckVerdicts(t *testing.T) {
	ctx := context.Background()
	model := urlscore.Default()
	if p := model.Score(cleanURL); p >= model.ReviewThreshold {
		t.Fatalf("model score of %s = %.3f, want below the review threshold %.3f", cleanURL, p, model.ReviewThreshold)
	}
	if p := model.Score(phishingURL); p < model.BlockThreshold {
		t.Fatalf("model score of %s = %.3f, want at least the block threshold %.3f", phishingURL, p, model.BlockThreshold)
	}
	blocklist := feed.SetOf("test-feed", "evil.example", "https://files.example/payload/")
	allowlist := feed.SetOf("allow", "paypal.com.account-verify.secure-login.top")
	c := NewChecker(CheckerConfig{Model: model, Feeds: func() *feed.Set { return blocklist }})
	allowing := NewChecker(CheckerConfig{Model: model, Feeds: func() *feed.Set { return blocklist }, Allow: func() *feed.Set { return allowlist }})

	tests := []struct {
		name    string
		checker *Checker
		url     string
		want    tiny.LinkStatus
		reason  string
	}{
		{"clean", c, cleanURL, tiny.StatusActive, "url model"},
		{"model blocks", c, phishingURL, tiny.StatusBlocked, "url model"},
		{"feed domain", c, "https://login.evil.example/x", tiny.StatusBlocked, "blocklist test-feed: evil.example"},
		{"feed url prefix", c, "https://files.example/payload/a.exe", tiny.StatusBlocked, "blocklist test-feed"},
		{"feed url elsewhere", c, "https://files.example/docs/", tiny.StatusActive, "url model"},
		{"allowlist beats the model", allowing, phishingURL, tiny.StatusActive, "allowlist allow"},
		{"blocklist beats the allowlist", allowing, "https://evil.example/", tiny.StatusBlocked, "blocklist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.checker.Check(ctx, nil, tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != tt.want || !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("Check(%s) = %s %q, want %s with reason containing %q", tt.url, v.Status, v.Reason, tt.want, tt.reason)
			}
		})
	}
}

func TestCheckFlagsBetweenThresholds(t *testing.T) {
	model := urlscore.Default()
	const url = "https://secure-update.example-mail.net/account/verify"
	p := model.Score(url)
	c := NewChecker(CheckerConfig{Model: model, ReviewThreshold: p / 2, BlockThreshold: (1 + p) / 2})
	v, err := c.Check(context.Background(), nil, url)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != tiny.StatusFlagged || v.Score != p {
		t.Errorf("Check = %s score %.4f, want flagged with the model's score %.4f", v.Status, v.Score, p)
	}
	if got := c.Counts(); got[tiny.StatusFlagged] != 0 {
		t.Errorf("Check counted %v; only Screen counts verdicts", got)
	}
	if _, err := c.Screen(context.Background(), nil, url); err != nil {
		t.Fatal(err)
	}
	if got := c.Counts()[tiny.StatusFlagged]; got != 1 {
		t.Errorf("Counts()[flagged] after one Screen = %d, want 1", got)
	}
}

// TestCreatorSignals uses a real store: a user with blocked links and a
// refused create scores higher than a new clean account, never enough to
// condemn a clean URL, and admins are scored on the URL alone.
func TestCreatorSignals(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	links := newLinks(t, store, nil)
	model := urlscore.Default()
	now := time.Now()
	c := NewChecker(CheckerConfig{Model: model, History: store, Now: func() time.Time { return now }})

	fresh := newUser(t, store, "fresh", tiny.RoleUser)
	abuser := newUser(t, store, "abuser", tiny.RoleUser)
	admin := newUser(t, store, "admin", tiny.RoleAdmin)
	for i := range 3 {
		l, err := links.Create(ctx, accounts.As(abuser), shortener.CreateInput{URL: "https://example.org/page/" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := links.Block(ctx, l.ID, 1, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.AddAudit(ctx, &tiny.AuditEntry{URL: phishingURL, ActorID: abuser.ID, Action: tiny.ActionRefused}); err != nil {
		t.Fatal(err)
	}
	// Old enough accounts, so only the history differs.
	fresh.CreatedAt, abuser.CreatedAt = now.Add(-30*24*time.Hour), now.Add(-30*24*time.Hour)

	const ambiguous = "https://secure-update.example-mail.net/account/verify"
	p := model.Score(ambiguous)
	vFresh, err := c.Check(ctx, fresh, ambiguous)
	if err != nil {
		t.Fatal(err)
	}
	vAbuser, err := c.Check(ctx, abuser, ambiguous)
	if err != nil {
		t.Fatal(err)
	}
	if vFresh.Score != p {
		t.Errorf("score for a user without history = %.4f, want the model's %.4f", vFresh.Score, p)
	}
	if vAbuser.Score <= p || !strings.Contains(vAbuser.Reason, "3 blocked links") || !strings.Contains(vAbuser.Reason, "refused") {
		t.Errorf("score for a user with 3 blocked links = %.4f (%s), want above %.4f with both signals named", vAbuser.Score, vAbuser.Reason, p)
	}
	vAdmin, err := c.Check(ctx, &tiny.User{ID: admin.ID, Role: tiny.RoleAdmin}, ambiguous)
	if err != nil {
		t.Fatal(err)
	}
	if vAdmin.Score != p {
		t.Errorf("admin's score = %.4f, want the model's %.4f", vAdmin.Score, p)
	}
	vClean, err := c.Check(ctx, abuser, cleanURL)
	if err != nil {
		t.Fatal(err)
	}
	if vClean.Status != tiny.StatusActive {
		t.Errorf("a clean URL from a user with a bad history = %s (%.3f), want active: history alone never condemns", vClean.Status, vClean.Score)
	}
	newAccount := &tiny.User{ID: fresh.ID, Role: tiny.RoleUser, CreatedAt: now.Add(-time.Hour)}
	vNew, err := c.Check(ctx, newAccount, ambiguous)
	if err != nil {
		t.Fatal(err)
	}
	if vNew.Score <= p || !strings.Contains(vNew.Reason, "less than a day old") {
		t.Errorf("new account's score = %.4f (%s), want above %.4f", vNew.Score, vNew.Reason, p)
	}
}

func TestShiftLogitIsBounded(t *testing.T) {
	if got := shiftLogit(0.1, maxCreatorShift); got >= 0.5 {
		t.Errorf("shiftLogit(0.1, max) = %.3f, want < 0.5", got)
	}
	if got := shiftLogit(0.5, 0); got != 0.5 {
		t.Errorf("shiftLogit(0.5, 0) = %v, want 0.5", got)
	}
	if a, b := shiftLogit(0.3, 1), shiftLogit(0.3, 2); !(0.3 < a && a < b && b < 1) {
		t.Errorf("shiftLogit not increasing: %v, %v", a, b)
	}
}
