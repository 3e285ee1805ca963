// Package qr draws QR codes of short links as SVG, PNG and terminal text.
// The encoding is boombuler/barcode's; this package adds the quiet zone,
// the output formats and the size rules the API, the web app and the CLI
// share.
package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/boombuler/barcode"
	bqr "github.com/boombuler/barcode/qr"

	"tiny/internal/tiny"
)

// Size limits of a rendered code, in pixels (PNG) or user units (SVG).
const (
	MinSize     = 64
	MaxSize     = 2048
	DefaultSize = 256
)

// quietZone is the blank margin around the code, in modules: the four the
// standard asks for, so every reader finds the code on any background.
const quietZone = 4

// Code is an encoded QR code: a square of dark and light modules.
type Code struct {
	modules [][]bool // [y][x], true for dark
}

// Encode returns the QR code of text at error correction level M, which
// survives a smudge or a logo over 15% of it.
func Encode(text string) (*Code, error) {
	b, err := bqr.Encode(text, bqr.M, bqr.Auto)
	if err != nil {
		return nil, tiny.Errorf(tiny.Invalid, "the text is too long for a QR code")
	}
	return fromBarcode(b), nil
}

func fromBarcode(b barcode.Barcode) *Code {
	r := b.Bounds()
	n := r.Dx()
	m := make([][]bool, n)
	for y := range n {
		m[y] = make([]bool, n)
		for x := range n {
			c := color.GrayModel.Convert(b.At(r.Min.X+x, r.Min.Y+y)).(color.Gray)
			m[y][x] = c.Y < 128
		}
	}
	return &Code{modules: m}
}

// Modules returns the width of the code in modules, without the quiet
// zone.
func (c *Code) Modules() int { return len(c.modules) }

// dark reports whether the module at x, y of the code with its quiet zone
// is dark.
func (c *Code) dark(x, y int) bool {
	x, y = x-quietZone, y-quietZone
	n := len(c.modules)
	return x >= 0 && y >= 0 && x < n && y < n && c.modules[y][x]
}

// CheckSize returns an Invalid error for a size outside MinSize..MaxSize.
func CheckSize(size int) error {
	if size < MinSize || size > MaxSize {
		return tiny.FieldErrorf(tiny.Invalid, "size", "size must be from %d to %d", MinSize, MaxSize)
	}
	return nil
}

// PNG returns the code as a black-on-white PNG of size×size pixels. Each
// module is a whole number of pixels, so the code stays sharp; the margin
// takes what is left over.
func (c *Code) PNG(size int) ([]byte, error) {
	if err := CheckSize(size); err != nil {
		return nil, err
	}
	total := len(c.modules) + 2*quietZone
	scale := max(size/total, 1)
	offset := (size - scale*total) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y := range total {
		for x := range total {
			if !c.dark(x, y) {
				continue
			}
			for dy := range scale {
				row := img.Pix[(offset+y*scale+dy)*img.Stride:]
				for dx := range scale {
					row[offset+x*scale+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG returns the code as an SVG image of size×size, one path of unit
// squares scaled by the viewBox, with a white background so it reads in a
// dark theme too.
func (c *Code) SVG(size int) ([]byte, error) {
	if err := CheckSize(size); err != nil {
		return nil, err
	}
	total := len(c.modules) + 2*quietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code">`, size, size, total, total)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, total, total)
	for y := range total {
		for x := 0; x < total; x++ {
			if !c.dark(x, y) {
				continue
			}
			run := 1 // a horizontal run of dark modules is one rectangle
			for x+run < total && c.dark(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run - 1
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}

// Terminal returns the code drawn with half-block characters, two rows of
// modules to a line, light on dark as terminals show best when inverted:
// a dark module is a space on the terminal's light-coloured block.
func (c *Code) Terminal() string {
	total := len(c.modules) + 2*quietZone
	var b strings.Builder
	for y := 0; y < total; y += 2 {
		for x := range total {
			top, bottom := !c.dark(x, y), y+1 < total && !c.dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
