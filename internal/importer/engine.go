package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// DefaultBatchSize is how many records Run applies per transaction: large
// enough that a commit's cost, and the index pages it rewrites, are spread
// thin (5000 takes a tenth less CPU than 1000 in BenchmarkImportCSV), small
// enough that a crash loses little work.
const DefaultBatchSize = 5000

// MaxListed bounds the rows a Summary lists (skipped, flagged, blocked
// each), so a hostile source cannot grow it without end; the counts stay
// exact.
const MaxListed = 10_000

// Options tune Run.
type Options struct {
	// Job names the import for its checkpoint (see JobID); "" keeps none.
	// Give one only when the source lists its records in a fixed order,
	// as a file does: a rerun skips the positions the job applied.
	Job string
	// DryRun reads, validates and screens everything and looks every slug
	// up, but writes nothing.
	DryRun bool
	// BatchSize is the number of records per transaction (DefaultBatchSize).
	BatchSize int
	// Progress, when set, is called after each batch with the records
	// done so far and the total, -1 when the source does not tell it.
	Progress func(done, total int64)
	// Tally, when set, is called after each batch with the summary so
	// far, which it may read only during the call, and the total (-1 when
	// unknown): a job's progress shows the counts as they grow.
	Tally func(sum *Summary, total int64)
}

// Reason is why a record was skipped.
type Reason string

// The reasons a record is skipped. Slugs are never changed to get round
// one: the owner decides what to do with the rows listed.
const (
	Malformed     Reason = "malformed"      // the source row could not be read
	InvalidURL    Reason = "invalid_url"    // the destination is not one tiny links to
	InvalidAlias  Reason = "invalid_alias"  // a '/', a character or a length the alias rules refuse
	ReservedAlias Reason = "reserved_alias" // a word tiny keeps for its own routes
	AliasTaken    Reason = "alias_taken"    // the name leads to another link already
	PasswordLink  Reason = "password"       // the old link had a password, which exports do not give
	InvalidField  Reason = "invalid"        // another field tiny cannot take
)

// Row is a record the summary lists, with why.
type Row struct {
	Row    int64  `json:"row"`
	Slug   string `json:"slug,omitempty"`
	URL    string `json:"url,omitempty"`
	Reason Reason `json:"reason,omitempty"` // for skipped rows
	Detail string `json:"detail,omitempty"` // the error or the safety check's reason
}

// Summary is what an import did (or, in a dry run, would do). Its JSON,
// which tiny import --json prints, names fields as the API does.
type Summary struct {
	DryRun bool `json:"dry_run"`
	// Read counts the records read, those resumed past included.
	Read int64 `json:"read"`
	// Imported counts new links; AlreadyImported the slugs that lead to
	// the same URL already; Resumed the records at or before the job's
	// checkpoint, applied by an earlier run.
	Imported        int64 `json:"imported"`
	AlreadyImported int64 `json:"already_imported"`
	Resumed         int64 `json:"resumed"`
	// Skipped counts the skipped records by reason; SkippedRows lists them.
	Skipped     map[Reason]int64 `json:"skipped"`
	SkippedRows []Row            `json:"skipped_rows"`
	// Flagged and Blocked list the new links the safety check held.
	Flagged []Row `json:"flagged"`
	Blocked []Row `json:"blocked"`
	// FlaggedCount and BlockedCount count them beyond MaxListed.
	FlaggedCount int64 `json:"flagged_count"`
	BlockedCount int64 `json:"blocked_count"`
}

