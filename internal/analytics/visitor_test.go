package analytics

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// testNow is the fixed clock of the tests: 26 November 2026, 10:00 UTC.
func testNow() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTestHasher returns a hasher on store whose clock reads *now.
func newTestHasher(t *testing.T, store SecretStore, now *time.Time) *VisitorHasher {
	t.Helper()
	h, err := NewVisitorHasher(store, 0, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	h.now = func() time.Time { return *now }
	return h
}

const (
	uaChrome  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	uaFirefox = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
)

func TestVisitorHash(t *testing.T) {
	now := testNow()
	store := NewMemorySecretStore()
	h := newTestHasher(t, store, &now)
	ip := netip.MustParseAddr("192.0.2.1")
	day := now

	base := h.Hash(day, ip, uaChrome)
	same := []struct {
		name string
		day  time.Time
		ip   netip.Addr
		ua   string
	}{
		{"again", day, ip, uaChrome},
		{"start of the day", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), ip, uaChrome},
		{"end of the day", time.Date(2026, 11, 26, 23, 59, 59, 999, time.UTC), ip, uaChrome},
		{"same UTC date elsewhere", time.Date(2026, 11, 26, 20, 0, 0, 0, time.FixedZone("UTC-3", -3*3600)), ip, uaChrome},
		{"IPv4-mapped IPv6", day, netip.MustParseAddr("::ffff:192.0.2.1"), uaChrome},
	}
	for _, tt := range same {
		if got := h.Hash(tt.day, tt.ip, tt.ua); got != base {
			t.Errorf("%s: Hash(%v, %v, ua) = %#x, want %#x", tt.name, tt.day, tt.ip, got, base)
		}
	}

	different := []struct {
		name string
		day  time.Time
		ip   netip.Addr
		ua   string
	}{
		{"yesterday", day.AddDate(0, 0, -1), ip, uaChrome},
		{"tomorrow by UTC, today elsewhere", time.Date(2026, 11, 26, 22, 0, 0, 0, time.FixedZone("UTC-3", -3*3600)), ip, uaChrome},
		{"other IPv4", day, netip.MustParseAddr("192.0.2.2"), uaChrome},
		{"IPv6", day, netip.MustParseAddr("2001:db8::1"), uaChrome},
		{"other agent", day, ip, uaFirefox},
		{"empty agent", day, ip, ""},
		{"agent with a NUL", day, ip, "\x00" + uaChrome},
	}
	seen := map[uint64]string{base: "base"}
	for _, tt := range different {
		got := h.Hash(tt.day, tt.ip, tt.ua)
		if prev, ok := seen[got]; ok {
			t.Errorf("%s: Hash(%v, %v, %.20q) = %#x, the same as %s", tt.name, tt.day, tt.ip, tt.ua, got, prev)
		}
		seen[got] = tt.name
	}
}

