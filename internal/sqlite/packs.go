package sqlite

import (
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"modernc.org/sqlite"

	"tiny/internal/tiny"
)

// pack is the raw events of one link in a batch, as click_packs stores
// them: events is the pack in the binary form appendPack writes.
type pack struct {
	linkID          int64
	firstAt, lastAt int64 // unix milliseconds
	n               int64
	events          []byte
}

// eventBytes and packStrings are about what appendPack writes for an event
// and for a pack's strings: a first guess at a batch's buffer, which grows
// if need be.
const (
	eventBytes  = 24
	packStrings = 64
)

// packEvents groups events into a pack per link, each in the order of
// events, the packs in the order their links first appear. Every pack is
// written into one buffer, a stretch each: a batch is tens of thousands
// of events, and a buffer grown for each pack cost the click writer
// copies and fresh pages for several times the bytes it stores.
func packEvents(events []tiny.ClickEvent) []*pack {
	var packs []*pack
	byLink := make(map[int64]int32)
	of := make([]int32, len(events)) // the index in packs of each event's pack
	for i, e := range events {
		k, ok := byLink[e.LinkID]
		at := millis(e.At)
		if !ok {
			k = int32(len(packs))
			byLink[e.LinkID] = k
			packs = append(packs, &pack{linkID: e.LinkID, firstAt: at, lastAt: at})
		}
		p := packs[k]
		p.firstAt, p.lastAt = min(p.firstAt, at), max(p.lastAt, at)
		p.n++
		of[i] = k
	}
	// The events in pack order (a counting sort, which keeps their order
	// within a pack).
	next := make([]int, len(packs))
	for k, start := 0, 0; k < len(packs); k++ {
		next[k] = start
		start += int(packs[k].n)
	}
	order := make([]*tiny.ClickEvent, len(events))
	for i, k := range of {
		order[next[k]] = &events[i]
		next[k]++
	}
	buf := make([]byte, 0, len(events)*eventBytes+len(packs)*packStrings)
	ends := make([]int, len(packs))
	var w packWriter
	for k, i := 0, 0; k < len(packs); k++ {
		n := int(packs[k].n)
		buf = w.appendPack(buf, order[i:i+n])
		i += n
		ends[k] = len(buf)
	}
	// Slices of buf, cut once it has stopped growing.
	for k, start := 0, 0; k < len(packs); k++ {
		packs[k].events = buf[start:ends[k]:ends[k]]
		start = ends[k]
	}
	return packs
}

// packBinary is the first byte of a pack in its binary form (migration
// 00014). A pack written before is the JSON array appendEvent writes, as
// text; a binary pack is a blob.
const packBinary byte = 1

// A binary pack is packBinary, then its strings (a uvarint count, then
// each as a uvarint length and its bytes), then its events (a uvarint
// count, the first event's time as a varint of unix milliseconds, then for
// each: its time less the one before it as a varint, its visitor as 8
// bytes little-endian, and the indexes in the strings, as uvarints, of
// its kind, referrer, country, city, browser, OS and device). A link's
// clicks in a batch share most of their values, so an event takes about
// 16 bytes against about 95 as JSON, and the click writer writes a
// fifth of the pages. eventFields is the number of strings of an event.
const eventFields = 7

// packWriter writes binary packs; it keeps its scratch space from pack
// to pack.
type packWriter struct {
	index   map[string]uint64
	strings []string
	refs    []uint64
}

// appendPack appends the binary pack of events, in their order.
func (w *packWriter) appendPack(b []byte, events []*tiny.ClickEvent) []byte {
	if w.index == nil {
		w.index = make(map[string]uint64)
	}
	clear(w.index)
	w.strings, w.refs = w.strings[:0], w.refs[:0]
	for _, e := range events {
		for _, s := range [eventFields]string{string(e.Kind), e.Referrer, e.Country, e.City, e.Browser, e.OS, e.Device} {
			i, ok := w.index[s]
			if !ok {
				i = uint64(len(w.strings))
				w.index[s] = i
				w.strings = append(w.strings, s)
			}
			w.refs = append(w.refs, i)
		}
	}
	b = append(b, packBinary)
	b = binary.AppendUvarint(b, uint64(len(w.strings)))
	for _, s := range w.strings {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(events)))
	var prev int64
	for i, e := range events {
		at := millis(e.At)
		if i == 0 {
			b = binary.AppendVarint(b, at)
		} else {
			b = binary.AppendVarint(b, at-prev)
		}
		prev = at
		b = binary.LittleEndian.AppendUint64(b, e.Visitor)
		for _, r := range w.refs[i*eventFields : (i+1)*eventFields] {
			b = binary.AppendUvarint(b, r)
		}
	}
	return b
}

