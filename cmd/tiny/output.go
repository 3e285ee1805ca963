package main

import (
	"io"
	"text/tabwriter"
	"time"
)

// The output of the commands: aligned tables for people, the API's JSON as
// received for scripts (--json).

// table returns a writer that aligns tab-separated columns; Flush prints.
func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// when prints a time for a table, "-" for none.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// orDash prints "-" for an empty value, so that columns stay aligned.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeRaw prints an API answer as received, ending with a newline.
func writeRaw(w io.Writer, b []byte) error {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}
