// Package storemove moves a tiny instance from its SQLite file to an empty
// PostgreSQL database (Move), and back into a new SQLite file (ToSQLite,
// which is also how a cluster is archived): every table, the short-code
// key and the id counters included, so every code decodes to the same link
// and nothing is handed out twice. It then verifies the copy: the same
// number of rows and the same checksum of their values in every table.
//
// The copy is driven by the target's schema: each PostgreSQL table is
// filled from the SQLite table of the same name, column by column, with
// values converted by the target column's type (SQLite keeps times as unix
// milliseconds and booleans as 0 or 1). A column or table that exists on
// one side only stops the move, unless it is known below, so a migration
// added to one store and not the other can never lose data silently.
package storemove

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tiny/internal/postgres"
	"tiny/internal/sqlite"
)

// sqliteOnly are the SQLite tables with no PostgreSQL twin, and where their
// content goes instead.
var sqliteOnly = map[string]string{
	// user_ids is SQLite's counter of user ids; PostgreSQL's identity
	// sequence on users takes its value (see resetSequences).
	"user_ids": "the users id sequence",
	// click_packs holds SQLite's raw events in packs; its clicks view
	// reads them as the rows of PostgreSQL's clicks, and takes inserts.
	"click_packs": "clicks, through the SQLite view of that name",
	// click_packs_rolled marks the packs whose rollups are written (after
	// sqlite.Open, every one); PostgreSQL writes them with each batch.
	"click_packs_rolled": "nothing: PostgreSQL's rollups are written with their clicks",
}

// sqliteViews are the SQLite views that stand for a PostgreSQL table, and
// the table each is cleared through.
var sqliteViews = map[string]string{"clicks": "click_packs"}

// derivedColumns are PostgreSQL columns SQLite does not keep, computed
// from another column of the row, as the PostgreSQL store computes them.
var derivedColumns = map[string]map[string]derived{
	// The case-insensitive search of links reads these (SQLite folds at
	// query time with tiny_lower, the same strings.ToLower).
	"links": {
		"url_lower":   {from: "url", fn: strings.ToLower},
		"title_lower": {from: "title", fn: strings.ToLower},
	},
}

// derived is a column computed from the text of another.
type derived struct {
	from string
	fn   func(string) string
}

// Table is what was moved of one table.
type Table struct {
	Name     string
	Rows     int64
	Checksum uint64 // of the values, in any row order; equal on both sides
}

// Report is the result of a move.
type Report struct {
	Tables []Table
	Took   time.Duration
}

// Progress is told each table as it starts and the rows copied so far.
type Progress func(table string, rows int64)

// Move copies the SQLite store at from into the PostgreSQL database at
// dsn, which must hold no tiny data yet (it is migrated first). from must
// not be served while it is copied. It fails, having written nothing it
// does not report, when a table or column has no counterpart, and when the
// verification finds a difference.
func Move(ctx context.Context, from, dsn string, progress Progress) (*Report, error) {
	start := time.Now()
	if progress == nil {
		progress = func(string, int64) {}
	}
	st, err := openStores(ctx, from, dsn, sqlite.OpenReadOnly)
	if err != nil {
		return nil, err
	}
	defer st.close()
	lite, pool, tables := st.lite, st.pool, st.tables
	if err := checkEmpty(ctx, pool); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, t := range tables {
			if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{t.name}.Sanitize()); err != nil {
				return fmt.Errorf("storemove: clearing %s: %w", t.name, err)
			}
			n, err := copyTable(ctx, lite, tx, t, progress)
			if err != nil {
				return err
			}
			progress(t.name, n)
		}
		return resetSequences(ctx, lite, tx)
	})
	if err != nil {
		return nil, err
	}
	return st.verify(ctx, start, st.sqliteSide(), st.postgresSide())
}

// stores are both ends of a copy, open, with the plan of their tables.
type stores struct {
	lite   *sql.DB
	pool   *pgxpool.Pool
	tables []table
}

