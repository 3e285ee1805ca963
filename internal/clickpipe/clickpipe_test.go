package clickpipe

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

// The test binary is also the child: with TINY_CLICKPIPE_DB set, TestMain
// serves that SQLite file on stdin and stdout instead of running tests.
func TestMain(m *testing.M) {
	if path := os.Getenv("TINY_CLICKPIPE_DB"); path != "" {
		os.Exit(serveChild(path))
	}
	os.Exit(m.Run())
}

func serveChild(path string) int {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	var store Store = db
	if os.Getenv("TINY_CLICKPIPE_REFUSE") != "" {
		store = refuser{}
	}
	err = Serve(ctx, os.Stdin, os.Stdout, store)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// refuser answers every batch with a store error, for the error's way back.
type refuser struct{}

func (refuser) RecordClicks(context.Context, []tiny.ClickEvent) error {
	return &tiny.Error{Code: tiny.Invalid, Message: "refused"}
}

func (refuser) RollUp(context.Context) error { return nil }

func sampleEvents(linkID int64, n int, at time.Time) []tiny.ClickEvent {
	kinds := []tiny.VisitorKind{tiny.VisitorHuman, tiny.VisitorBot, tiny.VisitorPreview}
	events := make([]tiny.ClickEvent, n)
	for i := range events {
		events[i] = tiny.ClickEvent{
			LinkID: linkID, At: at.Add(time.Duration(i) * time.Millisecond), Kind: kinds[i%3],
			Visitor: uint64(i) * 0x9e3779b97f4a7c15, Referrer: "news.example", Country: "DE", City: "Köln \"quoted\"",
			Browser: "Firefox", OS: "Linux", Device: "desktop", Counted: i%5 == 0,
		}
	}
	return events
}

// TestBatchRoundTrip decodes each batch into the events the one before
// was decoded into, as the child does, starting from events that differ
// in every field: nothing of them may show through.
func TestBatchRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 123456789, time.UTC)
	dst := sampleEvents(99, 600, at.Add(time.Hour))
	for i := range dst {
		dst[i].Counted, dst[i].City, dst[i].Kind = true, "Elsewhere", "other"
	}
	for _, events := range [][]tiny.ClickEvent{nil, sampleEvents(7, 1, at), sampleEvents(-3, 500, at)} {
		frame := appendBatch(nil, events, nil)
		payload, err := readFrame(bufio.NewReader(bytes.NewReader(frame)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if payload[0] != kindBatch {
			t.Fatalf("frame kind %q, want %q", payload[0], kindBatch)
		}
		got, err := decodeBatch(dst, payload[1:])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(events) || len(events) > 0 && !reflect.DeepEqual(got, events) {
			t.Fatalf("round trip of %d events changed them: got %+v", len(events), got[:min(2, len(got))])
		}
		dst = got
	}
}

func TestDecodeBatchRejectsCorruptFrames(t *testing.T) {
	frame := appendBatch(nil, sampleEvents(1, 3, time.Now()), nil)
	payload := frame[5:]
	for name, bad := range map[string][]byte{
		"empty":           {},
		"truncated":       payload[:len(payload)-1],
		"trailing byte":   append(append([]byte{}, payload...), 0),
		"count too large": {0xff, 0xff, 0xff, 0xff, 0x0f},
		"bad counted":     append(append([]byte{}, payload[:len(payload)-1]...), 2),
	} {
		if _, err := decodeBatch(nil, bad); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: err %v, want errCorrupt", name, err)
		}
	}
	huge := []byte{0xff, 0xff, 0xff, 0xff}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(huge)), nil); !errors.Is(err, errCorrupt) {
		t.Errorf("a frame claiming 4 GiB: err %v, want errCorrupt", err)
	}
}

// FuzzDecodeBatch: no input panics or allocates beyond its claims, and what
// decodes encodes back to a frame that decodes to the same events.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(appendBatch(nil, sampleEvents(1, 2, time.Unix(0, 0)), nil)[5:])
	f.Add([]byte{0})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, payload []byte) {
		events, err := decodeBatch(nil, payload)
		if err != nil {
			return
		}
		again, err := decodeBatch(nil, appendBatch(nil, events, nil)[5:])
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if len(events) > 0 && !reflect.DeepEqual(again, events) {
			t.Fatalf("re-encoding changed the events")
		}
	})
}