// TestVisitorHashIPv6Network: one IPv6 subscriber, who may use a fresh
// address of their /64 for every request, is one visitor; the configured
// prefix decides what one network is.
func TestVisitorHashIPv6Network(t *testing.T) {
	now := testNow()
	store := NewMemorySecretStore()
	for _, tt := range []struct {
		bits       int
		same, diff []string // addresses with the hash of 2001:db8:7:7::1, and without it
	}{
		{0, []string{"2001:db8:7:7::2", "2001:db8:7:7:ffff:ffff:ffff:ffff", "2001:db8:7:7::1%eth0"}, []string{"2001:db8:7:8::1", "2001:db8:8:7::1"}},
		{48, []string{"2001:db8:7:7::2", "2001:db8:7:8::1"}, []string{"2001:db8:8:7::1"}},
		{128, nil, []string{"2001:db8:7:7::2", "2001:db8:7:8::1"}},
	} {
		h, err := NewVisitorHasher(store, tt.bits, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		h.now = func() time.Time { return now }
		base := h.Hash(now, netip.MustParseAddr("2001:db8:7:7::1"), uaChrome)
		for _, a := range tt.same {
			if got := h.Hash(now, netip.MustParseAddr(a), uaChrome); got != base {
				t.Errorf("/%d: Hash(%s) = %#x, want %#x as 2001:db8:7:7::1", tt.bits, a, got, base)
			}
		}
		for _, a := range tt.diff {
			if got := h.Hash(now, netip.MustParseAddr(a), uaChrome); got == base {
				t.Errorf("/%d: Hash(%s) = %#x, the hash of 2001:db8:7:7::1", tt.bits, a, got)
			}
		}
	}
}

// TestVisitorHashIsHMAC checks the hash against crypto/hmac, with the
// day's secret read from the store.
func TestVisitorHashIsHMAC(t *testing.T) {
	now := testNow()
	store := NewMemorySecretStore()
	h := newTestHasher(t, store, &now)
	for _, tt := range []struct {
		in     string
		hashed string // the address whose bytes are hashed
		ua     string
	}{
		{"192.0.2.1", "192.0.2.1", uaChrome},
		{"2001:db8::1", "2001:db8::", uaFirefox},
		{"2001:db8:7:7:aaaa:bbbb:cccc:dddd", "2001:db8:7:7::", uaFirefox},
		{"::ffff:203.0.113.9", "203.0.113.9", ""},
		{"198.51.100.1", "198.51.100.1", string(bytes.Repeat([]byte("long agent "), 100))},
	} {
		ip := netip.MustParseAddr(tt.hashed)
		got := h.Hash(now, netip.MustParseAddr(tt.in), tt.ua)
		secret, err := store.DailySecret(context.Background(), "2026-11-26", nil)
		if err != nil || len(secret) != 32 {
			t.Fatalf("DailySecret(2026-11-26) = %x, %v, want 32 bytes", secret, err)
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(ip.AsSlice())
		mac.Write([]byte{0})
		mac.Write([]byte(tt.ua))
		if want := binary.BigEndian.Uint64(mac.Sum(nil)); got != want {
			t.Errorf("Hash(%s, %.20q) = %#x, want HMAC-SHA256 prefix %#x of %s", tt.in, tt.ua, got, want, tt.hashed)
		}
	}
	if slices.ContainsFunc(h.msg[:cap(h.msg)], func(b byte) bool { return b != 0 }) {
		t.Errorf("the scratch buffer keeps %x after Hash, want zeros", h.msg[:cap(h.msg)])
	}
}

// TestVisitorHashAcrossNodes: hashers sharing a store agree, whoever made
// the secret first.
func TestVisitorHashAcrossNodes(t *testing.T) {
	now := testNow()
	store := NewMemorySecretStore()
	a, b := newTestHasher(t, store, &now), newTestHasher(t, store, &now)
	ip := netip.MustParseAddr("192.0.2.1")
	if ha, hb := a.Hash(now, ip, uaChrome), b.Hash(now, ip, uaChrome); ha != hb {
		t.Errorf("node a Hash = %#x, node b Hash = %#x, want equal", ha, hb)
	}
	other := newTestHasher(t, NewMemorySecretStore(), &now)
	if ha, ho := a.Hash(now, ip, uaChrome), other.Hash(now, ip, uaChrome); ha == ho {
		t.Errorf("hashers with separate stores agree (%#x), want different secrets", ha)
	}
	if got, want := store.Days(), []string{"2026-11-26"}; !slices.Equal(got, want) {
		t.Errorf("store days = %v, want %v", got, want)
	}
}

func TestVisitorSecretRotation(t *testing.T) {
	now := testNow() // 2026-11-26
	store := NewMemorySecretStore()
	ctx := context.Background()
	// Secrets another node left behind days ago, and one out of the sweep.
	for _, day := range []string{"2026-11-20", "2026-11-23", "2026-11-01"} {
		if _, err := store.DailySecret(ctx, day, bytes.Repeat([]byte{1}, 32)); err != nil {
			t.Fatal(err)
		}
	}
	h := newTestHasher(t, store, &now)
	ip := netip.MustParseAddr("192.0.2.1")

	today := h.Hash(now, ip, uaChrome)
	late := h.Hash(now.AddDate(0, 0, -1), ip, uaChrome) // a late click of yesterday
	if got, want := store.Days(), []string{"2026-11-01", "2026-11-25", "2026-11-26"}; !slices.Equal(got, want) {
		t.Errorf("store days after the first clicks = %v, want %v", got, want)
	}
	old := h.secrets["2026-11-25"]
	if old == nil {
		t.Fatal("no secret of 2026-11-25 in memory")
	}

	// Next day: 2026-11-25 is now the day before yesterday.
	now = now.AddDate(0, 0, 1)
	if got := h.Hash(now.AddDate(0, 0, -1), ip, uaChrome); got != today {
		t.Errorf("yesterday's Hash the next day = %#x, want %#x as the day before", got, today)
	}
	if got, want := store.Days(), []string{"2026-11-01", "2026-11-26"}; !slices.Equal(got, want) {
		t.Errorf("store days after rotation = %v, want %v", got, want)
	}
	if _, ok := h.secrets["2026-11-25"]; ok {
		t.Errorf("the secret of 2026-11-25 is still in memory after rotation")
	}
	if len(old.inner) == 0 || len(old.outer) == 0 ||
		slices.ContainsFunc(append(old.inner, old.outer...), func(b byte) bool { return b != 0 }) {
		t.Errorf("the secret of 2026-11-25 was not overwritten with zeros")
	}

	// A click dated before yesterday cannot be linked: each gets a one-off
	// secret, and no secret is made for its day again.
	a := h.Hash(now.AddDate(0, 0, -2), ip, uaChrome)
	b := h.Hash(now.AddDate(0, 0, -2), ip, uaChrome)
	if a == b || a == late {
		t.Errorf("Hash of a destroyed day = %#x then %#x (the day's old hash %#x), want all different", a, b, late)
	}
	if got, want := store.Days(), []string{"2026-11-01", "2026-11-26"}; !slices.Equal(got, want) {
		t.Errorf("store days after hashing a destroyed day = %v, want %v", got, want)
	}

	// Rotate destroys secrets on days without clicks too.
	now = now.AddDate(0, 0, 5)
	if err := h.Rotate(ctx); err != nil {
		t.Fatalf("Rotate() = %v, want nil", err)
	}
	if got := store.Days(); len(got) != 1 || got[0] != "2026-11-01" {
		t.Errorf("store days after Rotate = %v, want [2026-11-01] (out of the sweep)", got)
	}
	if len(h.secrets) != 0 {
		t.Errorf("secrets in memory after Rotate = %d, want 0", len(h.secrets))
	}
}

// flakyStore is a SecretStore that fails while down is set.
type flakyStore struct {
	*MemorySecretStore
	mu    sync.Mutex
	down  bool
	calls int
	short bool // return a secret of the wrong length
}

func (f *flakyStore) DailySecret(ctx context.Context, day string, fresh []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, tiny.Errorf(tiny.Unavailable, "store down")
	}
	if f.short {
		return []byte("short"), nil
	}
	return f.MemorySecretStore.DailySecret(ctx, day, fresh)
}

func (f *flakyStore) DeleteDailySecret(ctx context.Context, day string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return tiny.Errorf(tiny.Unavailable, "store down")
	}
	return f.MemorySecretStore.DeleteDailySecret(ctx, day)
}

