package tiny

import (
	"context"
	"io"
	"time"
)

// Store is the persistence of tiny. The sqlite and postgres packages
// implement it and both pass the conformance suite in internal/storetest.
// Every method returns *Error values for the outcomes a caller acts on
// (NotFound, Conflict, Gone, Unavailable); any other error is Internal.
type Store interface {
	LinkStore
	ImportStore
	ClickStore
	ModerationStore
	DestinationStore
	UserStore
	SessionStore
	SettingStore
	OneTimeSettingStore
	// Ping checks that the store is reachable. Unavailable when it is not.
	Ping(ctx context.Context) error
	io.Closer
}

// LinkStore keeps links and their aliases.
type LinkStore interface {
	// LeaseIDs reserves n consecutive link ids for this process and returns
	// the first. No other caller, in this or any other process, ever gets
	// an id of the same block.
	LeaseIDs(ctx context.Context, n int64) (first int64, err error)

	// CreateLink inserts l, whose ID and Code are set by the caller, and its
	// alias if it has one; CreatedAt and UpdatedAt are set by the store.
	// Conflict with field "alias" when the alias is taken or equals the code
	// of an existing link; Conflict with field "code" when l.Code equals an
	// existing alias (the caller then takes another id).
	CreateLink(ctx context.Context, l *Link) error

	// CreateLinks inserts new links as CreateLink does, in one transaction,
	// so that a batch costs one commit. A link whose code is an existing
	// alias, whose alias is taken, equals its code or is the code of an
	// existing link (or of one earlier in the batch) is left out: its entry
	// of the result is the Conflict CreateLink would return; the entries of
	// inserted links are nil. The error is about the batch as a whole: when
	// it is not nil, no link was inserted.
	CreateLinks(ctx context.Context, links []*Link) ([]error, error)

	// LinkByID returns the link with that id, deleted ones included.
	// NotFound when there is none.
	LinkByID(ctx context.Context, id int64) (*Link, error)

	// LinkTargetByID returns what a redirect reads of the link with that
	// id, deleted ones included: the read behind a redirect cache miss,
	// a fraction of LinkByID's cost. NotFound when there is none.
	LinkTargetByID(ctx context.Context, id int64) (LinkTarget, error)

	// LinkByAlias returns the link that alias names, deleted ones included.
	// NotFound when there is none.
	LinkByAlias(ctx context.Context, alias string) (*Link, error)

	// UpdateLink stores the mutable fields of l (URL, Title, Tags, Redirect,
	// CacheSeconds, ExpiresAt, MaxClicks, PasswordHash, ForwardQuery, Status)
	// and sets l.UpdatedAt. NotFound when the link does not exist or was deleted.
	UpdateLink(ctx context.Context, l *Link) error

	// DeleteLink marks the link deleted; it keeps its code and alias, so
	// neither can ever lead somewhere else. NotFound when it does not exist
	// or was deleted already.
	DeleteLink(ctx context.Context, id int64) error

	// ListLinks returns the links that f selects, newest first, deleted ones
	// left out, at most f.Limit of them.
	ListLinks(ctx context.Context, f LinkFilter) ([]*Link, error)

	// CountLinks returns how many links there are, deleted ones left out.
	CountLinks(ctx context.Context) (int64, error)

	// ConsumeClick atomically counts one click on a link with a click limit.
	// Gone when the limit is already reached (the count is not changed);
	// NotFound when the link does not exist.
	ConsumeClick(ctx context.Context, id int64) error
}

// ClickStore keeps click events and their rollups.
type ClickStore interface {
	// RecordClicks stores a batch in one transaction: it appends the raw
	// events and adds the human events that are not Counted to their
	// link's click counter. It adds them to the hourly rollups (totals by
	// kind, breakdowns by referrer, country, browser, OS and device, and
	// the day's visitor hashes of human clicks) in the same transaction or,
	// in a store that rolls many batches up together, later, but always
	// before ClickStats reads them and never losing one to a crash. Events
	// of unknown links are dropped. It keeps nothing of events after it
	// returns: the caller may reuse them.
	RecordClicks(ctx context.Context, events []ClickEvent) error

	// ClickStats aggregates the clicks that q selects, from the rollups.
	ClickStats(ctx context.Context, q StatsQuery) (*ClickStats, error)

	// Clicks calls f with the raw events of a link whose time is in
	// [from, to), oldest first, and stops at f's first error, which it
	// returns.
	Clicks(ctx context.Context, linkID int64, from, to time.Time, f func(ClickEvent) error) error

	// DeleteClicksBefore deletes the raw events older than t and returns how
	// many it deleted; the rollups are kept.
	DeleteClicksBefore(ctx context.Context, t time.Time) (int64, error)
}

