package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// YOURLSDump reads the rows of the yourls_url table from a mysqldump file:
// the INSERT statements (one row or many per statement, with or without a
// column list), with MySQL's string escapes. Rows are read as the file
// streams; a statement is never held whole, since mysqldump writes
// statements of many megabytes. Every other statement is skipped. The
// column order comes from the INSERT's column list, else from the
// table's CREATE TABLE, else from YOURLS's own.
type YOURLSDump struct {
	lx    lexer
	table string // the table to read; "" matches any name ending in _url
	cols  []string
	row   int64

	insertCols []string // the columns of the INSERT being read, while in one
}

// NewYOURLSDump returns a reader of the table's rows in the dump r; table
// "" reads the table whose name ends in "_url" (yourls_url with the
// default prefix).
func NewYOURLSDump(r io.Reader, table string) *YOURLSDump {
	return &YOURLSDump{lx: lexer{r: bufio.NewReaderSize(r, 64<<10)}, table: table}
}

// maxTupleValues bounds the values of one row, against hostile input.
const maxTupleValues = 256

// Next implements Reader.
func (d *YOURLSDump) Next(ctx context.Context) (*Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for d.insertCols == nil {
		if err := d.statement(); err != nil {
			return nil, err
		}
	}
	values, err := d.tuple()
	if err != nil {
		return nil, err
	}
	cols := d.insertCols
	if len(cols) == 0 {
		cols = d.columns()
	}
	switch tok, err := d.lx.next(); {
	case err != nil:
		return nil, err
	case tok.is(','):
	case tok.is(';') || tok.kind == tokEOF:
		d.insertCols = nil
	default:
		return nil, d.lx.errorf("expected ',' or ';' after a row, found %s", tok)
	}
	d.row++
	if len(values) != len(cols) {
		return nil, rowErrorf(d.row, "", "the row has %d values for %d columns", len(values), len(cols))
	}
	get := func(name string) string {
		for i, c := range cols {
			if strings.EqualFold(c, name) {
				return values[i]
			}
		}
		return ""
	}
	rec, rowErr := yourlsRecord(d.row, get("keyword"), get("url"), get("title"), get("timestamp"), get("clicks"))
	if rowErr != nil {
		return nil, rowErr
	}
	return rec, nil
}

func (d *YOURLSDump) columns() []string {
	if d.cols != nil {
		return d.cols
	}
	return yourlsColumns
}

// statement reads statements until the next INSERT into the table has
// reached its first row; io.EOF at the end of the file.
func (d *YOURLSDump) statement() error {
	tok, err := d.lx.next()
	switch {
	case err != nil:
		return err
	case tok.kind == tokEOF:
		return io.EOF
	case tok.word("INSERT") || tok.word("REPLACE"):
		return d.insert()
	case tok.word("CREATE"):
		return d.create()
	}
	return d.skip(tok)
}

// insert reads an INSERT up to its first row, if it is into the table.
func (d *YOURLSDump) insert() error {
	tok, err := d.lx.next()
	for err == nil && (tok.word("IGNORE") || tok.word("INTO") || tok.word("LOW_PRIORITY") || tok.word("DELAYED")) {
		tok, err = d.lx.next()
	}
	if err != nil {
		return err
	}
	name, tok, err := d.name(tok)
	if err != nil || !d.isTable(name) {
		if err != nil {
			return err
		}
		return d.skip(tok)
	}
	cols := []string{}
	if tok.is('(') {
		if cols, err = d.nameList(); err != nil {
			return err
		}
		if tok, err = d.lx.next(); err != nil {
			return err
		}
	}
	if !tok.word("VALUES") && !tok.word("VALUE") {
		return d.skip(tok) // INSERT … SELECT and the like: nothing to read
	}
	d.insertCols = cols
	return nil
}

