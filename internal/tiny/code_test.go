package tiny_test

import (
	"bytes"
	"math/bits"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

func testCodec(t testing.TB) *tiny.Codec {
	t.Helper()
	c, err := tiny.NewCodec(bytes.Repeat([]byte{0x5a}, tiny.CodeKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCodecMillionIDs checks the properties the short-code scheme promises
// over 1,000,000 consecutive ids: every code is distinct, fixed-width and
// decodes back to its id, and consecutive ids do not give visibly
// consecutive codes.
func TestCodecMillionIDs(t *testing.T) {
	const n = 1_000_000
	c := testCodec(t)
	seen := make(map[string]int64, n)
	var prev string
	var prevValue uint64
	sameLast, sameFirstSix, flippedBits := 0, 0, 0
	for id := int64(1); id <= n; id++ {
		code := c.Encode(id)
		if len(code) != tiny.CodeLength {
			t.Fatalf("Encode(%d) = %q, want %d characters", id, code, tiny.CodeLength)
		}
		if other, dup := seen[code]; dup {
			t.Fatalf("Encode(%d) = %q, the same as Encode(%d)", id, code, other)
		}
		seen[code] = id
		got, ok := c.Decode(code)
		if !ok || got != id {
			t.Fatalf("Decode(Encode(%d)) = %d, %v, want %d, true", id, got, ok, id)
		}
		value := base62Value(code)
		if prev != "" {
			if code[6] == prev[6] {
				sameLast++
			}
			if code[:6] == prev[:6] {
				sameFirstSix++
			}
			flippedBits += bits.OnesCount64(value ^ prevValue)
		}
		prev, prevValue = code, value
	}
	// With random-looking codes, neighbours share their last character about
	// 1 time in 62, their first six almost never, and differ in about half
	// of the 40 bits they encode. A sequential scheme shares the first six
	// nearly always and flips about 2 bits.
	if rate := float64(sameLast) / n; rate > 2.0/62 {
		t.Errorf("consecutive codes share the last character %.2f%% of the time, want about %.2f%%", rate*100, 100.0/62)
	}
	if sameFirstSix > 10 {
		t.Errorf("consecutive codes share the first six characters %d times, want about 0", sameFirstSix)
	}
	if avg := float64(flippedBits) / (n - 1); avg < 19 || avg > 21 {
		t.Errorf("consecutive codes differ in %.2f of 40 bits on average, want about 20", avg)
	}
}

// base62Value is the number a code spells, without the permutation undone.
func base62Value(code string) uint64 {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var v uint64
	for i := 0; i < len(code); i++ {
		v = v*62 + uint64(strings.IndexByte(alphabet, code[i]))
	}
	return v
}

// TestCodecKeyed checks that another key gives other codes, so codes cannot
// be predicted without the instance's key.
func TestCodecKeyed(t *testing.T) {
	a := testCodec(t)
	b, err := tiny.NewCodec(bytes.Repeat([]byte{0x01}, tiny.CodeKeySize))
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for id := int64(1); id <= 1000; id++ {
		if a.Encode(id) == b.Encode(id) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d of 1000 ids have the same code under two keys, want 0", same)
	}
}

func TestCodecDecodeRejects(t *testing.T) {
	c := testCodec(t)
	for _, code := range []string{"", "abc", "abcdefgh", "abc-def", "abc_def", "zzzzzzz", "é123456", "abcdef\x00"} {
		if id, ok := c.Decode(code); ok {
			t.Errorf("Decode(%q) = %d, true, want false", code, id)
		}
	}
}

func TestNewCodecKeySize(t *testing.T) {
	if _, err := tiny.NewCodec(make([]byte, 8)); err == nil {
		t.Errorf("NewCodec(8 bytes) = nil error, want an error")
	}
}

func FuzzCodecDecode(f *testing.F) {
	c := testCodec(f)
	for _, s := range []string{"0000000", "zzzzzzz", "4xcxvHa", "abc", "", "a-b_c12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		id, ok := c.Decode(code)
		if !ok {
			return
		}
		if id < 1 || id > tiny.MaxID {
			t.Fatalf("Decode(%q) = %d, outside 1..MaxID", code, id)
		}
		if back := c.Encode(id); back != code {
			t.Fatalf("Encode(Decode(%q)) = %q, want the input back", code, back)
		}
	})
}

func BenchmarkCodecEncode(b *testing.B) {
	c := testCodec(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = c.Encode(int64(i%tiny.MaxID) + 1)
	}
}

func BenchmarkCodecDecode(b *testing.B) {
	c := testCodec(b)
	code := c.Encode(123456789)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Decode(code); !ok {
			b.Fatal("decode failed")
		}
	}
}