var errCorruptPack = errors.New("sqlite: a click pack is corrupt")

// decodePack calls f with each event of a binary pack, in order, and its
// time in unix milliseconds. The events' strings are b's bytes, so they
// must not outlive b's use.
func decodePack(b []byte, f func(e *tiny.ClickEvent, at int64)) error {
	if len(b) == 0 || b[0] != packBinary {
		return errCorruptPack
	}
	b = b[1:]
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	count, ok := uvarint()
	if !ok || count > uint64(len(b)) { // a string takes a byte at least
		return errCorruptPack
	}
	strs := make([]string, count)
	for i := range strs {
		n, ok := uvarint()
		if !ok || n > uint64(len(b)) {
			return errCorruptPack
		}
		strs[i] = unsafe.String(unsafe.SliceData(b), int(n))
		b = b[n:]
	}
	events, ok := uvarint()
	if !ok || events > uint64(len(b))/(1+8+eventFields) {
		return errCorruptPack
	}
	var at int64
	var e tiny.ClickEvent
	var fields [eventFields]string
	for i := range events {
		d, n := binary.Varint(b)
		if n <= 0 || len(b)-n < 8 {
			return errCorruptPack
		}
		if i == 0 {
			at = d
		} else {
			at += d
		}
		b = b[n:]
		e.Visitor = binary.LittleEndian.Uint64(b)
		b = b[8:]
		for j := range fields {
			r, ok := uvarint()
			if !ok || r >= uint64(len(strs)) {
				return errCorruptPack
			}
			fields[j] = strs[r]
		}
		e.Kind = tiny.VisitorKind(fields[0])
		e.Referrer, e.Country, e.City, e.Browser, e.OS, e.Device = fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]
		f(&e, at)
	}
	if len(b) != 0 {
		return errCorruptPack
	}
	return nil
}

// packJSONFunc is the name of the SQL function, registered on the store's
// drivers, that reads a pack as the JSON array appendEvent writes: every
// query of the raw events reads click_packs.events through it, so that
// they take packs of both forms.
const packJSONFunc = "tiny_pack_json"

// sqlPackJSON implements tiny_pack_json(events): text (a JSON pack) as it
// is, a binary pack as JSON text, NULL for NULL.
func sqlPackJSON(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case nil, string:
		return v, nil
	case []byte:
		out := make([]byte, 0, len(v)*6)
		out = append(out, '[')
		err := decodePack(v, func(e *tiny.ClickEvent, at int64) {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = appendEvent(out, e, at)
		})
		if err != nil {
			return nil, err
		}
		return string(append(out, ']')), nil
	default:
		return nil, errCorruptPack
	}
}

// appendEvent appends e as the JSON array [at, kind, visitor, referrer,
// country, city, browser, os, device], the order of the clicks view's
// columns.
func appendEvent(b []byte, e *tiny.ClickEvent, at int64) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, at, 10)
	b = append(b, ',')
	b = appendJSONString(b, string(e.Kind))
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(e.Visitor), 10) // the bits of the unsigned hash, as the column held them
	for _, s := range [...]string{e.Referrer, e.Country, e.City, e.Browser, e.OS, e.Device} {
		b = append(b, ',')
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string. The values are short names
// and hosts that almost never need escaping, so those are copied as they
// are; the rest go through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			if c >= utf8.RuneSelf && plainUTF8(s[i:]) {
				break
			}
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainUTF8 reports whether s is valid UTF-8 with no byte JSON must escape.
func plainUTF8(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
