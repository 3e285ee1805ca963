package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClientAddressBehindProxy runs the binary behind a "proxy" on
// 127.0.0.1, where the test's requests come from, and sends requests whose
// X-Forwarded-For starts with an entry the client made up (a new one each
// time), sometimes as a separate header line. With --trust-proxy 127.0.0.1
// the client is the rightmost entry: an active link (the fast path) and a
// click-limited one (net/http) count the same two visitors with the same
// hashes (one IPv4 client, one IPv6 /64 on two addresses), and reports from
// ten addresses of one /64 share one limit. With only 10.0.0.0/8 trusted,
// the header is ignored and everything is the one client 127.0.0.1.
func TestClientAddressBehindProxy(t *testing.T) {
	for _, tt := range []struct {
		trust    string
		visitors int
		otherNet int // status of a report from another /64 after the limit is spent
	}{
		{"127.0.0.1", 2, http.StatusAccepted},
		{"10.0.0.0/8", 1, http.StatusTooManyRequests},
	} {
		t.Run("trust "+tt.trust, func(t *testing.T) {
			addr := freeAddr(t)
			startTinyWith(t, addr, []string{"--database", filepath.Join(t.TempDir(), "tiny.db"),
				"--trust-proxy", tt.trust, "--click-flush", "50ms", "--rate-report", "5/1h:5"},
				"TINY_INITIAL_API_KEY="+testKey)
			fast := createWith(t, addr, `{"url": "https://example.com/fast"}`)
			slow := createWith(t, addr, `{"url": "https://example.com/slow", "max_clicks": 1000}`)

			spoof := 0
			for _, code := range []string{fast, slow} {
				for i, client := range []string{"203.0.113.7", "2001:db8:7:7::1", "203.0.113.7", "2001:db8:7:7::2"} {
					spoof++
					made := fmt.Sprintf("198.51.100.%d", spoof)
					xff := []string{made + ", " + client}
					if i%2 == 1 {
						xff = []string{made, client}
					}
					if r := proxied(t, "GET", addr, "/"+code, "", xff...); r.StatusCode != http.StatusFound {
						t.Fatalf("GET /%s = %d, want 302", code, r.StatusCode)
					}
				}
			}
			var hashes [2][]string
			for i, code := range []string{fast, slow} {
				hashes[i] = visitorHashes(t, addr, code, 4)
				if len(hashes[i]) != tt.visitors {
					t.Errorf("visitors of /%s = %v, want %d", code, hashes[i], tt.visitors)
				}
			}
			if !slices.Equal(hashes[0], hashes[1]) {
				t.Errorf("visitor hashes: fast path %v, net/http %v, want the same", hashes[0], hashes[1])
			}

			report := `{"link": "` + fast + `", "reason": "spam"}`
			var statuses []int
			for i := 1; i <= 10; i++ {
				r := proxied(t, "POST", addr, "/api/v1/reports", report, fmt.Sprintf("192.0.2.%d", i), fmt.Sprintf("2001:db8:7:7::%x", i))
				statuses = append(statuses, r.StatusCode)
			}
			want := []int{202, 202, 202, 202, 202, 429, 429, 429, 429, 429}
			if !slices.Equal(statuses, want) {
				t.Errorf("10 reports from 2001:db8:7:7::1..a = %v, want %v", statuses, want)
			}
			if r := proxied(t, "POST", addr, "/api/v1/reports", report, "2001:db8:7:7::1, 2001:db8:7:8::1"); r.StatusCode != tt.otherNet {
				t.Errorf("a report from 2001:db8:7:8::1 = %d, want %d", r.StatusCode, tt.otherNet)
			}
		})
	}
}

// createWith creates a link from a JSON body and returns its code.
func createWith(t *testing.T, addr, body string) string {
	t.Helper()
	status, out := apiCall(t, "POST", addr, "/api/v1/links", body)
	var l struct{ Code string }
	if err := json.Unmarshal([]byte(out), &l); status != http.StatusCreated || err != nil {
		t.Fatalf("POST /api/v1/links %s = %d %s", body, status, out)
	}
	return l.Code
}

// proxied sends a request as a browser behind the proxy, one
// X-Forwarded-For header line per xff.
func proxied(t *testing.T, method, addr, path, body string, xff ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, line := range xff {
		req.Header.Add("X-Forwarded-For", line)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp
}

// visitorHashes waits until code has clicks clicks written and returns its
// distinct visitor hashes, sorted, after checking that the stats count as
// many unique visitors.
func visitorHashes(t *testing.T, addr, code string, clicks int) []string {
	t.Helper()
	var rows [][]string
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, body := apiCall(t, "GET", addr, "/api/v1/links/"+code+"/clicks.csv", "")
		rows, _ = csv.NewReader(strings.NewReader(body)).ReadAll()
		if len(rows) == clicks+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("clicks.csv of /%s has %d rows after 10s, want 1 + %d", code, len(rows), clicks)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var hashes []string
	for _, row := range rows[1:] {
		hashes = append(hashes, row[2])
	}
	slices.Sort(hashes)
	hashes = slices.Compact(hashes)
	_, body := apiCall(t, "GET", addr, "/api/v1/links/"+code+"/stats", "")
	var st struct {
		Totals struct {
			UniqueVisitors int `json:"unique_visitors"`
		}
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Totals.UniqueVisitors != len(hashes) {
		t.Errorf("unique_visitors of /%s = %d (%v), want %d as clicks.csv has", code, st.Totals.UniqueVisitors, err, len(hashes))
	}
	return hashes
}
