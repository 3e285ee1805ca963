package app

import (
	"fmt"
	"html/template"
	"strings"
	"testing"
	"time"

	"tiny/internal/importer"
	"tiny/internal/tiny"
)

func importPage() Page {
	return Page{Title: "Import links", Section: "links", User: &tiny.User{ID: 1, Name: "mover", Role: tiny.RoleMember}, CSRF: "tok"}
}

func TestImportFormView(t *testing.T) {
	started := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	html := renderOf(t, "imports.html", &importView{
		Page: importPage(), Formats: importer.Formats, Format: "shlink-api", URL: "https://s.example/?x=<b>",
		Errors: map[string]string{"token": "give the API token"}, MaxMiB: 64, CanImport: true,
		Jobs: []*importer.Job{{ID: "ab12", Source: strings.Repeat("very-long-file-name-", 20) + ".csv", State: importer.Failed, StartedAt: started, DryRun: true}},
	})
	want := []string{
		`enctype="multipart/form-data"`, `name="csrf" value="tok"`, `<option value="shlink-api" selected>`,
		`value="https://s.example/?x=&lt;b&gt;"`, `id="import-token-error" role="alert">give the API token`,
		`aria-describedby="import-token-hint import-token-error" aria-invalid="true"`, "At most 64 MiB",
		`href="/app/links/import/jobs/ab12"`, "dry run", "import-failed",
	}
	for _, f := range importer.Formats {
		want = append(want, f.Title, template.HTMLEscapeString(f.Help))
	}
	wantIn(t, "the import form", html, want, `id="import-file-error"`, "may not import")
	if strings.Count(html, "<label") < 5 {
		t.Errorf("the form has fewer labels than fields")
	}

	viewer := renderOf(t, "imports.html", &importView{Page: importPage(), Formats: importer.Formats, Errors: map[string]string{}})
	wantIn(t, "a viewer's import page", viewer, []string{"may not import"}, `name="file"`, "Your recent imports")
}

func TestImportJobViewRunning(t *testing.T) {
	j := &importer.Job{ID: "ab12", Format: "kutt-api", Source: "https://kutt.example/", State: importer.Running,
		Progress: importer.Progress{Read: 200, Imported: 150, Total: -1}, StartedAt: time.Now()}
	html := renderOf(t, "import_job.html", &importJobView{Page: importPage(), Job: j, FormatTitle: "Kutt API", Refresh: true})
	wantIn(t, "a running job", html, []string{
		`data-refresh="2000"`, `src="/static/imports.js"`, "Running", "200 records read",
		`<progress id="import-progress">`, `action="/app/links/import/jobs/ab12/cancel"`, "Cancel the import",
	}, "Skipped", "See your links")

	j.Progress.Total = 1000
	sized := renderOf(t, "import_job.html", &importJobView{Page: importPage(), Job: j, Refresh: true})
	wantIn(t, "a running job of known size", sized, []string{`max="1000" value="200"`, "200 of 1000 records read"})
}

func TestImportJobViewEnded(t *testing.T) {
	end := time.Now()
	long := "https://example.com/" + strings.Repeat("path/", 400)
	var skipped []importer.Row
	for i := range 60 {
		skipped = append(skipped, importer.Row{Row: int64(i + 2), Slug: fmt.Sprintf("s%d/x", i), URL: long, Reason: importer.InvalidAlias, Detail: "a '/' is not allowed"})
	}
	sum := &importer.Summary{Read: 70, Imported: 8, Skipped: map[importer.Reason]int64{importer.InvalidAlias: 60, importer.AliasTaken: 2},
		SkippedRows: skipped, Flagged: []importer.Row{{Row: 3, Slug: "maybe", URL: "https://odd.example/", Detail: "looks like a login page"}}, FlaggedCount: 1}
	j := &importer.Job{ID: "cd34", Format: "shlink-csv", Source: "shlink.csv", State: importer.Done, Summary: sum,
		Progress: importer.Progress{Read: 70, Imported: 8, Skipped: 62, Flagged: 1, Total: 70}, StartedAt: end.Add(-time.Minute), EndedAt: &end}
	v := &importJobView{Page: importPage(), Job: j, FormatTitle: "Shlink CSV export",
		Reasons: []reasonCount{{importer.InvalidAlias, reasonTexts[importer.InvalidAlias], 60}, {importer.AliasTaken, reasonTexts[importer.AliasTaken], 2}}}
	v.Skipped, v.MoreSkipped = firstRows(sum.SkippedRows, sum.SkippedCount())
	v.Flagged, v.MoreFlagged = firstRows(sum.Flagged, sum.FlaggedCount)
	html := renderOf(t, "import_job.html", v)
	wantIn(t, "an ended job", html, []string{
		"Done", `max="70" value="70"`, "the slug is not a valid alias", "the slug leads to another link already",
		"<code>s0/x</code>", "And 12 more", "Flagged for review", "looks like a login page", `href="/app/links"`,
	}, "data-refresh", "imports.js", "Cancel the import", "Blocked</h2>", "<code>s50/x</code>")
	if n := strings.Count(html, `<th scope="row" class="number">`); n != importRows+1 {
		t.Errorf("%d rows listed, want %d skipped and 1 flagged", n, importRows)
	}

	j.State, j.Error, j.DryRun = importer.Failed, "GET /rest/v3/short-urls: the API refused the credentials", true
	failed := renderOf(t, "import_job.html", &importJobView{Page: importPage(), Job: j})
	wantIn(t, "a failed dry run", failed, []string{"Failed", "the API refused the credentials", "dry run: nothing was written", "Start the same file again"})
}
