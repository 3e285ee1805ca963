package sqlite

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"tiny/internal/tiny"
)

// pack is the raw events of one link in a batch, as click_packs stores
// them (migration 00013): events is the JSON array.
type pack struct {
	linkID          int64
	firstAt, lastAt int64 // unix milliseconds
	n               int64
	events          string
}

// eventBytes is about what appendEvent writes for an event whose strings
// are short: a first guess at a batch's buffer, which grows if need be.
const eventBytes = 96

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
	order := make([]int32, len(events))
	for i, k := range of {
		order[next[k]] = int32(i)
		next[k]++
	}
	buf := make([]byte, 0, len(events)*eventBytes+len(packs)*2)
	ends := make([]int, len(packs))
	for k, i := 0, 0; k < len(packs); k++ {
		buf = append(buf, '[')
		for j := range packs[k].n {
			if j > 0 {
				buf = append(buf, ',')
			}
			e := &events[order[i]]
			buf = appendEvent(buf, e, millis(e.At))
			i++
		}
		buf = append(buf, ']')
		ends[k] = len(buf)
	}
	// buf is never written again, so the packs' strings can share it.
	all := unsafe.String(unsafe.SliceData(buf), len(buf))
	for k, start := 0, 0; k < len(packs); k++ {
		packs[k].events = all[start:ends[k]]
		start = ends[k]
	}
	return packs
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
