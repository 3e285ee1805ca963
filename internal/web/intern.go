package web

import (
	"hash/maphash"
	"sync/atomic"
)

// internSlots is the size of an internTable; a power of two.
const internSlots = 4096

// maxInterned is the longest value an internTable keeps; longer ones are
// rare and simply copied.
const maxInterned = 512

// internTable hands out one shared string for header values it saw
// recently, so a repeated user agent or referrer costs the redirect no
// allocation. It is a direct-mapped cache: a collision replaces the slot.
// It is safe for concurrent use.
type internTable struct {
	seed  maphash.Seed
	slots [internSlots]atomic.Pointer[string]
}

func newInternTable() *internTable { return &internTable{seed: maphash.MakeSeed()} }

// get returns b as a string that does not share b's memory.
func (t *internTable) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxInterned {
		return string(b)
	}
	slot := &t.slots[maphash.Bytes(t.seed, b)&(internSlots-1)]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}
