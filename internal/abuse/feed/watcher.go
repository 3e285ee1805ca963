package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FeedStatus is one feed's state, for metrics and the admin UI.
type FeedStatus struct {
	Feed        string
	Entries     int       // unique entries in the current list
	Invalid     int       // invalid lines skipped in the current list
	LastSuccess time.Time // last load that succeeded, changed or not; zero if none
	LastChange  time.Time // last load that installed new content
	Errors      uint64    // failed loads since start
	LastError   string    // error of the last load, "" if it succeeded
}

// FeedError is one feed that failed to load.
type FeedError struct {
	Feed string
	Err  error
}

func (e *FeedError) Error() string { return e.Err.Error() }
func (e *FeedError) Unwrap() error { return e.Err }

// LoadError lists the feeds that failed in one (re)load. The others loaded.
type LoadError struct {
	Failed []*FeedError
}

func (e *LoadError) Error() string {
	msgs := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		msgs[i] = f.Error()
	}
	return fmt.Sprintf("%d blocklist feed(s) failed: %s", len(e.Failed), strings.Join(msgs, "; "))
}

func (e *LoadError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f
	}
	return errs
}

// Watcher loads feeds and reloads them on a schedule, publishing a new Set
// whenever some feed's content changed.
type Watcher struct {
	sources  []*Source
	interval time.Duration
	log      *slog.Logger
	onChange func(*Set)

	cur    atomic.Pointer[Set]
	loadMu sync.Mutex // one (re)load at a time; Sources are not concurrent

	statusMu sync.Mutex
	status   []FeedStatus

	afterReload func() // test hook: called after each Run reload
}

// New returns a Watcher for the given feed locations (paths or http(s)
// URLs). onChange, if not nil, is called from Run with the new Set after a
// reload that changed some feed; it is not called by Load.
func New(sources []string, interval time.Duration, opts Options, logger *slog.Logger, onChange func(*Set)) (*Watcher, error) {
	if interval <= 0 {
		return nil, errors.New("feed: reload interval must be positive")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{interval: interval, log: logger, onChange: onChange}
	for _, loc := range sources {
		s, err := NewSource(loc, opts)
		if err != nil {
			return nil, err
		}
		w.sources = append(w.sources, s)
		w.status = append(w.status, FeedStatus{Feed: loc})
	}
	w.cur.Store(NewSet())
	return w, nil
}

// Current returns the Set in use. It never returns nil and never blocks.
func (w *Watcher) Current() *Set { return w.cur.Load() }

// Status returns each feed's state, in the order given to New.
func (w *Watcher) Status() []FeedStatus {
	w.statusMu.Lock()
	defer w.statusMu.Unlock()
	return append([]FeedStatus(nil), w.status...)
}

// Load does the initial load of every feed. The Set of the feeds that did
// load is installed even when some failed; those are reported in a
// *LoadError so the caller can decide whether to start without them.
func (w *Watcher) Load(ctx context.Context) error {
	_, err := w.reload(ctx, false)
	return err
}

// Reload loads every feed once and, if any changed, installs the new Set
// and calls onChange. A failed feed keeps its previous list; the failures
// are returned as a *LoadError.
func (w *Watcher) Reload(ctx context.Context) (changed bool, err error) {
	return w.reload(ctx, true)
}

// Run reloads every interval until ctx is done. Failed feeds are logged
// and keep their previous list.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		// Failures are logged per feed by record; the previous lists stay.
		_, _ = w.Reload(ctx)
		if w.afterReload != nil {
			w.afterReload()
		}
	}
}

func (w *Watcher) reload(ctx context.Context, notify bool) (bool, error) {
	w.loadMu.Lock()
	defer w.loadMu.Unlock()

	// Feeds load in parallel: a slow download should not hold up the rest.
	changed := make([]bool, len(w.sources))
	errs := make([]error, len(w.sources))
	var wg sync.WaitGroup
	for i, s := range w.sources {
		wg.Go(func() {
			start := time.Now()
			changed[i], errs[i] = s.Load(ctx)
			w.record(i, s, changed[i], errs[i], start)
		})
	}
	wg.Wait()

	var failed []*FeedError
	anyChanged := false
	for i, s := range w.sources {
		if errs[i] != nil {
			failed = append(failed, &FeedError{Feed: s.Name(), Err: errs[i]})
		}
		anyChanged = anyChanged || changed[i]
	}
	if anyChanged {
		lists := make([]*List, 0, len(w.sources))
		for _, s := range w.sources {
			lists = append(lists, s.List())
		}
		set := NewSet(lists...)
		w.cur.Store(set)
		if notify && w.onChange != nil {
			w.onChange(set)
		}
	}
	if failed != nil {
		return anyChanged, &LoadError{Failed: failed}
	}
	return anyChanged, nil
}

func (w *Watcher) record(i int, s *Source, changed bool, err error, start time.Time) {
	now := time.Now()
	w.statusMu.Lock()
	defer w.statusMu.Unlock()
	st := &w.status[i]
	if err != nil {
		st.Errors++
		st.LastError = err.Error()
		w.log.Warn("blocklist feed failed", "feed", s.Name(), "err", err)
		return
	}
	st.LastSuccess, st.LastError = now, ""
	if !changed {
		return
	}
	ps := s.Stats()
	st.LastChange = now
	st.Entries = s.List().Len()
	st.Invalid = ps.Invalid
	w.log.Info("blocklist feed loaded", "feed", s.Name(),
		"domains", ps.Domains, "urls", ps.URLs, "invalid", ps.Invalid,
		"first_invalid_line", ps.FirstInvalid, "duplicates", ps.Duplicates,
		"bytes", ps.Bytes, "took", now.Sub(start))
}
