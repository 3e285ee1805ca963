package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// testDestinationBlocks runs the destination block endpoints: who may use
// them, what they accept and refuse, and the link decision that blocks its
// destination too.
func testDestinationBlocks(t *testing.T, e *env) {
	user := e.newKey("dest-user", tiny.RoleUser)
	const path = "/api/v1/moderation/destinations"

	r := e.do("POST", path, e.adminKey, map[string]any{"kind": "domain", "value": "Login.Blocked-Dest.Example", "note": " kit "})
	if r.status != http.StatusCreated {
		t.Fatalf("POST %s = %d %s, want 201", path, r.status, r.body)
	}
	domain := r.json(t)
	if domain["kind"] != "domain" || domain["value"] != "blocked-dest.example" || domain["note"] != "kit" || domain["actor_id"].(float64) == 0 {
		t.Errorf("created block = %v, want domain blocked-dest.example with the note trimmed and the admin as actor", domain)
	}
	r = e.do("POST", path, e.adminKey, map[string]any{"kind": "url", "value": "https://files.blocked-url.example/payload.exe#x"})
	if r.status != http.StatusCreated || r.json(t)["value"] != "https://files.blocked-url.example/payload.exe" {
		t.Fatalf("POST %s (url) = %d %s, want 201 without the fragment", path, r.status, r.body)
	}
	url := r.json(t)

	list := e.do("GET", path, e.adminKey, nil)
	blocks := list.json(t)["blocks"].([]any)
	if list.status != http.StatusOK || len(blocks) != 2 || blocks[0].(map[string]any)["id"] != domain["id"] || blocks[1].(map[string]any)["id"] != url["id"] {
		t.Errorf("GET %s = %d %s, want the two blocks oldest first", path, list.status, list.body)
	}

	for _, tt := range []struct {
		name, method, path, key string
		body                    any
		status                  int
		field                   string
	}{
		{"block by a user", "POST", path, user, map[string]any{"kind": "host", "value": "x.example"}, 403, ""},
		{"list by a user", "GET", path, user, nil, 403, ""},
		{"remove by a user", "DELETE", fmt.Sprintf("%s/%v", path, domain["id"]), user, nil, 403, ""},
		{"no key", "GET", path, "", nil, 401, ""},
		{"bad kind", "POST", path, e.adminKey, map[string]any{"kind": "regex", "value": "x.example"}, 400, "kind"},
		{"no kind", "POST", path, e.adminKey, map[string]any{"value": "x.example"}, 400, "kind"},
		{"empty value", "POST", path, e.adminKey, map[string]any{"kind": "host", "value": " "}, 400, "value"},
		{"invalid host", "POST", path, e.adminKey, map[string]any{"kind": "host", "value": "not a host"}, 400, "value"},
		{"invalid url", "POST", path, e.adminKey, map[string]any{"kind": "url", "value": "ftp://x.example/"}, 400, "value"},
		{"public suffix", "POST", path, e.adminKey, map[string]any{"kind": "domain", "value": "com"}, 400, "value"},
		{"public suffix of two labels", "POST", path, e.adminKey, map[string]any{"kind": "domain", "value": "co.uk"}, 400, "value"},
		{"domain of an address", "POST", path, e.adminKey, map[string]any{"kind": "domain", "value": "203.0.113.9"}, 400, "value"},
		{"duplicate", "POST", path, e.adminKey, map[string]any{"kind": "domain", "value": "www.blocked-dest.example"}, 409, "value"},
		{"unknown field", "POST", path, e.adminKey, map[string]any{"kind": "host", "value": "x.example", "regex": true}, 400, "regex"},
		{"huge note", "POST", path, e.adminKey, map[string]any{"kind": "host", "value": "x.example", "note": strings.Repeat("x", 2001)}, 400, "note"},
		{"remove unknown", "DELETE", path + "/999999", e.adminKey, nil, 404, ""},
		{"remove bad id", "DELETE", path + "/abc", e.adminKey, nil, 404, ""},
	} {
		r := e.doRaw(tt.method, tt.path, tt.key, tt.body)
		if r.status != tt.status || r.errorField() != tt.field {
			t.Errorf("%s: %d field %q, want %d field %q (%s)", tt.name, r.status, r.errorField(), tt.status, tt.field, r.body)
		}
	}

	// A decision that blocks the link's host too.
	owner := e.newKey("dest-owner", tiny.RoleUser)
	code := e.create(owner, map[string]any{"url": "https://cdn.decided-dest.example/kit"})["code"].(string)
	decide := "/api/v1/moderation/links/" + code
	for _, tt := range []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"approve with a destination block", map[string]any{"decision": "approve", "block_destination": "host"}, 400},
		{"unknown kind", map[string]any{"decision": "block", "block_destination": "everything"}, 400},
	} {
		if r := e.doRaw("POST", decide, e.adminKey, tt.body); r.status != tt.status || r.errorField() != "block_destination" {
			t.Errorf("%s: %d field %q, want %d field block_destination (%s)", tt.name, r.status, r.errorField(), tt.status, r.body)
		}
	}
	if l, _ := e.store.LinkByID(t.Context(), mustDecode(t, e, code)); l.Status != tiny.StatusActive {
		t.Fatalf("link after refused decisions: status %s, want active (nothing changed)", l.Status)
	}
	r = e.do("POST", decide, e.adminKey, map[string]any{"decision": "block", "note": "kit", "block_destination": "host"})
	out := r.json(t)
	if r.status != http.StatusOK || out["link"].(map[string]any)["status"] != "blocked" {
		t.Fatalf("block with its host = %d %s, want 200 and the link blocked", r.status, r.body)
	}
	host, _ := out["destination_block"].(map[string]any)
	if host["kind"] != "host" || host["value"] != "cdn.decided-dest.example" || !strings.Contains(host["note"].(string), code) {
		t.Errorf("destination_block = %v, want host cdn.decided-dest.example with a note naming the link", host)
	}
	// Deciding again finds the host blocked already: no error, the same block.
	again := e.do("POST", decide, e.adminKey, map[string]any{"decision": "block", "block_destination": "host"}).json(t)
	if again["destination_block"].(map[string]any)["id"] != host["id"] {
		t.Errorf("second block with its host = %v, want the block there is (%v)", again["destination_block"], host["id"])
	}
	if r := e.do("POST", "/api/v1/links", owner, map[string]any{"url": "http://cdn.decided-dest.example:8080/other"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("create on the blocked host = %d, want 422", r.status)
	}

	for _, b := range []map[string]any{domain, url, host} {
		if r := e.do("DELETE", fmt.Sprintf("%s/%v", path, b["id"]), e.adminKey, nil); r.status != http.StatusNoContent {
			t.Errorf("DELETE block %v = %d %s, want 204", b["id"], r.status, r.body)
		}
	}
	if r := e.do("DELETE", fmt.Sprintf("%s/%v", path, domain["id"]), e.adminKey, nil); r.status != http.StatusNotFound {
		t.Errorf("DELETE of a removed block = %d, want 404", r.status)
	}
	if blocks := e.do("GET", path, e.adminKey, nil).json(t)["blocks"].([]any); len(blocks) != 0 {
		t.Errorf("blocks after removing them all = %v, want none", blocks)
	}
	e.create(owner, map[string]any{"url": "https://cdn.decided-dest.example/kit"}) // allowed again

	var actions []string
	for _, en := range e.do("GET", "/api/v1/moderation/audit?limit=5", e.adminKey, nil).json(t)["entries"].([]any) {
		actions = append(actions, en.(map[string]any)["action"].(string))
	}
	if got := strings.Join(actions, " "); !strings.HasPrefix(got, "destination_unblocked destination_unblocked destination_unblocked") {
		t.Errorf("newest audit entries = %s, want the three removals", got)
	}
}

