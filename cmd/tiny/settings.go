package main

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"tiny/internal/app"
)

// adminSettings are the effective settings the admin page shows, read-only.
// No secret is among them: the OIDC client secret, the initial API key and
// the passwords of database and Redis addresses are left out.
func (m *Main) adminSettings(baseURL string) []app.Setting {
	cfg := m.Config
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	list := func(s []string) string {
		if len(s) == 0 {
			return "none"
		}
		return strings.Join(s, ", ")
	}
	dur := func(d time.Duration) string {
		if d == 0 {
			return "none"
		}
		return shortDuration(d)
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', 3, 64) }
	block, review := "off", "off"
	if m.checker != nil {
		b, r := m.checker.Thresholds()
		block, review = num(b), num(r)
	}
	oidc := "off"
	if cfg.OIDCIssuer != "" {
		oidc = cfg.OIDCIssuer
	}
	store := "SQLite file " + cfg.Database
	if isPostgresURL(cfg.Database) {
		// Only where: a password may be in the user part or the query.
		store = "PostgreSQL"
		if u, err := url.Parse(cfg.Database); err == nil {
			store += " at " + u.Host + u.Path
		}
	}
	return []app.Setting{
		{Group: "Server", Name: "Base URL", Value: baseURL},
		{Group: "Server", Name: "Listening on", Value: cfg.Addr},
		{Group: "Server", Name: "Store", Value: store},
		{Group: "Server", Name: "Shared rate limits (Redis)", Value: onOff(cfg.Redis != "")},
		{Group: "Server", Name: "Trusted proxies", Value: list(strings.FieldsFunc(cfg.TrustProxy.String(), func(r rune) bool { return r == ',' }))},
		{Group: "Link safety", Name: "Safety checks", Value: onOff(cfg.Safety)},
		{Group: "Link safety", Name: "Block at score", Value: block},
		{Group: "Link safety", Name: "Review at score", Value: review},
		{Group: "Link safety", Name: "Blocklists", Value: list(cfg.Blocklists)},
		{Group: "Link safety", Name: "Allowlists", Value: list(cfg.Allowlists)},
		{Group: "Link safety", Name: "Reload feeds every", Value: dur(cfg.BlocklistEvery)},
		{Group: "Link safety", Name: "Google Safe Browsing", Value: safeBrowsingSetting(cfg)},
		{Group: "Link safety", Name: "Private destinations", Value: onOff(cfg.AllowPrivateDestinations)},
		{Group: "Rate limits", Name: "Per client address", Value: cfg.RateIP.String()},
		{Group: "Rate limits", Name: "Per API key", Value: cfg.RateKey.String()},
		{Group: "Rate limits", Name: "Link creation", Value: cfg.RateCreate.String()},
		{Group: "Rate limits", Name: "Abuse reports", Value: cfg.RateReport.String()},
		{Group: "Rate limits", Name: "Link passwords per address", Value: cfg.RatePasswordIP.String()},
		{Group: "Rate limits", Name: "Link passwords per link", Value: cfg.RatePasswordLink.String()},
		{Group: "Sign-in", Name: "Two-factor required", Value: onOff(cfg.Require2FA)},
		{Group: "Sign-in", Name: "Session idle timeout", Value: dur(cfg.SessionIdle)},
		{Group: "Sign-in", Name: "Session lifetime", Value: dur(cfg.SessionLifetime)},
		{Group: "Sign-in", Name: "Single sign-on (OIDC)", Value: oidc},
		{Group: "Sign-in", Name: "Sign-up by single sign-on", Value: onOff(cfg.OIDCIssuer != "" && cfg.OIDCAllowSignUp)},
		{Group: "Sign-in", Name: "Single sign-on domains", Value: list(cfg.OIDCDomains)},
		{Group: "Analytics", Name: "Click analytics", Value: onOff(cfg.Analytics)},
		{Group: "Analytics", Name: "Keep raw clicks for", Value: dur(cfg.ClickRetention)},
		{Group: "Analytics", Name: "GeoIP database", Value: cfg.GeoIPDB},
	}
}
