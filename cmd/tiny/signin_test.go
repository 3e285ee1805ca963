package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOIDCConfigFromFlags reads the role map, its precedence and the
// secret file, and refuses a role tiny does not have.
func TestOIDCConfigFromFlags(t *testing.T) {
	base, _ := url.Parse("https://sho.rt")
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("from-the-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.OIDCIssuer, c.OIDCClientID, c.OIDCSecretFile = "https://id.example", "tiny", secretFile
	_ = c.OIDCRoleMap.Set("tiny-mods=moderator, tiny-admins=admin")
	oc, err := c.oidcConfig(base)
	if err != nil {
		t.Fatalf("oidcConfig = %v, want nil", err)
	}
	if oc.ClientSecret != "from-the-file" || oc.RedirectURL != "https://sho.rt/auth/oidc/callback" ||
		oc.RoleMap["tiny-admins"] != "admin" || !slices.Equal(oc.RolePrecedence, []string{"admin", "moderator"}) || oc.DefaultRole != "member" {
		t.Errorf("oidcConfig = %+v, want the file's secret, the callback on the base URL, the map, admin before moderator", oc)
	}
	c.OIDCRoleMap = nil
	_ = c.OIDCRoleMap.Set("staff=owner")
	if _, err := c.oidcConfig(base); err == nil || !strings.Contains(err.Error(), "--oidc-role-map") {
		t.Errorf("oidcConfig(role owner) = %v, want an error naming --oidc-role-map", err)
	}
}

// TestSecretKeyFile refuses a secret file too short to key anything.
func TestSecretKeyFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content string
		ok      bool
	}{
		{"short\n", false},
		{strings.Repeat("k", 48) + "\n", true},
	} {
		f := filepath.Join(dir, "secret")
		if err := os.WriteFile(f, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.SecretKeyFile = f
		m := &Main{Config: cfg}
		_, err := m.serverSecret(context.Background())
		if (err == nil) != tc.ok {
			t.Errorf("serverSecret(%d bytes) = %v, want ok %v", len(tc.content), err, tc.ok)
		}
	}
}
