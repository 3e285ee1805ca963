package sqlite

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// queryPlan returns the steps of SQLite's plan of query with args.
func queryPlan(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// TestAuditQueryPlans checks that the audit log's filters and the quality
// chart's query search an index instead of reading the whole log.
func TestAuditQueryPlans(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	actor := int64(7)
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		f    tiny.AuditFilter
		want string
	}{
		{tiny.AuditFilter{LinkID: 3, Limit: 50}, "SEARCH audit_log USING INDEX audit_log_link_id (link_id=?)"},
		{tiny.AuditFilter{ActorID: &actor, Limit: 50}, "SEARCH audit_log USING INDEX audit_log_actor (actor_id=?)"},
		{tiny.AuditFilter{ActorID: &actor, BeforeID: 90, Limit: 50}, "SEARCH audit_log USING INDEX audit_log_actor (actor_id=? AND id<?)"},
		{tiny.AuditFilter{Actions: []tiny.AuditAction{tiny.ActionBlocked}, Limit: 50}, "SEARCH audit_log USING INDEX audit_log_action (action=?)"},
		{tiny.AuditFilter{From: day, To: day.AddDate(0, 0, 7), Limit: 50}, "SEARCH audit_log USING INDEX audit_log_created (created_at>? AND created_at<?)"},
	} {
		query, args := auditLogQuery(tt.f)
		if plan := queryPlan(t, db.reader, query, args...); !slices.Contains(plan, tt.want) {
			t.Errorf("query plan of AuditLog(%+v) = %q, want step %q", tt.f, plan, tt.want)
		}
	}
	want := "SEARCH audit_log USING INDEX audit_log_decided (created_at>? AND created_at<?)"
	if plan := queryPlan(t, db.reader, dailyDecisions, 0, 1); !slices.Contains(plan, want) {
		t.Errorf("query plan of DailyDecisionCounts = %q, want step %q", plan, want)
	}
}
