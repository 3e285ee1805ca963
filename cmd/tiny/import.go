package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"tiny/internal/accounts"
	"tiny/internal/importer"
	"tiny/internal/sqlite"
	"tiny/internal/storemove"
	"tiny/internal/tiny"
)

// importFormats are the FORMAT arguments of tiny import, with what each reads.
var importFormats = []struct{ name, help string }{
	{"bitly", "Bitly's CSV link export (FILE)"},
	{"bitly-api", "Bitly's API v4 (URL, default https://api-ssl.bitly.com; --token, --group)"},
	{"shlink", "the CSV Shlink's web client exports (FILE)"},
	{"shlink-api", "Shlink's REST API (URL of the server; --token is its API key)"},
	{"yourls", "the yourls_url table as a mysqldump file or a CSV export, detected (FILE)"},
	{"yourls-api", "YOURLS's stats API (URL of the install; --token is the signature token)"},
	{"kutt-api", "Kutt's API v2 (URL of the server; --token is the API key)"},
	{"csv", "tiny's CSV columns: url,alias,title,tags,expires_at,max_clicks,redirect (FILE)"},
	{"tiny", "a tiny archive, from tiny backup or export-archive, into an EMPTY database (FILE)"},
}

// importNamesNote tells that the API's format names work too.
const importNamesNote = "The API's names work too: bitly-csv, shlink-csv, yourls-sql, yourls-csv.\n"

// importTokenEnv holds the API token when --token is not given, so that it
// stays out of the shell history and the process list.
const importTokenEnv = "TINY_IMPORT_TOKEN"

type importArgs struct {
	database, as, token, group, table string
	dryRun, asJSON, clicks            bool
	// screening holds the safety check's settings, as serve takes them.
	screening Config
}

// importCommand is `tiny import FORMAT FILE|URL`, run on the database.
func importCommand(std streams) *cobra.Command {
	a := importArgs{screening: DefaultConfig()}
	var formats strings.Builder
	for _, f := range importFormats {
		fmt.Fprintf(&formats, "  %-11s %s\n", f.name, f.help)
	}
	cmd := &cobra.Command{
		Use:   "import FORMAT FILE|URL --database tiny.db [--as EMAIL] [--dry-run]",
		Short: "import links from Bitly, Shlink, YOURLS, Kutt, a CSV or a tiny archive (OFFLINE, on the database)",
		Long: "OFFLINE: opens the database given by --database directly, not the API. Every foreign\n" +
			"slug becomes an alias, so the old short links keep working once the domain points at\n" +
			"tiny; slugs the alias rules refuse are reported, never changed. Every destination goes\n" +
			"through the safety check as a new link does (unsafe ones arrive flagged or blocked).\n" +
			"Running the same import again adds nothing; a file import that stopped resumes.\n" +
			"Give it the safety settings tiny serve runs with (--blocklist, thresholds …).\n" +
			"The API token is read from --token or, better, $" + importTokenEnv + "; it is never printed.\n\n" +
			"FORMAT is one of:\n" + formats.String() + importNamesNote,
		Args: positional(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), std, a, args[0], args[1])
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&a.database, "database", DefaultConfig().Database, "SQLite file path, or a postgres:// URL, as for tiny serve")
	fs.StringVar(&a.as, "as", "", "email of the user who owns the imported links (default: the admin user)")
	fs.BoolVar(&a.dryRun, "dry-run", false, "read, check and screen everything, and report, but write nothing")
	fs.BoolVar(&a.asJSON, "json", false, "print the summary as JSON")
	fs.StringVar(&a.token, "token", "", "the API token or key of the *-api formats (better in the environment)")
	_ = fs.SetAnnotation("token", envNameAnnotation, []string{importTokenEnv})
	fs.StringVar(&a.group, "group", "", "bitly-api: the group guid whose links to import")
	fs.BoolVar(&a.clicks, "clicks", false, "bitly-api: fetch each link's click total too (one more request per link)")
	fs.StringVar(&a.table, "table", "", "yourls: the table of a mysqldump (default: the one ending in _url)")
	fs.StringVar(&a.screening.BaseURL, "base-url", "", "the public URL of tiny, as for tiny serve: links to it are refused as loops")
	a.screening.registerScreening(fs)
	return withEnv(cmd)
}

