package shortener_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

var testKey = []byte("0123456789abcdef")

// countingStore is a real store that counts the reads and leases the
// service makes, and can hold its reads by id until a gate is closed.
type countingStore struct {
	tiny.Store
	reads  atomic.Int64
	leases atomic.Int64
	// When gate is not nil, a read by id signals entered and waits for gate.
	gate    chan struct{}
	entered chan struct{}
}

func (s *countingStore) LinkByID(ctx context.Context, id int64) (*tiny.Link, error) {
	s.read()
	return s.Store.LinkByID(ctx, id)
}

func (s *countingStore) LinkTargetByID(ctx context.Context, id int64) (tiny.LinkTarget, error) {
	s.read()
	return s.Store.LinkTargetByID(ctx, id)
}

// read counts a read by id, and holds it while there is a gate.
func (s *countingStore) read() {
	s.reads.Add(1)
	if s.gate != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
		<-s.gate
	}
}

func (s *countingStore) LeaseIDs(ctx context.Context, n int64) (int64, error) {
	s.leases.Add(1)
	return s.Store.LeaseIDs(ctx, n)
}

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newService(t *testing.T, store tiny.Store, cfg shortener.Config) *shortener.Service {
	t.Helper()
	cfg.PasswordCost = bcrypt.MinCost
	if cfg.URLPolicy.OwnHosts == nil {
		cfg.URLPolicy = tiny.URLPolicy{OwnHosts: []string{"sho.rt"}}
	}
	svc, err := shortener.New(context.Background(), store, cfg, func() []byte { return testKey })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return svc
}

// opens reports whether pw opens l.
func opens(t *testing.T, svc *shortener.Service, l *tiny.Link, pw string) bool {
	t.Helper()
	ok, err := svc.CheckPassword(context.Background(), l, pw)
	if err != nil {
		t.Fatalf("CheckPassword(%q) = %v", pw, err)
	}
	return ok
}

