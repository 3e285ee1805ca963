package web

import (
	"net/http"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/importer"
)

// importBodyLimit bounds the JSON body of an API import.
const importBodyLimit = 8 << 10

type importProgressJSON struct {
	Read            int64  `json:"read"`
	Imported        int64  `json:"imported"`
	AlreadyImported int64  `json:"already_imported"`
	Resumed         int64  `json:"resumed"`
	Skipped         int64  `json:"skipped"`
	Flagged         int64  `json:"flagged"`
	Blocked         int64  `json:"blocked"`
	Total           *int64 `json:"total"` // null while the source has not told
}

type importRowJSON struct {
	Row    int64  `json:"row"`
	Slug   string `json:"slug,omitempty"`
	URL    string `json:"url,omitempty"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

type importSummaryJSON struct {
	Skipped     map[importer.Reason]int64 `json:"skipped"`
	SkippedRows []importRowJSON           `json:"skipped_rows"`
	Flagged     []importRowJSON           `json:"flagged"`
	Blocked     []importRowJSON           `json:"blocked"`
}

type importJSON struct {
	ID        string             `json:"id"`
	OwnerID   int64              `json:"owner_id"`
	Format    string             `json:"format"`
	Source    string             `json:"source"`
	DryRun    bool               `json:"dry_run"`
	State     importer.JobState  `json:"state"`
	Progress  importProgressJSON `json:"progress"`
	Summary   *importSummaryJSON `json:"summary"`
	Error     string             `json:"error,omitempty"`
	StartedAt time.Time          `json:"started_at"`
	EndedAt   *time.Time         `json:"ended_at"`
}

func importJSONOf(j *importer.Job) importJSON {
	pr := j.Progress
	out := importJSON{ID: j.ID, OwnerID: j.OwnerID, Format: j.Format, Source: j.Source, DryRun: j.DryRun, State: j.State,
		Progress: importProgressJSON{Read: pr.Read, Imported: pr.Imported, AlreadyImported: pr.AlreadyImported,
			Resumed: pr.Resumed, Skipped: pr.Skipped, Flagged: pr.Flagged, Blocked: pr.Blocked},
		Error: j.Error, StartedAt: j.StartedAt, EndedAt: j.EndedAt}
	if pr.Total >= 0 {
		total := pr.Total
		out.Progress.Total = &total
	}
	if s := j.Summary; s != nil && j.State != importer.Running {
		out.Summary = &importSummaryJSON{Skipped: s.Skipped, SkippedRows: importRows(s.SkippedRows),
			Flagged: importRows(s.Flagged), Blocked: importRows(s.Blocked)}
	}
	return out
}

func importRows(rows []importer.Row) []importRowJSON {
	out := make([]importRowJSON, len(rows))
	for i, r := range rows {
		out[i] = importRowJSON{Row: r.Row, Slug: r.Slug, URL: r.URL, Reason: string(r.Reason), Detail: r.Detail}
	}
	return out
}

// createImport starts an import job: a file sent as multipart/form-data,
// or a foreign API named in JSON, whose token serves the job only.
func (s *Server) createImport(w http.ResponseWriter, r *http.Request) error {
	p := currentPrincipal(r)
	var j *importer.Job
	if importer.IsUpload(r) {
		if err := importer.ParseUpload(w, r); err != nil {
			return err
		}
		defer r.MultipartForm.RemoveAll()
		src, err := importer.FileSourceOf(r)
		if err != nil {
			return err
		}
		if err := s.limitCreates(w, r, 1); err != nil {
			return err
		}
		if j, err = s.imports.StartFile(p, src); err != nil {
			return err
		}
	} else {
		var in struct {
			Format string `json:"format"`
			URL    string `json:"url"`
			Token  string `json:"token"`
			DryRun bool   `json:"dry_run"`
		}
		if err := decodeJSON(w, r, &in, importBodyLimit); err != nil {
			return err
		}
		if err := s.limitCreates(w, r, 1); err != nil {
			return err
		}
		var err error
		if j, err = s.imports.StartAPI(p, importer.APISource{Format: in.Format, BaseURL: in.URL, Token: in.Token, DryRun: in.DryRun}); err != nil {
			return err
		}
	}
	w.Header().Set("Location", "/api/v1/imports/"+j.ID)
	writeJSON(w, http.StatusAccepted, importJSONOf(j))
	return nil
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	j, err := s.imports.Get(currentPrincipal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, importJSONOf(j))
	return nil
}

// listImports lists the caller's jobs on this node, newest first.
func (s *Server) listImports(w http.ResponseWriter, r *http.Request) error {
	p := currentPrincipal(r)
	if err := p.Check(accounts.WriteLinks, accounts.Own(p.User.ID)); err != nil {
		return err
	}
	jobs := s.imports.List(p)
	out := struct {
		Imports []importJSON `json:"imports"`
	}{Imports: make([]importJSON, len(jobs))}
	for i, j := range jobs {
		out.Imports[i] = importJSONOf(j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// cancelImport stops a running job; what it imported stays.
func (s *Server) cancelImport(w http.ResponseWriter, r *http.Request) error {
	j, err := s.imports.Cancel(r.Context(), currentPrincipal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, importJSONOf(j))
	return nil
}