// DestinationStore keeps the destinations moderators have blocked.
type DestinationStore interface {
	// AddDestinationBlock inserts b, whose Kind and Value the caller has
	// normalised (NormalizeDestination), sets its ID and CreatedAt, and
	// appends the audit entry (DestinationAudit, action
	// destination_blocked by b.ActorID), in one transaction that also
	// tells every node (DestinationFeed). Conflict with field "value" when
	// a block of that kind and value exists.
	AddDestinationBlock(ctx context.Context, b *DestinationBlock) error

	// DestinationBlocks returns every destination block, oldest (lowest
	// ID) first.
	DestinationBlocks(ctx context.Context) ([]*DestinationBlock, error)

	// RemoveDestinationBlock deletes the block with that id and appends the
	// audit entry (action destination_unblocked by actorID), in one
	// transaction that also tells every node. The links the block blocked
	// stay blocked. NotFound when there is no such block.
	RemoveDestinationBlock(ctx context.Context, id, actorID int64) error
}

// UserStore keeps users, their API keys and their recovery codes. The
// methods that end what a user may do (UpdateUser, DeleteUser, the
// deletes of keys) publish it to every node (AccountFeed) in the same
// transaction.
type UserStore interface {
	// CreateUser inserts u, its email lower-cased, and sets its ID and
	// CreatedAt. The ID of a deleted user is never given again: links and
	// audit entries keep their user's id after the user is gone. Conflict
	// with field "name" when the name is taken, with field "email" when the
	// email is.
	CreateUser(ctx context.Context, u *User) error

	// UserByID returns a user. NotFound when there is none.
	UserByID(ctx context.Context, id int64) (*User, error)

	// UserByName returns a user; names are case-sensitive. NotFound when
	// there is none.
	UserByName(ctx context.Context, name string) (*User, error)

	// UserByEmail returns the user with that email, in any letter case.
	// NotFound when there is none.
	UserByEmail(ctx context.Context, email string) (*User, error)

	// ListUsers returns the users f selects, oldest (lowest id) first, at
	// most f.Limit of them.
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)

	// UpdateUser stores the mutable fields of u (Email, lower-cased,
	// DisplayName, Role, PasswordHash, Disabled, TOTPSecret, TOTPEnabled)
	// and publishes a ChangedUser. NotFound when the user does not exist;
	// Conflict with field "email" when another user has the email.
	UpdateUser(ctx context.Context, u *User) error

	// DeleteUser removes a user with their keys, sessions and recovery
	// codes, and hands their links to the user transferTo, or deletes them
	// (as DeleteLink does) when transferTo is 0, all in one transaction;
	// it publishes a ChangedUser (and, with a ChangeFeed, each link it
	// deleted). It returns the short names (codes and aliases) of the
	// links it deleted, for the caller to drop from its caches. NotFound
	// when the user does not exist; NotFound with field "transfer_to" when
	// transferTo does not; Invalid with field "transfer_to" when
	// transferTo is the user.
	DeleteUser(ctx context.Context, id, transferTo int64) (deleted []string, err error)

	// CreateAPIKey inserts k and sets its ID and CreatedAt.
	// NotFound with field "user_id" when k.UserID does not exist.
	CreateAPIKey(ctx context.Context, k *APIKey) error

	// APIKeyByHash returns the key with that hash and its user, expired
	// keys and disabled users included. NotFound when there is none.
	APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, *User, error)

	// APIKeyByID returns a key. NotFound when there is none.
	APIKeyByID(ctx context.Context, id int64) (*APIKey, error)

	// ListAPIKeys returns the keys of a user (every key when userID is 0),
	// oldest first.
	ListAPIKeys(ctx context.Context, userID int64) ([]*APIKey, error)

	// TouchAPIKey sets the key's LastUsedAt to at unless it is later
	// already. NotFound when the key does not exist.
	TouchAPIKey(ctx context.Context, id int64, at time.Time) error

	// DeleteAPIKey removes a key and publishes a ChangedKey. NotFound when
	// there is none.
	DeleteAPIKey(ctx context.Context, id int64) error

	// DeleteUserAPIKeys removes every key of a user, publishes a
	// ChangedKey for each and returns how many there were.
	DeleteUserAPIKeys(ctx context.Context, userID int64) (int64, error)

	// CountAPIKeys returns how many keys exist.
	CountAPIKeys(ctx context.Context) (int64, error)

	// ReplaceRecoveryCodes replaces the recovery codes of a user with the
	// given hashes, in one transaction; none removes them all. NotFound
	// when the user does not exist.
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error

	// ConsumeRecoveryCode removes the user's recovery code with that hash.
	// Of concurrent callers with the same code exactly one succeeds.
	// NotFound when the user has no such code (any more).
	ConsumeRecoveryCode(ctx context.Context, userID int64, hash []byte) error

	// CountRecoveryCodes returns how many recovery codes the user has left.
	CountRecoveryCodes(ctx context.Context, userID int64) (int, error)

	// UseTOTPStep records that a TOTP code of time step step was accepted
	// for the user, if step is later than every step recorded before: of
	// concurrent callers with one step exactly one succeeds, so a code
	// works once. Conflict when step is not later; NotFound when the user
	// does not exist.
	UseTOTPStep(ctx context.Context, userID, step int64) error
}

