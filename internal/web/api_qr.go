package web

import (
	"net/http"
	"strconv"

	"tiny/internal/qr"
	"tiny/internal/tiny"
)

// qrCacheControl lets the browser keep a QR code a few minutes: the short
// URL it holds does not change, but the link may be deleted.
const qrCacheControl = "private, max-age=300"

// linkQR draws the QR code of a link's short URL, as SVG (the default)
// or PNG, size pixels wide; download=1 asks the browser to save it.
func (s *Server) linkQR(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	format, err := choiceParam(r, "format", "svg", "png")
	if err != nil {
		return err
	}
	size := qr.DefaultSize
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return tiny.FieldErrorf(tiny.Invalid, "size", "size must be a whole number of pixels from %d to %d", qr.MinSize, qr.MaxSize)
		}
		size = n
	}
	if err := qr.CheckSize(size); err != nil {
		return err
	}
	l, err := s.links.Get(r.Context(), currentPrincipal(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	code, err := qr.Encode(s.shortURL(l))
	if err != nil {
		return err
	}
	draw, contentType := code.SVG, "image/svg+xml"
	if format == "png" {
		draw, contentType = code.PNG, "image/png"
	}
	body, err := draw(size)
	if err != nil {
		return err
	}
	disposition := "inline"
	if v, _ := strconv.ParseBool(q.Get("download")); v {
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", disposition+`; filename="`+l.Code+"."+format+`"`)
	h.Set("Cache-Control", qrCacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
	return nil
}
