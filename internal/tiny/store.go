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
	ClickStore
	ModerationStore
	DestinationStore
	UserStore
	SettingStore
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

	// LinkByID returns the link with that id, deleted ones included.
	// NotFound when there is none.
	LinkByID(ctx context.Context, id int64) (*Link, error)

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

	// ConsumeClick atomically counts one click on a link with a click limit.
	// Gone when the limit is already reached (the count is not changed);
	// NotFound when the link does not exist.
	ConsumeClick(ctx context.Context, id int64) error
}

// ClickStore keeps click events and their rollups.
type ClickStore interface {
	// RecordClicks stores a batch in one transaction: it appends the raw
	// events, adds them to the hourly rollups (totals by kind, breakdowns by
	// referrer, country, browser, OS and device, and the day's visitor
	// hashes of human clicks), and adds the human events that are not
	// Counted to their link's click counter. Events of unknown links are
	// dropped.
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

// UserStore keeps users and their API keys.
type UserStore interface {
	// CreateUser inserts u and sets its ID and CreatedAt.
	// Conflict with field "name" when the name is taken.
	CreateUser(ctx context.Context, u *User) error

	// UserByID returns a user. NotFound when there is none.
	UserByID(ctx context.Context, id int64) (*User, error)

	// UserByName returns a user. NotFound when there is none.
	UserByName(ctx context.Context, name string) (*User, error)

	// CreateAPIKey inserts k and sets its ID and CreatedAt.
	// NotFound when k.UserID does not exist.
	CreateAPIKey(ctx context.Context, k *APIKey) error

	// APIKeyByHash returns the key with that hash and its user.
	// NotFound when there is none.
	APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, *User, error)

	// ListAPIKeys returns the keys of a user (every key when userID is 0),
	// oldest first.
	ListAPIKeys(ctx context.Context, userID int64) ([]*APIKey, error)

	// DeleteAPIKey removes a key. NotFound when there is none.
	DeleteAPIKey(ctx context.Context, id int64) error

	// CountAPIKeys returns how many keys exist.
	CountAPIKeys(ctx context.Context) (int64, error)
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

// ChangeFeed is implemented by stores that several nodes share. A store
// that has it publishes the code and alias of every link it creates,
// updates or deletes, in the same transaction as the change, and delivers
// them to every node, which drops them from its redirect cache.
type ChangeFeed interface {
	// ListenChanges calls changed with the short names of changed links
	// until ctx ends. When the connection to the feed is lost, changes may
	// have been missed: it calls resync once the feed is back (the caller
	// then drops its whole cache) and goes on. It returns ctx's error.
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
