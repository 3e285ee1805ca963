package shortener_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// batchingStore is a real store that can hold CreateLink until a gate is
// closed, and records the size of every CreateLinks batch.
type batchingStore struct {
	tiny.Store
	gate    chan struct{} // when not nil, CreateLink signals entered and waits for it
	entered chan struct{}
	// clash makes CreateLinks fail as a whole, as on a conflict its
	// checks did not foresee.
	clash bool

	mu      sync.Mutex
	batches []int
}

func (s *batchingStore) CreateLink(ctx context.Context, l *tiny.Link) error {
	if s.gate != nil {
		s.entered <- struct{}{}
		<-s.gate
	}
	return s.Store.CreateLink(ctx, l)
}

func (s *batchingStore) CreateLinks(ctx context.Context, links []*tiny.Link) ([]error, error) {
	s.mu.Lock()
	s.batches = append(s.batches, len(links))
	s.mu.Unlock()
	if s.clash {
		return nil, tiny.FieldErrorf(tiny.Conflict, "id", "an id is used already")
	}
	return s.Store.CreateLinks(ctx, links)
}

// TestCreatesShareABatch holds the write of one create and sends more
// meanwhile: they queue, and are then written in one batch, each with its
// own result — the one whose alias is taken fails alone.
func TestCreatesShareABatch(t *testing.T) {
	store := &batchingStore{Store: openStore(t)}
	svc := newService(t, store, shortener.Config{CreateFlushes: 1})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/taken", Alias: "taken"})

	store.gate, store.entered = make(chan struct{}), make(chan struct{}, 1)
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		_, err := svc.Create(ctx, accounts.As(owner), shortener.CreateInput{URL: "https://example.com/first"})
		first <- err
	}()
	<-store.entered

	inputs := []shortener.CreateInput{
		{URL: "https://example.com/a", Alias: "fresh"},
		{URL: "https://example.com/b", Alias: "taken"},
		{URL: "https://example.com/c", Tags: []string{"x"}},
		{URL: "https://example.com/d", Alias: "fresh"},
		{URL: "https://example.com/e"},
	}
	links, errs := make([]*tiny.Link, len(inputs)), make([]error, len(inputs))
	var wg sync.WaitGroup
	for i, in := range inputs {
		wg.Go(func() { links[i], errs[i] = svc.Create(ctx, accounts.As(owner), in) })
	}
	for deadline := time.Now().Add(10 * time.Second); shortener.QueuedCreates(svc) < len(inputs); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d creates queued, want %d", shortener.QueuedCreates(svc), len(inputs))
		}
	}
	close(store.gate)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatalf("the held create = %v, want nil", err)
	}
	if fmt.Sprint(store.batches) != fmt.Sprint([]int{len(inputs)}) {
		t.Errorf("CreateLinks batches = %v, want one of %d", store.batches, len(inputs))
	}
	// Which of the two asking for "fresh" gets it depends on the order
	// they queued in; exactly one does.
	fresh := 0
	for i, err := range errs {
		switch {
		case inputs[i].Alias == "taken" || inputs[i].Alias == "fresh" && err != nil:
			if !tiny.IsCode(err, tiny.Conflict) || tiny.ErrorFieldOf(err) != "alias" || links[i] != nil {
				t.Errorf("create %d (alias %q) = %v, %v, want Conflict on alias", i, inputs[i].Alias, links[i], err)
			}
		case err != nil:
			t.Errorf("create %d = %v, want a link", i, err)
		default:
			if inputs[i].Alias == "fresh" {
				fresh++
			}
			got, err := svc.Get(ctx, accounts.As(owner), links[i].Code)
			if err != nil || got.URL != inputs[i].URL || got.ID != links[i].ID || got.CreatedAt.IsZero() {
				t.Errorf("Get(%s) of create %d = %+v, %v, want its link with %s", links[i].Code, i, got, err, inputs[i].URL)
			}
		}
	}
	if fresh != 1 {
		t.Errorf("%d creates got alias fresh, want 1", fresh)
	}
}

// TestCreatesBatchUnderLoad runs many creates at once: every one gets a
// link of its own, with its own destination.
func TestCreatesBatchUnderLoad(t *testing.T) {
	store := &batchingStore{Store: openStore(t)}
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	const n = 200
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			l, err := svc.Create(context.Background(), accounts.As(owner), shortener.CreateInput{URL: fmt.Sprintf("https://example.com/%d", i)})
			if err != nil {
				t.Errorf("create %d = %v", i, err)
				return
			}
			codes[i] = l.Code
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, c := range codes {
		if seen[c] {
			t.Errorf("create %d got code %q twice", i, c)
		}
		seen[c] = true
		if l, err := svc.Get(context.Background(), accounts.As(owner), c); err != nil || l.URL != fmt.Sprintf("https://example.com/%d", i) {
			t.Errorf("Get(%s) = %v, %v, want the link of create %d", c, l, err, i)
		}
	}
	batched := 0
	for _, size := range store.batches {
		batched += size
	}
	t.Logf("%d of %d links written in %d batches", batched, n, len(store.batches))
}

