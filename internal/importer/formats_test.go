package importer

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// readAll reads every record of r, and the rows it reported.
func readAll(t *testing.T, r Reader) ([]*Record, []*RowError) {
	t.Helper()
	recs, bad, err := readRecords(r)
	if err != nil {
		t.Fatalf("Next = %v, want a record or io.EOF", err)
	}
	return recs, bad
}

// readRecords reads r to its end: the records, the rows it reported and
// the error that ended it early.
func readRecords(r Reader) ([]*Record, []*RowError, error) {
	var recs []*Record
	var bad []*RowError
	for range 100_000 {
		rec, err := r.Next(context.Background())
		var rowErr *RowError
		switch {
		case errors.Is(err, io.EOF):
			return recs, bad, nil
		case errors.As(err, &rowErr):
			bad = append(bad, rowErr)
		case err != nil:
			return recs, bad, err
		default:
			recs = append(recs, rec)
		}
	}
	return recs, bad, errors.New("Next never returned io.EOF")
}

// find returns the record with that slug, failing t when none.
func find(t *testing.T, recs []*Record, slug string) *Record {
	t.Helper()
	for _, r := range recs {
		if r.Slug == slug {
			return r
		}
	}
	t.Fatalf("no record with slug %q", slug)
	return nil
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestYOURLSDump(t *testing.T) {
	recs, bad := readAll(t, NewYOURLSDump(openFixture(t, "yourls.sql"), ""))
	var slugs []string
	for _, r := range recs {
		slugs = append(slugs, r.Slug)
	}
	if want := []string{"ozh", "yourls", "it's", "nulltitle", "named"}; !slices.Equal(slugs, want) {
		t.Errorf("YOURLSDump slugs = %q, want %q (yourls_log left out)", slugs, want)
	}
	if len(bad) != 1 || bad[0].Row != 5 || !strings.Contains(bad[0].Error(), "3 values for 6 columns") {
		t.Errorf("YOURLSDump row errors = %v, want row 5 with too few values", bad)
	}
	ozh := find(t, recs, "ozh")
	if ozh.URL != "http://ozh.org/" || ozh.Title != `ozh.org "Ozh" Richard` || ozh.Clicks != 2 ||
		!ozh.CreatedAt.Equal(utc("2009-06-23T18:08:07Z")) || ozh.Redirect != 301 || ozh.Row != 1 {
		t.Errorf("ozh = %+v, want its row with the escaped quotes undone", ozh)
	}
	if q := find(t, recs, "it's"); q.Title != `It's a title; with a semicolon, (parens) and a\backslash` || q.URL != "https://example.com/quote?a=1&b=2" {
		t.Errorf("it's = %+v, want the escapes undone and the semicolon kept", q)
	}
	if n := find(t, recs, "nulltitle"); n.Title != "" || n.Clicks != 3 {
		t.Errorf("nulltitle = %+v, want an empty title and 3 clicks", n)
	}
	if n := find(t, recs, "named"); n.URL != "https://example.com/named" || n.Clicks != 7 {
		t.Errorf("named = %+v, want the values by the INSERT's column list", n)
	}
}

func TestYOURLSDumpImport(t *testing.T) {
	e := newEnv(t)
	sum := e.run(t, NewYOURLSDump(openFixture(t, "yourls.sql"), "yourls_url"), Options{})
	if sum.Imported != 4 || sum.Skipped[InvalidAlias] != 1 || sum.Skipped[Malformed] != 1 {
		t.Errorf("import of yourls.sql = %+v, want 4 imported, it's refused, one malformed row", sum)
	}
	if l := e.link(t, "yourls"); l.ImportedClicks != 10 || l.Redirect != 301 || l.Title != "YOURLS: Your Own URL Shortener" {
		t.Errorf("yourls = %+v, want 10 imported clicks, 301, its title", l)
	}
}

func TestYOURLSCSV(t *testing.T) {
	recs, bad := readAll(t, NewYOURLSCSV(openFixture(t, "yourls.csv")))
	if len(recs) != 2 || len(bad) != 1 || bad[0].Row != 3 || bad[0].Slug != "bad" {
		t.Fatalf("YOURLSCSV = %d records, errors %v; want 2 and row 3 (bad)", len(recs), bad)
	}
	if y := find(t, recs, "yourls"); y.URL != "https://yourls.org/" || y.Clicks != 10 || !y.CreatedAt.Equal(utc("2009-06-23T18:08:07Z")) {
		t.Errorf("yourls = %+v, want its row", y)
	}
}

func TestShlinkCSV(t *testing.T) {
	recs, bad := readAll(t, NewShlinkCSV(openFixture(t, "shlink.csv")))
	if len(recs) != 3 || len(bad) != 0 {
		t.Fatalf("ShlinkCSV = %d records, errors %v; want 3, none", len(recs), bad)
	}
	s := find(t, recs, "12C18")
	if s.URL != "https://store.steampowered.com" || s.Clicks != 328 || !slices.Equal(s.Tags, []string{"games", "tech"}) ||
		!s.CreatedAt.Equal(utc("2016-08-21T18:34:16Z")) || !s.ForwardQuery {
		t.Errorf("12C18 = %+v, want its row", s)
	}
	if p := find(t, recs, "old-promo"); p.Title != "Black Friday, again" || !slices.Equal(p.Tags, []string{"promo", "black friday"}) {
		t.Errorf("old-promo = %+v, want the quoted title and both tags", p)
	}
	find(t, recs, "blog/2024")
}

func TestBitlyCSV(t *testing.T) {
	recs, bad := readAll(t, NewBitlyCSV(openFixture(t, "bitly.csv")))
	if len(recs) != 3 || len(bad) != 0 {
		t.Fatalf("BitlyCSV = %d records, errors %v; want 3 (a link under two names, one under one)", len(recs), bad)
	}
	a, custom := find(t, recs, "3xYzAbC"), find(t, recs, "spring-sale")
	if a.URL != custom.URL || a.Row != 1 || custom.Row != 1 || a.Clicks != 120 || custom.Clicks != 0 ||
		!slices.Equal(a.Tags, []string{"sale", "spring 2019"}) || !a.CreatedAt.Equal(utc("2019-03-04T10:20:30Z")) {
		t.Errorf("3xYzAbC = %+v and spring-sale = %+v: want one row, the clicks counted once", a, custom)
	}
}

func TestCSVHeader(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"no url column", "alias,title\nx,y\n"},
		{"broken quote", "url,alias\n\"https://example.com/,x\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCSV(strings.NewReader(tt.in)).Next(context.Background())
			var rowErr *RowError
			if err == nil || errors.Is(err, io.EOF) || errors.As(err, &rowErr) {
				t.Errorf("Next(%q) = %v, want an error that ends the import", tt.in, err)
			}
		})
	}
	if _, err := NewCSV(strings.NewReader("")).Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("Next(empty file) = %v, want io.EOF", err)
	}
	r := NewCSV(strings.NewReader("\ufeffURL,Alias\nhttps://example.com/,x\n"))
	if rec, err := r.Next(context.Background()); err != nil || rec.URL != "https://example.com/" || rec.Slug != "x" {
		t.Errorf("Next(header with a BOM and capitals) = %+v, %v, want the row", rec, err)
	}
}

func TestLastSegment(t *testing.T) {
	for in, want := range map[string]string{
		"https://bit.ly/abc": "abc", "bit.ly/abc": "abc", "abc": "abc", "http://localhost:8080/x?y=1": "x",
		"https://s.test/blog/2024/": "blog/2024", "https://s.test": "", "": "",
	} {
		if got := lastSegment(in); got != want {
			t.Errorf("lastSegment(%q) = %q, want %q", in, got, want)
		}
	}
}
