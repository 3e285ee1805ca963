package tiny

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// DestinationKind is what a destination block covers.
type DestinationKind string

// The destination kinds.
const (
	// DestinationURL blocks one URL, as NormalizeURL writes it; its
	// fragment is ignored, since a fragment never reaches the server.
	DestinationURL DestinationKind = "url"
	// DestinationHost blocks every URL on one host, whatever its scheme,
	// port or path, but not the host's subdomains.
	DestinationHost DestinationKind = "host"
	// DestinationDomain blocks every URL on a registrable domain (the
	// public suffix and one label more, such as example.co.uk) and on all
	// its subdomains.
	DestinationDomain DestinationKind = "domain"
)

// DestinationBlock is a moderator's block of a destination: every link to
// it, existing or new, on every node, is blocked.
type DestinationBlock struct {
	ID        int64
	Kind      DestinationKind
	Value     string // normalised by NormalizeDestination
	Note      string // why, for the audit log
	ActorID   int64  // the moderator who made the block
	CreatedAt time.Time
}

// String names the block in audit reasons: "destination block 3 (domain
// evil.example)".
func (b *DestinationBlock) String() string {
	return fmt.Sprintf("destination block %d (%s %s)", b.ID, b.Kind, b.Value)
}

// DestinationAudit returns the entry that records a moderator adding
// (action ActionDestinationBlocked) or removing (ActionDestinationUnblocked)
// block b. It concerns no one link: LinkID is 0 and URL is b's value.
func DestinationAudit(b *DestinationBlock, action AuditAction, actorID int64) *AuditEntry {
	reason := b.String()
	if b.Note != "" {
		reason += ": " + b.Note
	}
	return &AuditEntry{URL: b.Value, ActorID: actorID, Action: action, Reason: reason}
}

// NormalizeDestination checks value as a destination of kind and returns
// the form blocks are stored and compared in:
//
//   - url: the URL as NormalizeURL writes it, without its fragment and with
//     "/" for an empty path;
//   - host: the host of value (a host name, an IP address or a URL), in
//     lower case, IDNs in punycode; an ICANN public suffix ("com") is
//     refused;
//   - domain: the registrable domain of value's host ("www.evil.co.uk" →
//     "evil.co.uk"); a public suffix ("com", "co.uk", "github.io"), a
//     single label and an IP address have none and are refused.
//
// Errors are Invalid, on field "kind" or "value".
func NormalizeDestination(kind DestinationKind, value string) (string, error) {
	value = strings.TrimSpace(value)
	switch kind {
	case DestinationURL, DestinationHost, DestinationDomain:
	default:
		return "", FieldErrorf(Invalid, "kind", "kind must be url, host or domain")
	}
	if value == "" {
		return "", FieldErrorf(Invalid, "value", "value is required")
	}
	if kind == DestinationURL {
		u, err := normalizeDestinationURL(value)
		if err != nil {
			return "", err
		}
		return destinationURLKey(u), nil
	}
	host, err := destinationHost(value)
	if err != nil {
		return "", err
	}
	if kind == DestinationHost {
		if ps, icann := publicsuffix.PublicSuffix(host); icann && ps == host {
			return "", FieldErrorf(Invalid, "value", "%q is a public suffix, not a host", host)
		}
		return host, nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return "", FieldErrorf(Invalid, "value", "an IP address has no domain; block it with kind host")
	}
	domain, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return "", FieldErrorf(Invalid, "value",
			"%q is a public suffix: blocking it would block every site under it; block a domain under it, or this host with kind host", host)
	}
	return domain, nil
}

// normalizeDestinationURL normalises raw like a link's destination, with
// errors on field "value". Private hosts are let through: an instance with
// --allow-private-destinations may well want to block one of its own.
func normalizeDestinationURL(raw string) (*url.URL, error) {
	s, err := URLPolicy{Destinations: DestinationRule{AllowPrivate: true}}.NormalizeURL(raw)
	if err != nil {
		return nil, &Error{Code: Invalid, Field: "value", Message: ErrorMessageOf(err)}
	}
	return url.Parse(s) // NormalizeURL's output always parses
}

// destinationHost returns the normalised host of value: a URL, or a host
// name or IP address alone.
func destinationHost(value string) (string, error) {
	if !strings.Contains(value, "://") {
		if strings.ContainsAny(value, "/?#@") {
			return "", FieldErrorf(Invalid, "value", "value must be a host name, an IP address or a URL")
		}
		if a, err := netip.ParseAddr(value); err == nil && a.Is6() {
			value = "[" + value + "]"
		}
		value = "http://" + value + "/"
	}
	u, err := normalizeDestinationURL(value)
	if err != nil {
		return "", err
	}
	return u.Hostname(), nil
}

// destinationURLKey is u without its fragment, with "/" for an empty path.
func destinationURLKey(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	if c.Path == "" && c.RawPath == "" {
		c.Path = "/"
	}
	return c.String()
}

// DestinationKeys returns what destination blocks are compared with for a
// link's destination rawURL (normalised, as links store it): the key of a
// url block and the host (without port or brackets) that host blocks, and
// domain blocks by its suffixes, are compared with. ok is false when rawURL
// does not parse or has no host.
func DestinationKeys(rawURL string) (urlKey, host string, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return destinationURLKey(u), strings.TrimSuffix(u.Hostname(), "."), true
}
