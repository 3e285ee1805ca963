// Package accounts is the one place that says who may do what in tiny. It
// owns users and their roles, password sign-in and sessions, and scoped API
// keys; internal/web only parses requests and renders what it returns.
//
// The policy (policy.go) is one table: for each Action, the least role that
// may take it on one's own resources and on other people's, and the scope
// an API key needs for each. Principal.Can and Principal.Check ask it;
// every service method that acts for someone asks it first, so a handler or
// a CLI command cannot skip it.
//
// A request is authenticated with AuthenticateKey (an API key) or
// AuthenticateSession (a session cookie). Both look the hash of the secret
// up in an in-process cache (otter) and read the store once on a miss. A
// disabled or deleted user, a revoked key or an ended session is dropped
// from the cache of the node that made the change at once, and from every
// other node's through the store's account feed (tiny.AccountFeed), which
// FollowChanges keeps listening to. Uses are written back at most once a
// minute per credential and node: a key's LastUsedAt, a session's
// LastSeenAt.
//
// Passwords are hashed with argon2id (password.go) and must pass
// ValidateNewPassword. Sessions are rows in the store keyed by the SHA-256
// of their token, so they work on every node and can be listed and ended;
// they end after an idle time and an absolute lifetime. A user with a
// second factor gets a signed pending token from SignInPassword, which
// CompleteSecondFactor turns into a session once the factor is verified.
//
// SignIns (signins.go) puts the ways of signing in together for the web
// and the CLI: password and second factor behind the Throttle, TOTP
// enrolment with recovery codes (twofactor.go), single sign-on users
// (oidcsignin.go), and an audit hook told of every sign-in, failure and
// lockout. Its keys derive from one server secret (DeriveKey). The
// operator's commands (operator.go) serve `tiny admin`, which has no
// principal.
package accounts