// TestDestinationBlockStopsTheDestination is the finding: a moderator
// blocks a link; its owner deletes it and makes a new link to the same
// destination, which was active at once. With the destination blocked (in
// the decision, as each kind), the new link is refused with 422
// unsafe_url and the refusal is audited naming the block; what the kind
// does not cover is still accepted.
func TestDestinationBlockStopsTheDestination(t *testing.T) {
	for _, tt := range []struct {
		kind      string
		url       string
		refused   []string
		accepted  []string
		blockName string
	}{
		{"url", "https://phish.example/login?id=7", []string{"https://phish.example/login?id=7", "HTTPS://PHISH.example:443/login?id=7#again"},
			[]string{"https://phish.example/login?id=8", "http://phish.example/login?id=7"}, "url https://phish.example/login?id=7"},
		{"host", "https://login.phish.example/a", []string{"https://login.phish.example/a", "http://login.phish.example:8080/b"},
			[]string{"https://www.login.phish.example/a", "https://phish.example/a"}, "host login.phish.example"},
		{"domain", "https://login.phish.example/a", []string{"https://login.phish.example/b", "https://phish.example/", "https://x.y.phish.example/"},
			[]string{"https://phish.example.net/", "https://notphish.example/"}, "domain phish.example"},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			e := newEnv(t)
			owner := e.newKey("owner", tiny.RoleUser)
			code := e.create(owner, map[string]any{"url": tt.url})["code"].(string)
			r := e.do("POST", "/api/v1/moderation/links/"+code, e.adminKey,
				map[string]any{"decision": "block", "note": "phishing", "block_destination": tt.kind})
			if r.status != http.StatusOK {
				t.Fatalf("block with block_destination %s = %d %s, want 200", tt.kind, r.status, r.body)
			}
			if r := e.do("DELETE", "/api/v1/links/"+code, owner, nil); r.status != http.StatusNoContent {
				t.Fatalf("owner's delete = %d %s, want 204", r.status, r.body)
			}
			for _, u := range tt.refused {
				r := e.do("POST", "/api/v1/links", owner, map[string]any{"url": u})
				if r.status != http.StatusUnprocessableEntity || r.errorCode() != "unsafe_url" || r.errorField() != "url" {
					t.Errorf("create of %s after the %s block = %d %s, want 422 unsafe_url on url", u, tt.kind, r.status, r.body)
				}
				if strings.Contains(string(r.body), "destination block") {
					t.Errorf("the refusal names the block to the client: %s", r.body)
				}
			}
			for _, u := range tt.accepted {
				if r := e.do("POST", "/api/v1/links", owner, map[string]any{"url": u}); r.status != http.StatusCreated {
					t.Errorf("create of %s, which the %s block does not cover = %d %s, want 201", u, tt.kind, r.status, r.body)
				}
			}
			// An edit to a blocked destination is refused too.
			other := e.create(owner, map[string]any{"url": "https://example.org/fine"})["code"].(string)
			if r := e.do("PATCH", "/api/v1/links/"+other, owner, map[string]any{"url": tt.refused[0]}); r.status != http.StatusUnprocessableEntity {
				t.Errorf("PATCH to %s = %d, want 422", tt.refused[0], r.status)
			}
			refusals := 0
			for _, en := range e.do("GET", "/api/v1/moderation/audit", e.adminKey, nil).json(t)["entries"].([]any) {
				en := en.(map[string]any)
				if en["action"] == "refused" {
					refusals++
					if !strings.Contains(en["reason"].(string), tt.blockName) || en["actor_id"] == float64(0) {
						t.Errorf("refusal audited as %v, want it naming %q, by the owner", en, tt.blockName)
					}
				}
			}
			if want := len(tt.refused) + 1; refusals != want {
				t.Errorf("%d refusals audited, want %d", refusals, want)
			}
		})
	}
}

