package importer

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
)

// drain reads r to its end and fails t if a reader loops (more calls
// than the input has bytes, plus a margin) or numbers rows backwards.
func drain(t *testing.T, r Reader, inputLen int) {
	var last int64
	for range inputLen + 10 {
		rec, err := r.Next(context.Background())
		var rowErr *RowError
		switch {
		case errors.Is(err, io.EOF):
			return
		case errors.As(err, &rowErr):
			if rowErr.Row < last {
				t.Fatalf("row error at %d after row %d", rowErr.Row, last)
			}
			last = rowErr.Row
		case err != nil:
			return // a fatal error ends the source: fine, as long as it is returned
		default:
			if rec.Row < last || rec.Row < 1 {
				t.Fatalf("record at row %d after row %d", rec.Row, last)
			}
			last = rec.Row
		}
	}
	t.Fatalf("the reader did not end within %d calls", inputLen+10)
}

func addFixtures(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzCSV feeds hostile bytes to every CSV reader: none may panic, loop,
// or number rows backwards.
func FuzzCSV(f *testing.F) {
	addFixtures(f, "tiny.csv", "bitly.csv", "shlink.csv", "yourls.csv")
	f.Add([]byte("url,alias\n\"unterminated,x\n"))
	f.Add([]byte("\ufeffurl\n\x00\xff\xfe,\"\"\"\n"))
	f.Add([]byte("Long URL,Custom Bitlink\nhttps://a.test/,a b c d e f g h\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range []Reader{
			NewCSV(newBytesReader(data)), NewBitlyCSV(newBytesReader(data)),
			NewShlinkCSV(newBytesReader(data)), NewYOURLSCSV(newBytesReader(data)),
		} {
			drain(t, r, len(data))
		}
	})
}

// FuzzMysqldump feeds hostile bytes to the mysqldump reader.
func FuzzMysqldump(f *testing.F) {
	addFixtures(f, "yourls.sql")
	f.Add([]byte("INSERT INTO `yourls_url` VALUES ('a','b"))
	f.Add([]byte("INSERT INTO yourls_url (keyword) VALUES ('a'),('b');CREATE TABLE yourls_url ((((((((("))
	f.Add([]byte("/* never closed INSERT INTO yourls_url VALUES ('x','https://x.test/','','2020-01-01 00:00:00','',1);"))
	f.Add([]byte("INSERT INTO x_url VALUES (_binary'\\\\',0x41,-1.5e3,NULL,'it''s','\\Z');"))
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, NewYOURLSDump(newBytesReader(data), ""), len(data))
	})
}

func newBytesReader(b []byte) io.Reader { return &byteReader{b: b} }

// byteReader hands out its bytes a few at a time, as a slow file or a
// network stream does, so readers meet every split of their input.
type byteReader struct{ b []byte }

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], r.b)
	r.b = r.b[n:]
	return n, nil
}
