// Package storetest is the conformance suite of tiny.Store: every store
// implementation (sqlite, postgres) runs Run in its own tests and must pass
// it unchanged, so callers can rely on the documented behaviour of each
// method, error codes included, whichever store they are given.
package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// Run runs the conformance suite. open must return a new, empty store
// (freshly migrated, no links, users, keys or settings) each time it is
// called; it is called once per subtest, and the suite closes the store
// when that subtest ends. open should fail t (t.Fatal) when it cannot
// produce a store, or skip it (t.Skip) when the store's server is missing.
func Run(t *testing.T, open func(t *testing.T) tiny.Store) {
	run(t, open, func(string) bool { return true })
}

// RunClicks runs only the tests of clicks (RecordClicks, ClickStats,
// Clicks, DeleteClicksBefore, unique visitors): for a store run again in
// another mode of its click writing.
func RunClicks(t *testing.T, open func(t *testing.T) tiny.Store) {
	run(t, open, func(name string) bool {
		return strings.Contains(name, "Clicks") || strings.HasPrefix(name, "ClickStats") || name == "UniqueVisitors"
	})
}

func run(t *testing.T, open func(t *testing.T) tiny.Store, keep func(name string) bool) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"CreateLinkRoundTrip", testCreateLinkRoundTrip},
		{"CreateLinkMinimal", testCreateLinkMinimal},
		{"LinkByAlias", testLinkByAlias},
		{"NotFound", testLinkNotFound},
		{"LinkTargetByID", testLinkTargetByID},
		{"CreateLinkConflicts", testCreateLinkConflicts},
		{"UpdateLink", testUpdateLink},
		{"UpdateLinkNotFound", testUpdateLinkNotFound},
		{"DeleteLink", testDeleteLink},
		{"ListLinksPagination", testListLinksPagination},
		{"ListLinksFilters", testListLinksFilters},
		{"ListLinksByClicks", testListLinksByClicks},
		{"ConsumeClick", testConsumeClick},
		{"ConsumeClickConcurrent", testConsumeClickConcurrent},
		{"ConsumeClickDeletedIsGone", testConsumeClickDeletedIsGone},
		{"TagsKeepOrder", testTagsKeepOrder},
		{"LeaseIDsInvalid", testLeaseIDsInvalid},
		{"LeaseIDs", testLeaseIDs},
		{"LeaseIDsConcurrent", testLeaseIDsConcurrent},
		{"Users", testUsers},
		{"APIKeys", testAPIKeys},
		{"Setting", testSetting},
		{"SettingRace", testSettingRace},
		{"DeleteSetting", testDeleteSetting},
		{"RecordClicksTotals", testRecordClicksTotals},
		{"ClickStatsQueries", testClickStatsQueries},
		{"ClickStatsDays", testClickStatsDays},
		{"ClickStatsRolledDays", testClickStatsRolledDays},
		{"UniqueVisitors", testUniqueVisitors},
		{"RecordClicksUnknownLinks", testRecordClicksUnknownLinks},
		{"Clicks", testClicks},
		{"DeleteClicksBefore", testDeleteClicksBefore},
		{"RecordClicksConcurrent", testRecordClicksConcurrent},
		{"Ping", testPing},
		{"SafetyRoundTrip", testSafetyRoundTrip},
		{"CreateLinkAudit", testCreateLinkAudit},
		{"UpdateLinkKeepsSafety", testUpdateLinkKeepsSafety},
		{"Decide", testDecide},
		{"DecideBySystem", testDecideBySystem},
		{"DecideErrors", testDecideErrors},
		{"FlagBySystem", testFlagBySystem},
		{"ReportLink", testReportLink},
		{"ReportLinkConcurrent", testReportLinkConcurrent},
		{"AppealLink", testAppealLink},
		{"ReviewQueue", testReviewQueue},
		{"AddAudit", testAddAudit},
		{"AuditLog", testAuditLog},
		{"AuditFilters", testAuditFilters},
		{"CreatorHistory", testCreatorHistory},
		{"DecisionCounts", testDecisionCounts},
		{"DailyDecisionCounts", testDailyDecisionCounts},
		{"LinkURLs", testLinkURLs},
		{"DestinationBlocks", testDestinationBlocks},
		{"DestinationBlockErrors", testDestinationBlockErrors},
		{"DestinationBlockRace", testDestinationBlockRace},
	}
	tests = append(tests, accountTests...)
	tests = append(tests, importTests...)
	for _, tt := range tests {
		if !keep(tt.name) {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close() = %v, want nil", err)
				}
			})
			codec, err := tiny.NewCodec([]byte("storetest-key-16"))
			if err != nil {
				t.Fatalf("NewCodec: %v", err)
			}
			tt.fn(t, &env{s: s, codec: codec, start: time.Now()})
		})
	}
}

// env is the state of one subtest: the store under test and the
// generator of link ids and codes.
type env struct {
	s      tiny.Store
	codec  *tiny.Codec
	lastID int64
	start  time.Time
}

// newLink returns a link that is not stored yet, with a fresh id and its
// code, and the fields every link needs.
func (e *env) newLink() *tiny.Link {
	e.lastID++
	return &tiny.Link{
		ID:       e.lastID,
		Code:     e.codec.Encode(e.lastID),
		OwnerID:  1,
		URL:      fmt.Sprintf("https://example.com/page/%d", e.lastID),
		Redirect: tiny.DefaultRedirect,
		Status:   tiny.StatusActive,
	}
}

// create stores a new link after mod (when not nil) has changed it, and
// fails the test when that fails.
func (e *env) create(t *testing.T, mod func(l *tiny.Link)) *tiny.Link {
	t.Helper()
	l := e.newLink()
	if mod != nil {
		mod(l)
	}
	if err := e.s.CreateLink(t.Context(), l); err != nil {
		t.Fatalf("CreateLink(%s) = %v, want nil", linkString(l), err)
	}
	return l
}

func ptr[T any](v T) *T { return &v }

// ms is a time at millisecond precision, the precision every store keeps,
// in a zone other than UTC so the suite sees that stores return UTC.
func ms(year int, month time.Month, day, msec int) time.Time {
	return time.Date(year, month, day, 10, 20, 30, msec*int(time.Millisecond), time.FixedZone("UTC+2", 2*3600))
}

