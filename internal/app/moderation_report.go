package app

import (
	"net/http"
	"strings"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// reportPath takes the "Report this link" form of every public page
// about a link.
const reportPath = "/app/report"

// reportBodyLimit bounds a report form: a short name and a few lines.
const reportBodyLimit = 8 << 10

// reportReasons are the choices of the report form, in the order shown.
var reportReasons = []ReportReason{
	{"phishing", "Phishing: it asks for passwords or payment details"},
	{"malware", "Malware: it downloads something harmful"},
	{"spam", "Spam or a scam"},
	{"other", "Something else"},
}

// ReportReason is a choice of the report form.
type ReportReason struct{ Value, Label string }

// ReportForm is the report form of a link, as shown or as sent.
type ReportForm struct {
	// Link is the short URL, code or alias reported.
	Link    string
	Reason  string
	Details string
	Errors  map[string]string
	// Standalone shows the form open, with the link as a field.
	Standalone bool
}

// Reasons are the choices of the form.
func (ReportForm) Reasons() []ReportReason { return reportReasons }

// NewReportForm is the empty report form of the link at shortURL, for the
// visitors' pages (template function reportForm).
func NewReportForm(shortURL string) ReportForm { return ReportForm{Link: shortURL} }

// ReportView is the page of the report form, shown again with its errors,
// or the thanks once it is sent.
type ReportView struct {
	Page
	Form ReportForm
	Sent bool
}

func (a *App) reportRoutes(rt router) {
	rt.public("GET "+reportPath, a.reportPage)
	rt.public("POST "+reportPath, a.report)
	rt.public("GET "+reportPath+"/sent", a.reportSent)
}

func (a *App) reportPage(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	form := ReportForm{Link: r.URL.Query().Get("link"), Standalone: true}
	a.views.Render(w, r, http.StatusOK, "report.html", &ReportView{Page: Page{Title: "Report a link"}, Form: form})
	return nil
}

func (a *App) reportSent(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	a.views.Render(w, r, http.StatusOK, "report.html", &ReportView{Page: Page{Title: "Thank you"}, Sent: true})
	return nil
}

// report takes the report form: the same use case and the same per-client
// limit as POST /api/v1/reports. identify has refused it if it came from
// another site, so a page elsewhere cannot report links in its visitors'
// names.
func (a *App) report(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	r.Body = http.MaxBytesReader(w, r.Body, reportBodyLimit)
	if err := r.ParseForm(); err != nil {
		return tiny.Errorf(tiny.Invalid, "the form could not be read")
	}
	if a.cfg.LimitReport != nil {
		if err := a.cfg.LimitReport(w, r); err != nil {
			return err
		}
	}
	form := ReportForm{Link: strings.TrimSpace(r.PostForm.Get("link")), Reason: r.PostForm.Get("reason"),
		Details: r.PostForm.Get("details"), Errors: map[string]string{}, Standalone: true}
	label := ""
	for _, c := range reportReasons {
		if c.Value == form.Reason {
			label = c.Value
		}
	}
	if label == "" {
		form.Errors["reason"] = "Choose what is wrong with the link."
	}
	details, err := shortener.Note("details", form.Details, false)
	switch {
	case err != nil:
		form.Errors["details"] = "Please keep the details shorter: at most 2000 characters."
	case details == "" && form.Reason == "other":
		form.Errors["details"] = "Say in a few words what is wrong with the link."
	}
	name := a.shortName(form.Link)
	if name == "" {
		form.Errors["link"] = "Give the short link or its code."
	}
	status := http.StatusBadRequest
	if len(form.Errors) == 0 {
		if details != "" {
			label += ": " + details
		}
		_, err := a.links.Report(r.Context(), name, label)
		if err == nil {
			seeOther(w, r, reportPath+"/sent", "")
			return nil
		}
		if !tiny.IsCode(err, tiny.NotFound) {
			return err
		}
		form.Errors["link"], status = "There is no link with that name here.", http.StatusNotFound
	}
	a.views.Render(w, r, status, "report.html", &ReportView{Page: Page{Title: "Report a link"}, Form: form})
	return nil
}

// shortName returns the code or alias of a short URL of this instance,
// or of a preview address (name+).
func (a *App) shortName(s string) string {
	s = strings.TrimPrefix(s, strings.TrimSuffix(a.cfg.BaseURL.String(), "/")+"/")
	return strings.TrimSuffix(s, "+")
}
