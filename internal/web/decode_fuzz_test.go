package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// FuzzDecodeLinkInput feeds arbitrary bodies to decodeJSON as the create
// and update handlers do. Whatever the body, it must not panic, and a
// refusal must be the client's fault (invalid or too_large), never an
// internal error that would answer 500. A body it accepts is one a filter
// in front of tiny reads the same way: UTF-8, with no name twice in an
// object.
func FuzzDecodeLinkInput(f *testing.F) {
	for _, s := range []string{
		`{"url": "https://example.com/", "alias": "a", "title": "t", "tags": ["x"], "expires_at": "2030-01-02T15:04:05Z",
		  "max_clicks": 3, "redirect": 301, "cache_seconds": 60, "password": "pw", "forward_query": true}`,
		`{"url": "https://example.com/", "nope": 1}`,
		`{"url": 5}`,
		`{"tags": "x"}`,
		`{"tags": [1, 2]}`,
		`{"redirect": "301"}`,
		`{"url": {"nested": {"deeper": [1, {"x": null}]}}}`,
		`{"max_clicks": 1e400, "cache_seconds": 99999999999999999999}`,
		`{"max_clicks": -0.5}`,
		`null`,
		`{"url": null, "expires_at": null, "password": null}`,
		`{"title": "\u00e9\ud83d\ude00\u0000 \ud800"}`,
		`{"url": "https://example.com/"} {"url": "again"}`,
		`{"url": "https://example.com/"}]`,
		`{"expires_at": "tomorrow"}`,
		`{"expires_at": 1700000000}`,
		`[]`,
		`"just a string"`,
		``,
		`{"url":`,
		"\xef\xbb\xbf{}",
		`{"URL": "https://example.com/"}`,
		`{"url": "https://a.example/", "url": "https://b.example/"}`,
		`{"url": "https://a.example/", "\u0075rl": "https://b.example/"}`,
		`{"tags": ["a"], "title": "t", "tags": ["b"]}`,
		"{\"url\": \"https://example.com/\xff\"}",
		"{\"u\xffrl\": \"https://example.com/\"}",
		`{"title": "\ud83d"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, in := range []any{&shortener.CreateInput{}, &shortener.UpdateInput{}} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/api/v1/links", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			err := decodeJSON(w, r, in, linkBodyLimit)
			if err == nil {
				if !utf8.Valid(body) {
					t.Fatalf("decodeJSON(%q) into %T = nil for a body that is not UTF-8", body, in)
				}
				if dup := duplicateName(body); dup != "" {
					t.Fatalf("decodeJSON(%q) into %T = nil for a body with %q twice in an object", body, in, dup)
				}
				continue
			}
			var te *tiny.Error
			if !errors.As(err, &te) {
				t.Fatalf("decodeJSON(%q) into %T = %v (%T), want a *tiny.Error", body, in, err, err)
			}
			if code := tiny.ErrorCodeOf(err); code != tiny.Invalid && code != tiny.TooLarge {
				t.Fatalf("decodeJSON(%q) into %T = code %q, want invalid or too_large", body, in, code)
			}
			if te.Message == "" {
				t.Fatalf("decodeJSON(%q) into %T = %v with no message", body, in, err)
			}
		}
	})
}

// duplicateName returns a name that occurs twice in one object of body, by
// encoding/json's tokenizer (which decodes escapes, so "a" and "\u0061"
// are the same name), or "" when there is none or body is not JSON.
func duplicateName(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		names    map[string]bool
		isObject bool
		wantName bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.isObject && top.wantName {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			name, _ := tok.(string)
			if top.names[name] {
				return name
			}
			top.names[name] = true
			top.wantName = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{names: map[string]bool{}, isObject: true, wantName: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the object around it expects a name next.
		if len(stack) > 0 && stack[len(stack)-1].isObject {
			stack[len(stack)-1].wantName = true
		}
	}
}

func TestDuplicateName(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"a": 1, "b": 2}`, ""},
		{`{"a": 1, "a": 2}`, "a"},
		{`{"a": {"b": 1}, "b": 2}`, ""},
		{`{"a": {"b": 1, "b": 2}}`, "b"},
		{`{"a": [{"b": 1}, {"b": 2}]}`, ""},
		{`{"a": [{"b": 1, "c": [], "b": 2}]}`, "b"},
		{`{"a": [], "\u0061": 1}`, "a"},
		{`[{"x": 1}, {"x": 2}]`, ""},
	}
	for _, tt := range tests {
		if got := duplicateName([]byte(tt.body)); got != tt.want {
			t.Errorf("duplicateName(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// TestDecodeJSONErrors pins the code, field and message of the refusals a
// client most often meets.
func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct {
		body       string
		into       func() any
		wantCode   tiny.ErrorCode
		wantField  string
		wantInText string
	}{
		{``, createInput, tiny.Invalid, "", "empty"},
		{`{"url":`, createInput, tiny.Invalid, "", "ends early"},
		{`{"url" 1}`, createInput, tiny.Invalid, "", "malformed JSON at byte"},
		{`{"url": "https://example.com/", "nope": 1}`, createInput, tiny.Invalid, "nope", "unknown field"},
		{`{"url": 5}`, createInput, tiny.Invalid, "url", "must be a string"},
		{`{"redirect": "301"}`, createInput, tiny.Invalid, "redirect", "must be an integer"},
		{`{"tags": "x"}`, createInput, tiny.Invalid, "tags", "must be an array"},
		{`{"forward_query": 1}`, createInput, tiny.Invalid, "forward_query", "must be a boolean"},
		{`{"max_clicks": 1.5}`, createInput, tiny.Invalid, "max_clicks", "must be an integer"},
		{`{"expires_at": "tomorrow"}`, createInput, tiny.Invalid, "expires_at", "RFC 3339"},
		{`[]`, createInput, tiny.Invalid, "", "JSON object"},
		{`{} {}`, createInput, tiny.Invalid, "", "single JSON value"},
		{`{"url": 5}`, updateInput, tiny.Invalid, "url", "must be a string"},
		{`{"max_clicks": "x"}`, updateInput, tiny.Invalid, "max_clicks", "must be an integer"},
		{`{"tags": "x"}`, updateInput, tiny.Invalid, "tags", "must be an array"},
		{`{"expires_at": "tomorrow"}`, updateInput, tiny.Invalid, "expires_at", "RFC 3339"},
		{`{"url": "https://example.com/", "x": 1}`, updateInput, tiny.Invalid, "x", "unknown field"},
		{`{"title": "` + strings.Repeat("a", linkBodyLimit) + `"}`, createInput, tiny.TooLarge, "", "at most"},
	}
	for _, tt := range tests {
		in := tt.into()
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/api/v1/links", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		err := decodeJSON(w, r, in, linkBodyLimit)
		body := tt.body
		if len(body) > 40 {
			body = body[:40] + "…"
		}
		if code, field := tiny.ErrorCodeOf(err), tiny.ErrorFieldOf(err); code != tt.wantCode || field != tt.wantField {
			t.Errorf("decodeJSON(%q) into %T = %v (code %q, field %q), want code %q, field %q", body, in, err, code, field, tt.wantCode, tt.wantField)
			continue
		}
		if msg := tiny.ErrorMessageOf(err); !strings.Contains(msg, tt.wantInText) {
			t.Errorf("decodeJSON(%q) into %T message = %q, want it to mention %q", body, in, msg, tt.wantInText)
		}
	}
}

func createInput() any { return &shortener.CreateInput{} }
func updateInput() any { return &shortener.UpdateInput{} }
