package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"tiny/internal/tiny"
)

// SignIn is a password sign-in.
type SignIn struct {
	Email    string
	Password string
	// Label names the browser for the person's list of sessions, such as
	// "Firefox on Linux"; it is cut to 100 characters. No address is kept.
	Label string
	// PreviousToken is the session token the browser already holds, if
	// any: a sign-in ends it, so a token planted before sign-in is never
	// signed in.
	PreviousToken string
}

// SignInResult is the outcome of a sign-in that knew the password.
type SignInResult struct {
	User *tiny.User
	// Token is the new session's token, for the cookie, and Session the
	// session; both are empty while a second factor is pending.
	Token   string
	Session *tiny.Session
	// SecondFactorToken is set when the user must still prove a second
	// factor: it goes to CompleteSecondFactor with the proof, within
	// SecondFactorTimeout.
	SecondFactorToken string
}

// NeedsSecondFactor reports whether the sign-in waits for a second factor.
func (r *SignInResult) NeedsSecondFactor() bool { return r.SecondFactorToken != "" }

// errSignIn is the one answer to a wrong email or a wrong password, so the
// answer does not tell which accounts exist.
func errSignIn() error { return tiny.Errorf(tiny.Unauthorized, "wrong email or password") }

// SignInPassword checks an email and password. With a user who has a
// second factor it returns a pending sign-in (NeedsSecondFactor);
// otherwise it starts a session. Unknown emails take as long as known ones.
// Unauthorized for a wrong email or password, or a disabled account
// (told only to someone who knows the password); Unavailable when too
// many sign-ins are being checked at once.
func (s *Service) SignInPassword(ctx context.Context, in SignIn) (*SignInResult, error) {
	u, err := s.store.UserByEmail(ctx, tiny.NormalizeEmail(in.Email))
	switch {
	case tiny.IsCode(err, tiny.NotFound):
		u = nil
	case err != nil:
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	ok, stale, err := s.hasher.verify(ctx, hash, in.Password)
	if err != nil || !ok {
		if tiny.IsCode(err, tiny.Unavailable) {
			return nil, err
		}
		return nil, errSignIn()
	}
	if u.Disabled {
		return nil, tiny.Errorf(tiny.Unauthorized, "the account is disabled")
	}
	if stale {
		// Made with older parameters: store one made with today's. A
		// failure leaves the old hash, which still works.
		if h, err := s.hasher.hash(ctx, in.Password); err == nil {
			v := *u
			v.PasswordHash = h
			if s.store.UpdateUser(ctx, &v) == nil {
				u = &v
			}
		}
	}
	if u.TOTPEnabled {
		return &SignInResult{User: u, SecondFactorToken: s.pendingToken(u, s.now())}, nil
	}
	return s.startSession(ctx, u, in.Label, in.PreviousToken)
}

// CompleteSecondFactor finishes a sign-in that NeedsSecondFactor: verify
// checks the second factor (a TOTP code or a recovery code) of the user
// and returns nil when it is right; then a session starts as in
// SignInPassword. Unauthorized when the pending token is not valid, has
// expired, or was made before the user's password or second factor
// changed, and whatever error verify returns.
func (s *Service) CompleteSecondFactor(ctx context.Context, pending string, verify func(u *tiny.User) error, label, previousToken string) (*SignInResult, error) {
	id, ok := s.checkPendingToken(pending, s.now())
	if !ok {
		return nil, tiny.Errorf(tiny.Unauthorized, "the sign-in has expired; enter your password again")
	}
	u, err := s.store.UserByID(ctx, id)
	if tiny.IsCode(err, tiny.NotFound) {
		return nil, errSignIn()
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, tiny.Errorf(tiny.Unauthorized, "the account is disabled")
	}
	if !hmac.Equal(pendingStamp(u), pendingStampOf(pending)) {
		return nil, tiny.Errorf(tiny.Unauthorized, "the sign-in has expired; enter your password again")
	}
	if err := verify(u); err != nil {
		return nil, err
	}
	return s.startSession(ctx, u, label, previousToken)
}

// The pending token: user id (8 bytes), expiry in unix seconds (8), a
// stamp of the user's credentials (8), then an HMAC-SHA256 of those (32),
// in unpadded base64url. It needs no store write, and every node checks it
// with the shared signKey.
const (
	pendingBody = 24
	pendingLen  = pendingBody + sha256.Size
)

var pendingEncoding = base64.RawURLEncoding

// pendingToken returns the token of a sign-in of u waiting for a second
// factor from now on.
func (s *Service) pendingToken(u *tiny.User, now time.Time) string {
	b := make([]byte, pendingBody, pendingLen)
	binary.BigEndian.PutUint64(b, uint64(u.ID))
	binary.BigEndian.PutUint64(b[8:], uint64(now.Add(s.cfg.SecondFactorTimeout).Unix()))
	copy(b[16:], pendingStamp(u))
	return pendingEncoding.EncodeToString(s.signPending(b))
}

// signPending appends the MAC of body to it.
func (s *Service) signPending(body []byte) []byte {
	m := hmac.New(sha256.New, s.signKey)
	m.Write([]byte("tiny pending sign-in\x00"))
	m.Write(body)
	return m.Sum(body)
}

// checkPendingToken returns the user id of a pending token that s signed
// and that has not expired at now.
func (s *Service) checkPendingToken(token string, now time.Time) (int64, bool) {
	b, err := pendingEncoding.DecodeString(token)
	if err != nil || len(b) != pendingLen {
		return 0, false
	}
	if !hmac.Equal(s.signPending(slices.Clone(b[:pendingBody])), b) {
		return 0, false
	}
	if now.Unix() >= int64(binary.BigEndian.Uint64(b[8:])) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b)), true
}

