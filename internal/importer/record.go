package importer

import (
	"context"
	"fmt"
	"time"
)

// Record is one link read from another shortener.
type Record struct {
	Slug      string // the foreign short code or custom slug; "" when none
	URL       string
	Title     string
	Tags      []string
	CreatedAt time.Time  // zero when unknown
	ExpiresAt *time.Time // nil: never
	MaxClicks int64      // 0: no limit
	Redirect  int        // 0: tiny's default
	Clicks    int64      // the foreign click total

	ForwardQuery bool // the old link passed the visitor's query string on
	Banned       bool // the old shortener had blocked the link
	// Password is set when the old link asked for a password, which no
	// export gives away; such links are skipped rather than opened up.
	Password bool

	// Row is the record's position in its source: the data row of a file
	// (a row may give several records), or the index of an API record,
	// counted from 1. Positions never go down.
	Row int64
}

// Reader reads the records of a source in order.
type Reader interface {
	// Next returns the next record, and io.EOF after the last. A *RowError
	// is about one source row only: Run reports it and reads on. Any other
	// error ends the import.
	Next(ctx context.Context) (*Record, error)
}

// Sized is implemented by readers that learn how many records their
// source has (APIs tell it with the first page); Total is -1 until then.
type Sized interface {
	Total() int64
}

// RowError is a source row that could not be read as a link.
type RowError struct {
	Row  int64
	Slug string // when it could be read
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

// rowErrorf returns a *RowError for row.
func rowErrorf(row int64, slug, format string, args ...any) *RowError {
	return &RowError{Row: row, Slug: slug, Err: fmt.Errorf(format, args...)}
}
