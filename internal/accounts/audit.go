package accounts

import (
	"slices"
	"strconv"
	"strings"

	"tiny/internal/tiny"
)

// SystemActorName names tiny itself (and the public's reports) in the
// audit log's actor filter.
const SystemActorName = "system"

// ParseAuditActor reads the actor filter of the audit log: a user id, or
// SystemActorName. Empty: nil, every actor. Invalid with field "actor"
// otherwise.
func ParseAuditActor(s string) (*int64, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return nil, nil
	case SystemActorName:
		id := tiny.SystemActor
		return &id, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return nil, tiny.FieldErrorf(tiny.Invalid, "actor", "actor must be a user id or %q", SystemActorName)
	}
	return &id, nil
}

// ParseAuditActions reads the action filter of the audit log: actions
// named one by one or separated by commas, each one of AuditActions.
// Invalid with field "action" otherwise.
func ParseAuditActions(values []string) ([]tiny.AuditAction, error) {
	known := AuditActions()
	var out []tiny.AuditAction
	for _, v := range values {
		for _, a := range strings.Split(v, ",") {
			a := tiny.AuditAction(strings.TrimSpace(a))
			if a == "" {
				continue
			}
			if !slices.Contains(known, a) {
				return nil, tiny.FieldErrorf(tiny.Invalid, "action", "unknown action %q: one of %s", a, joinActions(known))
			}
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

func joinActions(as []tiny.AuditAction) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
