package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// callWith makes an API call with key and returns the status and body.
func callWith(t *testing.T, key, method, addr, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, addr, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitStatus calls path with key on addr until it answers want, for up to
// a second, and returns the last status.
func waitStatus(t *testing.T, key, addr, path string, want int) int {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		status, _ := callWith(t, key, "GET", addr, path, "")
		if status == want || time.Now().After(deadline) {
			return status
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClusterAccountChangesReachEveryNode: disabling a user through one
// node stops their key on another within a second, though that node had it
// cached; enabling them makes it work again; a key revoked on one node
// stops on the other. The first admin key has the admin scopes.
func TestClusterAccountChangesReachEveryNode(t *testing.T) {
	nodes := startCluster(t, 2, clusterDatabase(t))
	a, b := nodes[0].addr, nodes[1].addr

	status, body := callWith(t, testKey, "GET", a, "/api/v1/keys", "")
	var list struct {
		Keys []struct {
			Name   string   `json:"name"`
			Scopes []string `json:"scopes"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &list); status != 200 || err != nil || len(list.Keys) != 1 ||
		!slices.Contains(list.Keys[0].Scopes, "admin") || !slices.Contains(list.Keys[0].Scopes, "moderation") {
		t.Fatalf("GET /api/v1/keys with the initial key = %d %s, want the one key with the admin scopes", status, body)
	}

	status, body = callWith(t, testKey, "POST", a, "/api/v1/users", `{"name": "robot", "role": "member"}`)
	var user struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &user); status != 201 || err != nil {
		t.Fatalf("POST /api/v1/users = %d %s, want 201", status, body)
	}
	newKey := func() (string, int64) {
		status, body := callWith(t, testKey, "POST", a, "/api/v1/keys", fmt.Sprintf(`{"name": "robot", "user_id": %d}`, user.ID))
		var k struct {
			ID  int64  `json:"id"`
			Key string `json:"key"`
		}
		if err := json.Unmarshal([]byte(body), &k); status != 201 || err != nil {
			t.Fatalf("POST /api/v1/keys for robot = %d %s, want 201", status, body)
		}
		return k.Key, k.ID
	}
	key, _ := newKey()
	spare, spareID := newKey()
	for _, k := range []string{key, spare} {
		if status := waitStatus(t, k, b, "/api/v1/links", 200); status != 200 {
			t.Fatalf("robot's key on the other node = %d, want 200", status)
		}
	}

	userPath := fmt.Sprintf("/api/v1/users/%d", user.ID)
	if status, body := callWith(t, testKey, "PATCH", a, userPath, `{"disabled": true}`); status != 200 {
		t.Fatalf("disabling robot = %d %s", status, body)
	}
	if status := waitStatus(t, key, b, "/api/v1/links", 401); status != 401 {
		t.Errorf("a disabled user's key on the other node = %d a second later, want 401", status)
	}
	if status, body := callWith(t, testKey, "PATCH", a, userPath, `{"disabled": false}`); status != 200 {
		t.Fatalf("enabling robot = %d %s", status, body)
	}
	if status := waitStatus(t, key, b, "/api/v1/links", 200); status != 200 {
		t.Errorf("the key on the other node once robot is enabled = %d, want 200", status)
	}

	if status, body := callWith(t, testKey, "DELETE", a, fmt.Sprintf("/api/v1/keys/%d", spareID), ""); status != 204 {
		t.Fatalf("revoking robot's spare key = %d %s", status, body)
	}
	if status := waitStatus(t, spare, b, "/api/v1/links", 401); status != 401 {
		t.Errorf("a revoked key on the other node = %d a second later, want 401", status)
	}
	if status, _ := callWith(t, key, "GET", b, "/api/v1/links", ""); status != 200 {
		t.Errorf("robot's other key = %d, want 200: only the spare was revoked", status)
	}
}
