package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// table reads a CSV file whose first row names its columns, by name, so
// that the order of columns and the spelling of their names (case,
// spaces, punctuation) do not matter.
type table struct {
	r    *csv.Reader
	cols map[string]int // normalised name → index
	row  int64          // data rows read
	err  error          // the header's error, returned by the first next
}

// maxField bounds one CSV field, so a hostile file with an unterminated
// quote cannot make the reader hold all of it.
const maxField = 1 << 20

// newTable reads the header of r. names maps each column the format knows
// to the header spellings it accepts, normalised by colName.
func newTable(r io.Reader, names map[string][]string) *table {
	cr := csv.NewReader(&boundedReader{r: r})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	t := &table{r: cr, cols: map[string]int{}}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		t.err = io.EOF
		return t
	}
	if err != nil {
		t.err = fmt.Errorf("reading the CSV header: %w", err)
		return t
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a byte-order mark some tools write
	}
	for i, h := range header {
		for col, spellings := range names {
			for _, s := range spellings {
				if _, seen := t.cols[col]; !seen && colName(h) == s {
					t.cols[col] = i
				}
			}
		}
	}
	return t
}

// has reports whether the header names col.
func (t *table) has(col string) bool { _, ok := t.cols[col]; return ok }

// next reads the next data row. A row the CSV syntax refuses ends the
// file: after a broken quote nothing that follows can be trusted.
func (t *table) next() ([]string, error) {
	if t.err != nil {
		return nil, t.err
	}
	rec, err := t.r.Read()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			err = fmt.Errorf("reading CSV row %d: %w", t.row+1, err)
		}
		t.err = err
		return nil, err
	}
	t.row++
	return rec, nil
}

// get returns column col of rec, trimmed; "" when the file has no such
// column or the row is short.
func (t *table) get(rec []string, col string) string {
	i, ok := t.cols[col]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// colName normalises a column name: lower case, letters and digits only.
func colName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// boundedReader fails once a single line grows past maxField bytes.
type boundedReader struct {
	r    io.Reader
	line int
}

func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			b.line = 0
		} else if b.line++; b.line > maxField {
			return 0, fmt.Errorf("a line is longer than %d bytes", maxField)
		}
	}
	return n, err
}

// splitTags splits a field of tags at any of seps, trimming each and
// leaving out empty ones.
func splitTags(s, seps string) []string {
	var tags []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// parseCount reads a click count or limit; "" is 0.
func parseCount(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a count", truncate(s))
	}
	return n, nil
}

// timeLayouts are the ways the sources write times: RFC 3339, Bitly's
// offset without a colon, SQL's date and time (UTC), a date.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

// parseTime reads a time in one of timeLayouts, or Unix seconds; "" is the
// zero time. A time without a zone is taken as UTC.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && n < 1<<40 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time", truncate(s))
}

// optTime is parseTime for an optional time: nil for "".
func optTime(s string) (*time.Time, error) {
	t, err := parseTime(s)
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &t, nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// lastSegment returns the path of a short URL after its host ("sho.rt/abc"
// and "https://sho.rt/abc" both give "abc"), or s itself when it has no
// host. A Shlink slug may hold '/', so everything after the host is kept.
func lastSegment(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	host, path, found := strings.Cut(s, "/")
	if _, afterScheme, ok := strings.Cut(s, "://"); ok {
		_, path, _ = strings.Cut(afterScheme, "/")
		return strings.TrimRight(path, "/")
	}
	if found && strings.ContainsAny(host, ".:") {
		return strings.TrimRight(path, "/")
	}
	return strings.TrimRight(s, "/")
}
