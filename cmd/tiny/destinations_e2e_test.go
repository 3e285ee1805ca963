package main

import (
	"encoding/json"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// TestAllowPrivateDestinations starts the binary with and without
// TINY_ALLOW_PRIVATE_DESTINATIONS: private hosts pass only with it, cloud
// metadata never, and the service's own port over [::1] is a loop.
func TestAllowPrivateDestinations(t *testing.T) {
	_, port, _ := net.SplitHostPort(freeAddr(t))
	tests := []struct {
		url              string
		strictOK, openOK bool
		msg              string
	}{
		{"https://example.com/public", true, true, ""},
		{"http://10.1.2.3/wiki", false, true, "private address"},
		{"http://[fe80::1]/", false, true, "link-local address"},
		{"http://169.254.169.254/latest/meta-data/", false, false, "cloud metadata"},
		{"http://metadata.google.internal/", false, false, "cloud metadata"},
		{"http://[::1]:" + port + "/abc", false, false, "redirect loop"},
	}
	for _, allow := range []bool{false, true} {
		addr := freeAddr(t)
		env := []string{"TINY_INITIAL_API_KEY=" + testKey}
		if allow {
			env = append(env, "TINY_ALLOW_PRIVATE_DESTINATIONS=true")
		}
		// Safety off: the model's verdict on IP hosts is not what is tested.
		startTinyWith(t, addr, []string{"--database", filepath.Join(t.TempDir(), "tiny.db"), "--safety=false"}, env...)
		_, ownPort, _ := net.SplitHostPort(addr)
		for _, tt := range tests {
			dest := strings.Replace(tt.url, ":"+port+"/", ":"+ownPort+"/", 1)
			body, _ := json.Marshal(map[string]string{"url": dest})
			resp := apiResponseBody(t, "POST", addr, "/api/v1/links", string(body))
			var out struct {
				Error struct{ Code, Message, Field string }
			}
			_ = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			want := tt.strictOK
			if allow {
				want = tt.openOK
			}
			if want {
				if resp.StatusCode != 201 {
					t.Errorf("allow %v: POST %s = %d %+v, want 201", allow, dest, resp.StatusCode, out.Error)
				}
				continue
			}
			if resp.StatusCode != 400 || out.Error.Code != string(tiny.Invalid) || out.Error.Field != "url" || !strings.Contains(out.Error.Message, tt.msg) {
				t.Errorf("allow %v: POST %s = %d %+v, want 400 invalid on url mentioning %q", allow, dest, resp.StatusCode, out.Error, tt.msg)
			}
		}
	}
}

// TestOwnHosts checks that every address the listener answers on is a
// redirect loop, whatever the destination rule allows.
func TestOwnHosts(t *testing.T) {
	tests := []struct {
		addr  string
		loops []string
	}{
		{"127.0.0.1:8080", []string{"http://127.0.0.1:8080/x", "http://[::1]:8080/x", "http://localhost:8080/x", "http://0.0.0.0:8080/x"}},
		{":9000", []string{"http://127.0.0.1:9000/x", "http://[::1]:9000/x", "http://localhost:9000/x"}},
		{"0.0.0.0:9000", []string{"http://127.0.0.1:9000/x", "http://[::1]:9000/x", "http://0.0.0.0:9000/x"}},
		{"[::]:9000", []string{"http://127.0.0.1:9000/x", "http://[::1]:9000/x"}},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		cfg.Addr = tt.addr
		base, _ := url.Parse("https://sho.rt")
		p := tiny.URLPolicy{OwnHosts: cfg.ownHosts(base), Destinations: tiny.DestinationRule{AllowPrivate: true}}
		for _, u := range append(tt.loops, "https://sho.rt/x") {
			if _, err := p.NormalizeURL(u); !strings.Contains(tiny.ErrorMessageOf(err), "redirect loop") {
				t.Errorf("--addr %s: NormalizeURL(%q) = %v, want a redirect loop", tt.addr, u, err)
			}
		}
		if got, err := p.NormalizeURL("http://127.0.0.1:9999/x"); err != nil {
			t.Errorf("--addr %s: NormalizeURL(another port) = %q, %v, want it allowed", tt.addr, got, err)
		}
	}
}