// SessionStore keeps the sessions of people signed in to the web app.
// Their times come from the caller, whose clock decides expiry.
type SessionStore interface {
	// CreateSession inserts s, sets its ID and sets its user's
	// LastSignInAt to s.CreatedAt, in one transaction. NotFound with field
	// "user_id" when s.UserID does not exist; Conflict with field
	// "token_hash" when another session has the same hash.
	CreateSession(ctx context.Context, s *Session) error

	// SessionByTokenHash returns the session with that token hash and its
	// user, expired sessions included. NotFound when there is none.
	SessionByTokenHash(ctx context.Context, hash []byte) (*Session, *User, error)

	// TouchSession sets the session's LastSeenAt to at unless it is later
	// already. NotFound when the session does not exist.
	TouchSession(ctx context.Context, id int64, at time.Time) error

	// ListSessions returns the sessions of a user, newest first, expired
	// ones included.
	ListSessions(ctx context.Context, userID int64) ([]*Session, error)

	// DeleteSession removes a session and publishes a ChangedSession.
	// NotFound when there is none.
	DeleteSession(ctx context.Context, id int64) error

	// DeleteUserSessions removes every session of a user but the one with
	// id except (0: none), publishes a ChangedSession for each and returns
	// how many it removed.
	DeleteUserSessions(ctx context.Context, userID, except int64) (int64, error)

	// DeleteExpiredSessions removes the sessions that ended at now: those
	// whose ExpiresAt is not after now, and those last seen at or before
	// idleSince (now less the idle limit, as Session.Expired has it). It
	// returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, now, idleSince time.Time) (int64, error)
}

// SettingStore keeps instance-wide values that every node must share, such
// as the short-code key.
type SettingStore interface {
	// Setting returns the value stored under name. When there is none it
	// stores value and returns it; when several callers race, all of them
	// get the value of the first.
	Setting(ctx context.Context, name string, value []byte) ([]byte, error)

	// DeleteSetting removes a value; removing one that does not exist is
	// not an error.
	DeleteSetting(ctx context.Context, name string) error
}

// OneTimeSettingStore keeps settings that are read and used up, such as the
// hash of the one-time setup token.
type OneTimeSettingStore interface {
	// LookupSetting returns the value stored under name. NotFound when
	// there is none.
	LookupSetting(ctx context.Context, name string) ([]byte, error)

	// TakeSetting removes the setting name if it holds value. Of
	// concurrent callers exactly one succeeds. NotFound when there is no
	// such setting or it holds another value.
	TakeSetting(ctx context.Context, name string, value []byte) error
}

// ChangeFeed is implemented by stores that several nodes share. A store
// that has it publishes the code and alias of every link it creates,
// updates or deletes, in the same transaction as the change, and delivers
// them to every node, which drops them from its redirect cache.
type ChangeFeed interface {
	// ListenChanges calls changed with the short names of changed links
	// until ctx ends. It calls resync (the caller then drops its whole
	// cache) once it listens, since what was cached before may have
	// missed a change, and again once the feed is back after its
	// connection was lost, and goes on. It returns ctx's error.
	ListenChanges(ctx context.Context, changed func(names []string), resync func()) error
}

// DestinationFeed is implemented by stores that several nodes share. A
// store that has it tells every node when a destination block is added or
// removed, so that each reloads its copy of the list.
type DestinationFeed interface {
	// ListenDestinationBlocks calls changed once it listens, after every
	// change to the destination blocks on any node, and again each time
	// it listens after a lost connection (changes may have been missed
	// meanwhile), until ctx ends. It returns ctx's error.
	ListenDestinationBlocks(ctx context.Context, changed func()) error
}

// AccountFeed is implemented by stores that publish the changes that end
// credentials (a user disabled, changed or deleted; a key revoked; a
// session ended), so every process that caches credentials drops them. The
// PostgreSQL store delivers them to every node, in the transaction of the
// change; the SQLite store, which has one node, within the process.
type AccountFeed interface {
	// ListenAccountChanges calls changed with the account changes made
	// through the store until ctx ends. It calls resync (the caller then
	// drops everything it cached) once it listens, since what was cached
	// before may have missed a change, and again whenever changes may
	// have been missed (a lost connection) once the feed is back, and goes
	// on. It returns ctx's error.
	ListenAccountChanges(ctx context.Context, changed func([]AccountChange), resync func()) error
}
