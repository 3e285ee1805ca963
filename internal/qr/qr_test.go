package qr

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decode reads the QR code in img with a real reader.
func decode(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR reader could not read the code: %v", err)
	}
	return res.GetText()
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

// TestSVGDecodesToTheText draws the SVG's path back into pixels, one
// module a 4×4 square, and reads that with the QR reader: the SVG holds
// the same code.
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
	total := c.Modules() + 2*quietZone
	const px = 4
	img := image.NewGray(image.Rect(0, 0, total*px, total*px))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	re := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`)
	runs := re.FindAllStringSubmatch(string(svg), -1)
	if len(runs) == 0 {
		t.Fatal("the SVG has no dark modules")
	}
	for _, m := range runs {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		draw.Draw(img, image.Rect(x*px, y*px, (x+w)*px, (y+1)*px), image.Black, image.Point{}, draw.Src)
	}
	if got := decode(t, img); got != text {
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