// linkString formats a link with its pointer fields dereferenced.
func linkString(l *tiny.Link) string {
	if l == nil {
		return "<nil>"
	}
	optInt := func(p *int) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	optTime := func(p *time.Time) string {
		if p == nil {
			return "nil"
		}
		return p.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("{ID:%d Code:%q Alias:%q OwnerID:%d URL:%q Title:%q Tags:%q Redirect:%d CacheSeconds:%s ExpiresAt:%s MaxClicks:%d PasswordHash:%q ForwardQuery:%t Status:%s Safety:%+v Clicks:%d CreatedAt:%s UpdatedAt:%s DeletedAt:%s}",
		l.ID, l.Code, l.Alias, l.OwnerID, l.URL, l.Title, l.Tags, l.Redirect, optInt(l.CacheSeconds),
		optTime(l.ExpiresAt), l.MaxClicks, l.PasswordHash, l.ForwardQuery, l.Status, l.Safety, l.Clicks,
		l.CreatedAt.Format(time.RFC3339Nano), l.UpdatedAt.Format(time.RFC3339Nano), optTime(l.DeletedAt))
}

// linkDiff returns the fields in which got differs from want, "" when it
// does not. Times compare as instants; nil and empty tags are equal, and
// tags compare as sets.
func linkDiff(got, want *tiny.Link) string {
	var d []string
	add := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s: got %v, want %v", field, g, w)) }
	if got.ID != want.ID {
		add("ID", got.ID, want.ID)
	}
	if got.Code != want.Code {
		add("Code", got.Code, want.Code)
	}
	if got.Alias != want.Alias {
		add("Alias", got.Alias, want.Alias)
	}
	if got.OwnerID != want.OwnerID {
		add("OwnerID", got.OwnerID, want.OwnerID)
	}
	if got.URL != want.URL {
		add("URL", got.URL, want.URL)
	}
	if got.Title != want.Title {
		add("Title", got.Title, want.Title)
	}
	if g, w := sortedTags(got.Tags), sortedTags(want.Tags); !slices.Equal(g, w) {
		add("Tags", g, w)
	}
	if got.Redirect != want.Redirect {
		add("Redirect", got.Redirect, want.Redirect)
	}
	if (got.CacheSeconds == nil) != (want.CacheSeconds == nil) ||
		got.CacheSeconds != nil && *got.CacheSeconds != *want.CacheSeconds {
		add("CacheSeconds", optString(got.CacheSeconds), optString(want.CacheSeconds))
	}
	if !optTimeEqual(got.ExpiresAt, want.ExpiresAt) {
		add("ExpiresAt", optString(got.ExpiresAt), optString(want.ExpiresAt))
	}
	if got.MaxClicks != want.MaxClicks {
		add("MaxClicks", got.MaxClicks, want.MaxClicks)
	}
	if got.PasswordHash != want.PasswordHash {
		add("PasswordHash", got.PasswordHash, want.PasswordHash)
	}
	if got.ForwardQuery != want.ForwardQuery {
		add("ForwardQuery", got.ForwardQuery, want.ForwardQuery)
	}
	if got.Status != want.Status {
		add("Status", got.Status, want.Status)
	}
	if got.Safety != want.Safety {
		add("Safety", fmt.Sprintf("%+v", got.Safety), fmt.Sprintf("%+v", want.Safety))
	}
	if got.Clicks != want.Clicks {
		add("Clicks", got.Clicks, want.Clicks)
	}
	if got.ImportedClicks != want.ImportedClicks {
		add("ImportedClicks", got.ImportedClicks, want.ImportedClicks)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		add("CreatedAt", got.CreatedAt, want.CreatedAt)
	}
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		add("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	}
	if !optTimeEqual(got.DeletedAt, want.DeletedAt) {
		add("DeletedAt", optString(got.DeletedAt), optString(want.DeletedAt))
	}
	return strings.Join(d, "; ")
}

func sortedTags(tags []string) []string {
	s := slices.Clone(tags)
	slices.Sort(s)
	if len(s) == 0 {
		return nil
	}
	return s
}

func optString[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func optTimeEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// checkUTC fails t unless every time of l is in UTC.
func checkUTC(t *testing.T, call string, l *tiny.Link) {
	t.Helper()
	times := map[string]*time.Time{"CreatedAt": &l.CreatedAt, "UpdatedAt": &l.UpdatedAt,
		"ExpiresAt": l.ExpiresAt, "DeletedAt": l.DeletedAt}
	for name, tm := range times {
		if tm != nil && tm.Location() != time.UTC {
			t.Errorf("%s.%s location = %v, want UTC", call, name, tm.Location())
		}
	}
}

// checkRecent fails t unless tm lies between the start of the subtest and
// now, give or take a second (a store may use its own clock).
func (e *env) checkRecent(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.Before(e.start.Add(-time.Second)) || tm.After(time.Now().Add(time.Second)) {
		t.Errorf("%s = %v, want a time between %v and now", what, tm, e.start)
	}
}

// wantCode fails t unless err has the code want and, when field is not
// empty, concerns that field.
func wantCode(t *testing.T, call string, err error, want tiny.ErrorCode, field string) {
	t.Helper()
	if got := tiny.ErrorCodeOf(err); got != want {
		t.Errorf("%s = %v (code %q), want code %q", call, err, got, want)
		return
	}
	if field != "" {
		if got := tiny.ErrorFieldOf(err); got != field {
			t.Errorf("%s = %v (field %q), want field %q", call, err, got, field)
		}
	}
}

func testCreateLinkRoundTrip(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.newLink()
	l.Alias = "round-trip"
	l.OwnerID = 42
	l.URL = "https://example.com/a?b=c#d"
	l.Title = "A title, with ünïcode"
	l.Tags = []string{"news", "go", "été"}
	l.Redirect = 308
	l.CacheSeconds = ptr(3600)
	l.ExpiresAt = ptr(ms(2031, 5, 6, 789))
	l.MaxClicks = 10
	l.PasswordHash = "$2a$10$abcdefghijklmnopqrstuv"
	l.ForwardQuery = true
	l.Status = tiny.StatusFlagged
	l.Safety = tiny.Safety{Score: 0.625, Auto: tiny.StatusFlagged, Reason: "new domain, ünïcode",
		Review: tiny.ReviewFlagged, Reports: 3}
	want := *l
	want.Tags = slices.Clone(l.Tags)

	if err := e.s.CreateLink(ctx, l); err != nil {
		t.Fatalf("CreateLink(%s) = %v, want nil", linkString(l), err)
	}
	if l.CreatedAt.IsZero() || !l.UpdatedAt.Equal(l.CreatedAt) {
		t.Errorf("CreateLink(%d) set CreatedAt %v, UpdatedAt %v; want both set to the same time", l.ID, l.CreatedAt, l.UpdatedAt)
	}
	e.checkRecent(t, "CreateLink().CreatedAt", l.CreatedAt)
	want.CreatedAt, want.UpdatedAt = l.CreatedAt, l.UpdatedAt

	got, err := e.s.LinkByID(ctx, l.ID)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", l.ID, err)
	}
	if d := linkDiff(got, &want); d != "" {
		t.Errorf("LinkByID(%d) = %s, want %s\ndiff: %s", l.ID, linkString(got), linkString(&want), d)
	}
	checkUTC(t, fmt.Sprintf("LinkByID(%d)", l.ID), got)
}

func testCreateLinkMinimal(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.newLink()
	l.OwnerID = 0 // anonymous
	want := *l
	want.Safety.Auto = tiny.StatusActive // Safety.Auto defaults to Status
	if err := e.s.CreateLink(ctx, l); err != nil {
		t.Fatalf("CreateLink(%s) = %v, want nil", linkString(l), err)
	}
	want.CreatedAt, want.UpdatedAt = l.CreatedAt, l.UpdatedAt
	got, err := e.s.LinkByID(ctx, l.ID)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", l.ID, err)
	}
	if d := linkDiff(got, &want); d != "" {
		t.Errorf("LinkByID(%d) = %s, want %s\ndiff: %s", l.ID, linkString(got), linkString(&want), d)
	}
	if got.CacheSeconds != nil || got.ExpiresAt != nil || got.DeletedAt != nil || len(got.Tags) != 0 {
		t.Errorf("LinkByID(%d) = %s, want nil CacheSeconds, ExpiresAt, DeletedAt and no tags", l.ID, linkString(got))
	}
}

func testLinkByAlias(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.create(t, func(l *tiny.Link) { l.Alias = "my-Alias_1"; l.Tags = []string{"x"} })
	e.create(t, nil) // another link, without alias

	got, err := e.s.LinkByAlias(ctx, "my-Alias_1")
	if err != nil {
		t.Fatalf("LinkByAlias(%q) = %v, want nil", "my-Alias_1", err)
	}
	if d := linkDiff(got, l); d != "" {
		t.Errorf("LinkByAlias(%q) = %s, want %s\ndiff: %s", "my-Alias_1", linkString(got), linkString(l), d)
	}
	byID, err := e.s.LinkByID(ctx, l.ID)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", l.ID, err)
	}
	if byID.Alias != "my-Alias_1" {
		t.Errorf("LinkByID(%d).Alias = %q, want %q", l.ID, byID.Alias, "my-Alias_1")
	}
	// Aliases are case-sensitive, like codes.
	for _, alias := range []string{"my-alias_1", "MY-ALIAS_1", "my-Alias_", "nope", l.Code} {
		_, err := e.s.LinkByAlias(ctx, alias)
		wantCode(t, fmt.Sprintf("LinkByAlias(%q)", alias), err, tiny.NotFound, "")
	}
}

