package clickpipe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"tiny/internal/tiny"
)

// Limits on what a frame may claim, so that a corrupt or hostile stream is
// an error rather than an allocation of its claimed size.
const (
	maxFrame  = 256 << 20 // bytes in one frame
	maxEvents = 1 << 20   // events in one batch
	maxString = 64 << 10  // bytes in one string field
)

var errCorrupt = errors.New("clickpipe: corrupt frame")

// The kinds of request frame: the first byte of the payload.
const (
	kindBatch  = 'B' // a batch of events to write
	kindRollUp = 'R' // roll up everything written so far
)

// appendRollUp appends the frame that asks for a roll-up.
func appendRollUp(b []byte) []byte {
	return append(b, 0, 0, 0, 1, kindRollUp)
}

// appendBatch appends the frame of events to b, calling pause (if not nil)
// every 256 events: a batch of 50,000 takes milliseconds to encode.
func appendBatch(b []byte, events []tiny.ClickEvent, pause func()) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0) // the length, set below
	b = append(b, kindBatch)
	b = binary.AppendUvarint(b, uint64(len(events)))
	for i := range events {
		if i%256 == 255 && pause != nil {
			pause()
		}
		e := &events[i]
		b = binary.AppendVarint(b, e.LinkID)
		b = binary.AppendVarint(b, e.At.UnixNano())
		b = appendString(b, string(e.Kind))
		b = binary.AppendUvarint(b, e.Visitor)
		for _, s := range [...]string{e.Referrer, e.Country, e.City, e.Browser, e.OS, e.Device} {
			b = appendString(b, s)
		}
		counted := byte(0)
		if e.Counted {
			counted = 1
		}
		b = append(b, counted)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readFrame reads one frame's payload into buf (grown as needed).
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return buf, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxFrame {
		return buf, fmt.Errorf("%w: %d bytes", errCorrupt, size)
	}
	if cap(buf) < int(size) {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf, err
	}
	return buf, nil
}

// decoder reads the fields of one frame's payload.
type decoder struct {
	b   []byte
	err error
	// strings interns the frame's repeated values (browsers, countries):
	// a batch holds few distinct ones.
	strings map[string]string
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint undoes binary.AppendVarint: a uvarint of the zig-zag encoding.
func (d *decoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > maxString || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	raw := d.b[:n]
	d.b = d.b[n:]
	if s, ok := d.strings[string(raw)]; ok {
		return s
	}
	s := string(raw)
	d.strings[s] = s
	return s
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// decodeBatch decodes a batch frame's payload, after its kind, into dst
// (grown as needed: the child decodes every batch into the same events,
// which the store keeps nothing of).
func decodeBatch(dst []tiny.ClickEvent, payload []byte) ([]tiny.ClickEvent, error) {
	d := &decoder{b: payload, strings: make(map[string]string)}
	n := d.uvarint()
	// Every event takes at least 11 bytes, so a count the payload cannot
	// hold is corrupt before anything is allocated for it.
	if d.err != nil || n > maxEvents || n > uint64(len(d.b))/11 {
		return nil, errCorrupt
	}
	events := slices.Grow(dst[:0], int(n))[:n]
	for i := range events {
		e := &events[i]
		e.LinkID = d.varint()
		e.At = time.Unix(0, d.varint()).UTC()
		e.Kind = tiny.VisitorKind(d.string())
		e.Visitor = d.uvarint()
		e.Referrer, e.Country, e.City = d.string(), d.string(), d.string()
		e.Browser, e.OS, e.Device = d.string(), d.string(), d.string()
		switch d.byte() {
		case 0:
			e.Counted = false
		case 1:
			e.Counted = true
		default:
			d.err = errCorrupt
		}
		if d.err != nil {
			return nil, d.err
		}
	}
	if len(d.b) != 0 {
		return nil, errCorrupt
	}
	return events, nil
}

// appendAnswer appends the answer frame to a batch: empty when err is nil,
// else err's code and message.
func appendAnswer(b []byte, err error) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	if err != nil {
		b = appendString(b, string(tiny.ErrorCodeOf(err)))
		b = appendString(b, err.Error())
	}
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// decodeAnswer turns an answer's payload back into the store's result: nil
// or an error with its code. err is errCorrupt for a payload that is
// neither.
func decodeAnswer(payload []byte) (result, err error) {
	if len(payload) == 0 {
		return nil, nil
	}
	d := &decoder{b: payload, strings: make(map[string]string)}
	code, msg := d.string(), d.string()
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return &tiny.Error{Code: tiny.ErrorCode(code), Message: "click writer: " + msg}, nil
}
