// Command seedlinks fills a new SQLite database of tiny with many links,
// fast, for the benchmarks that need a big store (bench/rescan.sh,
// bench/scale.sh). It opens the database once through the sqlite store, so
// the schema and the short-code key exist, then inserts the links straight
// into the links table with multi-row INSERTs in large transactions, with no
// journal and no fsync, and the secondary indexes built after the load:
// about half a minute for a million links, minutes for ten million, where
// the API would take hours.
//
// Link i (from 1) leads to https://site-<i>.example/page/<i>, except every
// -bad-every'th, which leads to https://cdn-<i>.bad-<k>.example/kit/<i>
// with k cycling through 0 .. -bad-domains-1: a feed naming bad-<k>.example
// then matches a known share of the links (-bad-every 0: none). The codes
// of the first -codes-out-n good links are written to -codes-out, one per
// line, for wrk; -codes-all writes every good link's code in id order, for
// bench/zipf.lua.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"tiny/internal/shortener"
	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

func main() {
	var (
		path       = flag.String("db", "", "SQLite file to create")
		n          = flag.Int64("n", 1_000_000, "links to insert")
		badEvery   = flag.Int64("bad-every", 100, "every how many links one leads to a bad-<k>.example host")
		badDomains = flag.Int64("bad-domains", 10, "how many bad-<k>.example domains the bad links spread over")
		codesOut   = flag.String("codes-out", "", "file for the codes of good links (one per line)")
		codesN     = flag.Int("codes-out-n", 1000, "how many codes to write to -codes-out")
		codesAll   = flag.String("codes-all", "", "file for the codes of every good link, in id order, one per line (8 bytes a line: bench/zipf.lua reads it by offset)")
	)
	flag.Parse()
	if *path == "" {
		log.Fatal("-db is required")
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, *path)
	if err != nil {
		log.Fatal(err)
	}
	svc, err := shortener.New(ctx, store, shortener.Config{}, func() []byte {
		return []byte("seedlinks-key-16")
	})
	if err != nil {
		log.Fatal(err)
	}
	codec := svc.Codec()
	svc.Close()
	if err := store.Close(); err != nil {
		log.Fatal(err)
	}

	// Seeding pragmas, for this connection only: no rollback journal and no
	// fsync (a bench file that is rebuilt, not recovered, if this dies), and
	// a page cache big enough for the code index's random inserts.
	db, err := sql.Open("sqlite", *path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)&_pragma=cache_size(-1048576)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode = OFF`); err != nil {
		log.Fatal(err)
	}
	// The secondary indexes of links are dropped during the load and built
	// again after it: one sort each instead of ten million B-tree inserts.
	// The code's UNIQUE index stays (it cannot be dropped, and it checks
	// the codes).
	indexes, err := linkIndexes(ctx, db)
	if err != nil {
		log.Fatal(err)
	}
	for name := range indexes {
		if _, err := db.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			log.Fatal(err)
		}
	}
	var codes []string
	var allCodes *bufio.Writer
	if *codesAll != "" {
		f, err := os.Create(*codesAll)
		if err != nil {
			log.Fatal(err)
		}
		defer func() {
			if err := f.Close(); err != nil {
				log.Fatal(err)
			}
		}()
		allCodes = bufio.NewWriterSize(f, 1<<20)
	}
	start := time.Now()
	now := time.Now().UnixMilli()
	const perTx, perStmt = 100_000, 200
	stmt, err := db.PrepareContext(ctx, `INSERT INTO links (id, code, url, redirect, status, created_at, updated_at) VALUES `+
		strings.TrimSuffix(strings.Repeat(`(?, ?, ?, 302, 'active', ?, ?),`, perStmt), ","))
	if err != nil {
		log.Fatal(err)
	}
	args := make([]any, 0, 5*perStmt)
	flush := func(tx *sql.Tx) {
		if len(args) == 0 {
			return
		}
		var err error
		if len(args) == cap(args) {
			_, err = tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
		} else {
			// The last, short batch.
			_, err = tx.ExecContext(ctx, `INSERT INTO links (id, code, url, redirect, status, created_at, updated_at) VALUES `+
				strings.TrimSuffix(strings.Repeat(`(?, ?, ?, 302, 'active', ?, ?),`, len(args)/5), ","), args...)
		}
		if err != nil {
			log.Fatal(err)
		}
		args = args[:0]
	}
	for first := int64(1); first <= *n; first += perTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		for id := first; id < first+perTx && id <= *n; id++ {
			code := codec.Encode(id)
			if tiny.IsReserved(code) {
				continue
			}
			url := fmt.Sprintf("https://site-%d.example/page/%d", id, id)
			if *badEvery > 0 && id%*badEvery == 0 {
				url = fmt.Sprintf("https://cdn-%d.bad-%d.example/kit/%d", id, (id / *badEvery)%*badDomains, id)
			} else {
				if len(codes) < *codesN {
					codes = append(codes, code)
				}
				if allCodes != nil {
					allCodes.WriteString(code)
					allCodes.WriteByte('\n')
				}
			}
			args = append(args, id, code, url, now, now)
			if len(args) == cap(args) {
				flush(tx)
			}
		}
		flush(tx)
		if err := tx.Commit(); err != nil {
			log.Fatal(err)
		}
		if first%1_000_000 == 1 && first > 1 {
			log.Printf("%d links, %s", first-1, time.Since(start).Round(time.Millisecond))
		}
	}
	stmt.Close()
	log.Printf("inserted %d links in %s; building %d indexes", *n, time.Since(start).Round(time.Millisecond), len(indexes))
	for name, def := range indexes {
		if _, err := db.ExecContext(ctx, def); err != nil {
			log.Fatalf("recreate index %s: %v", name, err)
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE id_sequence SET next = ?`, *n+1); err != nil {
		log.Fatal(err)
	}
	// tiny opens its files in WAL mode; give the file back in that mode,
	// with fresh statistics for the query planner.
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		log.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode = WAL`); err != nil {
		log.Fatal(err)
	}
	if allCodes != nil {
		if err := allCodes.Flush(); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("done: %d links in %s", *n, time.Since(start).Round(time.Millisecond))
	if *codesOut != "" {
		f, err := os.Create(*codesOut)
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for _, c := range codes {
			fmt.Fprintln(w, c)
		}
		if err := w.Flush(); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}

// linkIndexes returns the secondary indexes of the links table that SQLite
// can drop and build again (not the UNIQUE constraint's), by name.
func linkIndexes(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'links' AND sql IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		out[name] = def
	}
	return out, rows.Err()
}
