package main

import (
	"maps"
	"strings"
	"testing"
)

func TestResolveFlag(t *testing.T) {
	var r resolveFlag
	if err := r.Set("go.example.net:80=127.0.0.1:8081, Phish.Example.org:443=[::1]:8443"); err != nil {
		t.Fatalf("Set = %v", err)
	}
	if err := r.Set("www.example.com:80=127.0.0.1:9000"); err != nil {
		t.Fatalf("Set (again) = %v", err)
	}
	want := map[string]string{"go.example.net:80": "127.0.0.1:8081", "phish.example.org:443": "[::1]:8443",
		"www.example.com:80": "127.0.0.1:9000"}
	if !maps.Equal(r.m, want) {
		t.Errorf("Set gave %v, want %v", r.m, want)
	}
	for in, msg := range map[string]string{
		"nonsense":                          "want HOST:PORT=ADDRESS:PORT",
		"go.example.net=127.0.0.1:80":       "is not HOST:PORT",
		"go.example.net:80=localhost:80":    "is not an ADDRESS:PORT",
		"go.example.net:80=127.0.0.1":       "is not an ADDRESS:PORT",
		"go.example.net:80=http://1.2.3.4/": "is not an ADDRESS:PORT",
	} {
		var r resolveFlag
		if err := r.Set(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Set(%q) = %v, want an error saying %q", in, err, msg)
		}
	}
}