func newUser(t *testing.T, store tiny.Store, name string, role tiny.Role) *tiny.User {
	t.Helper()
	u := &tiny.User{Name: name, Role: role}
	if err := store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func create(t *testing.T, svc *shortener.Service, owner *tiny.User, in shortener.CreateInput) *tiny.Link {
	t.Helper()
	l, err := svc.Create(context.Background(), accounts.As(owner), in)
	if err != nil {
		t.Fatalf("Create(%+v) = %v, want a link", in, err)
	}
	return l
}

func ptr[T any](v T) *T { return &v }

// updateInput decodes a JSON body the way the API does, so absent, null
// and set fields are told apart.
func updateInput(t *testing.T, body string) shortener.UpdateInput {
	t.Helper()
	var in shortener.UpdateInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return in
}

func TestCreateRefuses(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	now := time.Now()
	svc := newService(t, store, shortener.Config{Now: func() time.Time { return now }})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	taken := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/taken", Alias: "taken"})

	url := "https://example.com/"
	tests := []struct {
		name      string
		in        shortener.CreateInput
		wantCode  tiny.ErrorCode
		wantField string
	}{
		{"no url", shortener.CreateInput{}, tiny.Invalid, "url"},
		{"javascript url", shortener.CreateInput{URL: "javascript:alert(1)"}, tiny.Invalid, "url"},
		{"relative url", shortener.CreateInput{URL: "/path"}, tiny.Invalid, "url"},
		{"url with CRLF", shortener.CreateInput{URL: "https://example.com/\r\nx"}, tiny.Invalid, "url"},
		{"url to the service itself", shortener.CreateInput{URL: "https://sho.rt/abc"}, tiny.Invalid, "url"},
		{"reserved alias", shortener.CreateInput{URL: url, Alias: "api"}, tiny.Invalid, "alias"},
		{"reserved alias other case", shortener.CreateInput{URL: url, Alias: "Metrics"}, tiny.Invalid, "alias"},
		{"alias with a slash", shortener.CreateInput{URL: url, Alias: "a/b"}, tiny.Invalid, "alias"},
		{"alias too long", shortener.CreateInput{URL: url, Alias: strings.Repeat("a", tiny.MaxAliasLength+1)}, tiny.Invalid, "alias"},
		{"alias taken", shortener.CreateInput{URL: url, Alias: "taken"}, tiny.Conflict, "alias"},
		{"alias is an existing code", shortener.CreateInput{URL: url, Alias: taken.Code}, tiny.Conflict, "alias"},
		{"title too long", shortener.CreateInput{URL: url, Title: strings.Repeat("é", shortener.MaxTitleLength+1)}, tiny.Invalid, "title"},
		{"title with a control character", shortener.CreateInput{URL: url, Title: "a\x01b"}, tiny.Invalid, "title"},
		{"title with a newline", shortener.CreateInput{URL: url, Title: "a\nb"}, tiny.Invalid, "title"},
		{"title with DEL", shortener.CreateInput{URL: url, Title: "a\x7fb"}, tiny.Invalid, "title"},
		{"title not UTF-8", shortener.CreateInput{URL: url, Title: "a\xffb"}, tiny.Invalid, "title"},
		{"too many tags", shortener.CreateInput{URL: url, Tags: make21Tags()}, tiny.Invalid, "tags"},
		{"empty tag", shortener.CreateInput{URL: url, Tags: []string{"ok", ""}}, tiny.Invalid, "tags"},
		{"tag too long", shortener.CreateInput{URL: url, Tags: []string{strings.Repeat("t", shortener.MaxTagLength+1)}}, tiny.Invalid, "tags"},
		{"tag with a space", shortener.CreateInput{URL: url, Tags: []string{"a b"}}, tiny.Invalid, "tags"},
		{"expires now", shortener.CreateInput{URL: url, ExpiresAt: ptr(now)}, tiny.Invalid, "expires_at"},
		{"expired", shortener.CreateInput{URL: url, ExpiresAt: ptr(now.Add(-time.Hour))}, tiny.Invalid, "expires_at"},
		{"max_clicks 0", shortener.CreateInput{URL: url, MaxClicks: ptr(int64(0))}, tiny.Invalid, "max_clicks"},
		{"max_clicks negative", shortener.CreateInput{URL: url, MaxClicks: ptr(int64(-1))}, tiny.Invalid, "max_clicks"},
		{"redirect 200", shortener.CreateInput{URL: url, Redirect: ptr(200)}, tiny.Invalid, "redirect"},
		{"redirect 303", shortener.CreateInput{URL: url, Redirect: ptr(303)}, tiny.Invalid, "redirect"},
		{"redirect 0", shortener.CreateInput{URL: url, Redirect: ptr(0)}, tiny.Invalid, "redirect"},
		{"cache_seconds negative", shortener.CreateInput{URL: url, CacheSeconds: ptr(-1)}, tiny.Invalid, "cache_seconds"},
		{"cache_seconds over a year", shortener.CreateInput{URL: url, CacheSeconds: ptr(tiny.MaxCacheSeconds + 1)}, tiny.Invalid, "cache_seconds"},
		{"password too long", shortener.CreateInput{URL: url, Password: strings.Repeat("p", shortener.MaxPasswordLength+1)}, tiny.Invalid, "password"},
	}
	for _, tt := range tests {
		l, err := svc.Create(ctx, accounts.As(owner), tt.in)
		if code, field := tiny.ErrorCodeOf(err), tiny.ErrorFieldOf(err); code != tt.wantCode || field != tt.wantField {
			t.Errorf("%s: Create() = %v, %v (code %q, field %q), want code %q, field %q", tt.name, l, err, code, field, tt.wantCode, tt.wantField)
		}
	}
	links, err := svc.List(ctx, accounts.As(owner), tiny.LinkFilter{Limit: 100})
	if err != nil || len(links) != 1 {
		t.Errorf("List() after refused creates = %d links, %v, want only the first link", len(links), err)
	}
}

func make21Tags() []string {
	tags := make([]string, shortener.MaxTags+1)
	for i := range tags {
		tags[i] = "t" + strings.Repeat("x", i)
	}
	return tags
}

// TestCreateAcceptsLimits checks the edges of each limit from the inside.
func TestCreateAcceptsLimits(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	for _, in := range []shortener.CreateInput{
		{URL: "https://example.com/", Alias: strings.Repeat("a", tiny.MaxAliasLength)},
		{URL: "https://example.com/", Title: strings.Repeat("é", shortener.MaxTitleLength)},
		{URL: "https://example.com/", Tags: make21Tags()[:shortener.MaxTags]},
		{URL: "https://example.com/", MaxClicks: ptr(int64(1))},
		{URL: "https://example.com/", CacheSeconds: ptr(0)},
		{URL: "https://example.com/", CacheSeconds: ptr(tiny.MaxCacheSeconds)},
		{URL: "https://example.com/", Password: strings.Repeat("p", shortener.MaxPasswordLength)},
		{URL: "https://example.com/", Redirect: ptr(301)},
		{URL: "https://example.com/", Redirect: ptr(307)},
		{URL: "https://example.com/", Redirect: ptr(308)},
	} {
		if _, err := svc.Create(context.Background(), accounts.As(owner), in); err != nil {
			t.Errorf("Create(%+v) = %v, want a link", in, err)
		}
	}
}

func TestCreateDefaults(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)

	l := create(t, svc, owner, shortener.CreateInput{URL: "HTTPS://Example.COM:443/Path"})
	checks := []struct {
		what      string
		got, want any
	}{
		{"URL", l.URL, "https://example.com/Path"},
		{"OwnerID", l.OwnerID, owner.ID},
		{"Redirect", l.Redirect, tiny.DefaultRedirect},
		{"Status", l.Status, tiny.StatusActive},
		{"Alias", l.Alias, ""},
		{"Title", l.Title, ""},
		{"len(Tags)", len(l.Tags), 0},
		{"CacheSeconds", l.CacheSeconds, (*int)(nil)},
		{"ExpiresAt", l.ExpiresAt, (*time.Time)(nil)},
		{"MaxClicks", l.MaxClicks, int64(0)},
		{"PasswordHash", l.PasswordHash, ""},
		{"ForwardQuery", l.ForwardQuery, false},
		{"DeletedAt", l.DeletedAt, (*time.Time)(nil)},
		{"len(Code)", len(l.Code), tiny.CodeLength},
		{"CreatedAt set", !l.CreatedAt.IsZero(), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Create(url only).%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if id, ok := svc.Codec().Decode(l.Code); !ok || id != l.ID {
		t.Errorf("Decode(%q) = %d, %v, want %d, true", l.Code, id, ok, l.ID)
	}
	if got := l.ShortName(); got != l.Code {
		t.Errorf("ShortName() = %q, want the code %q", got, l.Code)
	}
	got, err := svc.Get(ctx, accounts.As(owner), l.Code)
	if err != nil || got.ID != l.ID || got.URL != l.URL || got.Redirect != tiny.DefaultRedirect {
		t.Errorf("Get(%q) = %+v, %v, want the created link", l.Code, got, err)
	}
}

func TestCreateNormalises(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	now := time.Now()
	svc := newService(t, store, shortener.Config{Now: func() time.Time { return now }})
	owner := newUser(t, store, "alice", tiny.RoleMember)

	expires := now.Add(time.Hour + 123456*time.Nanosecond).In(time.FixedZone("X", 3600))
	l := create(t, svc, owner, shortener.CreateInput{
		URL:          "https://example.com/",
		Alias:        "My_Link-1",
		Title:        "  A title  ",
		Tags:         []string{"b", "a", "b", "x:y/z"},
		ExpiresAt:    &expires,
		MaxClicks:    ptr(int64(3)),
		Redirect:     ptr(308),
		CacheSeconds: ptr(60),
		Password:     "s3cret",
		ForwardQuery: true,
	})
	wantExpires := expires.UTC().Truncate(time.Millisecond)
	if l.ExpiresAt == nil || !l.ExpiresAt.Equal(wantExpires) || l.ExpiresAt.Location() != time.UTC {
		t.Errorf("Create(expires_at %v).ExpiresAt = %v, want %v in UTC", expires, l.ExpiresAt, wantExpires)
	}
	if l.Title != "A title" {
		t.Errorf("Create(title %q).Title = %q, want %q", "  A title  ", l.Title, "A title")
	}
	if want := []string{"b", "a", "x:y/z"}; !slices.Equal(l.Tags, want) {
		t.Errorf("Create(tags b a b x:y/z).Tags = %q, want %q", l.Tags, want)
	}
	if l.Alias != "My_Link-1" || l.ShortName() != "My_Link-1" {
		t.Errorf("Create(alias My_Link-1) alias, short name = %q, %q, want My_Link-1", l.Alias, l.ShortName())
	}
	if l.PasswordHash == "" || l.PasswordHash == "s3cret" {
		t.Errorf("Create(password).PasswordHash = %q, want a bcrypt hash", l.PasswordHash)
	}
	if right, wrong := opens(t, svc, l, "s3cret"), opens(t, svc, l, "wrong"); !right || wrong {
		t.Errorf("CheckPassword(right, wrong) = %v, %v, want true, false", right, wrong)
	}
	if l.MaxClicks != 3 || l.Redirect != 308 || l.CacheSeconds == nil || *l.CacheSeconds != 60 || !l.ForwardQuery {
		t.Errorf("Create() = max_clicks %d, redirect %d, cache_seconds %v, forward_query %v, want 3, 308, 60, true",
			l.MaxClicks, l.Redirect, l.CacheSeconds, l.ForwardQuery)
	}
	// The alias names the link as well as its code.
	for _, name := range []string{l.Code, l.Alias} {
		got, err := svc.Get(ctx, accounts.As(owner), name)
		if err != nil || got.ID != l.ID || !slices.Equal(got.Tags, l.Tags) || got.Title != l.Title {
			t.Errorf("Get(%q) = %+v, %v, want link %d as created", name, got, err, l.ID)
		}
	}
}

// TestCreateLeasesIDsInBlocks checks that ids come from blocks of
// IDBlockSize and that every code decodes back to its link's id.
func TestCreateLeasesIDsInBlocks(t *testing.T) {
	store := &countingStore{Store: openStore(t)}
	svc := newService(t, store, shortener.Config{IDBlockSize: 3})
	owner := newUser(t, store, "alice", tiny.RoleMember)

	codes := map[string]bool{}
	ids := map[int64]bool{}
	for i := 0; i < 10; i++ {
		l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/"})
		if codes[l.Code] || ids[l.ID] {
			t.Errorf("Create() #%d = id %d, code %q, which an earlier link has", i, l.ID, l.Code)
		}
		codes[l.Code], ids[l.ID] = true, true
		if id, ok := svc.Codec().Decode(l.Code); !ok || id != l.ID {
			t.Errorf("Decode(%q) = %d, %v, want %d, true", l.Code, id, ok, l.ID)
		}
	}
	if len(codes) != 10 {
		t.Errorf("10 creates gave %d distinct codes, want 10", len(codes))
	}
	if got := store.leases.Load(); got != 4 {
		t.Errorf("10 creates with IDBlockSize 3 leased %d blocks, want 4", got)
	}
}

// TestCreateSkipsCodeThatIsAnAlias makes the code of an id the allocator
// is about to hand out an alias first: that id must be skipped, so the
// alias keeps naming its own link.
func TestCreateSkipsCodeThatIsAnAlias(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{IDBlockSize: 3})
	// other shares the store and so the code key, and leases its own
	// blocks, so it does not use up svc's ids.
	other := newService(t, store, shortener.Config{IDBlockSize: 3})
	owner := newUser(t, store, "alice", tiny.RoleMember)

	first := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/first"})
	// svc now holds ids first.ID+1 and first.ID+2.
	skipID := first.ID + 2
	shadow := svc.Codec().Encode(skipID)
	if other.Codec().Encode(skipID) != shadow {
		t.Fatalf("two services on one store encode id %d differently", skipID)
	}
	aliased := create(t, other, owner, shortener.CreateInput{URL: "https://example.com/aliased", Alias: shadow})

	second := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/second"})
	if second.ID != first.ID+1 {
		t.Errorf("second Create().ID = %d, want %d", second.ID, first.ID+1)
	}
	third := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/third"})
	if third.ID == skipID || third.Code == shadow {
		t.Errorf("third Create() = id %d, code %q, want id %d (code %q, an alias) skipped", third.ID, third.Code, skipID, shadow)
	}
	if third.ID <= skipID {
		t.Errorf("third Create().ID = %d, want an id after %d", third.ID, skipID)
	}
	if id, ok := svc.Codec().Decode(third.Code); !ok || id != third.ID {
		t.Errorf("Decode(%q) = %d, %v, want %d, true", third.Code, id, ok, third.ID)
	}
	if _, err := store.LinkByID(ctx, skipID); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("LinkByID(%d) = %v, want not_found: the id must stay unused", skipID, err)
	}
	target, err := svc.Resolve(ctx, shadow)
	if err != nil || target.ID() != aliased.ID || target.Location("") != "https://example.com/aliased" {
		t.Errorf("Resolve(%q) = %+v, %v, want the aliased link %d", shadow, target, err, aliased.ID)
	}
	target, err = svc.Resolve(ctx, third.Code)
	if err != nil || target.ID() != third.ID {
		t.Errorf("Resolve(%q) = %+v, %v, want link %d", third.Code, target, err, third.ID)
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	now := time.Now()
	svc := newService(t, store, shortener.Config{Now: func() time.Time { return now }})
	owner := newUser(t, store, "alice", tiny.RoleMember)

	full := func(t *testing.T) *tiny.Link {
		return create(t, svc, owner, shortener.CreateInput{
			URL: "https://example.com/old", Title: "Old", Tags: []string{"a"},
			ExpiresAt: ptr(now.Add(time.Hour)), MaxClicks: ptr(int64(5)), Redirect: ptr(301),
			CacheSeconds: ptr(60), Password: "pw", ForwardQuery: true,
		})
	}

	t.Run("null clears the optional settings", func(t *testing.T) {
		l := full(t)
		got, err := svc.Update(ctx, accounts.As(owner), l.Code, updateInput(t,
			`{"expires_at": null, "max_clicks": null, "cache_seconds": null, "password": null}`))
		if err != nil {
			t.Fatalf("Update(nulls) = %v", err)
		}
		for _, l := range []*tiny.Link{got, mustGet(t, svc, owner, l.Code)} {
			if l.ExpiresAt != nil || l.MaxClicks != 0 || l.CacheSeconds != nil || l.PasswordHash != "" {
				t.Errorf("Update(nulls) = expires_at %v, max_clicks %d, cache_seconds %v, password %q, want all cleared",
					l.ExpiresAt, l.MaxClicks, l.CacheSeconds, l.PasswordHash)
			}
			if l.URL != "https://example.com/old" || l.Title != "Old" || l.Redirect != 301 || !l.ForwardQuery || !slices.Equal(l.Tags, []string{"a"}) {
				t.Errorf("Update(nulls) changed fields it was not given: %+v", l)
			}
		}
	})

	t.Run("empty password clears it", func(t *testing.T) {
		l := full(t)
		got, err := svc.Update(ctx, accounts.As(owner), l.Code, updateInput(t, `{"password": ""}`))
		if err != nil || got.PasswordHash != "" || !opens(t, svc, got, "") {
			t.Errorf("Update(password \"\") = %+v, %v, want no password", got, err)
		}
	})

	t.Run("absent fields are kept", func(t *testing.T) {
		l := full(t)
		got, err := svc.Update(ctx, accounts.As(owner), l.Code, updateInput(t, `{}`))
		if err != nil {
			t.Fatalf("Update({}) = %v", err)
		}
		stored := mustGet(t, svc, owner, l.Code)
		if stored.ExpiresAt == nil || stored.MaxClicks != 5 || stored.CacheSeconds == nil || *stored.CacheSeconds != 60 ||
			!opens(t, svc, stored, "pw") || got.URL != l.URL {
			t.Errorf("Update({}) then Get() = %+v, want the link unchanged", stored)
		}
	})

	t.Run("values are set", func(t *testing.T) {
		l := full(t)
		exp := now.Add(48 * time.Hour).UTC().Truncate(time.Millisecond)
		got, err := svc.Update(ctx, accounts.As(owner), l.Code, updateInput(t, `{"url": "https://Example.org/new", "title": " New ",
			"tags": ["x", "x", "y"], "expires_at": "`+exp.Format(time.RFC3339Nano)+`", "max_clicks": 9, "redirect": 307,
			"cache_seconds": 0, "password": "other", "forward_query": false}`))
		if err != nil {
			t.Fatalf("Update(every field) = %v", err)
		}
		for _, l := range []*tiny.Link{got, mustGet(t, svc, owner, l.Code)} {
			if l.URL != "https://example.org/new" || l.Title != "New" || !slices.Equal(l.Tags, []string{"x", "y"}) ||
				l.ExpiresAt == nil || !l.ExpiresAt.Equal(exp) || l.MaxClicks != 9 || l.Redirect != 307 ||
				l.CacheSeconds == nil || *l.CacheSeconds != 0 || !opens(t, svc, l, "other") || l.ForwardQuery {
				t.Errorf("Update(every field) = %+v, want every field changed", l)
			}
		}
	})

	refusals := []struct {
		body      string
		wantField string
	}{
		{`{"alias": "new-alias"}`, "alias"},
		{`{"alias": null}`, "alias"},
		{`{"url": null}`, "url"},
		{`{"title": null}`, "title"},
		{`{"tags": null}`, "tags"},
		{`{"redirect": null}`, "redirect"},
		{`{"forward_query": null}`, "forward_query"},
		{`{"url": "ftp://example.com/"}`, "url"},
		{`{"url": "https://sho.rt/x"}`, "url"},
		{`{"title": "a\u0000b"}`, "title"},
		{`{"tags": ["a b"]}`, "tags"},
		{`{"expires_at": "2000-01-01T00:00:00Z"}`, "expires_at"},
		{`{"max_clicks": 0}`, "max_clicks"},
		{`{"redirect": 303}`, "redirect"},
		{`{"cache_seconds": -5}`, "cache_seconds"},
		{`{"password": "` + strings.Repeat("p", shortener.MaxPasswordLength+1) + `"}`, "password"},
	}
	l := full(t)
	for _, tt := range refusals {
		got, err := svc.Update(ctx, accounts.As(owner), l.Code, updateInput(t, tt.body))
		if code, field := tiny.ErrorCodeOf(err), tiny.ErrorFieldOf(err); code != tiny.Invalid || field != tt.wantField {
			t.Errorf("Update(%s) = %v, %v (code %q, field %q), want invalid, field %q", tt.body, got, err, code, field, tt.wantField)
		}
	}
	stored := mustGet(t, svc, owner, l.Code)
	if stored.URL != "https://example.com/old" || stored.Title != "Old" || stored.Redirect != 301 || stored.MaxClicks != 5 {
		t.Errorf("after refused updates Get() = %+v, want the link unchanged", stored)
	}
}

func TestUpdateAliasIsImmutable(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/", Alias: "keep"})
	// Even sending the same alias back is refused.
	_, err := svc.Update(context.Background(), accounts.As(owner), "keep", updateInput(t, `{"alias": "keep", "title": "x"}`))
	if tiny.ErrorCodeOf(err) != tiny.Invalid || tiny.ErrorFieldOf(err) != "alias" {
		t.Errorf("Update(same alias) = %v, want invalid, field alias", err)
	}
	if got := mustGet(t, svc, owner, l.Code); got.Alias != "keep" || got.Title != "" {
		t.Errorf("after refused alias update Get() = alias %q, title %q, want keep and no title", got.Alias, got.Title)
	}
}

// TestUpdateInvalidatesCache resolves a link by code and alias, so both
// are cached, edits it, and expects the next Resolve to see the edit.
func TestUpdateInvalidatesCache(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/before", Alias: "edited"})

	for _, name := range []string{l.Code, l.Alias} {
		if target, err := svc.Resolve(ctx, name); err != nil || target.Location("") != "https://example.com/before" {
			t.Fatalf("Resolve(%q) = %+v, %v, want the link", name, target, err)
		}
		if _, ok := svc.Cached(name); !ok {
			t.Fatalf("Cached(%q) after Resolve = false, want true", name)
		}
	}
	if _, err := svc.Update(ctx, accounts.As(owner), l.Code, updateInput(t, `{"url": "https://example.com/after", "max_clicks": 2}`)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{l.Code, l.Alias} {
		target, err := svc.Resolve(ctx, name)
		if err != nil || target.Location("") != "https://example.com/after" || target.Fast {
			t.Errorf("Resolve(%q) after Update = %+v, %v, want the new URL, not fast (max_clicks)", name, target, err)
		}
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/", Alias: "doomed"})
	for _, name := range []string{l.Code, l.Alias} {
		if _, err := svc.Resolve(ctx, name); err != nil {
			t.Fatalf("Resolve(%q) = %v", name, err)
		}
	}

	if err := svc.Delete(ctx, accounts.As(owner), l.Alias); err != nil {
		t.Fatalf("Delete(%q) = %v", l.Alias, err)
	}
	for _, name := range []string{l.Code, l.Alias} {
		target, err := svc.Resolve(ctx, name)
		if err != nil || target.ID() != l.ID || target.Link == nil || target.Link.DeletedAt == nil || target.Fast {
			t.Errorf("Resolve(%q) after Delete = %+v, %v, want the link with DeletedAt set, not fast", name, target, err)
		}
		if _, err := svc.Get(ctx, accounts.As(owner), name); !tiny.IsCode(err, tiny.NotFound) {
			t.Errorf("Get(%q) after Delete = %v, want not_found", name, err)
		}
		if _, err := svc.Update(ctx, accounts.As(owner), name, updateInput(t, `{"title": "x"}`)); !tiny.IsCode(err, tiny.NotFound) {
			t.Errorf("Update(%q) after Delete = %v, want not_found", name, err)
		}
		if err := svc.Delete(ctx, accounts.As(owner), name); !tiny.IsCode(err, tiny.NotFound) {
			t.Errorf("Delete(%q) again = %v, want not_found", name, err)
		}
	}
	// The alias of a deleted link stays taken.
	if _, err := svc.Create(ctx, accounts.As(owner), shortener.CreateInput{URL: "https://example.com/", Alias: "doomed"}); !tiny.IsCode(err, tiny.Conflict) {
		t.Errorf("Create(alias of a deleted link) = %v, want conflict", err)
	}
	links, err := svc.List(ctx, accounts.As(owner), tiny.LinkFilter{Limit: 10})
	if err != nil || len(links) != 0 {
		t.Errorf("List() after Delete = %d links, %v, want none", len(links), err)
	}
}

func TestOwnership(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	alice := newUser(t, store, "alice", tiny.RoleMember)
	bob := newUser(t, store, "bob", tiny.RoleMember)
	root := newUser(t, store, "root", tiny.RoleAdmin)
	l := create(t, svc, alice, shortener.CreateInput{URL: "https://example.com/alice", Alias: "alices"})

	for _, name := range []string{l.Code, l.Alias} {
		if got, err := svc.Get(ctx, accounts.As(bob), name); !tiny.IsCode(err, tiny.NotFound) {
			t.Errorf("Get(bob, %q) = %v, %v, want not_found", name, got, err)
		}
		if got, err := svc.Update(ctx, accounts.As(bob), name, updateInput(t, `{"url": "https://evil.example/"}`)); !tiny.IsCode(err, tiny.NotFound) {
			t.Errorf("Update(bob, %q) = %v, %v, want not_found", name, got, err)
		}
		if err := svc.Delete(ctx, accounts.As(bob), name); !tiny.IsCode(err, tiny.NotFound) {
			t.Errorf("Delete(bob, %q) = %v, want not_found", name, err)
		}
	}
	if links, err := svc.List(ctx, accounts.As(bob), tiny.LinkFilter{Limit: 10}); err != nil || len(links) != 0 {
		t.Errorf("List(bob) = %d links, %v, want none", len(links), err)
	}
	if got := mustGet(t, svc, alice, l.Code); got.URL != "https://example.com/alice" {
		t.Errorf("after bob's update Get(alice) URL = %q, want it unchanged", got.URL)
	}

	if got, err := svc.Get(ctx, accounts.As(root), l.Alias); err != nil || got.ID != l.ID {
		t.Errorf("Get(admin, %q) = %v, %v, want link %d", l.Alias, got, err, l.ID)
	}
	if links, err := svc.List(ctx, accounts.As(root), tiny.LinkFilter{Limit: 10}); err != nil || len(links) != 1 || links[0].ID != l.ID {
		t.Errorf("List(admin) = %d links, %v, want alice's link", len(links), err)
	}
	got, err := svc.Update(ctx, accounts.As(root), l.Code, updateInput(t, `{"title": "moderated"}`))
	if err != nil || got.Title != "moderated" || got.OwnerID != alice.ID {
		t.Errorf("Update(admin) = %+v, %v, want the title set and alice still the owner", got, err)
	}
	if err := svc.Delete(ctx, accounts.As(root), l.Code); err != nil {
		t.Errorf("Delete(admin, %q) = %v, want nil", l.Code, err)
	}
}

// TestDecideAsksThePolicy: a decision by a user whose role may not
// moderate is refused by the service itself, whoever calls it.
func TestDecideAsksThePolicy(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "owner", tiny.RoleMember)
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/decide"})
	tests := []struct {
		user *tiny.User
		want tiny.ErrorCode
	}{
		{newUser(t, store, "viewer", tiny.RoleViewer), tiny.Forbidden},
		{owner, tiny.Forbidden},
		{newUser(t, store, "moderator", tiny.RoleModerator), ""},
		{newUser(t, store, "admin", tiny.RoleAdmin), ""},
		{&tiny.User{ID: 99, Name: "gone", Role: tiny.RoleAdmin, Disabled: true}, tiny.Forbidden},
		{nil, ""}, // the system
	}
	for _, tt := range tests {
		var p *accounts.Principal
		if tt.user != nil {
			p = accounts.As(tt.user)
		}
		_, err := svc.Decide(ctx, p, l.Code, tiny.StatusBlocked, "")
		name := "system"
		if tt.user != nil {
			name = string(tt.user.Role)
		}
		if got := tiny.ErrorCodeOf(err); got != tt.want {
			t.Errorf("Decide(by %s) = %v, want code %q", name, err, tt.want)
		}
	}
}

// TestResolveCoalesces holds the store read of an uncached code while 50
// callers resolve it: they must share that one read.
func TestResolveCoalesces(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: openStore(t)}
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/hot"})
	if _, ok := svc.Cached(l.Code); ok {
		t.Fatalf("Cached(%q) right after Create = true, want false", l.Code)
	}

	store.reads.Store(0)
	store.gate = make(chan struct{})
	store.entered = make(chan struct{}, 1)
	const callers = 50
	var started, done sync.WaitGroup
	started.Add(callers)
	done.Add(callers)
	targets := make([]*shortener.Target, callers)
	errs := make([]error, callers)
	for i := 0; i < callers; i++ {
		go func() {
			defer done.Done()
			started.Done()
			targets[i], errs[i] = svc.Resolve(ctx, l.Code)
		}()
	}
	select {
	case <-store.entered:
	case <-time.After(10 * time.Second):
		close(store.gate)
		t.Fatal("no Resolve reached the store")
	}
	// Give every caller time to reach the cache while the read is held.
	started.Wait()
	time.Sleep(50 * time.Millisecond)
	close(store.gate)
	done.Wait()

	if got := store.reads.Load(); got != 1 {
		t.Errorf("%d concurrent Resolve(%q) made %d store reads, want 1", callers, l.Code, got)
	}
	for i := range targets {
		if errs[i] != nil || targets[i] == nil || targets[i].ID() != l.ID {
			t.Fatalf("Resolve(%q) #%d = %+v, %v, want link %d", l.Code, i, targets[i], errs[i], l.ID)
		}
	}
	if _, err := svc.Resolve(ctx, l.Code); err != nil || store.reads.Load() != 1 {
		t.Errorf("Resolve(%q) once more = %v with %d reads, want a cache hit", l.Code, err, store.reads.Load())
	}
	if st := svc.Stats(); st.CacheHits == 0 || st.CacheMisses == 0 || st.StoreErrors != 0 {
		t.Errorf("Stats() = %+v, want hits and misses, no store errors", st)
	}
}

func TestResolveUnknown(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/"})

	for _, name := range []string{
		"nope",
		svc.Codec().Encode(l.ID + 1000), // a well-formed code with no link
		"a/b",
		"",
		strings.Repeat("x", tiny.MaxAliasLength+1),
		strings.ToUpper(l.Code[:1]) + l.Code[1:] + "x",
	} {
		target, err := svc.Resolve(ctx, name)
		if !tiny.IsCode(err, tiny.NotFound) {
			t.Errorf("Resolve(%q) = %+v, %v, want not_found", name, target, err)
		}
	}
	// A miss is not remembered past a create: the link appears at once.
	name := "later"
	if _, err := svc.Resolve(ctx, name); !tiny.IsCode(err, tiny.NotFound) {
		t.Fatalf("Resolve(%q) = %v, want not_found", name, err)
	}
	create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/later", Alias: name})
	if target, err := svc.Resolve(ctx, name); err != nil || target.Location("") != "https://example.com/later" {
		t.Errorf("Resolve(%q) after Create = %+v, %v, want the new link", name, target, err)
	}
}

func mustGet(t *testing.T, svc *shortener.Service, user *tiny.User, name string) *tiny.Link {
	t.Helper()
	l, err := svc.Get(context.Background(), accounts.As(user), name)
	if err != nil {
		t.Fatalf("Get(%q) = %v", name, err)
	}
	return l
}
