// Command seedlinks fills a new SQLite database of tiny with many links,
// fast, for the benchmarks that need a big store (bench/rescan.sh). It
// opens the database once through the sqlite store, so the schema and the
// short-code key exist, then inserts the links in large transactions
// straight into the links table; going through the API would take an hour
// for a million links.
//
// Link i (from 1) leads to https://site-<i>.example/page/<i>, except every
// -bad-every'th, which leads to https://cdn-<i>.bad-<k>.example/kit/<i>
// with k cycling through 0 .. -bad-domains-1: a feed naming bad-<k>.example
// then matches a known share of the links. The codes of the first
// -codes-out-n good links are written to -codes-out, one per line, for wrk.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
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

	db, err := sql.Open("sqlite", *path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var codes []string
	start := time.Now()
	now := time.Now().UnixMilli()
	const perTx = 50_000
	for first := int64(1); first <= *n; first += perTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO links (id, code, url, redirect, status, created_at, updated_at)
			VALUES (?, ?, ?, 302, 'active', ?, ?)`)
		if err != nil {
			log.Fatal(err)
		}
		for id := first; id < first+perTx && id <= *n; id++ {
			code := codec.Encode(id)
			if tiny.IsReserved(code) {
				continue
			}
			url := fmt.Sprintf("https://site-%d.example/page/%d", id, id)
			if id%*badEvery == 0 {
				url = fmt.Sprintf("https://cdn-%d.bad-%d.example/kit/%d", id, (id / *badEvery)%*badDomains, id)
			} else if len(codes) < *codesN {
				codes = append(codes, code)
			}
			if _, err := stmt.ExecContext(ctx, id, code, url, now, now); err != nil {
				log.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE id_sequence SET next = ?`, *n+1); err != nil {
		log.Fatal(err)
	}
	log.Printf("inserted %d links in %s", *n, time.Since(start).Round(time.Millisecond))
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
