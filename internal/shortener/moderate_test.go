package shortener_test

import (
	"context"
	"strings"
	"testing"

	"tiny/internal/abuse"
	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// Moderate is the one use case of a moderator's decision, for the API and
// the web app: it checks everything before it changes anything.
func TestModerateChecksBeforeItChanges(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "owner", tiny.RoleMember)
	mod := accounts.As(newUser(t, store, "mod", tiny.RoleModerator))
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://sub.bad.example/pay"})
	dests := abuse.NewDestinations(abuse.DestinationsConfig{Store: store})

	for _, tt := range []struct {
		name  string
		who   *accounts.Principal
		m     shortener.Moderation
		dests *abuse.Destinations
		code  tiny.ErrorCode
		field string
	}{
		{"a member", accounts.As(owner), shortener.Moderation{Decision: "block"}, dests, tiny.Forbidden, ""},
		{"no decision", mod, shortener.Moderation{Decision: "delete"}, dests, tiny.Invalid, "decision"},
		{"a long note", mod, shortener.Moderation{Decision: "block", Note: strings.Repeat("x", shortener.MaxNoteLength+1)}, dests, tiny.Invalid, "note"},
		{"approve with a destination", mod, shortener.Moderation{Decision: "approve", BlockDestination: tiny.DestinationDomain}, dests, tiny.Invalid, "block_destination"},
		{"an unknown kind", mod, shortener.Moderation{Decision: "block", BlockDestination: "planet"}, dests, tiny.Invalid, "block_destination"},
		{"no destination blocks", mod, shortener.Moderation{Decision: "block", BlockDestination: tiny.DestinationHost}, nil, tiny.Unavailable, ""},
	} {
		_, _, err := svc.Moderate(ctx, tt.who, l.Code, tt.m, tt.dests)
		if tiny.ErrorCodeOf(err) != tt.code || tiny.ErrorFieldOf(err) != tt.field {
			t.Errorf("%s: Moderate = %v, want %s on %q", tt.name, err, tt.code, tt.field)
		}
	}
	if got, err := store.LinkByID(ctx, l.ID); err != nil || got.Status != tiny.StatusActive {
		t.Fatalf("link after refused decisions = %v, %v; want it active", got, err)
	}
	if blocks, _ := dests.List(ctx); len(blocks) != 0 {
		t.Fatalf("destination blocks after refused decisions = %v", blocks)
	}

	got, block, err := svc.Moderate(ctx, mod, l.Code, shortener.Moderation{Decision: "block", Note: " kit ", BlockDestination: tiny.DestinationDomain}, dests)
	if err != nil || got.Status != tiny.StatusBlocked || block == nil || block.Value != "bad.example" || block.Note != "with link "+l.Code+": kit" {
		t.Fatalf("Moderate(block, domain) = %v, %+v, %v; want blocked with the domain blocked", got, block, err)
	}
	// Blocked already: the same block comes back, no conflict.
	if _, again, err := svc.Moderate(ctx, mod, l.Code, shortener.Moderation{Decision: "block", BlockDestination: tiny.DestinationDomain}, dests); err != nil || again.ID != block.ID {
		t.Errorf("second block of the domain = %+v, %v; want block %d", again, err, block.ID)
	}
}
