package importer

import (
	"io"

	"tiny/internal/tiny"
)

// Format is a source an import reads: a file exported from another
// product, or that product's API.
type Format struct {
	Name  string // as the API and the form name it
	Title string
	// API formats read BaseURL with a token; the others read a file.
	API bool
	// Help says, in a sentence, where the file or the token comes from.
	Help string
}

// Formats are the sources the import jobs read, in the order a form lists
// them.
var Formats = []Format{
	{Name: "csv", Title: "tiny CSV", Help: "A CSV file with a header row naming tiny's columns: url (required), alias, title, tags, expires_at, max_clicks, redirect."},
	{Name: "bitly-csv", Title: "Bitly CSV export", Help: "In Bitly, open Links, select them and choose Export; upload the CSV it downloads."},
	{Name: "bitly-api", Title: "Bitly API", API: true, Help: "A Bitly access token (Settings → API); the address is https://api-ssl.bitly.com unless you proxy it."},
	{Name: "shlink-csv", Title: "Shlink CSV export", Help: "In Shlink's web client, open Short URLs and choose Export to CSV; upload that file."},
	{Name: "shlink-api", Title: "Shlink API", API: true, Help: "Your Shlink server's address and an API key made with shlink api-key:generate."},
	{Name: "yourls-sql", Title: "YOURLS database dump", Help: "A mysqldump of the YOURLS database (or of its yourls_url table) as a .sql file."},
	{Name: "yourls-csv", Title: "YOURLS table as CSV", Help: "The yourls_url table exported as CSV (keyword, url, title, timestamp, ip, clicks), e.g. from phpMyAdmin."},
	{Name: "yourls-api", Title: "YOURLS API", API: true, Help: "Your YOURLS address and its signature token (Tools → Secure passwordless API)."},
	{Name: "kutt-api", Title: "Kutt API", API: true, Help: "Your Kutt server's address and an API key from its Settings page."},
}

// FormatNamed returns the format called name.
func FormatNamed(name string) (Format, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// OpenFile returns the reader of a file in format.
func OpenFile(format string, r io.Reader) (Reader, error) {
	switch format {
	case "csv":
		return NewCSV(r), nil
	case "bitly-csv":
		return NewBitlyCSV(r), nil
	case "shlink-csv":
		return NewShlinkCSV(r), nil
	case "yourls-sql":
		return NewYOURLSDump(r, ""), nil
	case "yourls-csv":
		return NewYOURLSCSV(r), nil
	}
	if f, ok := FormatNamed(format); ok && f.API {
		return nil, tiny.FieldErrorf(tiny.Invalid, "format", "format %s reads an API: give its address and token, not a file", format)
	}
	return nil, unknownFormat(format)
}

// OpenAPI returns the reader of a foreign API in format.
func OpenAPI(format string, cfg APIConfig) (Reader, error) {
	var r Reader
	var err error
	switch format {
	case "bitly-api":
		r, err = NewBitlyAPI(BitlyConfig{APIConfig: cfg})
	case "shlink-api":
		r, err = NewShlinkAPI(cfg)
	case "yourls-api":
		r, err = NewYOURLSAPI(YOURLSConfig{APIConfig: cfg})
	case "kutt-api":
		r, err = NewKuttAPI(cfg)
	default:
		if _, ok := FormatNamed(format); ok {
			return nil, tiny.FieldErrorf(tiny.Invalid, "format", "format %s reads a file: upload it", format)
		}
		return nil, unknownFormat(format)
	}
	if err != nil {
		return nil, tiny.FieldErrorf(tiny.Invalid, "url", "%v", err)
	}
	return r, nil
}

func unknownFormat(name string) error {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = f.Name
	}
	return tiny.FieldErrorf(tiny.Invalid, "format", "format %q is not one tiny reads; use one of %v", truncate(name), names)
}