func testLinkNotFound(t *testing.T, e *env) {
	ctx := t.Context()
	e.create(t, nil)
	for _, id := range []int64{0, 2, 1000, tiny.MaxID} {
		l, err := e.s.LinkByID(ctx, id)
		wantCode(t, fmt.Sprintf("LinkByID(%d)", id), err, tiny.NotFound, "")
		if l != nil {
			t.Errorf("LinkByID(%d) = %s, want nil link with the error", id, linkString(l))
		}
	}
	l, err := e.s.LinkByAlias(ctx, "missing")
	wantCode(t, `LinkByAlias("missing")`, err, tiny.NotFound, "")
	if l != nil {
		t.Errorf(`LinkByAlias("missing") = %s, want nil link with the error`, linkString(l))
	}
}

// testLinkTargetByID reads what a redirect needs of links of every kind:
// only an active, live link without a password, click limit or expiry is
// plain.
func testLinkTargetByID(t *testing.T, e *env) {
	ctx := t.Context()
	plain := e.create(t, func(l *tiny.Link) {
		l.Alias, l.Title, l.Tags = "plain-alias", "A title", []string{"x"}
		l.Redirect, l.CacheSeconds, l.ForwardQuery = 308, ptr(600), true
	})
	got, err := e.s.LinkTargetByID(ctx, plain.ID)
	want := tiny.LinkTarget{Code: plain.Code, URL: plain.URL, Redirect: 308, CacheSeconds: ptr(600), ForwardQuery: true, Plain: true}
	if err != nil || got.Code != want.Code || got.URL != want.URL || got.Redirect != want.Redirect ||
		got.CacheSeconds == nil || *got.CacheSeconds != 600 || got.ForwardQuery != want.ForwardQuery || !got.Plain {
		t.Errorf("LinkTargetByID(%d) = %+v, %v, want %+v", plain.ID, got, err, want)
	}
	if got, err := e.s.LinkTargetByID(ctx, e.create(t, nil).ID); err != nil || got.CacheSeconds != nil || got.ForwardQuery || !got.Plain {
		t.Errorf("LinkTargetByID of a minimal link = %+v, %v, want plain without cache seconds", got, err)
	}
	for what, mod := range map[string]func(l *tiny.Link){
		"a password":    func(l *tiny.Link) { l.PasswordHash = "$2a$10$abcdefghijklmnopqrstuv" },
		"a click limit": func(l *tiny.Link) { l.MaxClicks = 1 },
		"an expiry":     func(l *tiny.Link) { l.ExpiresAt = ptr(ms(2031, 5, 6, 789)) },
		"flagged":       func(l *tiny.Link) { l.Status = tiny.StatusFlagged },
		"blocked":       func(l *tiny.Link) { l.Status = tiny.StatusBlocked },
	} {
		l := e.create(t, mod)
		if got, err := e.s.LinkTargetByID(ctx, l.ID); err != nil || got.Plain || got.URL != l.URL {
			t.Errorf("LinkTargetByID of a link with %s = %+v, %v, want it not plain", what, got, err)
		}
	}
	deleted := e.create(t, nil)
	if err := e.s.DeleteLink(ctx, deleted.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.LinkTargetByID(ctx, deleted.ID); err != nil || got.Plain {
		t.Errorf("LinkTargetByID of a deleted link = %+v, %v, want it found, not plain", got, err)
	}
	for _, id := range []int64{0, 1000, tiny.MaxID} {
		_, err := e.s.LinkTargetByID(ctx, id)
		wantCode(t, fmt.Sprintf("LinkTargetByID(%d)", id), err, tiny.NotFound, "")
	}
}

func testCreateLinkConflicts(t *testing.T, e *env) {
	ctx := t.Context()
	existing := e.create(t, func(l *tiny.Link) { l.Alias = "taken" })

	// A link whose id comes later: its code is known before it exists, and
	// an alias equal to it is stored first.
	futureID := int64(1000)
	futureCode := e.codec.Encode(futureID)
	e.create(t, func(l *tiny.Link) { l.Alias = futureCode })

	tests := []struct {
		name  string
		mod   func(l *tiny.Link)
		field string
	}{
		{"alias taken", func(l *tiny.Link) { l.Alias = "taken" }, "alias"},
		{"alias equals the code of an existing link", func(l *tiny.Link) { l.Alias = existing.Code }, "alias"},
		{"alias equals its own code", func(l *tiny.Link) { l.Alias = l.Code }, "alias"},
		{"code equals an existing alias", func(l *tiny.Link) { l.ID, l.Code = futureID, futureCode }, "code"},
		{"code equals an existing alias, with an alias", func(l *tiny.Link) {
			l.ID, l.Code, l.Alias = futureID, futureCode, "fresh-alias"
		}, "code"},
		{"id taken", func(l *tiny.Link) { l.ID, l.Code = existing.ID, existing.Code }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := e.newLink()
			l.Tags = []string{"conflict"}
			tt.mod(l)
			err := e.s.CreateLink(ctx, l)
			wantCode(t, fmt.Sprintf("CreateLink(%s)", linkString(l)), err, tiny.Conflict, tt.field)
			// Nothing of the failed create is left behind.
			if l.ID != existing.ID {
				_, err := e.s.LinkByID(ctx, l.ID)
				wantCode(t, fmt.Sprintf("LinkByID(%d) after failed create", l.ID), err, tiny.NotFound, "")
			}
			if l.Alias == "fresh-alias" {
				_, err := e.s.LinkByAlias(ctx, l.Alias)
				wantCode(t, fmt.Sprintf("LinkByAlias(%q) after failed create", l.Alias), err, tiny.NotFound, "")
			}
			if links, err := e.s.ListLinks(ctx, tiny.LinkFilter{Tag: "conflict", Limit: 10}); err != nil || len(links) != 0 {
				t.Errorf("ListLinks(Tag conflict) after failed create = %d links, %v; want 0, nil", len(links), err)
			}
		})
	}
	// The failed creates changed nothing: the existing link still has its alias.
	got, err := e.s.LinkByAlias(ctx, "taken")
	if err != nil || got.ID != existing.ID {
		t.Errorf("LinkByAlias(%q) = %v, %v; want link %d", "taken", got, err, existing.ID)
	}
}

