package storetest

import (
	"fmt"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// addBlock adds a destination block by the moderator, and fails the test
// when that fails.
func (e *env) addBlock(t *testing.T, kind tiny.DestinationKind, value, note string) *tiny.DestinationBlock {
	t.Helper()
	b := &tiny.DestinationBlock{Kind: kind, Value: value, Note: note, ActorID: moderator}
	if err := e.s.AddDestinationBlock(t.Context(), b); err != nil {
		t.Fatalf("AddDestinationBlock(%s %s) = %v, want nil", kind, value, err)
	}
	return b
}

// blocks returns every destination block, and fails the test on an error.
func (e *env) blocks(t *testing.T) []*tiny.DestinationBlock {
	t.Helper()
	got, err := e.s.DestinationBlocks(t.Context())
	if err != nil {
		t.Fatalf("DestinationBlocks() = %v, want nil", err)
	}
	return got
}

func blocksString(blocks []*tiny.DestinationBlock) string {
	s := "["
	for i, b := range blocks {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%d:%s:%s", b.ID, b.Kind, b.Value)
	}
	return s + "]"
}

// testDestinationBlocks adds blocks of each kind, lists them oldest first
// with every field as added, and removes one: the list and the audit log
// follow, and links are left alone.
func testDestinationBlocks(t *testing.T, e *env) {
	l := e.create(t, func(l *tiny.Link) { l.URL = "https://evil.example/kit" })
	url := e.addBlock(t, tiny.DestinationURL, "https://evil.example/kit", "the phishing kit")
	host := e.addBlock(t, tiny.DestinationHost, "evil.example", "")
	// The same value under another kind is another block.
	domain := e.addBlock(t, tiny.DestinationDomain, "evil.example", "the whole domain")
	for _, b := range []*tiny.DestinationBlock{url, host, domain} {
		if b.ID == 0 {
			t.Errorf("AddDestinationBlock(%s %s) left ID 0, want it set", b.Kind, b.Value)
		}
		e.checkRecent(t, "AddDestinationBlock().CreatedAt", b.CreatedAt)
	}
	if !(url.ID < host.ID && host.ID < domain.ID) {
		t.Errorf("AddDestinationBlock ids = %d, %d, %d; want increasing", url.ID, host.ID, domain.ID)
	}

	got := e.blocks(t)
	want := []*tiny.DestinationBlock{url, host, domain}
	if len(got) != len(want) {
		t.Fatalf("DestinationBlocks() = %s, want %s", blocksString(got), blocksString(want))
	}
	for i := range want {
		g, w := *got[i], *want[i]
		if g.CreatedAt.Location() != time.UTC {
			t.Errorf("DestinationBlocks()[%d].CreatedAt location = %v, want UTC", i, g.CreatedAt.Location())
		}
		if !g.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("DestinationBlocks()[%d].CreatedAt = %v, want %v as AddDestinationBlock set it", i, g.CreatedAt, w.CreatedAt)
		}
		g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
		if g != w {
			t.Errorf("DestinationBlocks()[%d] = %+v, want %+v", i, g, w)
		}
	}

	if err := e.s.RemoveDestinationBlock(t.Context(), host.ID, moderator+1); err != nil {
		t.Fatalf("RemoveDestinationBlock(%d) = %v, want nil", host.ID, err)
	}
	if got := e.blocks(t); blocksString(got) != blocksString([]*tiny.DestinationBlock{url, domain}) {
		t.Errorf("DestinationBlocks() after removing %d = %s, want %s", host.ID, blocksString(got), blocksString([]*tiny.DestinationBlock{url, domain}))
	}

	audit := e.audit(t, tiny.AuditFilter{})
	wantAudit := []*tiny.AuditEntry{
		{URL: "evil.example", ActorID: moderator + 1, Action: tiny.ActionDestinationUnblocked,
			Reason: fmt.Sprintf("destination block %d (host evil.example)", host.ID)},
		{URL: "evil.example", ActorID: moderator, Action: tiny.ActionDestinationBlocked,
			Reason: fmt.Sprintf("destination block %d (domain evil.example): the whole domain", domain.ID)},
		{URL: "evil.example", ActorID: moderator, Action: tiny.ActionDestinationBlocked,
			Reason: fmt.Sprintf("destination block %d (host evil.example)", host.ID)},
		{URL: "https://evil.example/kit", ActorID: moderator, Action: tiny.ActionDestinationBlocked,
			Reason: fmt.Sprintf("destination block %d (url https://evil.example/kit): the phishing kit", url.ID)},
	}
	if len(audit) != len(wantAudit) {
		t.Fatalf("AuditLog() = %s, want %d entries", auditString(audit), len(wantAudit))
	}
	for i := range wantAudit {
		if d := auditDiff(audit[i], wantAudit[i]); d != "" {
			t.Errorf("AuditLog()[%d]: %s", i, d)
		}
		e.checkRecent(t, "AuditLog().CreatedAt", audit[i].CreatedAt)
	}
	// A block changes no link: the rescan does that.
	if got := e.link(t, l.ID); got.Status != tiny.StatusActive {
		t.Errorf("link to a blocked destination: status %s, want active until a rescan blocks it", got.Status)
	}
}

