package app

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"tiny/internal/accounts"
	"tiny/internal/importer"
	"tiny/internal/tiny"
)

// importPath is the import form; a job's page is importJobPath + its id.
// The jobs live under jobs/ because /app/links/{code}/created takes every
// other two-segment path.
const (
	importPath    = linksPath + "/import"
	importJobPath = importPath + "/jobs/"
)

// importRows is how many rows of each list a job's page shows.
const importRows = 50

// importRoutes registers the import form and the jobs' pages.
func (a *App) importRoutes(rt router) {
	if a.cfg.Imports == nil {
		return
	}
	rt.page("GET "+importPath, a.importForm)
	rt.mux.Handle("POST "+importPath, rt.identify(a.signedInReading(a.startImport, readUpload)))
	rt.page("GET "+importJobPath+"{id}", a.importJob)
	rt.page("POST "+importJobPath+"{id}/cancel", a.cancelImport)
}

// readUpload reads the import form, a multipart upload.
func readUpload(w http.ResponseWriter, r *http.Request) error {
	if !importer.IsUpload(r) {
		return readForm(w, r)
	}
	return importer.ParseUpload(w, r)
}

// importView is the import form, with the caller's recent jobs.
type importView struct {
	Page
	Formats []importer.Format
	// Format, URL and DryRun refill the form; Errors are by field.
	Format string
	URL    string
	DryRun bool
	Errors map[string]string
	MaxMiB int
	Jobs   []*importer.Job
	// CanImport is false for a viewer.
	CanImport bool
}

func (a *App) newImportView(w http.ResponseWriter, r *http.Request, p *accounts.Principal) *importView {
	return &importView{
		Page:    Page{Title: "Import links", Section: "links", Flash: TakeFlash(w, r)},
		Formats: importer.Formats, Format: "csv", Errors: map[string]string{}, MaxMiB: importer.MaxFileBytes >> 20,
		Jobs: a.cfg.Imports.List(p), CanImport: p.Can(accounts.WriteLinks, accounts.Own(p.User.ID)),
	}
}

func (a *App) importForm(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	a.views.Render(w, r, http.StatusOK, "imports.html", a.newImportView(w, r, p))
	return nil
}

// startImport starts a job from the form and shows its page.
func (a *App) startImport(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	format := strings.TrimSpace(r.PostForm.Get("format"))
	v := a.newImportView(w, r, p)
	v.Format, v.URL, v.DryRun = format, strings.TrimSpace(r.PostForm.Get("url")), importer.Truthy(r.PostForm.Get("dry_run"))
	var job *importer.Job
	err := a.limitCreates(w, r, 1)
	if err == nil {
		if f, ok := importer.FormatNamed(format); ok && f.API {
			job, err = a.cfg.Imports.StartAPI(p, importer.APISource{Format: format, BaseURL: v.URL, Token: r.PostForm.Get("token"), DryRun: v.DryRun})
		} else if r.MultipartForm == nil {
			err = tiny.FieldErrorf(tiny.Invalid, "file", "choose a file to import")
		} else {
			var src importer.FileSource
			if src, err = importer.FileSourceOf(r); err == nil {
				job, err = a.cfg.Imports.StartFile(p, src)
			}
		}
	}
	if err != nil {
		field := tiny.ErrorFieldOf(err)
		if field == "" || tiny.ErrorCodeOf(err) == tiny.Forbidden {
			return err
		}
		v.Errors[field] = tiny.ErrorMessageOf(err)
		a.views.Render(w, r, http.StatusUnprocessableEntity, "imports.html", v)
		return nil
	}
	seeOther(w, r, importJobPath+url.PathEscape(job.ID), "The import has started.")
	return nil
}

// importJobView is a job's page.
type importJobView struct {
	Page
	Job         *importer.Job
	FormatTitle string
	// Reasons count the skipped records by reason, most first.
	Reasons []reasonCount
	// Skipped, Flagged and Blocked are the first rows of each list; More*
	// say how many the page leaves out.
	Skipped, Flagged, Blocked             []importer.Row
	MoreSkipped, MoreFlagged, MoreBlocked int64
	// There counts the records found imported already, by this job's
	// checkpoint or by their slug.
	There int64
	// Refresh is whether the page updates itself (imports.js): while the job runs.
	Refresh bool
}

type reasonCount struct {
	Reason importer.Reason
	Text   string
	Count  int64
}

// reasonTexts say the reasons in words.
var reasonTexts = map[importer.Reason]string{
	importer.Malformed:     "the row could not be read",
	importer.InvalidURL:    "not a URL tiny links to",
	importer.InvalidAlias:  "the slug is not a valid alias",
	importer.ReservedAlias: "the slug is a word tiny keeps",
	importer.AliasTaken:    "the slug leads to another link already",
	importer.PasswordLink:  "the link had a password",
	importer.InvalidField:  "another field tiny cannot take",
}

func (a *App) importJob(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	j, err := a.cfg.Imports.Get(p, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := &importJobView{Page: Page{Title: "Import " + j.Source, Section: "links", Flash: TakeFlash(w, r)},
		Job: j, FormatTitle: j.Format, There: j.Progress.AlreadyImported + j.Progress.Resumed, Refresh: j.State == importer.Running}
	if f, ok := importer.FormatNamed(j.Format); ok {
		v.FormatTitle = f.Title
	}
	if s := j.Summary; s != nil {
		for reason, n := range s.Skipped {
			v.Reasons = append(v.Reasons, reasonCount{Reason: reason, Text: reasonTexts[reason], Count: n})
		}
		sort.Slice(v.Reasons, func(i, k int) bool {
			return v.Reasons[i].Count > v.Reasons[k].Count || v.Reasons[i].Count == v.Reasons[k].Count && v.Reasons[i].Reason < v.Reasons[k].Reason
		})
		// Rows that could not be read are listed as they are read, ahead
		// of the rest: the page lists them in the file's order.
		skipped := slices.Clone(s.SkippedRows)
		slices.SortStableFunc(skipped, func(x, y importer.Row) int { return cmp.Compare(x.Row, y.Row) })
		v.Skipped, v.MoreSkipped = firstRows(skipped, s.SkippedCount())
		v.Flagged, v.MoreFlagged = firstRows(s.Flagged, s.FlaggedCount)
		v.Blocked, v.MoreBlocked = firstRows(s.Blocked, s.BlockedCount)
	}
	a.views.Render(w, r, http.StatusOK, "import_job.html", v)
	return nil
}

// firstRows returns the first importRows rows and how many of count are
// left out.
func firstRows(rows []importer.Row, count int64) ([]importer.Row, int64) {
	if len(rows) > importRows {
		rows = rows[:importRows]
	}
	return rows, count - int64(len(rows))
}

func (a *App) cancelImport(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	j, err := a.cfg.Imports.Cancel(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	seeOther(w, r, importJobPath+url.PathEscape(j.ID), "The import is cancelled; what it imported stays.")
	return nil
}
