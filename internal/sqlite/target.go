package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"tiny/internal/tiny"
)

// targetReader answers LinkTargetByID, the read behind every redirect cache
// miss, on read-only connections of its own through SQLite's C API (the
// library modernc.org/sqlite's driver is built on) instead of database/sql.
// For one row by primary key the layers above SQLite cost more than SQLite:
// BenchmarkStore/LinkTargetByID took 12 µs and 33 allocations through
// database/sql (17-21 µs under the redirect's deadline, which starts a
// watcher goroutine in database/sql and in the driver for every call) and
// 8 µs and 2 allocations here (docs/decisions.md). Its own connections also keep the redirects' reads
// from waiting behind the statistics and exports on the shared readers.
//
// Each connection is used by one goroutine at a time (the channel is the
// pool), so SQLite's per-connection mutex is off (SQLITE_OPEN_NOMUTEX).
type targetReader struct {
	conns  chan *targetConn
	opened int // connections in the pool, in use or not
	closed chan struct{}
}

// targetConn is one read-only connection with selectLinkTarget prepared.
type targetConn struct {
	tls  *libc.TLS
	db   uintptr // sqlite3*
	stmt uintptr // sqlite3_stmt*
}

// targetMmapBytes is how much of the database file the redirect's reads
// map instead of reading (SQLite caps it at 2 GiB - 64 KiB). A connection's
// page cache is 2 MB and emptied by every other connection's commit, so on
// a big file nearly every miss read its leaf page, and often more, with a
// pread and a copy; mapped, a page is a pointer into the OS page cache. The
// cost is SQLite's documented one: an I/O error on a mapped page is a
// SIGBUS, not an error code (docs/decisions.md).
const targetMmapBytes = 2147418112

// errClosed is what a read on a closed store returns.
var errClosed = errors.New("sqlite: the store is closed")

// openTargetReader opens size connections to the database file at path.
func openTargetReader(path string, size int) (*targetReader, error) {
	r := &targetReader{conns: make(chan *targetConn, size), closed: make(chan struct{})}
	for range size {
		c, err := openTargetConn(path)
		if err != nil {
			r.close()
			return nil, err
		}
		r.conns <- c
		r.opened++
	}
	return r, nil
}

func openTargetConn(path string) (c *targetConn, err error) {
	c = &targetConn{tls: libc.NewTLS()}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	name, err := libc.CString(path)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	query, err := libc.CString(selectLinkTarget)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, query)
	pragma, err := libc.CString(fmt.Sprintf("PRAGMA mmap_size=%d", targetMmapBytes))
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, pragma)
	out := libc.Xmalloc(c.tls, 8) // a sqlite3* or sqlite3_stmt* written back
	if out == 0 {
		return nil, errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(c.tls, out)

	// On failure SQLite may still return a handle, which must be closed.
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, out, sqlite3.SQLITE_OPEN_READONLY|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	c.db = libc.AtomicLoadPUintptr(out)
	if rc != sqlite3.SQLITE_OK {
		return nil, c.err("open", rc)
	}
	if rc := sqlite3.Xsqlite3_busy_timeout(c.tls, c.db, busyTimeoutMillis); rc != sqlite3.SQLITE_OK {
		return nil, c.err("busy timeout", rc)
	}
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, pragma, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return nil, c.err("mmap_size", rc)
	}
	if rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, query, -1, sqlite3.SQLITE_PREPARE_PERSISTENT, out, 0); rc != sqlite3.SQLITE_OK {
		return nil, c.err("prepare", rc)
	}
	c.stmt = libc.AtomicLoadPUintptr(out)
	return c, nil
}

// read returns the redirect's columns of the link with that id (see
// selectLinkTarget). NotFound when there is none.
func (r *targetReader) read(id int64) (tiny.LinkTarget, error) {
	select {
	case c := <-r.conns:
		defer func() { r.conns <- c }()
		return c.read(id)
	case <-r.closed:
		return tiny.LinkTarget{}, errClosed
	}
}

func (c *targetConn) read(id int64) (t tiny.LinkTarget, err error) {
	// reset ends the read transaction the step began, whatever the step
	// returned; its own result repeats the step's.
	defer sqlite3.Xsqlite3_reset(c.tls, c.stmt)
	if rc := sqlite3.Xsqlite3_bind_int64(c.tls, c.stmt, 1, id); rc != sqlite3.SQLITE_OK {
		return t, c.err("bind", rc)
	}
	switch rc := sqlite3.Xsqlite3_step(c.tls, c.stmt); rc {
	case sqlite3.SQLITE_ROW:
	case sqlite3.SQLITE_DONE:
		return t, &tiny.Error{Code: tiny.NotFound, Message: "not found"}
	default:
		return t, c.err("link target by id", rc)
	}
	t.Code = c.text(0)
	t.URL = c.text(1)
	t.Redirect = int(sqlite3.Xsqlite3_column_int64(c.tls, c.stmt, 2))
	if sqlite3.Xsqlite3_column_type(c.tls, c.stmt, 3) != sqlite3.SQLITE_NULL {
		s := int(sqlite3.Xsqlite3_column_int64(c.tls, c.stmt, 3))
		t.CacheSeconds = &s
	}
	t.ForwardQuery = sqlite3.Xsqlite3_column_int64(c.tls, c.stmt, 4) != 0
	t.Plain = sqlite3.Xsqlite3_column_int64(c.tls, c.stmt, 5) != 0
	return t, nil
}

// text copies column col of the current row: SQLite owns the bytes only
// until the next step or reset.
func (c *targetConn) text(col int32) string {
	p := sqlite3.Xsqlite3_column_text(c.tls, c.stmt, col)
	n := sqlite3.Xsqlite3_column_bytes(c.tls, c.stmt, col)
	if p == 0 || n <= 0 {
		return ""
	}
	return string(libc.GoBytes(p, int(n)))
}

// err describes a failed call as the store's other reads do: busy or
// locked is Unavailable, anything else an internal error.
func (c *targetConn) err(op string, rc int32) error {
	if isBusy(int(rc)) {
		return errBusy()
	}
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	if c.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	return fmt.Errorf("sqlite: %s: %s (%d)", op, msg, rc)
}

func (c *targetConn) close() {
	if c.stmt != 0 {
		sqlite3.Xsqlite3_finalize(c.tls, c.stmt)
	}
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
	}
	c.tls.Close()
}

// close waits for the reads in flight and closes every connection; reads
// after it return errClosed.
func (r *targetReader) close() {
	select {
	case <-r.closed:
		return
	default:
		close(r.closed)
	}
	for range r.opened {
		(<-r.conns).close()
	}
}