func TestVisitorHashStoreDown(t *testing.T) {
	for _, short := range []bool{false, true} {
		now := testNow()
		store := &flakyStore{MemorySecretStore: NewMemorySecretStore(), down: !short, short: short}
		h := newTestHasher(t, store, &now)
		ip := netip.MustParseAddr("192.0.2.1")

		local := h.Hash(now, ip, uaChrome)
		if got := h.Hash(now, ip, uaChrome); got != local {
			t.Errorf("short=%v: Hash with the store down = %#x then %#x, want stable on this node", short, local, got)
		}
		if store.calls != 1 {
			t.Errorf("short=%v: store asked %d times within the retry interval, want 1", short, store.calls)
		}

		store.mu.Lock()
		store.down, store.short = false, false
		store.mu.Unlock()
		now = now.Add(secretRetry)
		shared := h.Hash(now, ip, uaChrome)
		other := newTestHasher(t, store, &now)
		if want := other.Hash(now, ip, uaChrome); shared != want {
			t.Errorf("short=%v: Hash after the store is back = %#x, want the shared %#x", short, shared, want)
		}
		if shared == local {
			t.Errorf("short=%v: Hash after the store is back = the node-local hash %#x", short, local)
		}
	}
}

func TestVisitorRotateStoreDown(t *testing.T) {
	now := testNow()
	store := &flakyStore{MemorySecretStore: NewMemorySecretStore()}
	h := newTestHasher(t, store, &now)
	h.Hash(now, netip.MustParseAddr("192.0.2.1"), uaChrome)
	store.down = true
	now = now.AddDate(0, 0, 3)
	if err := h.Rotate(context.Background()); !tiny.IsCode(err, tiny.Unavailable) {
		t.Errorf("Rotate() with the store down = %v, want unavailable", err)
	}
	if len(h.secrets) != 0 {
		t.Errorf("secrets in memory after a failed Rotate = %d, want 0: memory is wiped regardless", len(h.secrets))
	}
	store.down = false
	if err := h.Rotate(context.Background()); err != nil {
		t.Errorf("Rotate() = %v, want nil", err)
	}
	if days := store.Days(); len(days) != 0 {
		t.Errorf("store days after the retried Rotate = %v, want none", days)
	}
}