// TestDestinationBlockRescansLinks: a new destination block blocks the
// existing links to it by a rescan, audited naming the block; they show
// the warning page. Removing the block lets new links be made, but does
// not unblock those links.
func TestDestinationBlockRescansLinks(t *testing.T) {
	e := newEnv(t)
	owner := e.newKey("owner", tiny.RoleUser)
	var bad []string
	for _, u := range []string{"https://evil.example/a", "https://cdn.evil.example/b", "http://x.y.evil.example:8080/c"} {
		bad = append(bad, e.create(owner, map[string]any{"url": u})["code"].(string))
	}
	good := e.create(owner, map[string]any{"url": "https://evil.example.org/fine"})["code"].(string)
	for _, code := range append(bad, good) {
		if r := e.visit("GET", "/"+code); r.status != http.StatusFound {
			t.Fatalf("visit of %s before the block = %d, want 302", code, r.status)
		}
	}

	r := e.do("POST", "/api/v1/moderation/destinations", e.adminKey, map[string]any{"kind": "domain", "value": "evil.example", "note": "malware"})
	if r.status != http.StatusCreated {
		t.Fatalf("block the domain = %d %s", r.status, r.body)
	}
	id := int64(r.json(t)["id"].(float64))
	reason := fmt.Sprintf("rescan: destination block %d (domain evil.example)", id)
	deadline := time.Now().Add(5 * time.Second)
	for _, code := range bad {
		for e.visit("GET", "/"+code).status != http.StatusUnavailableForLegalReasons {
			if time.Now().After(deadline) {
				t.Fatalf("visit of %s did not show the warning page within 5s of the block", code)
			}
			time.Sleep(5 * time.Millisecond)
		}
		l, err := e.store.LinkByID(t.Context(), mustDecode(t, e, code))
		if err != nil {
			t.Fatal(err)
		}
		if l.Status != tiny.StatusBlocked || l.Safety.Auto != tiny.StatusBlocked || l.Safety.Reason != reason {
			t.Errorf("link %s after the rescan: %s, safety %+v; want blocked by the system with reason %q", code, l.Status, l.Safety, reason)
		}
		audit := e.do("GET", "/api/v1/moderation/audit?link="+code, e.adminKey, nil).json(t)["entries"].([]any)
		if len(audit) != 1 || audit[0].(map[string]any)["action"] != "blocked" || audit[0].(map[string]any)["reason"] != reason {
			t.Errorf("audit log of %s = %v, want one block naming the destination block", code, audit)
		}
	}
	if r := e.visit("GET", "/"+good); r.status != http.StatusFound {
		t.Errorf("visit of a link on another domain = %d, want 302", r.status)
	}
	if st := e.rescanner.Stats(); st.Blocked != int64(len(bad)) {
		t.Errorf("rescanner blocked %d links, want %d", st.Blocked, len(bad))
	}

	if r := e.do("DELETE", fmt.Sprintf("/api/v1/moderation/destinations/%d", id), e.adminKey, nil); r.status != http.StatusNoContent {
		t.Fatalf("remove the block = %d %s", r.status, r.body)
	}
	e.create(owner, map[string]any{"url": "https://evil.example/a"}) // accepted again
	for _, code := range bad {
		if r := e.visit("GET", "/"+code); r.status != http.StatusUnavailableForLegalReasons {
			t.Errorf("visit of %s after the block was removed = %d, want 451 (removing a block unblocks nothing)", code, r.status)
		}
	}
}