// pendingStamp is 8 bytes that change when the user's password or second
// factor does, so a pending sign-in does not outlive either.
func pendingStamp(u *tiny.User) []byte {
	h := sha256.Sum256([]byte(u.PasswordHash + "\x00" + u.TOTPSecret))
	return h[:8]
}

// pendingStampOf returns the stamp in a pending token (nil when it is
// malformed; checkPendingToken has vetted it before).
func pendingStampOf(token string) []byte {
	b, err := pendingEncoding.DecodeString(token)
	if err != nil || len(b) != pendingLen {
		return nil
	}
	return b[16:24]
}

// startSession starts a session of u whose password (and second factor)
// were just checked, and ends the session of previousToken, if any: the
// token rotates at every sign-in. Every way of signing in ends here.
func (s *Service) startSession(ctx context.Context, u *tiny.User, label, previousToken string) (*SignInResult, error) {
	if previousToken != "" {
		if err := s.SignOut(ctx, previousToken); err != nil {
			return nil, err
		}
	}
	token := newToken()
	h := hashToken(token)
	now := s.now()
	sess := &tiny.Session{
		UserID:     u.ID,
		TokenHash:  h[:],
		Label:      cutLabel(label),
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(s.cfg.SessionLifetime),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	signedIn := *u
	signedIn.LastSignInAt = &now
	return &SignInResult{User: &signedIn, Token: token, Session: sess}, nil
}

// newToken returns a new session token: 256 random bits, base64url.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cutLabel returns label as a session keeps it: printable, trimmed, at
// most MaxSessionLabel characters.
func cutLabel(label string) string {
	label = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(label, ""))
	label = strings.TrimSpace(label)
	if utf8.RuneCountInString(label) > tiny.MaxSessionLabel {
		label = strings.TrimSpace(string([]rune(label)[:tiny.MaxSessionLabel]))
	}
	return label
}

// SignOut ends the session of token. An unknown or ended token is not an
// error: signing out twice signs out.
func (s *Service) SignOut(ctx context.Context, token string) error {
	h := hashToken(token)
	sess, _, err := s.store.SessionByTokenHash(ctx, h[:])
	if tiny.IsCode(err, tiny.NotFound) {
		s.cache.Invalidate(h)
		return nil
	}
	if err != nil {
		return err
	}
	return s.endSession(ctx, sess.ID)
}

// endSession deletes a session and drops it from this node's cache (the
// store's feed tells the others).
func (s *Service) endSession(ctx context.Context, id int64) error {
	if err := s.store.DeleteSession(ctx, id); err != nil && !tiny.IsCode(err, tiny.NotFound) {
		return err // not found: ended meanwhile, which is what was asked
	}
	s.invalidate([]tiny.AccountChange{{Kind: tiny.ChangedSession, ID: id}})
	return nil
}

// Sessions returns the sessions of p's user that have not ended, newest
// first. Forbidden for an API key.
func (s *Service) Sessions(ctx context.Context, p *Principal) ([]*tiny.Session, error) {
	if err := p.Check(ManageAccount, Own(userID(p))); err != nil {
		return nil, err
	}
	all, err := s.store.ListSessions(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return slices.DeleteFunc(all, func(sess *tiny.Session) bool { return sess.Expired(now, s.cfg.SessionIdle) }), nil
}

// EndSession ends one of the sessions of p's user, the current one
// included. NotFound when the user has no such session; Forbidden for an
// API key.
func (s *Service) EndSession(ctx context.Context, p *Principal, id int64) error {
	sessions, err := s.Sessions(ctx, p)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(sessions, func(sess *tiny.Session) bool { return sess.ID == id }) {
		return tiny.Errorf(tiny.NotFound, "no such session")
	}
	return s.endSession(ctx, id)
}

// EndOtherSessions ends every session of p's user but the one p signed in
// with, and returns how many it ended. Forbidden for an API key.
func (s *Service) EndOtherSessions(ctx context.Context, p *Principal) (int64, error) {
	if err := p.Check(ManageAccount, Own(userID(p))); err != nil {
		return 0, err
	}
	return s.endUserSessions(ctx, p.User.ID, currentSession(p))
}

// endUserSessions deletes the sessions of a user but except and drops them
// from this node's cache.
func (s *Service) endUserSessions(ctx context.Context, userID, except int64) (int64, error) {
	n, err := s.store.DeleteUserSessions(ctx, userID, except)
	if err != nil {
		return 0, err
	}
	// Which ids went is not known here; dropping all of the user's
	// credentials is cheap, and the next request reloads the rest.
	s.invalidate([]tiny.AccountChange{{Kind: tiny.ChangedUser, ID: userID}})
	return n, nil
}

// PurgeExpiredSessions deletes the sessions that have ended, and returns
// how many. Run it now and then; an ended session is refused whether or
// not it was purged.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	now := s.now()
	return s.store.DeleteExpiredSessions(ctx, now, now.Add(-s.cfg.SessionIdle))
}

// userID returns the id of p's user, 0 for none.
func userID(p *Principal) int64 {
	if p == nil || p.User == nil {
		return 0
	}
	return p.User.ID
}

// currentSession returns the id of the session p signed in with, 0 for
// none.
func currentSession(p *Principal) int64 {
	if p == nil || p.Session == nil {
		return 0
	}
	return p.Session.ID
}