// testDestinationBlockErrors: a duplicate is a Conflict on "value" and
// leaves no audit entry; removing an unknown or removed block is NotFound.
func testDestinationBlockErrors(t *testing.T, e *env) {
	ctx := t.Context()
	b := e.addBlock(t, tiny.DestinationDomain, "evil.example", "")
	dup := &tiny.DestinationBlock{Kind: tiny.DestinationDomain, Value: "evil.example", ActorID: moderator}
	wantCode(t, "AddDestinationBlock(duplicate)", e.s.AddDestinationBlock(ctx, dup), tiny.Conflict, "value")
	if got := e.blocks(t); len(got) != 1 {
		t.Errorf("DestinationBlocks() after a duplicate = %s, want only the first", blocksString(got))
	}
	if audit := e.audit(t, tiny.AuditFilter{}); len(audit) != 1 {
		t.Errorf("AuditLog() after a duplicate = %s, want only the first block's entry", auditString(audit))
	}
	wantCode(t, "RemoveDestinationBlock(unknown)", e.s.RemoveDestinationBlock(ctx, b.ID+100, moderator), tiny.NotFound, "")
	if err := e.s.RemoveDestinationBlock(ctx, b.ID, moderator); err != nil {
		t.Fatalf("RemoveDestinationBlock(%d) = %v, want nil", b.ID, err)
	}
	wantCode(t, "RemoveDestinationBlock(removed)", e.s.RemoveDestinationBlock(ctx, b.ID, moderator), tiny.NotFound, "")
	if audit := e.audit(t, tiny.AuditFilter{}); len(audit) != 2 {
		t.Errorf("AuditLog() after removes = %s, want the block and one removal", auditString(audit))
	}
	// Once removed, the destination can be blocked again.
	again := e.addBlock(t, tiny.DestinationDomain, "evil.example", "back")
	if again.ID == b.ID {
		t.Errorf("AddDestinationBlock after a remove reused id %d", b.ID)
	}
}

// testDestinationBlockRace adds the same block from many goroutines at
// once: exactly one succeeds, the others get Conflict.
func testDestinationBlockRace(t *testing.T, e *env) {
	const n = 8
	errs := make([]error, n)
	together(n, func(i int) {
		errs[i] = e.s.AddDestinationBlock(t.Context(), &tiny.DestinationBlock{
			Kind: tiny.DestinationHost, Value: "race.example", ActorID: moderator})
	})
	ok := 0
	for i, err := range errs {
		switch tiny.ErrorCodeOf(err) {
		case "":
			ok++
		case tiny.Conflict:
		default:
			t.Errorf("AddDestinationBlock #%d = %v, want nil or Conflict", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent AddDestinationBlock calls succeeded, want 1", ok)
	}
	if got := e.blocks(t); len(got) != 1 {
		t.Errorf("DestinationBlocks() = %s, want 1", blocksString(got))
	}
}