// create reads a CREATE TABLE of the table for its column order.
func (d *YOURLSDump) create() error {
	tok, err := d.lx.next()
	if err != nil || !tok.word("TABLE") {
		if err != nil {
			return err
		}
		return d.skip(tok)
	}
	for tok, err = d.lx.next(); err == nil && (tok.word("IF") || tok.word("NOT") || tok.word("EXISTS")); tok, err = d.lx.next() {
	}
	if err != nil {
		return err
	}
	name, tok, err := d.name(tok)
	if err != nil || !d.isTable(name) || !tok.is('(') {
		if err != nil {
			return err
		}
		return d.skip(tok)
	}
	var cols []string
	depth, start := 1, true
	for depth > 0 {
		if tok, err = d.lx.next(); err != nil {
			return err
		}
		switch {
		case tok.kind == tokEOF:
			return d.lx.errorf("the CREATE TABLE of %s does not end", name)
		case tok.is('('):
			depth++
		case tok.is(')'):
			depth--
		case tok.is(',') && depth == 1:
			start = true
			continue
		case start && (tok.kind == tokIdent || tok.kind == tokWord && !isKeyDefinition(tok.text)):
			cols = append(cols, tok.text)
		}
		start = false
	}
	d.cols = cols
	return d.skip(token{})
}

func isKeyDefinition(w string) bool {
	switch strings.ToUpper(w) {
	case "PRIMARY", "KEY", "UNIQUE", "INDEX", "CONSTRAINT", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK":
		return true
	}
	return false
}

// name reads a table name that starts with tok, qualified or not, and
// returns it with the token after it.
func (d *YOURLSDump) name(tok token) (string, token, error) {
	if tok.kind != tokIdent && tok.kind != tokWord {
		return "", tok, nil
	}
	name := tok.text
	next, err := d.lx.next()
	if err == nil && next.is('.') {
		if tok, err = d.lx.next(); err == nil {
			name = tok.text
			next, err = d.lx.next()
		}
	}
	return name, next, err
}

func (d *YOURLSDump) isTable(name string) bool {
	if d.table != "" {
		return name == d.table
	}
	return strings.HasSuffix(strings.ToLower(name), "_url")
}

// nameList reads "a, b, c)" after a '('.
func (d *YOURLSDump) nameList() ([]string, error) {
	var names []string
	for {
		tok, err := d.lx.next()
		if err != nil {
			return nil, err
		}
		if tok.kind != tokIdent && tok.kind != tokWord || len(names) == maxTupleValues {
			return nil, d.lx.errorf("expected a column name, found %s", tok)
		}
		names = append(names, tok.text)
		if tok, err = d.lx.next(); err != nil {
			return nil, err
		}
		switch {
		case tok.is(')'):
			return names, nil
		case !tok.is(','):
			return nil, d.lx.errorf("expected ',' or ')' in a column list, found %s", tok)
		}
	}
}

// tuple reads one row of values, "(…)", as strings; NULL is "".
func (d *YOURLSDump) tuple() ([]string, error) {
	tok, err := d.lx.next()
	if err != nil {
		return nil, err
	}
	if !tok.is('(') {
		return nil, d.lx.errorf("expected '(' to start a row, found %s", tok)
	}
	var values []string
	for {
		tok, err := d.lx.next()
		if err != nil {
			return nil, err
		}
		if tok.word("_binary") || tok.word("_utf8mb4") || tok.word("_utf8") || tok.word("_latin1") {
			if tok, err = d.lx.next(); err != nil { // the string the charset introducer marks
				return nil, err
			}
		}
		switch {
		case tok.kind == tokString || tok.kind == tokNumber:
			values = append(values, tok.text)
		case tok.word("NULL"):
			values = append(values, "")
		default:
			return nil, d.lx.errorf("expected a value, found %s", tok)
		}
		if len(values) > maxTupleValues {
			return nil, d.lx.errorf("a row has more than %d values", maxTupleValues)
		}
		if tok, err = d.lx.next(); err != nil {
			return nil, err
		}
		switch {
		case tok.is(')'):
			return values, nil
		case !tok.is(','):
			return nil, d.lx.errorf("expected ',' or ')' in a row, found %s", tok)
		}
	}
}

// skip reads up to the end of the statement that tok is part of.
func (d *YOURLSDump) skip(tok token) error {
	for !tok.is(';') && tok.kind != tokEOF {
		var err error
		if tok, err = d.lx.next(); err != nil {
			return err
		}
	}
	return nil
}

// The kinds of token of the SQL lexer.
const (
	tokEOF = iota
	tokWord
	tokIdent // `quoted`
	tokString
	tokNumber
	tokPunct
)

type token struct {
	kind int
	text string
}

func (t token) is(c byte) bool { return t.kind == tokPunct && t.text[0] == c }

