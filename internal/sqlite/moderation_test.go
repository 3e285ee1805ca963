package sqlite

import (
	"strings"
	"testing"
)

// TestDailyDecisionsQueryPlan checks that the quality chart's query reads
// the audit_log_decided index for its range.
func TestDailyDecisionsQueryPlan(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	rows, err := db.writer.Query(`EXPLAIN QUERY PLAN `+dailyDecisions, 0, 1)
	if err != nil {
		t.Fatalf("EXPLAIN: %v", err)
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
	want := "SEARCH audit_log USING INDEX audit_log_decided (created_at>? AND created_at<?)"
	if !strings.Contains(strings.Join(plan, "\n"), want) {
		t.Errorf("query plan of dailyDecisions = %q, want step %q", plan, want)
	}
}
