// Package qrtest reads QR codes back for tests, with a real reader
// (gozxing): the PNGs and SVGs package qr draws, wherever they were served.
package qrtest

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"regexp"
	"strconv"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Decode reads the QR code in img, a picture of the code alone as package
// qr draws it. The reader's detector, made for photographs, misreads about
// 1 in 300 of these sharp pictures (21 of 6,000 short links of one shape:
// it finds a finder pattern in the data, or the wrong module count), so a
// picture it cannot read is read again as a pure barcode: the module grid
// sampled from the code's own bounds, the Reed-Solomon check included.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		pure := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
		var perr error
		if res, perr = zxqr.NewQRCodeReader().Decode(bmp, pure); perr != nil {
			return "", fmt.Errorf("the QR reader could not read the code: %w (as a pure barcode: %v)", err, perr)
		}
	}
	return res.GetText(), nil
}

// DecodePNG reads the QR code in a PNG.
func DecodePNG(b []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	return Decode(img)
}

var (
	svgViewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	svgRun     = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`)
)

// DecodeSVG draws the path of an SVG of package qr back into pixels, a
// module a 4×4 square, and reads the code in that.
func DecodeSVG(svg []byte) (string, error) {
	m := svgViewBox.FindSubmatch(svg)
	if m == nil {
		return "", fmt.Errorf("the SVG has no viewBox of modules")
	}
	total, _ := strconv.Atoi(string(m[1]))
	const px = 4
	img := image.NewGray(image.Rect(0, 0, total*px, total*px))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	runs := svgRun.FindAllSubmatch(svg, -1)
	if len(runs) == 0 {
		return "", fmt.Errorf("the SVG has no dark modules")
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(string(r[1]))
		y, _ := strconv.Atoi(string(r[2]))
		w, _ := strconv.Atoi(string(r[3]))
		draw.Draw(img, image.Rect(x*px, y*px, (x+w)*px, (y+1)*px), image.Black, image.Point{}, draw.Src)
	}
	return Decode(img)
}