// SkippedCount returns how many records were skipped.
func (s *Summary) SkippedCount() int64 {
	var n int64
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

func (s *Summary) skip(r Row) {
	s.Skipped[r.Reason]++
	if len(s.SkippedRows) < MaxListed {
		s.SkippedRows = append(s.SkippedRows, r)
	}
}

// Run imports the records r reads as links owned by p's user, through
// links, and returns what it did. Reading, validating and screening one
// batch overlaps with storing the one before, which is what bounds the
// speed. On an error it stops and returns the summary so far with the
// error; what it applied stays applied, and a rerun with the same Job
// takes up after the last batch applied.
func Run(ctx context.Context, links *shortener.Service, p *accounts.Principal, r Reader, opt Options) (*Summary, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	sum := &Summary{DryRun: opt.DryRun, Skipped: map[Reason]int64{}}
	var checkpoint int64
	if opt.Job != "" {
		var err error
		if checkpoint, err = links.ImportCheckpoint(ctx, p, opt.Job); err != nil {
			return sum, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, 1)
	done := make(chan struct{})
	rd := &reading{links: links, p: p, opt: opt, r: r, checkpoint: checkpoint}
	go func() {
		defer close(done)
		rd.run(ctx, batches)
	}()
	err := apply(ctx, links, sum, r, opt, batches)
	cancel()
	<-done
	return sum, err
}

// batch is a run of records read, with what reading them found, and its
// links prepared by the service.
type batch struct {
	recs    []*Record
	prep    *shortener.PreparedImport
	pos     int64 // the job's position once the batch is applied
	read    int64
	resumed int64
	skips   []Row
	err     error // reading or preparing failed: the last batch sent
}

// reading is the first stage of Run: it reads records into batches and
// prepares each.
type reading struct {
	links      *shortener.Service
	p          *accounts.Principal
	opt        Options
	r          Reader
	checkpoint int64
	last       int64 // the highest position read
	sent       int64 // the position of the last batch sent
}

// run sends batches until the source ends, an error (sent in a batch) or
// ctx's end, then closes out.
func (rd *reading) run(ctx context.Context, out chan<- *batch) {
	defer close(out)
	send := func(b *batch) bool {
		if b.err == nil {
			b.err = rd.prepare(ctx, b)
		}
		select {
		case out <- b:
			return b.err == nil
		case <-ctx.Done():
			return false
		}
	}
	b := &batch{}
	for {
		rec, err := rd.r.Next(ctx)
		if errors.Is(err, io.EOF) {
			if len(b.recs) > 0 || rd.last != rd.sent || b.read > 0 {
				send(b)
			}
			return
		}
		var rowErr *RowError
		switch {
		case errors.As(err, &rowErr):
			b.read++
			rd.last = max(rd.last, rowErr.Row)
			if rowErr.Row <= rd.checkpoint {
				b.resumed++
			} else {
				b.skips = append(b.skips, Row{Row: rowErr.Row, Slug: rowErr.Slug, Reason: Malformed, Detail: rowErr.Err.Error()})
			}
			continue
		case err != nil:
			b.err = err
			send(b)
			return
		}
		// A batch ends between rows, never inside one: its position must
		// cover every record of the rows it holds.
		if len(b.recs) >= rd.opt.BatchSize && rec.Row != rd.last {
			if !send(b) {
				return
			}
			b = &batch{}
		}
		b.read++
		rd.last = max(rd.last, rec.Row)
		switch {
		case rec.Row <= rd.checkpoint:
			b.resumed++
		case rec.Password:
			b.skips = append(b.skips, Row{Row: rec.Row, Slug: rec.Slug, URL: rec.URL, Reason: PasswordLink,
				Detail: "the link asks for a password, which the source does not give; recreate it by hand"})
		default:
			b.recs = append(b.recs, rec)
		}
	}
}

// prepare validates and screens the batch's records and fixes its position.
func (rd *reading) prepare(ctx context.Context, b *batch) error {
	b.pos, rd.sent = rd.last, rd.last
	in := make([]shortener.ImportInput, len(b.recs))
	for i, rec := range b.recs {
		in[i] = shortener.ImportInput{URL: rec.URL, Alias: rec.Slug, Title: rec.Title, Tags: rec.Tags,
			CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt, MaxClicks: rec.MaxClicks, Redirect: rec.Redirect,
			ImportedClicks: rec.Clicks, ForwardQuery: rec.ForwardQuery, Banned: rec.Banned}
	}
	var err error
	b.prep, err = rd.links.PrepareImport(ctx, rd.p, shortener.ImportBatch{Links: in, Job: rd.opt.Job, Position: b.pos, DryRun: rd.opt.DryRun})
	return err
}

// apply is the second stage of Run: it applies the batches in order and
// adds them up in sum.
func apply(ctx context.Context, links *shortener.Service, sum *Summary, r Reader, opt Options, batches <-chan *batch) error {
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		results, err := links.ApplyImport(ctx, b.prep)
		if err != nil {
			return err
		}
		sum.Read += b.read
		sum.Resumed += b.resumed
		for _, row := range b.skips {
			sum.skip(row)
		}
		for i, res := range results {
			sum.tally(b.recs[i], res)
		}
		total := int64(-1)
		if s, ok := r.(Sized); ok {
			total = s.Total()
		}
		if opt.Progress != nil {
			opt.Progress(sum.Read, total)
		}
		if opt.Tally != nil {
			opt.Tally(sum, total)
		}
	}
	return ctx.Err()
}

func (s *Summary) tally(rec *Record, res shortener.ImportResult) {
	switch res.Outcome {
	case shortener.AlreadyImported:
		s.AlreadyImported++
	case shortener.Refused:
		s.skip(Row{Row: rec.Row, Slug: rec.Slug, URL: rec.URL, Reason: reason(rec.Slug, res.Err), Detail: message(res.Err)})
	case shortener.Imported:
		s.Imported++
		held := Row{Row: rec.Row, Slug: rec.Slug, URL: res.Link.URL, Detail: res.Link.Safety.Reason}
		switch res.Link.Status {
		case tiny.StatusFlagged:
			s.FlaggedCount++
			if len(s.Flagged) < MaxListed {
				s.Flagged = append(s.Flagged, held)
			}
		case tiny.StatusBlocked:
			s.BlockedCount++
			if len(s.Blocked) < MaxListed {
				s.Blocked = append(s.Blocked, held)
			}
		}
	}
}

// reason names why the service refused a record.
func reason(slug string, err error) Reason {
	switch field := tiny.ErrorFieldOf(err); {
	case field == "url":
		return InvalidURL
	case field == "alias" && tiny.IsCode(err, tiny.Conflict):
		return AliasTaken
	case field == "alias" && tiny.IsReserved(slug):
		return ReservedAlias
	case field == "alias":
		return InvalidAlias
	}
	return InvalidField
}

// message is the text of a refusal, for the owner's report.
func message(err error) string {
	var te *tiny.Error
	if errors.As(err, &te) {
		return te.Message
	}
	return err.Error()
}

// JobID names the import of a file for its checkpoint: the format, the
// importing user and the SHA-256 of the content, so a rerun of the same
// file resumes and a changed file starts afresh.
func JobID(format string, userID int64, content io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, content); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s:%d:%s", strings.ToLower(format), userID, hex.EncodeToString(h.Sum(nil))), nil
}
