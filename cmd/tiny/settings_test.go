package main

import (
	"strings"
	"testing"
)

// TestAdminSettingsHoldNoSecret: the admin page shows where things are,
// never a password, key or client secret.
func TestAdminSettingsHoldNoSecret(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Database = "postgres://tiny:db-pass-123@db.internal:5432/tiny?sslmode=require&password=db-pass-123"
	cfg.Redis = "redis://:redis-pass-456@cache:6379/0"
	cfg.InitialAPIKey = "tiny_initial-key-789"
	cfg.OIDCIssuer, cfg.OIDCClientSecret = "https://sso.example", "oidc-secret-000"
	cfg.Require2FA = true
	cfg.SafeBrowsingKey = "sb-key-111"
	m := &Main{Config: cfg}
	got := m.adminSettings("https://tiny.example")
	byName := map[string]string{}
	for _, s := range got {
		byName[s.Name] = s.Value
		for _, secret := range []string{"db-pass-123", "redis-pass-456", "initial-key-789", "oidc-secret-000", "sb-key-111"} {
			if strings.Contains(s.Value, secret) {
				t.Errorf("setting %q = %q shows a secret", s.Name, s.Value)
			}
		}
	}
	for name, want := range map[string]string{
		"Base URL": "https://tiny.example", "Store": "PostgreSQL at db.internal:5432/tiny", "Two-factor required": "on",
		"Single sign-on (OIDC)": "https://sso.example", "Block at score": "off", "Per client address": "1200/1m:300",
		"Google Safe Browsing": "on: MALWARE, SOCIAL_ENGINEERING, UNWANTED_SOFTWARE, updated every 30m",
	} {
		if byName[name] != want {
			t.Errorf("setting %q = %q, want %q", name, byName[name], want)
		}
	}
}
