package postgres

import (
	"sync"
	"testing"

	"tiny/internal/tiny"
)

// TestCreateLinksNamespaceRace races, on two nodes, batches of links with
// the alias C against single creates of the links whose code is C, as
// TestCreateLinkNamespaceRace does for single creates. One batch has more
// names than maxNameLocks, so it takes the namespace lock instead of a
// lock per name; the others lock their names. Exactly one of each pair
// must win, and a batch's loser is left out alone.
func TestCreateLinksNamespaceRace(t *testing.T) {
	const (
		pairs = 300
		big   = maxNameLocks // links (twice as many names) in the first batch
		small = 10
	)
	a, b, codec, first := raceNodes(t, 2*pairs)
	ctx := t.Context()
	link := func(id int64) *tiny.Link {
		return &tiny.Link{ID: id, Code: codec.Encode(id), URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
	}
	aliasErrs, codeErrs := make([]error, pairs), make([]error, pairs)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for next := 0; next < pairs; {
		lo, hi := next, min(next+small, pairs)
		if lo == 0 {
			hi = big
		}
		next = hi
		wg.Go(func() {
			batch := make([]*tiny.Link, 0, hi-lo)
			for i := lo; i < hi; i++ {
				l := link(first + pairs + int64(i))
				l.Alias = codec.Encode(first + int64(i))
				batch = append(batch, l)
			}
			<-start
			results, err := a.CreateLinks(ctx, batch)
			if err != nil {
				t.Errorf("CreateLinks(pairs %d to %d) = %v, want nil", lo, hi, err)
				return
			}
			copy(aliasErrs[lo:hi], results)
		})
	}
	for i := range pairs {
		wg.Go(func() {
			<-start
			codeErrs[i] = b.CreateLink(ctx, link(first+int64(i)))
		})
	}
	close(start)
	wg.Wait()

	var aliasWon, codeWon int
	for i := range pairs {
		c, aliasErr, codeErr := codec.Encode(first+int64(i)), aliasErrs[i], codeErrs[i]
		switch {
		case aliasErr == nil && codeErr == nil:
			t.Errorf("pair %d: both the alias %q and the link with code %q were created", i, c, c)
		case aliasErr == nil:
			aliasWon++
			if tiny.ErrorCodeOf(codeErr) != tiny.Conflict || tiny.ErrorFieldOf(codeErr) != "code" {
				t.Errorf("pair %d: CreateLink(code %q) after the alias = %v, want Conflict on code", i, c, codeErr)
			}
		case codeErr == nil:
			codeWon++
			if tiny.ErrorCodeOf(aliasErr) != tiny.Conflict || tiny.ErrorFieldOf(aliasErr) != "alias" {
				t.Errorf("pair %d: CreateLinks(alias %q) after the code = %v, want Conflict on alias", i, c, aliasErr)
			}
		default:
			t.Errorf("pair %d: neither create succeeded: %v; %v", i, aliasErr, codeErr)
		}
	}
	t.Logf("%d pairs: the alias won %d times, the code %d times", pairs, aliasWon, codeWon)
}