func runImport(ctx context.Context, std streams, a importArgs, format, source string) error {
	if format == "tiny" {
		return importArchive(ctx, std, a, source)
	}
	format, err := importFormat(format)
	if err != nil {
		return err
	}
	cfg := a.screening
	cfg.Database = a.database
	cfg.LogLevel = "warn" // the service's start-up lines are noise beside the report
	m := NewMain(cfg, io.Discard, std.stderr)
	defer m.Close()
	base, err := cfg.baseURL()
	if err != nil {
		return err
	}
	if err := m.startServices(ctx, base); err != nil {
		return err
	}
	user, err := importOwner(ctx, m.store, a.as)
	if err != nil {
		return err
	}
	src, err := importReader(a, format, source, user.ID)
	if err != nil {
		return err
	}
	defer src.close()
	// ^C stops after the batch in hand; what was applied stays, with its
	// checkpoint, and the summary still says what was done.
	runCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress, finish := importProgress(std.stderr, src.estimate)
	sum, runErr := importer.Run(runCtx, m.links, accounts.As(user), src.r, importer.Options{Job: src.job, DryRun: a.dryRun, Progress: progress})
	finish()
	if runErr != nil && runCtx.Err() != nil && ctx.Err() == nil {
		runErr = errors.New("interrupted; run the same command again to resume")
	}
	if a.asJSON {
		// Lists print as [] when empty, as the API gives them.
		for _, rows := range []*[]importer.Row{&sum.SkippedRows, &sum.Flagged, &sum.Blocked} {
			if *rows == nil {
				*rows = []importer.Row{}
			}
		}
		enc := json.NewEncoder(std.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printImportSummary(std.stdout, sum)
	}
	return runErr
}

// importOwner is the user --as names, or the admin user.
func importOwner(ctx context.Context, store tiny.Store, email string) (*tiny.User, error) {
	if email != "" {
		u, err := store.UserByEmail(ctx, email)
		if tiny.ErrorCodeOf(err) == tiny.NotFound {
			return nil, tiny.Errorf(tiny.NotFound, "no user %s; create it with tiny admin create-user", email)
		}
		return u, err
	}
	u, err := store.UserByName(ctx, "admin")
	if tiny.ErrorCodeOf(err) == tiny.NotFound {
		return nil, tiny.Errorf(tiny.NotFound, "the database has no admin user yet; give --as EMAIL, or start tiny serve on it once")
	}
	return u, err
}

// importSource is an opened source of records.
type importSource struct {
	r importer.Reader
	// job makes a rerun of a file resume where the last one stopped.
	job   string
	close func()
	// estimate guesses the records of a file from its size and the share
	// read so far, as a file does not say how many it holds; nil for APIs,
	// which do.
	estimate func(done int64) int64
}

// cliFormats maps the CLI's short names of file formats to the
// importer's (which the API and the web app use, and which the CLI takes
// too); "yourls" is told apart by the file's first bytes.
var cliFormats = map[string]string{"bitly": "bitly-csv", "shlink": "shlink-csv"}

// importFormat returns the importer's name of the CLI's format.
func importFormat(format string) (string, error) {
	if name, ok := cliFormats[format]; ok {
		return name, nil
	}
	if _, known := importer.FormatNamed(format); !known && format != "yourls" {
		return "", usagef("unknown format %q; see tiny import --help", format)
	}
	return format, nil
}

// importReader opens the source of format, an importer's name or "yourls".
func importReader(a importArgs, format, source string, userID int64) (*importSource, error) {
	if f, _ := importer.FormatNamed(format); !f.API {
		return importFile(a, format, source, userID)
	}
	if a.token == "" {
		return nil, usagef("%s needs the API token: --token or $%s", format, importTokenEnv)
	}
	api := importer.APIConfig{BaseURL: source, Token: a.token}
	var r importer.Reader
	var err error
	if format == "bitly-api" {
		// The group and the click totals are the CLI's own options.
		if a.group == "" {
			return nil, usagef("bitly-api needs --group, the guid of the Bitly group")
		}
		r, err = importer.NewBitlyAPI(importer.BitlyConfig{APIConfig: api, Group: a.group, Clicks: a.clicks})
	} else {
		r, err = importer.OpenAPI(format, api)
	}
	if err != nil {
		return nil, usageError{err: err}
	}
	// An API lists its links in no fixed order, so it keeps no checkpoint;
	// a rerun finds every slug imported already and adds nothing.
	return &importSource{r: r, close: func() {}}, nil
}

func importFile(a importArgs, format, path string, userID int64) (*importSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if format == "yourls" {
		// A mysqldump starts with comments or statements, a CSV with its
		// header row.
		head := make([]byte, 4096)
		n, _ := io.ReadFull(f, head)
		format = "yourls-csv"
		if isSQLDump(string(head[:n])) {
			format = "yourls-sql"
		}
	}
	if _, err = f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	job, err := importer.JobID(format, userID, f)
	var size int64
	if err == nil {
		size, err = f.Seek(0, io.SeekEnd)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	in := &countingReader{r: f}
	src := &importSource{job: job, close: func() { f.Close() }, estimate: func(done int64) int64 {
		if read := in.n.Load(); read > 0 && size > 0 {
			return max(done, done*size/read)
		}
		return -1
	}}
	if format == "yourls-sql" && a.table != "" {
		src.r = importer.NewYOURLSDump(in, a.table)
		return src, nil
	}
	if src.r, err = importer.OpenFile(format, in); err != nil {
		f.Close()
		return nil, usageError{err: err}
	}
	return src, nil
}

// countingReader counts the bytes read through it; the importer reads on
// its own goroutine while the progress is shown on another.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// isSQLDump tells a mysqldump from a CSV by its first words.
func isSQLDump(head string) bool {
	h := strings.ToUpper(strings.TrimLeft(head, "\ufeff \t\r\n"))
	for _, p := range []string{"--", "/*", "#", "CREATE ", "INSERT ", "DROP ", "SET ", "LOCK ", "USE "} {
		if strings.HasPrefix(h, p) {
			return true
		}
	}
	return false
}

// importProgress returns the progress callback of importer.Run and the
// function that ends it: a bar with rate and ETA on a terminal, a plain
// line per batch (at most one a second) elsewhere, so logs stay readable.
// estimate, if not nil, guesses the total a file does not tell.
func importProgress(stderr io.Writer, estimate func(done int64) int64) (func(done, total int64), func()) {
	show, finish := progressDisplay(stderr)
	return func(done, total int64) {
		if total < 0 && estimate != nil {
			total = estimate(done)
		}
		show(done, total)
	}, finish
}

func progressDisplay(stderr io.Writer) (func(done, total int64), func()) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		start, last := time.Now(), time.Time{}
		var lastDone, printed int64
		return func(done, total int64) {
				lastDone = done
				if time.Since(last) < time.Second {
					return
				}
				last, printed = time.Now(), done
				printProgressLine(stderr, done, total, time.Since(start))
			}, func() {
				if lastDone != printed { // the last batch, unless it was just printed
					printProgressLine(stderr, lastDone, -1, time.Since(start))
				}
			}
	}
	var bar *progressbar.ProgressBar
	return func(done, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(f),
					progressbar.OptionSetDescription("importing"), progressbar.OptionShowCount(),
					progressbar.OptionShowIts(), progressbar.OptionSetItsString("records"),
					progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish())
			} else if total > 0 && total != bar.GetMax64() {
				bar.ChangeMax64(total)
			}
			_ = bar.Set64(done)
		}, func() {
			if bar != nil {
				_ = bar.Finish()
			}
		}
}