// TestCreateMany stores the links of a bulk request that pass validation
// in one batch;
// the others fail each with its own error.
func TestCreateMany(t *testing.T) {
	store := &batchingStore{Store: openStore(t)}
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/taken", Alias: "taken"})
	ctx := context.Background()
	inputs := []shortener.CreateInput{
		{URL: "https://example.com/a", Title: "A", Tags: []string{"t"}},
		{URL: "not a url"},
		{URL: "https://example.com/b", Alias: "taken"},
		{URL: "https://example.com/c", Alias: "mine"},
		{URL: "https://example.com/d", Alias: "mine"},
		{URL: "https://example.com/e"},
	}
	links, errs, err := svc.CreateMany(ctx, accounts.As(owner), inputs)
	if err != nil {
		t.Fatalf("CreateMany = %v, want nil", err)
	}
	want := []tiny.ErrorCode{"", tiny.Invalid, tiny.Conflict, "", tiny.Conflict, ""}
	for i, in := range inputs {
		if got := tiny.ErrorCodeOf(errs[i]); got != want[i] && !(want[i] == "" && errs[i] == nil) {
			t.Errorf("CreateMany item %d = %v, want %q", i, errs[i], want[i])
			continue
		}
		if errs[i] != nil {
			if links[i] != nil {
				t.Errorf("CreateMany item %d failed with a link %+v", i, links[i])
			}
			continue
		}
		got, err := svc.Get(ctx, accounts.As(owner), links[i].Code)
		if err != nil || got.URL != in.URL || got.Alias != in.Alias || got.Title != in.Title {
			t.Errorf("Get(%s) of item %d = %+v, %v, want its link", links[i].Code, i, got, err)
		}
	}
	if fmt.Sprint(store.batches) != "[5]" {
		t.Errorf("CreateLinks batches = %v, want one of the 5 links that passed validation", store.batches)
	}

	stopped, cancel := context.WithCancel(ctx)
	cancel()
	links, errs, err = svc.CreateMany(stopped, accounts.As(owner), inputs[:1])
	if err != nil || links != nil || len(errs) != 1 || errs[0] != context.Canceled {
		t.Errorf("CreateMany with its context ended = %v, %v, %v, want the context's error per item", links, errs, err)
	}
	viewer := newUser(t, store, "victor", tiny.RoleViewer)
	if _, _, err := svc.CreateMany(ctx, accounts.As(viewer), inputs[:1]); !tiny.IsCode(err, tiny.Forbidden) {
		t.Errorf("CreateMany by a viewer = %v, want Forbidden", err)
	}
}

// TestCreateManyAfterABatchConflict makes the batch of a bulk request fail
// as a whole on a conflict: the links are then made one by one, each with
// its own result.
func TestCreateManyAfterABatchConflict(t *testing.T) {
	store := &batchingStore{Store: openStore(t), clash: true}
	svc := newService(t, store, shortener.Config{CreateFlushes: 1})
	owner := newUser(t, store, "alice", tiny.RoleMember)
	create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/taken", Alias: "taken"})
	inputs := []shortener.CreateInput{
		{URL: "https://example.com/a"},
		{URL: "https://example.com/b", Alias: "taken"},
		{URL: "https://example.com/c", Alias: "c"},
	}
	links, errs, err := svc.CreateMany(context.Background(), accounts.As(owner), inputs)
	if err != nil {
		t.Fatalf("CreateMany = %v, want nil", err)
	}
	if errs[0] != nil || errs[2] != nil || !tiny.IsCode(errs[1], tiny.Conflict) || tiny.ErrorFieldOf(errs[1]) != "alias" {
		t.Fatalf("CreateMany errors = %v, want [nil, Conflict on alias, nil]", errs)
	}
	for _, i := range []int{0, 2} {
		got, err := svc.Get(context.Background(), accounts.As(owner), links[i].Code)
		if err != nil || got.URL != inputs[i].URL {
			t.Errorf("Get(%s) of item %d = %+v, %v, want its link", links[i].Code, i, got, err)
		}
	}
}