// openStores brings both schemas to the latest version, opens them for the
// copy (SQLite with openLite) and plans the tables.
func openStores(ctx context.Context, litePath, dsn string, openLite func(string) (*sql.DB, error)) (*stores, error) {
	src, err := sqlite.Open(ctx, litePath)
	if err != nil {
		return nil, err
	}
	src.Close()
	dst, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	dst.Close()
	st := &stores{}
	if st.lite, err = openLite(litePath); err != nil {
		return nil, err
	}
	if st.pool, err = pgxpool.New(ctx, dsn); err != nil {
		st.lite.Close()
		return nil, fmt.Errorf("storemove: %w", err)
	}
	if st.tables, err = plan(ctx, st.lite, st.pool); err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

func (st *stores) close() {
	st.pool.Close()
	st.lite.Close()
}

// side names one end of a copy and reads its tables.
type side struct {
	name string
	rows func(table) func(context.Context) *rowReader
}

func (st *stores) sqliteSide() side {
	return side{"SQLite", func(t table) func(context.Context) *rowReader { return sqliteRows(st.lite, t) }}
}

func (st *stores) postgresSide() side {
	return side{"PostgreSQL", func(t table) func(context.Context) *rowReader { return postgresRows(st.pool, t) }}
}

// verify compares every table's rows and checksum from the source with
// the target's, and reports them.
func (st *stores) verify(ctx context.Context, start time.Time, from, to side) (*Report, error) {
	rep := &Report{}
	for _, t := range st.tables {
		want, err := checksum(ctx, t, from.rows(t))
		if err != nil {
			return nil, err
		}
		got, err := checksum(ctx, t, to.rows(t))
		if err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("storemove: table %s differs after the copy: %d rows (checksum %x) in %s, %d (%x) in %s",
				t.name, want.Rows, want.Checksum, from.name, got.Rows, got.Checksum, to.name)
		}
		rep.Tables = append(rep.Tables, want)
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// table is one table to copy: the columns both sides have, with the
// target's types, then the derived columns.
type table struct {
	name    string
	columns []string
	types   []string // PostgreSQL data types, as information_schema names them
	derived []string // columns computed from another (derivedColumns)
}

// targetColumns are the columns written to PostgreSQL and read back.
func (t table) targetColumns() []string { return append(slices.Clone(t.columns), t.derived...) }

// plan matches the tables and columns of both stores.
func plan(ctx context.Context, lite *sql.DB, pool *pgxpool.Pool) ([]table, error) {
	liteTables, err := sqliteColumns(ctx, lite)
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `
		SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'YES' OR c.column_default IS NOT NULL OR c.is_identity = 'YES'
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		  AND c.table_name <> 'goose_db_version' AND c.is_generated = 'NEVER' -- computed by PostgreSQL
		  AND NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE k.relname = c.table_name)
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("storemove: reading the PostgreSQL schema: %w", err)
	}
	defer rows.Close()
	var (
		out      []table
		problems []string
		seen     = map[string]bool{}
	)
	for rows.Next() {
		var name, col, typ string
		var optional bool
		if err := rows.Scan(&name, &col, &typ, &optional); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].name != name {
			out = append(out, table{name: name})
			if _, ok := liteTables[name]; !ok {
				problems = append(problems, "table "+name+" is not in the SQLite store")
			}
		}
		seen[name] = true
		t := &out[len(out)-1]
		if _, ok := derivedColumns[name][col]; ok {
			t.derived = append(t.derived, col)
		} else if slices.Contains(liteTables[name], col) {
			t.columns = append(t.columns, col)
			t.types = append(t.types, typ)
		} else if !optional {
			problems = append(problems, "column "+name+"."+col+" is not in the SQLite store")
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for name, cols := range liteTables {
		if _, ok := sqliteOnly[name]; ok {
			continue
		}
		if !seen[name] {
			problems = append(problems, "table "+name+" is not in the PostgreSQL store")
			continue
		}
		i := slices.IndexFunc(out, func(t table) bool { return t.name == name })
		for _, c := range cols {
			if !slices.Contains(out[i].columns, c) {
				problems = append(problems, "column "+name+"."+c+" is not in the PostgreSQL store")
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("storemove: the stores' schemas differ, nothing was copied: %s", strings.Join(problems, "; "))
	}
	return referencedFirst(ctx, pool, out)
}

// referencedFirst orders tables so that every table comes after the tables
// its foreign keys point to, so COPY never meets a missing parent.
func referencedFirst(ctx context.Context, pool *pgxpool.Pool, tables []table) ([]table, error) {
	rows, err := pool.Query(ctx, `
		SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
		JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema() AND c.conrelid <> c.confrelid`)
	if err != nil {
		return nil, fmt.Errorf("storemove: reading foreign keys: %w", err)
	}
	parents := map[string][]string{}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			rows.Close()
			return nil, err
		}
		parents[child] = append(parents[child], parent)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var (
		out    []table
		done   = map[string]bool{}
		byName = map[string]table{}
		visit  func(name string, depth int) error
	)
	for _, t := range tables {
		byName[t.name] = t
	}
	visit = func(name string, depth int) error {
		if done[name] {
			return nil
		}
		if depth > len(tables) {
			return fmt.Errorf("storemove: the foreign keys of %s form a cycle", name)
		}
		for _, p := range parents[name] {
			if err := visit(p, depth+1); err != nil {
				return err
			}
		}
		done[name] = true
		if t, ok := byName[name]; ok {
			out = append(out, t)
		}
		return nil
	}
	for _, t := range tables {
		if err := visit(t.name, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sqliteColumns lists each SQLite table's columns.
func sqliteColumns(ctx context.Context, lite *sql.DB) (map[string][]string, error) {
	rows, err := lite.QueryContext(ctx, `
		SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE (m.type = 'table' OR m.type = 'view' AND m.name IN (SELECT value FROM json_each(?)))
		  AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'
		ORDER BY m.name, p.cid`, viewNames())
	if err != nil {
		return nil, fmt.Errorf("storemove: reading the SQLite schema: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}

// viewNames is sqliteViews' names as a JSON array.
func viewNames() string {
	names, _ := json.Marshal(slices.Sorted(maps.Keys(sqliteViews)))
	return string(names)
}

// checkEmpty refuses a target that already holds an instance: links,
// users or settings (the short-code key).
func checkEmpty(ctx context.Context, pool *pgxpool.Pool) error {
	for _, t := range []string{"links", "users", "settings", "clicks"} {
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return fmt.Errorf("storemove: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("storemove: the PostgreSQL database already holds %d rows of %s; move into an empty database", n, t)
		}
	}
	return nil
}

// copyTable streams one table with COPY.
func copyTable(ctx context.Context, lite *sql.DB, tx pgx.Tx, t table, progress Progress) (int64, error) {
	src := &rowSource{rows: sqliteRows(lite, t)(ctx), t: t, progress: progress}
	defer src.close()
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.targetColumns(), src)
	if err == nil {
		err = src.err
	}
	if err != nil {
		return 0, fmt.Errorf("storemove: copying %s: %w", t.name, err)
	}
	return n, nil
}

// rowSource feeds COPY from the SQLite rows, converted.
type rowSource struct {
	rows     *rowReader
	t        table
	values   []any
	n        int64
	progress Progress
	err      error
}

func (s *rowSource) Next() bool {
	if s.err != nil || !s.rows.next() {
		s.err = errors.Join(s.err, s.rows.err)
		return false
	}
	s.values, s.err = s.rows.converted()
	s.n++
	if s.n%50000 == 0 {
		s.progress(s.t.name, s.n)
	}
	return s.err == nil
}

func (s *rowSource) Values() ([]any, error) { return s.values, s.err }
func (s *rowSource) Err() error             { return s.err }
func (s *rowSource) close()                 { s.rows.close() }

// rowReader reads a table's rows on either side as values of PostgreSQL's
// types.
type rowReader struct {
	next      func() bool
	converted func() ([]any, error)
	close     func()
	err       error
}

// sqliteRows reads t's rows from SQLite, converting each value to what the
// target column holds.
func sqliteRows(lite *sql.DB, t table) func(context.Context) *rowReader {
	return func(ctx context.Context) *rowReader {
		r := &rowReader{}
		rows, err := lite.QueryContext(ctx, "SELECT "+quoteAll(t.columns)+" FROM "+strconv.Quote(t.name))
		if err != nil {
			r.err = fmt.Errorf("storemove: reading %s: %w", t.name, err)
			r.next, r.close = func() bool { return false }, func() {}
			return r
		}
		raw := make([]any, len(t.columns))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		r.next = func() bool {
			if !rows.Next() {
				r.err = rows.Err()
				return false
			}
			if err := rows.Scan(ptrs...); err != nil {
				r.err = err
				return false
			}
			return true
		}
		r.converted = func() ([]any, error) {
			out := make([]any, len(raw), len(raw)+len(t.derived))
			for i, v := range raw {
				c, err := convert(v, t.types[i])
				if err != nil {
					return nil, fmt.Errorf("storemove: %s.%s: %w", t.name, t.columns[i], err)
				}
				out[i] = c
			}
			for _, col := range t.derived {
				d := derivedColumns[t.name][col]
				from, _ := out[slices.Index(t.columns, d.from)].(string)
				out = append(out, d.fn(from))
			}
			return out, nil
		}
		r.close = func() { rows.Close() }
		return r
	}
}

// postgresRows reads t's rows back from PostgreSQL.
func postgresRows(pool *pgxpool.Pool, t table) func(context.Context) *rowReader {
	return func(ctx context.Context) *rowReader {
		r := &rowReader{}
		rows, err := pool.Query(ctx, "SELECT "+quoteAll(t.targetColumns())+" FROM "+pgx.Identifier{t.name}.Sanitize())
		if err != nil {
			r.err = fmt.Errorf("storemove: reading back %s: %w", t.name, err)
			r.next, r.close = func() bool { return false }, func() {}
			return r
		}
		r.next = func() bool {
			ok := rows.Next()
			if !ok {
				r.err = rows.Err()
			}
			return ok
		}
		r.converted = rows.Values
		r.close = rows.Close
		return r
	}
}

// convert turns a SQLite value into one of the PostgreSQL column's type.
func convert(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "timestamp with time zone", "date":
		ms, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("a time stored as %T, want unix milliseconds", v)
		}
		return time.UnixMilli(ms).UTC(), nil
	case "boolean":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("a boolean stored as %T", v)
		}
		return n != 0, nil
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case "text", "character varying", "jsonb", "json", "inet", "cidr":
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	}
	return v, nil
}

// checksum counts t's rows and sums a hash of each row's canonical text,
// so the order rows come in does not matter.
func checksum(ctx context.Context, t table, open func(context.Context) *rowReader) (Table, error) {
	out := Table{Name: t.name}
	r := open(ctx)
	defer r.close()
	var b strings.Builder
	for r.next() {
		vals, err := r.converted()
		if err != nil {
			return out, err
		}
		b.Reset()
		for _, v := range vals {
			b.WriteString(canonical(v))
			b.WriteByte(0)
		}
		h := fnv.New64a()
		h.Write([]byte(b.String()))
		out.Checksum += h.Sum64()
		out.Rows++
	}
	return out, r.err
}

// canonical writes a value the same way whichever store it came from.
func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "\x01null"
	case time.Time:
		return strconv.FormatInt(x.UnixMilli(), 10)
	case []byte:
		return fmt.Sprintf("%x", x)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// resetSequences moves every identity sequence past the ids copied, and the
// users' past every id SQLite ever gave (user_ids), so no id is reused.
func resetSequences(ctx context.Context, lite *sql.DB, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `
		SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return err
	}
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var nextUser int64
	if err := lite.QueryRowContext(ctx, "SELECT next FROM user_ids").Scan(&nextUser); err != nil {
		return fmt.Errorf("storemove: reading the next user id: %w", err)
	}
	for _, c := range cols {
		tbl, column := pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.column}.Sanitize()
		floor := int64(0)
		if c.table == "users" {
			floor = nextUser - 1
		}
		_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), greatest($3::bigint, (SELECT coalesce(max(`+column+`), 0) FROM `+tbl+`), 1), true)`,
			c.table, c.column, floor)
		if err != nil {
			return fmt.Errorf("storemove: the id sequence of %s: %w", c.table, err)
		}
	}
	return nil
}

func quoteAll(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = `"` + c + `"`
	}
	return strings.Join(q, ", ")
}
