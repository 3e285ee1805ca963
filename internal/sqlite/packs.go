package sqlite

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"tiny/internal/tiny"
)

// pack is the raw events of one link in a batch, as click_packs stores
// them (migration 00013): events is the JSON array being written, without
// its closing bracket.
type pack struct {
	linkID          int64
	firstAt, lastAt int64 // unix milliseconds
	n               int64
	events          []byte
}

// packEvents groups events into a pack per link, each in the order of
// events, the packs in the order their links first appear.
func packEvents(events []tiny.ClickEvent) []*pack {
	var packs []*pack
	byLink := make(map[int64]*pack)
	for _, e := range events {
		p := byLink[e.LinkID]
		at := millis(e.At)
		if p == nil {
			p = &pack{linkID: e.LinkID, firstAt: at, lastAt: at, events: make([]byte, 0, 128)}
			p.events = append(p.events, '[')
			byLink[e.LinkID] = p
			packs = append(packs, p)
		} else {
			p.events = append(p.events, ',')
		}
		p.firstAt, p.lastAt = min(p.firstAt, at), max(p.lastAt, at)
		p.n++
		p.events = appendEvent(p.events, e, at)
	}
	return packs
}

// appendEvent appends e as the JSON array [at, kind, visitor, referrer,
// country, city, browser, os, device], the order of the clicks view's
// columns.
func appendEvent(b []byte, e tiny.ClickEvent, at int64) []byte {
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
