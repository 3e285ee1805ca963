package importer

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"tiny/internal/tiny"
)

// UploadBodyLimit bounds the body of a request that uploads a file to
// import: the file and the form's other fields.
const UploadBodyLimit = MaxFileBytes + 1<<20

// uploadMemory is how much of an upload is held in memory while the form
// is parsed; the rest goes to a temporary file.
const uploadMemory = 8 << 20

// IsUpload reports whether r's body is a multipart form.
func IsUpload(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// ParseUpload reads r's multipart form, at most UploadBodyLimit bytes; the
// caller removes it with r.MultipartForm.RemoveAll.
func ParseUpload(w http.ResponseWriter, r *http.Request) error {
	if !IsUpload(r) {
		return tiny.Errorf(tiny.Unsupported, "send the file as multipart/form-data")
	}
	r.Body = http.MaxBytesReader(w, r.Body, UploadBodyLimit)
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return tiny.FieldErrorf(tiny.TooLarge, "file", "the file must be at most %d MiB", MaxFileBytes>>20)
		}
		return tiny.Errorf(tiny.Invalid, "the form could not be read as multipart/form-data")
	}
	return nil
}

// FileSourceOf returns the file import a parsed upload form asks for: its
// fields format, file and dry_run.
func FileSourceOf(r *http.Request) (FileSource, error) {
	src := FileSource{Format: strings.TrimSpace(r.FormValue("format")), DryRun: Truthy(r.FormValue("dry_run"))}
	if src.Format == "" {
		return src, tiny.FieldErrorf(tiny.Invalid, "format", "choose the format of the file")
	}
	if _, err := OpenFile(src.Format, strings.NewReader("")); err != nil {
		return src, err
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) != 1 {
		return src, tiny.FieldErrorf(tiny.Invalid, "file", "choose one file to import")
	}
	fh := r.MultipartForm.File["file"][0]
	if fh.Size > MaxFileBytes {
		return src, tiny.FieldErrorf(tiny.TooLarge, "file", "the file must be at most %d MiB", MaxFileBytes>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return src, err
	}
	defer f.Close()
	if src.Data, err = io.ReadAll(io.LimitReader(f, MaxFileBytes+1)); err != nil {
		return src, err
	}
	if len(src.Data) == 0 {
		return src, tiny.FieldErrorf(tiny.Invalid, "file", "the file is empty")
	}
	src.Name = fh.Filename
	return src, nil
}

// Truthy reads a form's checkbox or flag: "on", "true", "1", "yes".
func Truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}
