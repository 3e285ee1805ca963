package web

import (
	"net/http"
	"sync/atomic"

	"tiny/internal/ratelimit"
)

// Limits are the rate limits of the API. A zero Limit is not enforced.
type Limits struct {
	// PerIP bounds every API call from one client address, authenticated
	// or not, so a client cannot guess keys or flood public endpoints.
	PerIP ratelimit.Limit
	// PerKey bounds every API call made with one API key.
	PerKey ratelimit.Limit
	// Create bounds link creation per API key; a bulk request counts once
	// per link it holds, and a password counts shortener.PasswordCreateWeight times
	// (creates and edits), for the bcrypt work it costs.
	Create ratelimit.Limit
	// Report bounds abuse reports per client address: reports are public,
	// and each one lands in a moderator's queue.
	Report ratelimit.Limit
	// PasswordPerIP bounds the guesses at link passwords (the form at
	// POST /{code}) from one client address, over every link.
	PasswordPerIP ratelimit.Limit
	// PasswordPerLink bounds the guesses at one link's password from every
	// address together, so many addresses cannot share out a guessing run.
	PasswordPerLink ratelimit.Limit
}

// rateLimiter applies Limits with a Limiter; refusals are counted for
// metrics.
type rateLimiter struct {
	limiter ratelimit.Limiter
	limits  Limits
	refused atomic.Uint64
}

// check counts n events against limit under key and writes the RateLimit
// headers. When the events are refused it returns the rate_limited error.
func (rl *rateLimiter) check(w http.ResponseWriter, r *http.Request, key string, limit ratelimit.Limit, n int) error {
	if rl == nil || rl.limiter == nil || limit.IsZero() {
		return nil
	}
	res, err := rl.limiter.AllowN(r.Context(), key, limit, n)
	if err != nil {
		return err
	}
	res.WriteHeaders(w.Header())
	if !res.Allowed {
		rl.refused.Add(1)
	}
	return res.Err()
}

// limitByIP applies the per-IP limit before authentication, per clientKey.
func (s *Server) limitByIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.limits.check(w, r, "api:ip:"+s.clientKey(r), s.limits.limits.PerIP, 1); err != nil {
			s.renderError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitByKey applies the per-key limit; it runs after authenticate.
func (s *Server) limitByKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.limits.check(w, r, "api:"+limitID(r), s.limits.limits.PerKey, 1); err != nil {
			s.renderError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitCreates counts n link creations against the caller's key.
func (s *Server) limitCreates(w http.ResponseWriter, r *http.Request, n int) error {
	return s.limits.check(w, r, "create:"+limitID(r), s.limits.limits.Create, n)
}

// limitReports counts one abuse report against the client's clientKey.
func (s *Server) limitReports(w http.ResponseWriter, r *http.Request) error {
	return s.limits.check(w, r, "report:ip:"+s.clientKey(r), s.limits.limits.Report, 1)
}