// newStore opens a SQLite file with one link and returns its path and id.
func newStore(t *testing.T) (string, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	codec, err := tiny.NewCodec([]byte("test-key-16bytes"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.LeaseIDs(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	link := &tiny.Link{ID: id, Code: codec.Encode(id), OwnerID: 1, URL: "https://example.com/",
		Redirect: tiny.DefaultRedirect, Status: tiny.StatusActive}
	if err := db.CreateLink(t.Context(), link); err != nil {
		t.Fatal(err)
	}
	return path, id
}

// startChild starts this test binary as the child on path.
func startChild(t *testing.T, path string) *Writer {
	t.Helper()
	t.Setenv("TINY_CLICKPIPE_DB", path)
	var stderr bytes.Buffer
	w, err := Start(t.Context(), os.Args[0], nil, &stderr)
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, &stderr)
	}
	return w
}

// storedClicks counts the link's raw clicks in the file, read by another
// connection than the child's.
func storedClicks(t *testing.T, path string, linkID int64) int {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.Clicks(t.Context(), linkID, time.Time{}, time.Now().Add(time.Hour), func(tiny.ClickEvent) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriterWritesThroughTheChild(t *testing.T) {
	path, id := newStore(t)
	w := startChild(t, path)
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := range 3 {
		if err := w.RecordClicks(t.Context(), sampleEvents(id, 1000, now.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	// Each batch is written when RecordClicks returns.
	if n := storedClicks(t, path, id); n != 3000 {
		t.Fatalf("%d clicks stored after 3 batches of 1000, want 3000", n)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The stored events are the ones sent, field for field.
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := sampleEvents(id, 1000, now)[1]
	found := false
	db.Clicks(t.Context(), id, now, now.Add(time.Second), func(e tiny.ClickEvent) error {
		if e.At.Equal(want.At) {
			found = e.Kind == want.Kind && e.Visitor == want.Visitor && e.City == want.City && e.Browser == want.Browser
		}
		return nil
	})
	if !found {
		t.Errorf("the event at %v was not stored as sent (%+v)", want.At, want)
	}
}

// A child that dies loses no later batch: the next one starts a new child.
func TestWriterRestartsADeadChild(t *testing.T) {
	path, id := newStore(t)
	w := startChild(t, path)
	defer w.Close(context.Background())
	now := time.Now().UTC()
	if err := w.RecordClicks(t.Context(), sampleEvents(id, 10, now)); err != nil {
		t.Fatal(err)
	}
	w.child.cmd.Process.Kill()
	<-w.child.exited
	err := w.RecordClicks(t.Context(), sampleEvents(id, 10, now.Add(time.Second)))
	if tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Fatalf("a batch sent to a dead child: err %v, want Unavailable", err)
	}
	if err := w.RecordClicks(t.Context(), sampleEvents(id, 10, now.Add(2*time.Second))); err != nil {
		t.Fatalf("the batch after: %v, want a new child to write it", err)
	}
	if n := storedClicks(t, path, id); n != 20 {
		t.Fatalf("%d clicks stored, want 20 (the batch sent to the dead child is lost)", n)
	}
}

// The store's own error comes back with its code, and the child stays.
func TestWriterReturnsTheStoresError(t *testing.T) {
	path, id := newStore(t)
	t.Setenv("TINY_CLICKPIPE_REFUSE", "1")
	w := startChild(t, path)
	defer w.Close(context.Background())
	first := w.child
	for i := range 2 {
		err := w.RecordClicks(t.Context(), sampleEvents(id, 5, time.Now()))
		if tiny.ErrorCodeOf(err) != tiny.Invalid {
			t.Fatalf("batch %d: err %v, want the store's Invalid", i, err)
		}
	}
	if w.child != first {
		t.Error("the child was replaced after answering with an error; it should stay")
	}
}

// A caller's deadline ends the wait, and the child that outlived it.
func TestWriterHonoursTheDeadline(t *testing.T) {
	path, id := newStore(t)
	w := startChild(t, path)
	defer w.Close(context.Background())
	w.child.cmd.Process.Signal(os.Signal(stopSignal)) // the child stops answering
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := w.RecordClicks(ctx, sampleEvents(id, 5, time.Now()))
	if tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Fatalf("err %v, want Unavailable", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("RecordClicks took %v past a 200ms deadline", took)
	}
	if w.child != nil {
		t.Error("the stopped child was kept")
	}
}

func TestStartFailsForAChildThatIsNotOne(t *testing.T) {
	// /bin/true exits without answering.
	_, err := Start(t.Context(), "/bin/true", nil, nil)
	if err == nil {
		t.Fatal("Start of a program that never answers succeeded")
	}
}

// rolledUp reports whether every pack in the file is rolled up, read with
// SQL of its own.
func rolledUp(t *testing.T, path string) bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var done bool
	if err := db.QueryRow(`SELECT (SELECT id FROM click_packs_rolled) >= coalesce((SELECT max(id) FROM click_packs), 0)`).Scan(&done); err != nil {
		t.Fatal(err)
	}
	return done
}

// The child rolls up on request what it wrote; a store that delegates its
// roll-ups to it reads exact statistics.
func TestWriterRollUp(t *testing.T) {
	path, id := newStore(t)
	w := startChild(t, path)
	defer w.Close(context.Background())
	// The second batch falls in the next hour: the statistics' range ends
	// at the start of an hour (To rounds down), so it must reach past it.
	now := time.Now().UTC().Truncate(time.Hour).Add(-30 * time.Second)
	if err := w.RecordClicks(t.Context(), sampleEvents(id, 300, now)); err != nil {
		t.Fatal(err)
	}
	if rolledUp(t, path) {
		t.Fatal("the child rolled up a batch at once; the test needs it to defer")
	}
	if err := w.RollUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !rolledUp(t, path) {
		t.Fatal("after RollUp, packs are left to roll up")
	}
	// Open rolls up what it finds, so the reader opens before the batch.
	reader, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := w.RecordClicks(t.Context(), sampleEvents(id, 30, now.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	asked := 0
	reader.DelegateRollUps(func(ctx context.Context) error { asked++; return w.RollUp(ctx) })
	st, err := reader.ClickStats(t.Context(), tiny.StatsQuery{LinkID: id, From: now.Add(-time.Hour), To: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Clicks + st.BotClicks + st.Previews; got != 330 {
		t.Errorf("statistics count %d events, want 330", got)
	}
	if asked != 1 || !rolledUp(t, path) {
		t.Errorf("ClickStats asked the child %d times (want 1), rolled up: %v", asked, rolledUp(t, path))
	}
}

// A call without a deadline after one with a deadline waits as long as it
// takes: the earlier deadline does not linger on the pipes.
func TestWriterDeadlineDoesNotLinger(t *testing.T) {
	path, id := newStore(t)
	w := startChild(t, path)
	defer w.Close(context.Background())
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	if err := w.RecordClicks(ctx, sampleEvents(id, 5, time.Now())); err != nil {
		t.Fatal(err)
	}
	cancel()
	time.Sleep(100 * time.Millisecond) // past that deadline
	first := w.child
	if err := w.RecordClicks(context.Background(), sampleEvents(id, 5, time.Now())); err != nil {
		t.Fatalf("a call without a deadline after the first's passed: %v", err)
	}
	if w.child != first {
		t.Error("the child was replaced")
	}
}

// Encoding a batch pauses every 256 events, and the pauses change nothing
// in the frame.
func TestAppendBatchPauses(t *testing.T) {
	events := sampleEvents(3, 1000, time.Unix(1_700_000_000, 0))
	pauses := 0
	frame := appendBatch(nil, events, func() { pauses++ })
	if pauses != 1000/256 {
		t.Fatalf("paused %d times over 1000 events, want %d", pauses, 1000/256)
	}
	if !bytes.Equal(frame, appendBatch(nil, events, nil)) {
		t.Fatal("the frame encoded with pauses differs from the one without")
	}
}
