package tiny

// The rules of ModerationStore that every store applies the same way.

// CreateAudit returns the entry by SystemActor that CreateLink appends for
// l, whose Safety.Auto is set: action blocked or flagged, as the system
// decided; nil when l is active.
func CreateAudit(l *Link) *AuditEntry {
	if l.Safety.Auto == StatusActive {
		return nil
	}
	action := ActionFlagged
	if l.Safety.Auto == StatusBlocked {
		action = ActionBlocked
	}
	return &AuditEntry{LinkID: l.ID, URL: l.URL, ActorID: SystemActor, Action: action,
		Reason: l.Safety.Reason, Score: l.Safety.Score}
}

// CheckDecision returns the audit action of d (approved, blocked, or
// flagged by the system), and Invalid when d.Status is none of these:
// only SystemActor flags (a moderator decides, and so ends a review).
func CheckDecision(d Decision) (AuditAction, error) {
	switch {
	case d.Status == StatusActive:
		return ActionApproved, nil
	case d.Status == StatusBlocked:
		return ActionBlocked, nil
	case d.Status == StatusFlagged && d.ActorID == SystemActor:
		return ActionFlagged, nil
	}
	return "", FieldErrorf(Invalid, "status", "a decision makes a link active or blocked, not %q", d.Status)
}

// CheckFlag returns Conflict when a link of status may not be flagged by
// the system: a blocked link stays blocked until a person lifts it.
func CheckFlag(status LinkStatus) error {
	if status == StatusBlocked {
		return &Error{Code: Conflict, Message: "a blocked link is not flagged"}
	}
	return nil
}

// CheckAppeal returns Conflict unless a link of that status and review
// reason may be appealed: it is blocked and has no appeal open.
func CheckAppeal(status LinkStatus, review ReviewReason) error {
	switch {
	case status != StatusBlocked:
		return &Error{Code: Conflict, Message: "only a blocked link can be appealed"}
	case review == ReviewAppeal:
		return &Error{Code: Conflict, Message: "the link has an appeal open already"}
	}
	return nil
}