func TestNewVisitorHasherNoStore(t *testing.T) {
	if _, err := NewVisitorHasher(nil, 0, nil); !tiny.IsCode(err, tiny.Invalid) {
		t.Errorf("NewVisitorHasher(nil) = %v, want an invalid error", err)
	}
	for _, bits := range []int{16, 129} {
		if _, err := NewVisitorHasher(NewMemorySecretStore(), bits, nil); !tiny.IsCode(err, tiny.Invalid) {
			t.Errorf("NewVisitorHasher(store, %d) = %v, want an invalid error", bits, err)
		}
	}
	if _, err := NewEnricher(EnricherConfig{}); !tiny.IsCode(err, tiny.Invalid) {
		t.Errorf("NewEnricher(no Secrets) = %v, want an invalid error", err)
	}
}

// fakeSettings is a settings store with the semantics of tiny.SettingStore
// and a DeleteSetting that reports not_found.
type fakeSettings struct{ m map[string][]byte }

func (f *fakeSettings) Setting(_ context.Context, name string, value []byte) ([]byte, error) {
	if v, ok := f.m[name]; ok {
		return slices.Clone(v), nil
	}
	f.m[name] = slices.Clone(value)
	return slices.Clone(value), nil
}

func (f *fakeSettings) DeleteSetting(_ context.Context, name string) error {
	if _, ok := f.m[name]; !ok {
		return tiny.Errorf(tiny.NotFound, "no setting %s", name)
	}
	delete(f.m, name)
	return nil
}

func TestSettingSecrets(t *testing.T) {
	ctx := context.Background()
	settings := &fakeSettings{m: map[string][]byte{}}
	s := SettingSecrets(settings)
	first, err := s.DailySecret(ctx, "2026-11-26", []byte("first"))
	if err != nil || string(first) != "first" {
		t.Fatalf("DailySecret(2026-11-26, first) = %q, %v, want \"first\", nil", first, err)
	}
	if got, err := s.DailySecret(ctx, "2026-11-26", []byte("second")); err != nil || string(got) != "first" {
		t.Errorf("DailySecret(2026-11-26, second) = %q, %v, want the first writer's \"first\"", got, err)
	}
	if _, ok := settings.m["visitor_secret:2026-11-26"]; !ok {
		t.Errorf("settings = %v, want the key visitor_secret:2026-11-26", settings.m)
	}
	if err := s.DeleteDailySecret(ctx, "2026-11-26"); err != nil {
		t.Errorf("DeleteDailySecret(2026-11-26) = %v, want nil", err)
	}
	if len(settings.m) != 0 {
		t.Errorf("settings after delete = %v, want none", settings.m)
	}
	if err := s.DeleteDailySecret(ctx, "2026-11-26"); err != nil {
		t.Errorf("DeleteDailySecret of a missing day = %v, want nil", err)
	}
	failing := SettingSecrets(&failingSettings{})
	if err := failing.DeleteDailySecret(ctx, "2026-11-26"); !errors.Is(err, errSettings) {
		t.Errorf("DeleteDailySecret with a failing store = %v, want its error", err)
	}
}

var errSettings = errors.New("settings down")

type failingSettings struct{}

func (failingSettings) Setting(context.Context, string, []byte) ([]byte, error) {
	return nil, errSettings
}
func (failingSettings) DeleteSetting(context.Context, string) error { return errSettings }
