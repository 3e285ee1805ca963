package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

type principalKey struct{}

// NewContext returns ctx carrying p, the caller of a request, for the
// handlers behind the middleware that authenticated it.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller NewContext put in ctx; nil when the request
// is anonymous.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// CSRFToken returns the token the forms of p's session send back, so a
// form posted from elsewhere is refused even by a browser that sends no
// Origin or Sec-Fetch-Site header. It is a MAC of the session, so it needs
// no storage and ends with the session. Empty when p has no session.
func (s *Service) CSRFToken(p *Principal) string {
	if p == nil || p.Session == nil {
		return ""
	}
	m := hmac.New(sha256.New, s.signKey)
	m.Write([]byte("tiny csrf\x00"))
	m.Write(p.Session.TokenHash)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// CheckCSRF reports whether token is the CSRF token of p's session.
func (s *Service) CheckCSRF(p *Principal, token string) bool {
	want := s.CSRFToken(p)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}
