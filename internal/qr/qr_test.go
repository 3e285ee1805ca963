package qr

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"tiny/internal/qr/qrtest"
)

// decode reads the QR code in img with a real reader.
func decode(t *testing.T, img image.Image) string {
	t.Helper()
	text, err := qrtest.Decode(img)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestPNGDecodesToTheText(t *testing.T) {
	for _, text := range []string{
		"http://127.0.0.1:8080/Ab3dE9x",
		"https://tiny.example/" + strings.Repeat("long-alias-", 5),
	} {
		c, err := Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{MinSize * 2, DefaultSize, 1000} {
			b, err := c.PNG(size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds().Dx(); got != size {
				t.Errorf("PNG(%d) is %d px wide", size, got)
			}
			if got := decode(t, img); got != text {
				t.Errorf("PNG(%d) of %q decodes to %q", size, text, got)
			}
		}
	}
}

// TestSVGDecodesToTheText draws the SVG's path back into pixels and reads
// that with the QR reader: the SVG holds the same code.
func TestSVGDecodesToTheText(t *testing.T) {
	const text = "http://127.0.0.1:8080/xyz1234"
	c, err := Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := c.SVG(300)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(`width="300"`)) || !bytes.HasPrefix(svg, []byte("<svg ")) {
		t.Fatalf("SVG(300) = %.80s…, want an svg element 300 wide", svg)
	}
	got, err := qrtest.DecodeSVG(svg)
	if err != nil {
		t.Fatal(err)
	}
	if got != text {
		t.Errorf("the SVG decodes to %q, want %q", got, text)
	}
}

func TestSizeLimits(t *testing.T) {
	c, err := Encode("http://x.test/a")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, MinSize - 1, MaxSize + 1} {
		if _, err := c.PNG(size); err == nil {
			t.Errorf("PNG(%d) = nil error, want the size refused", size)
		}
		if _, err := c.SVG(size); err == nil {
			t.Errorf("SVG(%d) = nil error, want the size refused", size)
		}
	}
}

func TestTerminalDrawsEveryModule(t *testing.T) {
	c, err := Encode("http://x.test/abc")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(c.Terminal(), "\n"), "\n")
	total := c.Modules() + 2*quietZone
	if len(lines) != (total+1)/2 {
		t.Errorf("Terminal() has %d lines, want %d", len(lines), (total+1)/2)
	}
	for i, l := range lines {
		if n := len([]rune(l)); n != total {
			t.Fatalf("line %d is %d wide, want %d", i, n, total)
		}
	}
	// The quiet zone's first line is all light.
	if lines[0] != strings.Repeat("█", total) {
		t.Errorf("the first line is %q, want the light quiet zone", lines[0])
	}
}

// TestDecodesWhatTheDetectorMisreads: a short link whose sharp PNG the
// reader's photo detector misreads (it finds the wrong module count) is
// still read back exactly, as a pure barcode.
func TestDecodesWhatTheDetectorMisreads(t *testing.T) {
	for _, text := range []string{"http://127.0.0.1:30492/journey", "http://127.0.0.1:31127/journey"} {
		c, err := Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.PNG(DefaultSize)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := qrtest.DecodePNG(b); err != nil || got != text {
			t.Errorf("the QR code of %s reads %q, %v", text, got, err)
		}
	}
}
