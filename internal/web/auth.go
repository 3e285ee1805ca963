package web

import (
	"context"
	"net/http"
	"strings"

	"tiny/internal/tiny"
)

// authenticate requires a valid API key (Authorization: Bearer <key>) and
// puts its user in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		secret = strings.TrimSpace(secret)
		if !ok || secret == "" {
			s.renderError(w, r, tiny.Errorf(tiny.Unauthorized, "send an API key as 'Authorization: Bearer <key>'"))
			return
		}
		key, user, err := s.store.APIKeyByHash(r.Context(), tiny.HashAPIKey(secret))
		if err != nil {
			if tiny.IsCode(err, tiny.NotFound) {
				err = tiny.Errorf(tiny.Unauthorized, "the API key is not valid")
			}
			s.renderError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), userKey, user)
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, apiKeyIDKey, key.ID)))
	})
}

// currentUser returns the authenticated user; authenticate guarantees one.
func currentUser(r *http.Request) *tiny.User {
	u, _ := r.Context().Value(userKey).(*tiny.User)
	return u
}

// currentKeyID returns the id of the API key the request authenticated with.
func currentKeyID(r *http.Request) int64 {
	id, _ := r.Context().Value(apiKeyIDKey).(int64)
	return id
}