func printProgressLine(w io.Writer, done, total int64, took time.Duration) {
	rate := float64(done) / max(took.Seconds(), 1e-3)
	if total > 0 {
		fmt.Fprintf(w, "processed %d of about %d records (%.0f/s)\n", done, total, rate)
		return
	}
	fmt.Fprintf(w, "processed %d records (%.0f/s)\n", done, rate)
}

// summaryRows is how many rows of each list the human summary shows;
// --json gives them all.
const summaryRows = 10

func printImportSummary(w io.Writer, s *importer.Summary) {
	verb := "Imported"
	if s.DryRun {
		verb = "Dry run, nothing written: would import"
	}
	fmt.Fprintf(w, "%s %d links from %d records; %d were imported already", verb, s.Imported, s.Read, s.AlreadyImported)
	if s.Resumed > 0 {
		fmt.Fprintf(w, ", %d by the run this one resumes", s.Resumed)
	}
	fmt.Fprintf(w, ".\nSkipped %d, flagged %d, blocked %d.\n", s.SkippedCount(), s.FlaggedCount, s.BlockedCount)
	if n := s.SkippedCount(); n > 0 {
		reasons := make([]string, 0, len(s.Skipped))
		for r := range s.Skipped {
			reasons = append(reasons, string(r))
		}
		sort.Strings(reasons)
		tw := table(w)
		fmt.Fprintln(tw, "\nSKIPPED\tCOUNT")
		for _, r := range reasons {
			fmt.Fprintf(tw, "%s\t%d\n", r, s.Skipped[importer.Reason(r)])
		}
		_ = tw.Flush()
		printRows(w, "First skipped rows", s.SkippedRows, true, n)
	}
	printRows(w, "Flagged for review", s.Flagged, false, s.FlaggedCount)
	printRows(w, "Blocked", s.Blocked, false, s.BlockedCount)
}

