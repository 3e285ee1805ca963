package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"tiny/internal/contract"
)

// send makes an API call with exactly the Content-Type headers given (none
// for nil), bypassing the harness's default. Only the response is checked
// against the spec, since the requests are malformed on purpose.
func (e *env) send(method, path string, contentTypes []string, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.adminKey)
	for _, ct := range contentTypes {
		req.Header.Add("Content-Type", ct)
	}
	resp, err := e.api.Do(contract.SkipRequestValidation(req))
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestStrictJSONBodies checks that a body is read one way only: refused
// unless it is declared application/json, is UTF-8, names each field once
// and in its exact case. A refused request stores nothing.
func TestStrictJSONBodies(t *testing.T) {
	e := newEnv(t)
	target := e.create(e.adminKey, map[string]any{"url": "https://example.com/before"})
	code := target["code"].(string)
	jsonCT := []string{"application/json"}
	create := `{"url":"https://example.com/new"}`
	tests := []struct {
		name         string
		method, path string
		contentTypes []string
		body         string
		status       int
		code, field  string
		msg          string
	}{
		{"duplicate field", "POST", "/api/v1/links", jsonCT, `{"url":"https://a.example/","url":"https://b.example/"}`, 400, "invalid", "url", `duplicate field "url"`},
		{"duplicate field, escaped", "POST", "/api/v1/links", jsonCT, `{"url":"https://a.example/","\u0075rl":"https://b.example/"}`, 400, "invalid", "url", "duplicate field"},
		{"duplicate optional field", "POST", "/api/v1/links", jsonCT, `{"url":"https://a.example/","title":"a","title":"b"}`, 400, "invalid", "title", "duplicate field"},
		{"duplicate field in a bulk item", "POST", "/api/v1/links/bulk", jsonCT, `{"links":[{"url":"https://a.example/","url":"https://b.example/"}]}`, 400, "invalid", "url", `duplicate field "url" in /links/0`},
		{"duplicate bulk list", "POST", "/api/v1/links/bulk", jsonCT, `{"links":[{"url":"https://a.example/"}],"links":[{"url":"https://b.example/"}]}`, 400, "invalid", "links", "duplicate field"},
		{"duplicate field in an update", "PATCH", "/api/v1/links/" + code, jsonCT, `{"url":"https://a.example/","url":"https://b.example/"}`, 400, "invalid", "url", "duplicate field"},
		{"URL", "POST", "/api/v1/links", jsonCT, `{"URL":"https://a.example/"}`, 400, "invalid", "URL", "lower case"},
		{"Url", "POST", "/api/v1/links", jsonCT, `{"Url":"https://a.example/"}`, 400, "invalid", "Url", `unknown field "Url"`},
		{"Url beside url", "POST", "/api/v1/links", jsonCT, `{"url":"https://a.example/","Url":"https://b.example/"}`, 400, "invalid", "Url", "unknown field"},
		{"Url in a bulk item", "POST", "/api/v1/links/bulk", jsonCT, `{"links":[{"Url":"https://a.example/"}]}`, 400, "invalid", "Url", "in /links/0"},
		{"URL in an update", "PATCH", "/api/v1/links/" + code, jsonCT, `{"URL":"https://a.example/"}`, 400, "invalid", "URL", "unknown field"},
		{"invalid UTF-8 in a string", "POST", "/api/v1/links", jsonCT, "{\"url\":\"https://a.example/\xff\"}", 400, "invalid", "", "UTF-8"},
		{"invalid UTF-8 in a title", "POST", "/api/v1/links", jsonCT, "{\"url\":\"https://a.example/\",\"title\":\"caf\xe9\"}", 400, "invalid", "", "UTF-8"},
		{"invalid UTF-8 in a name", "POST", "/api/v1/links", jsonCT, "{\"u\xffrl\":\"https://a.example/\"}", 400, "invalid", "", "UTF-8"},
		{"lone surrogate escape", "POST", "/api/v1/links", jsonCT, `{"url":"https://a.example/","title":"\ud800"}`, 400, "invalid", "", "malformed JSON"},
		{"text/plain", "POST", "/api/v1/links", []string{"text/plain"}, create, 415, "unsupported_media_type", "", "application/json"},
		{"curl -d", "POST", "/api/v1/links", []string{"application/x-www-form-urlencoded"}, create, 415, "unsupported_media_type", "", "application/json"},
		{"form", "POST", "/api/v1/links", []string{"application/x-www-form-urlencoded"}, "url=https%3A%2F%2Fa.example%2F", 415, "unsupported_media_type", "", "application/json"},
		{"multipart", "POST", "/api/v1/links", []string{"multipart/form-data; boundary=x"}, "--x\r\nContent-Disposition: form-data; name=\"url\"\r\n\r\nhttps://a.example/\r\n--x--\r\n", 415, "unsupported_media_type", "", "application/json"},
		{"no Content-Type", "POST", "/api/v1/links", nil, create, 415, "unsupported_media_type", "", "Content-Type"},
		{"empty Content-Type", "POST", "/api/v1/links", []string{""}, create, 415, "unsupported_media_type", "", "application/json"},
		{"+json suffix", "POST", "/api/v1/links", []string{"application/merge-patch+json"}, create, 415, "unsupported_media_type", "", "application/json"},
		{"latin-1", "POST", "/api/v1/links", []string{"application/json; charset=iso-8859-1"}, create, 415, "unsupported_media_type", "", "charset"},
		{"two Content-Types", "POST", "/api/v1/links", []string{"application/json", "text/plain"}, create, 415, "unsupported_media_type", "", "one Content-Type"},
		{"two Content-Types, JSON last", "POST", "/api/v1/links", []string{"text/plain", "application/json"}, create, 415, "unsupported_media_type", "", "one Content-Type"},
		{"bulk as text", "POST", "/api/v1/links/bulk", []string{"text/plain"}, `{"links":[{"url":"https://a.example/"}]}`, 415, "unsupported_media_type", "", ""},
		{"update as a form", "PATCH", "/api/v1/links/" + code, []string{"application/x-www-form-urlencoded"}, `{"url":"https://a.example/"}`, 415, "unsupported_media_type", "", ""},
		{"update without Content-Type", "PATCH", "/api/v1/links/" + code, nil, `{"url":"https://a.example/"}`, 415, "unsupported_media_type", "", ""},
		{"key as text", "POST", "/api/v1/keys", []string{"text/plain"}, `{"name":"k","user":"u"}`, 415, "unsupported_media_type", "", ""},
		{"report as a form", "POST", "/api/v1/reports", []string{"application/x-www-form-urlencoded"}, `{"link":"` + code + `","reason":"spam"}`, 415, "unsupported_media_type", "", ""},
		{"appeal without Content-Type", "POST", "/api/v1/links/" + code + "/appeal", nil, `{"message":"please"}`, 415, "unsupported_media_type", "", ""},
		{"decision as text", "POST", "/api/v1/moderation/links/" + code, []string{"text/plain"}, `{"decision":"block","note":"x"}`, 415, "unsupported_media_type", "", ""},
	}
	before := e.linkCount()
	for _, tt := range tests {
		r := e.send(tt.method, tt.path, tt.contentTypes, tt.body)
		if r.status != tt.status || r.errorCode() != tt.code || r.errorField() != tt.field || !strings.Contains(r.errorMessage(t), tt.msg) {
			t.Errorf("%s: %s %s = %d %s, want %d %s on field %q mentioning %q", tt.name, tt.method, tt.path, r.status, r.body, tt.status, tt.code, tt.field, tt.msg)
		}
	}
	if after := e.linkCount(); after != before {
		t.Errorf("refused requests changed the number of links from %d to %d", before, after)
	}
	if got := e.do("GET", "/api/v1/links/"+code, e.adminKey, nil).json(t)["url"]; got != "https://example.com/before" {
		t.Errorf("refused updates changed the link's url to %v", got)
	}
	if r := e.send("GET", "/api/v1/moderation/queue", nil, ""); r.status != 200 {
		t.Errorf("refused reports and appeals: GET moderation queue = %d %s", r.status, r.body)
	} else if items, _ := r.json(t)["links"].([]any); len(items) != 0 {
		t.Errorf("refused reports and appeals queued %d links", len(items))
	}

	// What is accepted: application/json with parameters, in any case.
	for i, ct := range []string{"application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON"} {
		r := e.send("POST", "/api/v1/links", []string{ct}, `{"url":"https://example.com/accepted"}`)
		if r.status != 201 {
			t.Errorf("POST /api/v1/links with Content-Type %q = %d %s, want 201", ct, r.status, r.body)
		}
		if got := e.linkCount(); got != before+i+1 {
			t.Errorf("after create with Content-Type %q: %d links, want %d", ct, got, before+i+1)
		}
	}
	// A body-less request needs no Content-Type.
	if r := e.send("GET", "/api/v1/links/"+code, nil, ""); r.status != 200 {
		t.Errorf("GET without Content-Type = %d %s, want 200", r.status, r.body)
	}
	if r := e.send("DELETE", "/api/v1/links/"+code, nil, ""); r.status != 204 {
		t.Errorf("DELETE without Content-Type = %d %s, want 204", r.status, r.body)
	}
}