func testUpdateLink(t *testing.T, e *env) {
	ctx := t.Context()
	orig := e.create(t, func(l *tiny.Link) {
		l.Alias = "upd"
		l.Tags = []string{"a", "b"}
		l.CacheSeconds = ptr(60)
		l.ExpiresAt = ptr(ms(2030, 1, 2, 3))
		l.MaxClicks = 3
		l.PasswordHash = "hash"
		l.ForwardQuery = true
	})
	other := e.create(t, func(l *tiny.Link) { l.Tags = []string{"a"} })

	steps := []struct {
		name string
		mod  func(l *tiny.Link)
	}{
		{"every mutable field", func(l *tiny.Link) {
			l.URL = "https://example.org/new"
			l.Title = "New title"
			l.Tags = []string{"b", "c", "d"}
			l.Redirect = 301
			l.CacheSeconds = ptr(0)
			l.ExpiresAt = ptr(ms(2032, 12, 31, 999))
			l.MaxClicks = 0
			l.PasswordHash = ""
			l.ForwardQuery = false
			l.Status = tiny.StatusBlocked
		}},
		{"pointers to nil, tags cleared", func(l *tiny.Link) {
			l.CacheSeconds = nil
			l.ExpiresAt = nil
			l.Tags = nil
			l.Status = tiny.StatusActive
		}},
		{"pointers and tags set again", func(l *tiny.Link) {
			l.CacheSeconds = ptr(86400)
			l.ExpiresAt = ptr(ms(2029, 7, 1, 1))
			l.Tags = []string{"a"}
			l.MaxClicks = 7
			l.PasswordHash = "other-hash"
			l.ForwardQuery = true
			l.Redirect = 307
		}},
	}
	cur := *orig
	for _, step := range steps {
		l := cur
		l.Tags = slices.Clone(cur.Tags)
		step.mod(&l)
		want := l
		before := time.Now()
		if err := e.s.UpdateLink(ctx, &l); err != nil {
			t.Fatalf("%s: UpdateLink(%s) = %v, want nil", step.name, linkString(&l), err)
		}
		if l.UpdatedAt.Before(orig.CreatedAt) || l.UpdatedAt.Before(before.Add(-time.Second)) {
			t.Errorf("%s: UpdateLink(%d) set UpdatedAt = %v, want about %v", step.name, l.ID, l.UpdatedAt, before)
		}
		want.UpdatedAt = l.UpdatedAt
		got, err := e.s.LinkByID(ctx, l.ID)
		if err != nil {
			t.Fatalf("%s: LinkByID(%d) = %v, want nil", step.name, l.ID, err)
		}
		if d := linkDiff(got, &want); d != "" {
			t.Errorf("%s: LinkByID(%d) = %s, want %s\ndiff: %s", step.name, l.ID, linkString(got), linkString(&want), d)
		}
		checkUTC(t, fmt.Sprintf("LinkByID(%d)", l.ID), got)
		cur = *got
	}

	// Only the mutable fields change: code, alias, owner, clicks and
	// creation time stay what they were.
	l := cur
	l.Code, l.Alias, l.OwnerID, l.Clicks = "zzzzzzz", "other-alias", 99, 1234
	l.CreatedAt = ms(2001, 1, 1, 0)
	if err := e.s.UpdateLink(ctx, &l); err != nil {
		t.Fatalf("UpdateLink(%s) = %v, want nil", linkString(&l), err)
	}
	got, err := e.s.LinkByID(ctx, l.ID)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", l.ID, err)
	}
	if got.Code != orig.Code || got.Alias != orig.Alias || got.OwnerID != orig.OwnerID || got.Clicks != 0 || !got.CreatedAt.Equal(orig.CreatedAt) {
		t.Errorf("LinkByID(%d) after UpdateLink with immutable fields changed = %s, want Code %q Alias %q OwnerID %d Clicks 0 CreatedAt %v",
			l.ID, linkString(got), orig.Code, orig.Alias, orig.OwnerID, orig.CreatedAt)
	}
	if _, err := e.s.LinkByAlias(ctx, "other-alias"); tiny.ErrorCodeOf(err) != tiny.NotFound {
		t.Errorf(`LinkByAlias("other-alias") = %v, want NotFound: UpdateLink must not change the alias`, err)
	}

	// The other link's tags are untouched.
	gotOther, err := e.s.LinkByID(ctx, other.ID)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", other.ID, err)
	}
	if d := linkDiff(gotOther, other); d != "" {
		t.Errorf("LinkByID(%d) = %s, want %s\ndiff: %s", other.ID, linkString(gotOther), linkString(other), d)
	}
}

func testUpdateLinkNotFound(t *testing.T, e *env) {
	l := e.newLink()
	err := e.s.UpdateLink(t.Context(), l)
	wantCode(t, fmt.Sprintf("UpdateLink(%d) of a link never created", l.ID), err, tiny.NotFound, "")
}

