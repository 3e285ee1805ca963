package tiny

import "context"

// ImportBatch is a batch of links brought over from another shortener,
// with the position its import job reaches once the batch is applied.
type ImportBatch struct {
	// Links are complete new links, ids and codes set, as for CreateLink.
	// A non-zero CreatedAt is kept: the link was made elsewhere then.
	Links []*Link
	// Job names the import job whose checkpoint the batch advances; ""
	// records none.
	Job string
	// Position is the job's position after the batch (the source
	// position of its last record).
	Position int64
}

// ImportStore keeps imported links and the checkpoints of import jobs.
type ImportStore interface {
	// ImportLinks inserts the links of b as CreateLink would (tags, alias,
	// safety state and the system's audit entry), keeping each link's
	// CreatedAt when it is set and its ImportedClicks, and records
	// b.Position as the checkpoint of b.Job, in one transaction. A link
	// whose code is an existing alias, whose alias is taken or is the code
	// of an existing link (or of one earlier in the batch) is left out:
	// its entry of the result is that Conflict, field "code" or "alias"
	// as CreateLink has it; the entries of inserted links are nil. When a
	// link was left out for its code the checkpoint is not recorded: the
	// caller retries those links with new ids and the same checkpoint, so
	// a job's checkpoint never passes a link that was not applied.
	ImportLinks(ctx context.Context, b ImportBatch) ([]error, error)

	// ImportCheckpoint returns the position last recorded for job, 0 when
	// none was.
	ImportCheckpoint(ctx context.Context, job string) (int64, error)
}

// ImportConflict returns the Conflict that keeps l out of an import batch,
// given the existing aliases and link codes (those of links inserted
// earlier in the batch included), or nil. Both stores use it, so they
// refuse the same links with the same errors.
func ImportConflict(l *Link, aliases, codes map[string]bool) error {
	switch {
	case aliases[l.Code]:
		return FieldErrorf(Conflict, "code", "code %q is an existing alias", l.Code)
	case l.Alias == "":
		return nil
	case l.Alias == l.Code:
		return FieldErrorf(Conflict, "alias", "alias %q equals the link's code", l.Alias)
	case aliases[l.Alias]:
		return FieldErrorf(Conflict, "alias", "alias %q is taken", l.Alias)
	case codes[l.Alias]:
		return FieldErrorf(Conflict, "alias", "alias %q is the code of another link", l.Alias)
	}
	return nil
}