func (t token) word(w string) bool { return t.kind == tokWord && strings.EqualFold(t.text, w) }

func (t token) String() string {
	if t.kind == tokEOF {
		return "the end of the file"
	}
	return fmt.Sprintf("%q", truncate(t.text))
}

// lexer splits SQL text into tokens, skipping comments (the /*!…*/
// version comments of mysqldump included). It keeps no more than one
// token in memory, and bounds its length.
type lexer struct {
	r    *bufio.Reader
	line int
	buf  []byte
}

func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("mysqldump line %d: %s", l.line+1, fmt.Sprintf(format, args...))
}

func (l *lexer) read() (byte, error) {
	c, err := l.r.ReadByte()
	if c == '\n' {
		l.line++
	}
	return c, err
}

func (l *lexer) peek() byte {
	b, err := l.r.Peek(1)
	if err != nil {
		return 0
	}
	return b[0]
}

func (l *lexer) next() (token, error) {
	for {
		c, err := l.read()
		if errors.Is(err, io.EOF) {
			return token{kind: tokEOF}, nil
		}
		if err != nil {
			return token{}, err
		}
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c == '#' || c == '-' && l.peek() == '-':
			if err := l.skipLine(); err != nil {
				return token{}, err
			}
		case c == '/' && l.peek() == '*':
			if err := l.skipBlock(); err != nil {
				return token{}, err
			}
		case c == '`':
			return l.quoted(tokIdent, '`')
		case c == '\'' || c == '"':
			return l.quoted(tokString, c)
		case isDigit(c) || (c == '-' || c == '+' || c == '.') && isDigit(l.peek()):
			return l.span(tokNumber, c, func(c byte) bool { return isDigit(c) || isLetter(c) || c == '.' || c == '+' || c == '-' })
		case isLetter(c) || c == '_' || c == '$':
			return l.span(tokWord, c, func(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '$' })
		default:
			return token{kind: tokPunct, text: string(c)}, nil
		}
	}
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 }

func (l *lexer) skipLine() error {
	for {
		c, err := l.read()
		if errors.Is(err, io.EOF) || c == '\n' {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (l *lexer) skipBlock() error {
	l.read() // the '*'
	var prev byte
	for {
		c, err := l.read()
		if errors.Is(err, io.EOF) {
			return l.errorf("a /* comment does not end")
		}
		if err != nil {
			return err
		}
		if prev == '*' && c == '/' {
			return nil
		}
		prev = c
	}
}

// span reads a word or number that starts with first.
func (l *lexer) span(kind int, first byte, in func(byte) bool) (token, error) {
	l.buf = append(l.buf[:0], first)
	for in(l.peek()) && len(l.buf) < 256 {
		c, _ := l.read()
		l.buf = append(l.buf, c)
	}
	return token{kind: kind, text: string(l.buf)}, nil
}

// quoted reads a string or `identifier` up to the closing quote q, with
// MySQL's escapes: a doubled quote, and in strings a backslash.
func (l *lexer) quoted(kind int, q byte) (token, error) {
	l.buf = l.buf[:0]
	for {
		c, err := l.read()
		if errors.Is(err, io.EOF) {
			return token{}, l.errorf("a quoted value does not end")
		}
		if err != nil {
			return token{}, err
		}
		if len(l.buf) > maxField {
			return token{}, l.errorf("a quoted value is longer than %d bytes", maxField)
		}
		switch {
		case c == q && l.peek() == q:
			l.read()
			l.buf = append(l.buf, q)
		case c == q:
			return token{kind: kind, text: string(l.buf)}, nil
		case c == '\\' && kind == tokString:
			e, err := l.read()
			if err != nil {
				return token{}, l.errorf("a quoted value does not end")
			}
			l.buf = append(l.buf, unescape(e)...)
		default:
			l.buf = append(l.buf, c)
		}
	}
}

// unescape returns what MySQL's escape \e stands for.
func unescape(e byte) []byte {
	switch e {
	case '0':
		return []byte{0}
	case 'b':
		return []byte{'\b'}
	case 'n':
		return []byte{'\n'}
	case 'r':
		return []byte{'\r'}
	case 't':
		return []byte{'\t'}
	case 'Z':
		return []byte{0x1a}
	case '%', '_':
		return []byte{'\\', e} // kept with the backslash, as MySQL does
	}
	return []byte{e}
}