func testDeleteLink(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.create(t, func(l *tiny.Link) { l.Alias = "doomed"; l.Tags = []string{"t"} })
	keep := e.create(t, func(l *tiny.Link) { l.Tags = []string{"t"} })

	if err := e.s.DeleteLink(ctx, l.ID); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", l.ID, err)
	}
	got, err := e.s.LinkByID(ctx, l.ID)
	if err != nil {
		t.Fatalf("LinkByID(%d) of a deleted link = %v, want nil", l.ID, err)
	}
	if got.DeletedAt == nil {
		t.Fatalf("LinkByID(%d).DeletedAt = nil, want the deletion time", l.ID)
	}
	e.checkRecent(t, fmt.Sprintf("LinkByID(%d).DeletedAt", l.ID), *got.DeletedAt)
	checkUTC(t, fmt.Sprintf("LinkByID(%d)", l.ID), got)
	if got.Code != l.Code || got.Alias != l.Alias || got.URL != l.URL {
		t.Errorf("LinkByID(%d) of a deleted link = %s, want code, alias and URL kept", l.ID, linkString(got))
	}
	byAlias, err := e.s.LinkByAlias(ctx, "doomed")
	if err != nil || byAlias.ID != l.ID || byAlias.DeletedAt == nil {
		t.Errorf(`LinkByAlias("doomed") of a deleted link = %s, %v; want link %d with DeletedAt set`, linkString(byAlias), err, l.ID)
	}

	err = e.s.DeleteLink(ctx, l.ID)
	wantCode(t, fmt.Sprintf("DeleteLink(%d) a second time", l.ID), err, tiny.NotFound, "")
	err = e.s.DeleteLink(ctx, 12345)
	wantCode(t, "DeleteLink(12345)", err, tiny.NotFound, "")

	upd := *got
	upd.URL = "https://example.com/revived"
	upd.DeletedAt = nil
	err = e.s.UpdateLink(ctx, &upd)
	wantCode(t, fmt.Sprintf("UpdateLink(%d) of a deleted link", l.ID), err, tiny.NotFound, "")
	if again, err := e.s.LinkByID(ctx, l.ID); err != nil || again.URL != l.URL || again.DeletedAt == nil {
		t.Errorf("LinkByID(%d) after UpdateLink of a deleted link = %s, %v; want it unchanged", l.ID, linkString(again), err)
	}

	// The alias stays taken, so it can never lead somewhere else.
	n := e.newLink()
	n.Alias = "doomed"
	wantCode(t, `CreateLink(alias "doomed" of a deleted link)`, e.s.CreateLink(ctx, n), tiny.Conflict, "alias")

	// Listing leaves deleted links out.
	for _, f := range []tiny.LinkFilter{{Limit: 10}, {Tag: "t", Limit: 10}, {OwnerID: l.OwnerID, Limit: 10}, {Query: "example.com", Limit: 10}} {
		links, err := e.s.ListLinks(ctx, f)
		if err != nil {
			t.Fatalf("ListLinks(%+v) = %v, want nil", f, err)
		}
		if ids := linkIDs(links); !slices.Equal(ids, []int64{keep.ID}) {
			t.Errorf("ListLinks(%+v) = ids %v, want %v", f, ids, []int64{keep.ID})
		}
	}
}

func linkIDs(links []*tiny.Link) []int64 {
	ids := make([]int64, 0, len(links))
	for _, l := range links {
		ids = append(ids, l.ID)
	}
	return ids
}

func testListLinksPagination(t *testing.T, e *env) {
	ctx := t.Context()
	var want []int64
	for i := range 23 {
		l := e.create(t, func(l *tiny.Link) { l.Tags = []string{"page", fmt.Sprintf("n%d", i)} })
		if i%5 == 2 {
			if err := e.s.DeleteLink(ctx, l.ID); err != nil {
				t.Fatalf("DeleteLink(%d) = %v, want nil", l.ID, err)
			}
			continue
		}
		want = append(want, l.ID)
	}
	slices.Reverse(want)
	if n, err := e.s.CountLinks(ctx); err != nil || n != int64(len(want)) {
		t.Errorf("CountLinks() = %d, %v; want %d, nil (deleted links left out)", n, err, len(want))
	}

	empty, err := e.s.ListLinks(ctx, tiny.LinkFilter{Tag: "no-such-tag", Limit: 10})
	if err != nil || len(empty) != 0 {
		t.Errorf("ListLinks(Tag no-such-tag) = %d links, %v; want 0, nil", len(empty), err)
	}

	for _, limit := range []int{1, 4, 7, len(want), 100} {
		var got []int64
		f := tiny.LinkFilter{Limit: limit}
		for pages := 0; ; pages++ {
			if pages > len(want)+1 {
				t.Fatalf("ListLinks with Limit %d does not end: %v", limit, got)
			}
			links, err := e.s.ListLinks(ctx, f)
			if err != nil {
				t.Fatalf("ListLinks(%+v) = %v, want nil", f, err)
			}
			if len(links) > limit {
				t.Fatalf("ListLinks(%+v) = %d links, want at most %d", f, len(links), limit)
			}
			for _, l := range links {
				if l.DeletedAt != nil {
					t.Errorf("ListLinks(%+v) returned deleted link %d", f, l.ID)
				}
				if len(l.Tags) != 2 {
					t.Errorf("ListLinks(%+v) link %d Tags = %q, want 2 tags", f, l.ID, l.Tags)
				}
			}
			got = append(got, linkIDs(links)...)
			if len(links) < limit {
				break
			}
			f.AfterID = links[len(links)-1].ID
		}
		if !slices.Equal(got, want) {
			t.Errorf("ListLinks walk with Limit %d = ids %v, want %v (every live link once, newest first)", limit, got, want)
		}
	}

	// A cursor in the middle.
	f := tiny.LinkFilter{AfterID: want[3], Limit: 2}
	links, err := e.s.ListLinks(ctx, f)
	if err != nil {
		t.Fatalf("ListLinks(%+v) = %v, want nil", f, err)
	}
	if ids := linkIDs(links); !slices.Equal(ids, want[4:6]) {
		t.Errorf("ListLinks(%+v) = ids %v, want %v", f, ids, want[4:6])
	}
}

