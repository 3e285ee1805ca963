package postgres

import (
	"fmt"
	"sync"
	"testing"

	"tiny/internal/tiny"
)

// TestImportLinksNamespaceRace races, on two nodes, an import of a link
// with the alias C against the create of the link whose code is C: exactly
// one of each pair may win.
func TestImportLinksNamespaceRace(t *testing.T) {
	const pairs = 100
	a, b, codec, first := raceNodes(t, 2*pairs)
	ctx := t.Context()
	type result struct{ importErr, codeErr error }
	results := make([]result, pairs)
	start := make(chan struct{})
	var wg sync.WaitGroup
	link := func(id int64) *tiny.Link {
		return &tiny.Link{ID: id, Code: codec.Encode(id), URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
	}
	for i := range pairs {
		coded, aliased := first+int64(i), first+pairs+int64(i)
		wg.Go(func() {
			l := link(aliased)
			l.Alias = codec.Encode(coded)
			<-start
			res, err := a.ImportLinks(ctx, tiny.ImportBatch{Links: []*tiny.Link{l}})
			if err == nil {
				err = res[0]
			}
			results[i].importErr = err
		})
		wg.Go(func() {
			<-start
			results[i].codeErr = b.CreateLink(ctx, link(coded))
		})
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if (r.importErr == nil) == (r.codeErr == nil) {
			t.Errorf("pair %d: import = %v, create = %v; want exactly one to win", i, r.importErr, r.codeErr)
		}
		if r.importErr != nil && tiny.ErrorFieldOf(r.importErr) != "alias" {
			t.Errorf("pair %d: import = %v, want Conflict on alias", i, r.importErr)
		}
	}
}

// TestImportLinksLargeBatch imports 20,000 links in one batch: a lock per
// name would fill PostgreSQL's shared lock table ("out of shared memory").
func TestImportLinksLargeBatch(t *testing.T) {
	db := openDSN(t, newSchema(t))
	codec, err := tiny.NewCodec([]byte("storetest-key-16"))
	if err != nil {
		t.Fatal(err)
	}
	links := make([]*tiny.Link, 20_000)
	for i := range links {
		id := int64(i + 1)
		links[i] = &tiny.Link{ID: id, Code: codec.Encode(id), Alias: fmt.Sprintf("slug-%d", id), OwnerID: 1,
			URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
	}
	res, err := db.ImportLinks(t.Context(), tiny.ImportBatch{Links: links, Job: "big", Position: 20_000})
	if err != nil {
		t.Fatalf("ImportLinks(20,000 links) = %v, want nil", err)
	}
	for i, e := range res {
		if e != nil {
			t.Fatalf("result %d = %v, want nil", i, e)
		}
	}
	if l, err := db.LinkByAlias(t.Context(), "slug-20000"); err != nil || l.ID != 20_000 {
		t.Errorf("LinkByAlias(slug-20000) = %v, %v; want link 20000", l, err)
	}
}
