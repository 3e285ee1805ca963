package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"tiny/internal/tiny"
)

// The redirect's reads, more at once than the pool has connections, see
// each committed update whole, and the first read after an update sees it:
// no read transaction outlives its read.
func TestLinkTargetReadsWhileWriting(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	id, err := db.LeaseIDs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	l := &tiny.Link{ID: id, Code: "abcdefg", URL: "https://example.com/0", Redirect: 302, Status: tiny.StatusActive}
	if err := db.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	const updates = 200
	stop := make(chan struct{})
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 3 * db.targets.opened {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				lt, err := db.LinkTargetByID(ctx, id)
				var n int
				if err == nil {
					_, err = fmt.Sscanf(lt.URL, "https://example.com/%d", &n)
				}
				if err == nil && (lt.Code != l.Code || n < 0 || n > updates || !lt.Plain || lt.Redirect != 302) {
					err = fmt.Errorf("read %+v mid-update", lt)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	for i := 1; i <= updates; i++ {
		l.URL = fmt.Sprintf("https://example.com/%d", i)
		if err := db.UpdateLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		if lt, err := db.LinkTargetByID(ctx, id); err != nil || lt.URL != l.URL {
			t.Fatalf("after update %d: %+v, %v; want URL %s", i, lt, err, l.URL)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// A read after Close fails at once instead of waiting for a connection;
// one with its context already ended reads nothing.
func TestLinkTargetAfterClose(t *testing.T) {
	db := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := db.LinkTargetByID(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("with an ended context: %v, want context.Canceled", err)
	}
	if _, err := db.LinkTargetByID(t.Context(), 1); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("an unknown id: %v, want NotFound", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.LinkTargetByID(t.Context(), 1)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errClosed) {
			t.Errorf("after Close: %v, want %v", err, errClosed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read after Close is still waiting after 5s")
	}
}

// Every connection of the redirect's reads maps the file, so a miss after
// the click writer's commits costs no pread per page.
func TestLinkTargetConnectionsMapTheFile(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	for range db.targets.opened {
		c := <-db.targets.conns
		defer func() { db.targets.conns <- c }()
		if got := c.pragmaInt(t, "mmap_size"); got != targetMmapBytes {
			t.Fatalf("PRAGMA mmap_size = %d on a target connection, want %d", got, targetMmapBytes)
		}
	}
}

// pragmaInt returns the integer PRAGMA name reports on the connection.
func (c *targetConn) pragmaInt(t *testing.T, name string) int64 {
	t.Helper()
	query, err := libc.CString("PRAGMA " + name)
	if err != nil {
		t.Fatal(err)
	}
	defer libc.Xfree(c.tls, query)
	out := libc.Xmalloc(c.tls, 8)
	defer libc.Xfree(c.tls, out)
	if rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, query, -1, out, 0); rc != sqlite3.SQLITE_OK {
		t.Fatal(c.err("prepare", rc))
	}
	stmt := libc.AtomicLoadPUintptr(out)
	defer sqlite3.Xsqlite3_finalize(c.tls, stmt)
	if rc := sqlite3.Xsqlite3_step(c.tls, stmt); rc != sqlite3.SQLITE_ROW {
		t.Fatal(c.err("PRAGMA "+name, rc))
	}
	return sqlite3.Xsqlite3_column_int64(c.tls, stmt, 0)
}
