package safebrowsing

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"testing"
	"time"
)

// Prefixes of mixed sizes keep byte order, which removal indices and the
// checksum depend on.
func TestPrefixSetMixedSizes(t *testing.T) {
	s, err := (&prefixSet{}).apply(nil, setOf("bbbb", "aaaaa", "aaaa", "abcdefgh", "bbbb"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	s.each(func(p []byte) { got = append(got, string(p)) })
	want := []string{"aaaa", "aaaaa", "abcdefgh", "bbbb"}
	if !slices.Equal(got, want) {
		t.Fatalf("each = %q, want %q", got, want)
	}
	if sum := sha256.Sum256([]byte("aaaaaaaaaabcdefghbbbb")); !bytes.Equal(s.checksum(), sum[:]) {
		t.Error("checksum is not the SHA-256 of the prefixes in byte order")
	}
	s, err = s.apply([]int32{1, 3}, setOf("cccc"))
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	s.each(func(p []byte) { got = append(got, string(p)) })
	if want := []string{"aaaa", "abcdefgh", "cccc"}; !slices.Equal(got, want) {
		t.Errorf("after removing indices 1 and 3: %q, want %q", got, want)
	}
	h := sha256.Sum256([]byte("x"))
	copy(h[:], "abcdefgh")
	if p, ok := s.match(&h); !ok || p != "abcdefgh" {
		t.Errorf("match(long prefix) = %q, %v", p, ok)
	}
	copy(h[:], "abcdzzzz")
	if p, ok := s.match(&h); ok {
		t.Errorf("match(other) = %q, true", p)
	}
	if _, err := s.apply([]int32{3}, setOf()); err == nil {
		t.Error("apply(index out of range) = nil error")
	}
	if err := decodeHashes(ThreatEntrySet{CompressionType: Raw, RawHashes: &RawHashes{PrefixSize: 3, RawHashes: []byte("abcdef")}}, setOf()); err == nil {
		t.Error("decodeHashes(3-byte prefixes) = nil error")
	}
}

func TestDecodeRice(t *testing.T) {
	// k=2: 5, then deltas 3 (q0 r3: 0 11) and 9 (q2 r1: 110 10), least
	// significant bit first: 0b01011110.
	got, err := decodeRice(&RiceDeltaEncoding{FirstValue: 5, RiceParameter: 2, NumEntries: 2, EncodedData: []byte{0x5e}})
	if err != nil || !slices.Equal(got, []uint32{5, 8, 17}) {
		t.Errorf("decodeRice = %v, %v; want [5 8 17]", got, err)
	}
	for _, bad := range []*RiceDeltaEncoding{
		nil,
		{FirstValue: 1, RiceParameter: 2, NumEntries: 3, EncodedData: []byte{0x5e}}, // runs out
		{FirstValue: 1, RiceParameter: 33, NumEntries: 1, EncodedData: []byte{0}},
		{FirstValue: -1},
		{FirstValue: 1<<32 - 1, RiceParameter: 0, NumEntries: 1, EncodedData: []byte{1}}, // overflows
	} {
		if v, err := decodeRice(bad); err == nil {
			t.Errorf("decodeRice(%+v) = %v, want an error", bad, v)
		}
	}
}

func TestNextUpdate(t *testing.T) {
	c, err := New(Config{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		failures   int
		serverWait time.Duration
		random     float64
		want       time.Duration
	}{
		{0, 0, 0.5, 30 * time.Minute},
		{0, 2 * time.Hour, 0.5, 2 * time.Hour}, // the server's minimum wait wins
		{1, 0, 0, 15 * time.Minute},
		{1, 0, 0.999, 15*time.Minute + time.Duration(0.999*float64(15*time.Minute))},
		{3, 0, 0.5, 90 * time.Minute},
		{3, 5 * time.Hour, 0.5, 5 * time.Hour},
		{8, 0, 0.9, 24 * time.Hour},
		{500, 0, 0.9, 24 * time.Hour},
	} {
		if got := c.nextUpdate(tc.failures, tc.serverWait, tc.random); got != tc.want {
			t.Errorf("nextUpdate(%d, %v, %v) = %v, want %v", tc.failures, tc.serverWait, tc.random, got, tc.want)
		}
	}
}

// setOf returns an unsorted set of additions, as decodeHashes builds.
func setOf(prefixes ...string) *prefixSet {
	s := &prefixSet{}
	for _, p := range prefixes {
		s.add([]byte(p))
	}
	return s
}