func testListLinksFilters(t *testing.T, e *env) {
	ctx := t.Context()
	mk := func(owner int64, url, title string, tags ...string) int64 {
		return e.create(t, func(l *tiny.Link) {
			l.OwnerID, l.URL, l.Title, l.Tags = owner, url, title, tags
		}).ID
	}
	a := mk(1, "https://go.dev/doc/", "The Go Programming Language", "go", "docs")
	b := mk(1, "https://example.com/100%25-sure", "Discount 100% off", "shop")
	c := mk(2, "https://example.com/snake_case", "Naming things", "go")
	d := mk(2, "https://example.org/x", "Über Straße", "Go")
	f := mk(3, "https://news.example.net/", "Daily news", "news", "go")
	g := mk(1, "https://example.com/100x25", "Discount 1000 off", "shop")
	deleted := mk(1, "https://go.dev/deleted", "Go deleted", "go")
	if err := e.s.DeleteLink(ctx, deleted); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", deleted, err)
	}

	tests := []struct {
		f    tiny.LinkFilter
		want []int64
	}{
		{tiny.LinkFilter{}, []int64{g, f, d, c, b, a}},
		{tiny.LinkFilter{OwnerID: 1}, []int64{g, b, a}},
		{tiny.LinkFilter{OwnerID: 2}, []int64{d, c}},
		{tiny.LinkFilter{OwnerID: 77}, nil},
		{tiny.LinkFilter{Tag: "go"}, []int64{f, c, a}},
		{tiny.LinkFilter{Tag: "Go"}, []int64{d}},
		{tiny.LinkFilter{Tag: "g"}, nil},
		{tiny.LinkFilter{Tag: "go", OwnerID: 1}, []int64{a}},
		{tiny.LinkFilter{Tag: "go", Limit: 2}, []int64{f, c}},
		{tiny.LinkFilter{Tag: "go", AfterID: c}, []int64{a}},
		{tiny.LinkFilter{Query: "go.dev"}, []int64{a}},
		{tiny.LinkFilter{Query: "PROGRAMMING"}, []int64{a}},
		{tiny.LinkFilter{Query: "example"}, []int64{g, f, d, c, b}},
		{tiny.LinkFilter{Query: "example.com", OwnerID: 2}, []int64{c}},
		{tiny.LinkFilter{Query: "100%"}, []int64{b}},
		{tiny.LinkFilter{Query: "%"}, []int64{b}},
		{tiny.LinkFilter{Query: "e_c"}, []int64{c}},
		{tiny.LinkFilter{Query: "_"}, []int64{c}},
		{tiny.LinkFilter{Query: `\`}, nil},
		{tiny.LinkFilter{Query: "über"}, []int64{d}},
		{tiny.LinkFilter{Query: "straße"}, []int64{d}},
		{tiny.LinkFilter{Query: "news", Tag: "news"}, []int64{f}},
		{tiny.LinkFilter{Query: "nothing matches this"}, nil},
	}
	for _, tt := range tests {
		if tt.f.Limit == 0 {
			tt.f.Limit = 100
		}
		links, err := e.s.ListLinks(ctx, tt.f)
		if err != nil {
			t.Errorf("ListLinks(%+v) = %v, want nil", tt.f, err)
			continue
		}
		if got := linkIDs(links); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("ListLinks(%+v) = ids %v, want %v", tt.f, got, tt.want)
		}
	}
}

// testListLinksByClicks walks the links most clicked first, ties newest
// first, with the (clicks, id) cursor, alone and with filters.
func testListLinksByClicks(t *testing.T, e *env) {
	ctx := t.Context()
	mk := func(owner, clicks int64, tags ...string) int64 {
		return e.create(t, func(l *tiny.Link) { l.OwnerID, l.Clicks, l.Tags = owner, clicks, tags }).ID
	}
	a := mk(1, 5, "x")
	b := mk(1, 0)
	c := mk(2, 9, "x")
	d := mk(1, 5)
	f := mk(1, 5, "x")
	g := mk(2, 0, "x")
	deleted := mk(1, 100)
	if err := e.s.DeleteLink(ctx, deleted); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", deleted, err)
	}
	clicks := map[int64]int64{a: 5, b: 0, c: 9, d: 5, f: 5, g: 0}
	for _, tt := range []struct {
		f    tiny.LinkFilter
		want []int64
	}{
		{tiny.LinkFilter{}, []int64{c, f, d, a, g, b}},
		{tiny.LinkFilter{OwnerID: 1}, []int64{f, d, a, b}},
		{tiny.LinkFilter{Tag: "x"}, []int64{c, f, a, g}},
		{tiny.LinkFilter{Tag: "x", OwnerID: 2}, []int64{c, g}},
	} {
		for _, limit := range []int{1, 2, 100} {
			f := tt.f
			f.Sort, f.Limit = tiny.SortClicks, limit
			var got []int64
			for pages := 0; ; pages++ {
				if pages > len(tt.want)+1 {
					t.Fatalf("ListLinks(%+v) walk does not end: %v", f, got)
				}
				links, err := e.s.ListLinks(ctx, f)
				if err != nil {
					t.Fatalf("ListLinks(%+v) = %v, want nil", f, err)
				}
				got = append(got, linkIDs(links)...)
				if len(links) < limit {
					break
				}
				last := links[len(links)-1]
				if last.Clicks != clicks[last.ID] {
					t.Errorf("link %d Clicks = %d, want %d", last.ID, last.Clicks, clicks[last.ID])
				}
				f.AfterID, f.AfterClicks = last.ID, last.Clicks
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ListLinks(%+v) walk by clicks with Limit %d = ids %v, want %v", tt.f, limit, got, tt.want)
			}
		}
	}
}

func testConsumeClick(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.create(t, func(l *tiny.Link) { l.MaxClicks = 2 })
	for i := range 2 {
		if err := e.s.ConsumeClick(ctx, l.ID); err != nil {
			t.Fatalf("ConsumeClick(%d) #%d = %v, want nil", l.ID, i+1, err)
		}
	}
	for i := range 3 {
		wantCode(t, fmt.Sprintf("ConsumeClick(%d) #%d over the limit of 2", l.ID, i+3), e.s.ConsumeClick(ctx, l.ID), tiny.Gone, "")
	}
	got, err := e.s.LinkByID(ctx, l.ID)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", l.ID, err)
	}
	if got.Clicks != 2 {
		t.Errorf("LinkByID(%d).Clicks = %d, want 2 (a refused click is not counted)", l.ID, got.Clicks)
	}
	wantCode(t, "ConsumeClick(4242)", e.s.ConsumeClick(ctx, 4242), tiny.NotFound, "")
}

func testConsumeClickConcurrent(t *testing.T, e *env) {
	ctx := t.Context()
	const callers, limit = 50, 5
	l := e.create(t, func(l *tiny.Link) { l.MaxClicks = limit })
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { errs[i] = e.s.ConsumeClick(ctx, l.ID) })
	}
	wg.Wait()
	var ok, gone int
	for _, err := range errs {
		switch tiny.ErrorCodeOf(err) {
		case "":
			ok++
		case tiny.Gone:
			gone++
		default:
			t.Errorf("ConsumeClick(%d) = %v, want nil or Gone", l.ID, err)
		}
	}
	if ok != limit || gone != callers-limit {
		t.Errorf("%d concurrent ConsumeClick(%d) with MaxClicks %d = %d nil, %d Gone; want %d nil, %d Gone",
			callers, l.ID, limit, ok, gone, limit, callers-limit)
	}
	got, err := e.s.LinkByID(ctx, l.ID)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", l.ID, err)
	}
	if got.Clicks != limit {
		t.Errorf("LinkByID(%d).Clicks = %d, want %d", l.ID, got.Clicks, limit)
	}
}

func testLeaseIDs(t *testing.T, e *env) {
	ctx := t.Context()
	var prevEnd int64
	for _, n := range []int64{1, 1000, 7, 1} {
		first, err := e.s.LeaseIDs(ctx, n)
		if err != nil {
			t.Fatalf("LeaseIDs(%d) = %v, want nil", n, err)
		}
		if first < 1 {
			t.Errorf("LeaseIDs(%d) = %d, want an id >= 1", n, first)
		}
		if first <= prevEnd {
			t.Errorf("LeaseIDs(%d) = %d, want > %d (the end of the previous block)", n, first, prevEnd)
		}
		prevEnd = first + n - 1
	}
}

func testLeaseIDsConcurrent(t *testing.T, e *env) {
	ctx := t.Context()
	const callers = 20
	type block struct{ first, n int64 }
	blocks := make([]block, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		n := int64(10 + i*37)
		wg.Go(func() {
			first, err := e.s.LeaseIDs(ctx, n)
			blocks[i], errs[i] = block{first, n}, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("LeaseIDs(%d) = %v, want nil", blocks[i].n, err)
		}
	}
	slices.SortFunc(blocks, func(a, b block) int { return int(a.first - b.first) })
	for i := 1; i < len(blocks); i++ {
		prev, cur := blocks[i-1], blocks[i]
		if cur.first < prev.first+prev.n {
			t.Errorf("concurrent LeaseIDs: block [%d, %d] overlaps block [%d, %d]",
				cur.first, cur.first+cur.n-1, prev.first, prev.first+prev.n-1)
		}
	}
}

func testUsers(t *testing.T, e *env) {
	ctx := t.Context()
	admin := &tiny.User{Name: "alice", Role: tiny.RoleAdmin}
	if err := e.s.CreateUser(ctx, admin); err != nil {
		t.Fatalf("CreateUser(alice) = %v, want nil", err)
	}
	if admin.ID == 0 {
		t.Errorf("CreateUser(alice) left ID 0, want it set")
	}
	e.checkRecent(t, "CreateUser(alice).CreatedAt", admin.CreatedAt)
	user := &tiny.User{Name: "bob", Role: tiny.RoleMember}
	if err := e.s.CreateUser(ctx, user); err != nil {
		t.Fatalf("CreateUser(bob) = %v, want nil", err)
	}
	if user.ID == admin.ID {
		t.Errorf("CreateUser(bob).ID = %d, the same as alice's", user.ID)
	}

	dup := &tiny.User{Name: "alice", Role: tiny.RoleMember}
	wantCode(t, "CreateUser(alice) a second time", e.s.CreateUser(ctx, dup), tiny.Conflict, "name")

	for _, want := range []*tiny.User{admin, user} {
		for call, get := range map[string]func() (*tiny.User, error){
			fmt.Sprintf("UserByID(%d)", want.ID):     func() (*tiny.User, error) { return e.s.UserByID(ctx, want.ID) },
			fmt.Sprintf("UserByName(%q)", want.Name): func() (*tiny.User, error) { return e.s.UserByName(ctx, want.Name) },
		} {
			got, err := get()
			if err != nil {
				t.Errorf("%s = %v, want nil", call, err)
				continue
			}
			if got.ID != want.ID || got.Name != want.Name || got.Role != want.Role || !got.CreatedAt.Equal(want.CreatedAt) {
				t.Errorf("%s = %+v, want %+v", call, *got, *want)
			}
			if got.CreatedAt.Location() != time.UTC {
				t.Errorf("%s.CreatedAt location = %v, want UTC", call, got.CreatedAt.Location())
			}
		}
	}
	_, err := e.s.UserByID(ctx, 98765)
	wantCode(t, "UserByID(98765)", err, tiny.NotFound, "")
	_, err = e.s.UserByName(ctx, "carol")
	wantCode(t, `UserByName("carol")`, err, tiny.NotFound, "")
	_, err = e.s.UserByName(ctx, "ALICE")
	wantCode(t, `UserByName("ALICE")`, err, tiny.NotFound, "")
}

func testAPIKeys(t *testing.T, e *env) {
	ctx := t.Context()
	alice := &tiny.User{Name: "alice", Role: tiny.RoleAdmin}
	bob := &tiny.User{Name: "bob", Role: tiny.RoleMember}
	for _, u := range []*tiny.User{alice, bob} {
		if err := e.s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser(%s) = %v, want nil", u.Name, err)
		}
	}
	if n, err := e.s.CountAPIKeys(ctx); err != nil || n != 0 {
		t.Errorf("CountAPIKeys() on an empty store = %d, %v; want 0, nil", n, err)
	}
	if keys, err := e.s.ListAPIKeys(ctx, 0); err != nil || len(keys) != 0 {
		t.Errorf("ListAPIKeys(0) on an empty store = %d keys, %v; want 0, nil", len(keys), err)
	}

	hash := func(s string) []byte { h := make([]byte, 32); copy(h, s); return h }
	newKey := func(u *tiny.User, name string) *tiny.APIKey {
		k := &tiny.APIKey{UserID: u.ID, Name: name, Prefix: "tk_" + name[:2], Hash: hash(name)}
		if err := e.s.CreateAPIKey(ctx, k); err != nil {
			t.Fatalf("CreateAPIKey(%s) = %v, want nil", name, err)
		}
		if k.ID == 0 {
			t.Errorf("CreateAPIKey(%s) left ID 0, want it set", name)
		}
		e.checkRecent(t, fmt.Sprintf("CreateAPIKey(%s).CreatedAt", name), k.CreatedAt)
		return k
	}
	k1 := newKey(alice, "laptop")
	k2 := newKey(bob, "ci")
	k3 := newKey(alice, "phone")

	orphan := &tiny.APIKey{UserID: 5555, Name: "orphan", Prefix: "tk_or", Hash: hash("orphan")}
	wantCode(t, "CreateAPIKey(user 5555)", e.s.CreateAPIKey(ctx, orphan), tiny.NotFound, "")

	keyEqual := func(a, b *tiny.APIKey) bool {
		return a.ID == b.ID && a.UserID == b.UserID && a.Name == b.Name && a.Prefix == b.Prefix &&
			bytes.Equal(a.Hash, b.Hash) && a.CreatedAt.Equal(b.CreatedAt)
	}
	for _, want := range []struct {
		key  *tiny.APIKey
		user *tiny.User
	}{{k1, alice}, {k2, bob}, {k3, alice}} {
		k, u, err := e.s.APIKeyByHash(ctx, want.key.Hash)
		if err != nil {
			t.Errorf("APIKeyByHash(%x) = %v, want nil", want.key.Hash, err)
			continue
		}
		if !keyEqual(k, want.key) {
			t.Errorf("APIKeyByHash(%x) key = %+v, want %+v", want.key.Hash, *k, *want.key)
		}
		if u.ID != want.user.ID || u.Name != want.user.Name || u.Role != want.user.Role || !u.CreatedAt.Equal(want.user.CreatedAt) {
			t.Errorf("APIKeyByHash(%x) user = %+v, want %+v", want.key.Hash, *u, *want.user)
		}
		if k.CreatedAt.Location() != time.UTC {
			t.Errorf("APIKeyByHash(%x).CreatedAt location = %v, want UTC", want.key.Hash, k.CreatedAt.Location())
		}
	}
	_, _, err := e.s.APIKeyByHash(ctx, hash("unknown"))
	wantCode(t, "APIKeyByHash(unknown)", err, tiny.NotFound, "")

	list := func(userID int64, want ...*tiny.APIKey) {
		t.Helper()
		got, err := e.s.ListAPIKeys(ctx, userID)
		if err != nil {
			t.Fatalf("ListAPIKeys(%d) = %v, want nil", userID, err)
		}
		ok := len(got) == len(want)
		for i := 0; ok && i < len(got); i++ {
			ok = keyEqual(got[i], want[i])
		}
		if !ok {
			t.Errorf("ListAPIKeys(%d) = %s, want %s (oldest first)", userID, keyNames(got), keyNames(want))
		}
	}
	list(0, k1, k2, k3)
	list(alice.ID, k1, k3)
	list(bob.ID, k2)
	list(777)
	if n, err := e.s.CountAPIKeys(ctx); err != nil || n != 3 {
		t.Errorf("CountAPIKeys() = %d, %v; want 3, nil", n, err)
	}

	if err := e.s.DeleteAPIKey(ctx, k1.ID); err != nil {
		t.Fatalf("DeleteAPIKey(%d) = %v, want nil", k1.ID, err)
	}
	wantCode(t, fmt.Sprintf("DeleteAPIKey(%d) a second time", k1.ID), e.s.DeleteAPIKey(ctx, k1.ID), tiny.NotFound, "")
	wantCode(t, "DeleteAPIKey(31337)", e.s.DeleteAPIKey(ctx, 31337), tiny.NotFound, "")
	_, _, err = e.s.APIKeyByHash(ctx, k1.Hash)
	wantCode(t, fmt.Sprintf("APIKeyByHash(%x) of a deleted key", k1.Hash), err, tiny.NotFound, "")
	list(0, k2, k3)
	list(alice.ID, k3)
	if n, err := e.s.CountAPIKeys(ctx); err != nil || n != 2 {
		t.Errorf("CountAPIKeys() after a delete = %d, %v; want 2, nil", n, err)
	}
}

func keyNames(keys []*tiny.APIKey) []string {
	var names []string
	for _, k := range keys {
		names = append(names, fmt.Sprintf("%d:%s", k.ID, k.Name))
	}
	return names
}

func testSetting(t *testing.T, e *env) {
	ctx := t.Context()
	tests := []struct {
		name  string
		value []byte
		want  []byte
	}{
		{"code_key", []byte("first value 1234"), []byte("first value 1234")},
		{"code_key", []byte("second value 567"), []byte("first value 1234")},
		{"other", []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}},
		{"code_key", nil, []byte("first value 1234")},
		{"other", []byte("x"), []byte{0, 1, 2, 255}},
		{"empty", []byte{}, []byte{}},
		{"empty", []byte("y"), []byte{}},
	}
	for _, tt := range tests {
		got, err := e.s.Setting(ctx, tt.name, tt.value)
		if err != nil {
			t.Fatalf("Setting(%q, %q) = %v, want nil", tt.name, tt.value, err)
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("Setting(%q, %q) = %q, want %q", tt.name, tt.value, got, tt.want)
		}
	}
}

func testSettingRace(t *testing.T, e *env) {
	ctx := t.Context()
	const callers = 30
	got := make([][]byte, callers)
	errs := make([]error, callers)
	together(callers, func(i int) {
		got[i], errs[i] = e.s.Setting(ctx, "race", fmt.Appendf(nil, "value-%02d", i))
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Setting(race, value-%02d) = %v, want nil", i, err)
		}
	}
	first := got[0]
	if !bytes.HasPrefix(first, []byte("value-")) {
		t.Fatalf("Setting(race, value-00) = %q, want one of the raced values", first)
	}
	for i, v := range got {
		if !bytes.Equal(v, first) {
			t.Errorf("Setting(race, value-%02d) = %q, want %q, the value every caller gets", i, v, first)
		}
	}
	if v, err := e.s.Setting(ctx, "race", []byte("late")); err != nil || !bytes.Equal(v, first) {
		t.Errorf("Setting(race, late) = %q, %v; want %q, nil", v, err, first)
	}
}

// together calls f(0) to f(n-1) on n goroutines released at the same
// moment, and returns when every call has.
func together(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

func testPing(t *testing.T, e *env) {
	if err := e.s.Ping(t.Context()); err != nil {
		t.Errorf("Ping() = %v, want nil", err)
	}
}

// testTagsKeepOrder: tags come back in the order given, duplicates dropped.
func testTagsKeepOrder(t *testing.T, e *env) {
	ctx := t.Context()
	id, err := e.s.LeaseIDs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	l := &tiny.Link{ID: id, Code: e.codec.Encode(id), URL: "https://example.com/", Tags: []string{"zeta", "alpha", "zeta", "mid"},
		Redirect: 302, Status: tiny.StatusActive}
	if err := e.s.CreateLink(ctx, l); err != nil {
		t.Fatalf("CreateLink() = %v, want nil", err)
	}
	got, err := e.s.LinkByID(ctx, id)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", id, err)
	}
	if want := []string{"zeta", "alpha", "mid"}; !slices.Equal(got.Tags, want) {
		t.Errorf("LinkByID(%d).Tags = %q, want %q (given order, duplicates dropped)", id, got.Tags, want)
	}
}

// testConsumeClickDeletedIsGone: a deleted link has no clicks left.
func testConsumeClickDeletedIsGone(t *testing.T, e *env) {
	ctx := t.Context()
	id, err := e.s.LeaseIDs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	l := &tiny.Link{ID: id, Code: e.codec.Encode(id), URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive, MaxClicks: 5}
	if err := e.s.CreateLink(ctx, l); err != nil {
		t.Fatalf("CreateLink() = %v, want nil", err)
	}
	if err := e.s.DeleteLink(ctx, id); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", id, err)
	}
	if err := e.s.ConsumeClick(ctx, id); tiny.ErrorCodeOf(err) != tiny.Gone {
		t.Errorf("ConsumeClick(%d) of a deleted link = %v, want Gone", id, err)
	}
}

// testLeaseIDsInvalid: a block must hold at least one id.
func testLeaseIDsInvalid(t *testing.T, e *env) {
	for _, n := range []int64{0, -1} {
		if _, err := e.s.LeaseIDs(t.Context(), n); tiny.ErrorCodeOf(err) != tiny.Invalid {
			t.Errorf("LeaseIDs(%d) = %v, want Invalid", n, err)
		}
	}
}
