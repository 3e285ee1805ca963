package storemove

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"tiny/internal/accounts"
	"tiny/internal/postgres"
	"tiny/internal/shortener"
	"tiny/internal/sqlite"
	"tiny/internal/testservice"
	"tiny/internal/tiny"

	_ "modernc.org/sqlite" // the plain driver, to change the file behind the store's back
)

// newSchema returns a DSN on an empty schema of the test database,
// dropped when the test ends.
func newSchema(t *testing.T) string {
	t.Helper()
	base := testservice.PostgresURL(t)
	schema := fmt.Sprintf("tiny_move_%d", time.Now().UnixNano())
	exec := func(sql string) {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

var testArgon2 = accounts.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// instance is what the test made on the SQLite store, to look for on the
// PostgreSQL one.
type instance struct {
	codes   map[string]string // short name → destination
	blocked string            // a blocked link's code
	email   string            // a user who signs in with password
	key     string            // an API key's secret
	link    int64             // a link with clicks
}

const password = "Copper-Meadow-Lantern-77"

func services(t *testing.T, store tiny.Store) (*shortener.Service, *accounts.Service) {
	t.Helper()
	ctx := context.Background()
	links, err := shortener.New(ctx, store, shortener.Config{IDBlockSize: 10, PasswordCost: bcrypt.MinCost}, func() []byte { return []byte("move-test-key-16") })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(links.Close)
	accts, err := accounts.New(ctx, accounts.Config{Store: store, Argon2: testArgon2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(accts.Close)
	return links, accts
}

// seed fills a store the way an instance in use is filled: users, keys,
// links of every kind, clicks, a moderation decision, a deleted user.
func seed(t *testing.T, store tiny.Store) instance {
	t.Helper()
	ctx := context.Background()
	links, accts := services(t, store)
	admin, err := accts.OperatorCreateUser(ctx, accounts.NewUser{Email: "admin@example.com", Password: password, Role: tiny.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	root := accounts.As(admin)
	member, err := accts.CreateUser(ctx, root, accounts.NewUser{Email: "mia@example.com", Name: "Mia", Role: tiny.RoleMember, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := accts.CreateUser(ctx, root, accounts.NewUser{Email: "gone@example.com", Role: tiny.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := accts.CreateKey(ctx, accounts.As(member), accounts.NewKey{Name: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	in := instance{codes: map[string]string{}, email: member.Email, key: key}
	exp := time.Now().Add(48 * time.Hour).Truncate(time.Millisecond)
	max := int64(5)
	r301 := 301
	for i, c := range []shortener.CreateInput{
		{URL: "https://example.com/a"},
		{URL: "https://example.com/b?q=1", Alias: "launch", Title: "Launch — ünïcode", Tags: []string{"x", "y"}, Redirect: &r301},
		{URL: "https://example.com/c", ExpiresAt: &exp, MaxClicks: &max, Password: "open sesame", ForwardQuery: true},
		{URL: "https://example.com/blocked"},
	} {
		l, err := links.Create(ctx, accounts.As(member), c)
		if err != nil {
			t.Fatal(err)
		}
		in.codes[l.ShortName()] = l.URL
		if i == 0 {
			in.link = l.ID
		}
		if i == 3 {
			in.blocked = l.ShortName()
			if _, err := links.Decide(ctx, root, l.ShortName(), tiny.StatusBlocked, "phishing kit"); err != nil {
				t.Fatal(err)
			}
		}
	}
	var events []tiny.ClickEvent
	start := time.Now().Add(-72 * time.Hour).Truncate(time.Hour)
	for i := range 300 {
		kind := tiny.VisitorHuman
		if i%10 == 0 {
			kind = tiny.VisitorBot
		}
		events = append(events, tiny.ClickEvent{LinkID: in.link, At: start.Add(time.Duration(i) * 13 * time.Minute), Kind: kind,
			Visitor: uint64(i % 37), Referrer: []string{"direct", "news.example"}[i%2], Country: "NL", Browser: "Firefox", OS: "Linux", Device: "desktop"})
	}
	if err := store.RecordClicks(ctx, events); err != nil {
		t.Fatal(err)
	}
	if err := accts.DeleteUser(ctx, root, gone.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	return in
}

// seedFile seeds a new SQLite store at path, closes it, and returns what
// it holds, with the statistics of its link with clicks and their query.
func seedFile(t *testing.T, path string) (instance, tiny.StatsQuery, *tiny.ClickStats) {
	t.Helper()
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	in := seed(t, lite)
	q := tiny.StatsQuery{LinkID: in.link, From: time.Now().Add(-96 * time.Hour), To: time.Now().Add(time.Hour), Top: 10}
	st, err := lite.ClickStats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	return in, q, st
}

// TestMoveKeepsEverything moves a used SQLite instance into PostgreSQL and
// serves it from there: every code leads where it led, the blocked link is
// still blocked, people sign in, keys work, statistics match, and a new
// link or user gets an id never given before.
func TestMoveKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tiny.db")
	in, q, wantStats := seedFile(t, path)

	dsn := newSchema(t)
	var tablesSeen []string
	rep, err := Move(ctx, path, dsn, func(table string, _ int64) { tablesSeen = append(tablesSeen, table) })
	if err != nil {
		t.Fatalf("Move = %v", err)
	}
	counts := map[string]int64{}
	for _, tb := range rep.Tables {
		counts[tb.Name] = tb.Rows
	}
	if counts["links"] != 4 || counts["users"] != 2 || counts["clicks"] != 300 || counts["settings"] == 0 || counts["api_keys"] != 1 || counts["audit_log"] == 0 {
		t.Errorf("moved %v, want 4 links, 2 users, 300 clicks, 1 key, settings and the audit log", counts)
	}
	if len(tablesSeen) == 0 {
		t.Error("Move reported no progress")
	}

	pg, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	links, accts := services(t, pg)
	for name, dest := range in.codes {
		target, err := links.Resolve(ctx, name)
		if err != nil {
			t.Errorf("Resolve(%s) on PostgreSQL = %v", name, err)
			continue
		}
		if target.Location("") != dest {
			t.Errorf("Resolve(%s) = %s, want %s", name, target.Location(""), dest)
		}
		if name == in.blocked && (target.Link == nil || target.Link.Status != tiny.StatusBlocked) {
			t.Errorf("the blocked link %s is not blocked after the move: %+v", name, target)
		}
	}
	gotStats, err := pg.ClickStats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotStats, wantStats) {
		t.Errorf("statistics after the move = %+v, want %+v", gotStats, wantStats)
	}
	if _, err := accts.SignInPassword(ctx, accounts.SignIn{Email: in.email, Password: password}); err != nil {
		t.Errorf("signing in after the move = %v", err)
	}
	if _, err := accts.AuthenticateKey(ctx, in.key); err != nil {
		t.Errorf("the API key after the move = %v", err)
	}
	// New ids continue after the old ones: the deleted user's id (3) is not
	// given again.
	u, err := accts.OperatorCreateUser(ctx, accounts.NewUser{Email: "new@example.com", Role: tiny.RoleMember})
	if err != nil || u.ID <= 3 {
		t.Errorf("a user made after the move = %+v, %v, want an id above 3", u, err)
	}
	admin, _ := pg.UserByEmail(ctx, "admin@example.com")
	l, err := links.Create(ctx, accounts.As(admin), shortener.CreateInput{URL: "https://example.com/after"})
	if err != nil {
		t.Fatal(err)
	}
	if _, taken := in.codes[l.Code]; taken {
		t.Errorf("a link made after the move got the code %s of an old one", l.Code)
	}
	// A second move into the same database is refused.
	if _, err := Move(ctx, path, dsn, nil); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Errorf("a second Move = %v, want it refused", err)
	}
}

// TestMoveRefusesASchemaDifference adds a column to the SQLite store only,
// as a migration written for one store would: the move stops before it
// copies anything, naming the column.
func TestMoveRefusesASchemaDifference(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tiny.db")
	lite, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, lite)
	lite.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("ALTER TABLE links ADD COLUMN colour TEXT"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	dsn := newSchema(t)
	_, err = Move(ctx, path, dsn, nil)
	if err == nil || !strings.Contains(err.Error(), "links.colour is not in the PostgreSQL store") {
		t.Fatalf("Move with an extra SQLite column = %v, want it refused naming links.colour", err)
	}
	pg, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if got, err := pg.ListLinks(ctx, tiny.LinkFilter{Limit: 10}); err != nil || len(got) != 0 {
		t.Errorf("links in PostgreSQL after a refused move = %d, %v, want none", len(got), err)
	}
}

// TestRoundTripThroughPostgres moves an instance to PostgreSQL and back
// into a new SQLite file, as an archive of a cluster is made: the file
// serves every code the same way, with the same statistics and users.
func TestRoundTripThroughPostgres(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny.db")
	in, q, wantStats := seedFile(t, path)
	dsn := newSchema(t)
	if _, err := Move(ctx, path, dsn, nil); err != nil {
		t.Fatal(err)
	}
	back := filepath.Join(dir, "archive.db")
	rep, err := ToSQLite(ctx, dsn, back, nil)
	if err != nil {
		t.Fatalf("ToSQLite = %v", err)
	}
	if len(rep.Tables) < 10 {
		t.Errorf("ToSQLite copied %d tables, want every table", len(rep.Tables))
	}
	if _, err := ToSQLite(ctx, dsn, back, nil); err == nil {
		t.Error("ToSQLite over an existing file = nil error, want it refused")
	}
	store, err := sqlite.Open(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	links, accts := services(t, store)
	for name, dest := range in.codes {
		target, err := links.Resolve(ctx, name)
		if err != nil || target.Location("") != dest {
			t.Errorf("Resolve(%s) in the archive = %v, %v, want %s", name, target, err, dest)
		}
	}
	gotStats, err := store.ClickStats(ctx, q)
	if err != nil || !reflect.DeepEqual(gotStats, wantStats) {
		t.Errorf("statistics in the archive = %+v, %v, want %+v", gotStats, err, wantStats)
	}
	if _, err := accts.SignInPassword(ctx, accounts.SignIn{Email: in.email, Password: password}); err != nil {
		t.Errorf("signing in on the archive = %v", err)
	}
	u, err := accts.OperatorCreateUser(ctx, accounts.NewUser{Email: "late@example.com", Role: tiny.RoleMember})
	if err != nil || u.ID <= 3 {
		t.Errorf("a user made on the archive = %+v, %v, want an id above 3", u, err)
	}
}
