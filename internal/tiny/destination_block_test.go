package tiny_test

import (
	"testing"

	"tiny/internal/tiny"
)

func TestNormalizeDestination(t *testing.T) {
	tests := []struct {
		kind  tiny.DestinationKind
		value string
		want  string
	}{
		{tiny.DestinationURL, " HTTPS://Evil.Example:443/Login?u=1#top ", "https://evil.example/Login?u=1"},
		{tiny.DestinationURL, "https://evil.example", "https://evil.example/"},
		{tiny.DestinationURL, "https://bücher.example/x", "https://xn--bcher-kva.example/x"},
		{tiny.DestinationHost, "WWW.Evil.Example.", "www.evil.example"},
		{tiny.DestinationHost, "https://www.evil.example:8443/login", "www.evil.example"},
		{tiny.DestinationHost, "evil.example:8080", "evil.example"},
		{tiny.DestinationHost, "bücher.example", "xn--bcher-kva.example"},
		{tiny.DestinationHost, "203.0.113.7", "203.0.113.7"},
		{tiny.DestinationHost, "2001:DB8::1", "2001:db8::1"},
		{tiny.DestinationHost, "[2001:db8::1]", "2001:db8::1"},
		{tiny.DestinationHost, "intranet", "intranet"},
		{tiny.DestinationHost, "github.io", "github.io"}, // a private suffix, not an ICANN one
		{tiny.DestinationDomain, "a.b.Evil.Example", "evil.example"},
		{tiny.DestinationDomain, "https://login.evil.co.uk/x", "evil.co.uk"},
		{tiny.DestinationDomain, "evil.github.io", "evil.github.io"},
		{tiny.DestinationDomain, "xn--bcher-kva.example", "xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		got, err := tiny.NormalizeDestination(tt.kind, tt.value)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeDestination(%s, %q) = %q, %v, want %q, nil", tt.kind, tt.value, got, err, tt.want)
		}
	}
}

func TestNormalizeDestinationRefuses(t *testing.T) {
	tests := []struct {
		kind  tiny.DestinationKind
		value string
		field string
	}{
		{"", "evil.example", "kind"},
		{"regex", "evil.example", "kind"},
		{tiny.DestinationURL, "", "value"},
		{tiny.DestinationHost, "  ", "value"},
		{tiny.DestinationURL, "evil.example/login", "value"}, // not absolute
		{tiny.DestinationURL, "javascript:alert(1)", "value"},
		{tiny.DestinationURL, "https://user:pw@evil.example/", "value"},
		{tiny.DestinationHost, "evil.example/login", "value"},
		{tiny.DestinationHost, "bad host.example", "value"},
		{tiny.DestinationHost, "a..b", "value"},
		{tiny.DestinationHost, "com", "value"},
		{tiny.DestinationHost, "co.uk", "value"},
		{tiny.DestinationDomain, "com", "value"},
		{tiny.DestinationDomain, "CO.UK.", "value"},
		{tiny.DestinationDomain, "github.io", "value"},
		{tiny.DestinationDomain, "https://com/", "value"},
		{tiny.DestinationDomain, "intranet", "value"},
		{tiny.DestinationDomain, "203.0.113.7", "value"},
		{tiny.DestinationDomain, "::1", "value"},
	}
	for _, tt := range tests {
		got, err := tiny.NormalizeDestination(tt.kind, tt.value)
		if !tiny.IsCode(err, tiny.Invalid) || tiny.ErrorFieldOf(err) != tt.field {
			t.Errorf("NormalizeDestination(%q, %q) = %q, %v, want an invalid %s", tt.kind, tt.value, got, err, tt.field)
		}
	}
}

func TestDestinationKeys(t *testing.T) {
	tests := []struct{ url, key, host string }{
		{"https://evil.example/login#x", "https://evil.example/login", "evil.example"},
		{"https://evil.example", "https://evil.example/", "evil.example"},
		{"https://Evil.Example:8443/?q", "https://evil.example:8443/?q", "evil.example"},
		{"https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443/x", "2001:db8::1"},
	}
	for _, tt := range tests {
		key, host, ok := tiny.DestinationKeys(tt.url)
		if !ok || key != tt.key || host != tt.host {
			t.Errorf("DestinationKeys(%q) = %q, %q, %v, want %q, %q, true", tt.url, key, host, ok, tt.key, tt.host)
		}
	}
	for _, bad := range []string{"", "::", "/relative"} {
		if _, _, ok := tiny.DestinationKeys(bad); ok {
			t.Errorf("DestinationKeys(%q) ok, want not", bad)
		}
	}
}