func printRows(w io.Writer, title string, rows []importer.Row, reason bool, total int64) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	tw := table(w)
	if reason {
		fmt.Fprintln(tw, "ROW\tSLUG\tREASON\tDETAIL")
	} else {
		fmt.Fprintln(tw, "ROW\tSLUG\tURL\tREASON")
	}
	for i, r := range rows {
		if i == summaryRows {
			break
		}
		if reason {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.Row, r.Slug, r.Reason, r.Detail)
		} else {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.Row, r.Slug, r.URL, r.Detail)
		}
	}
	_ = tw.Flush()
	if total > summaryRows {
		fmt.Fprintf(w, "… and %d more (--json lists them)\n", total-summaryRows)
	}
}

// importArchive brings a tiny archive into an empty database: a restore
// into SQLite, a move into PostgreSQL.
func importArchive(ctx context.Context, std streams, a importArgs, archive string) error {
	if a.dryRun {
		return usagef("tiny import tiny has no --dry-run: it restores a whole archive into an empty database")
	}
	if isPostgresURL(a.database) {
		// Move refuses a database that holds any tiny row.
		rep, err := storemove.Move(ctx, archive, a.database, progressLine(std.stderr))
		if err != nil {
			return err
		}
		return printMoved(std.stdout, rep, "Imported "+archive+" into "+redactDSN(a.database))
	}
	if err := sqliteEmpty(ctx, a.database); err != nil {
		return err
	}
	info, err := sqlite.Restore(ctx, archive, a.database, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(std.stdout, "Imported %s into %s: %d links, %d users, %d clicks.\n", archive, a.database, info.Links, info.Users, info.Clicks)
	return nil
}

// sqliteEmpty refuses a SQLite database that holds links: an archive
// replaces the whole database, so it only goes where nothing is lost.
func sqliteEmpty(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("opening the database %s: %w", path, err)
	}
	n, err := store.CountLinks(ctx)
	err = errors.Join(err, store.Close())
	if err != nil {
		return err
	}
	if n > 0 {
		return tiny.Errorf(tiny.Conflict, "%s already holds %d links: a tiny archive is imported only into an empty database (use tiny restore --force to replace it)", path, n)
	}
	return nil
}
