package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tiny/internal/tiny"
)

const (
	// minListenBackoff and maxListenBackoff bound the wait of ListenChanges
	// before it reconnects; the wait doubles with each failed attempt.
	minListenBackoff = 100 * time.Millisecond
	maxListenBackoff = 2 * time.Second

	// listenIdlePing is how long the listener waits for a notification
	// before it pings its connection, and listenPingTimeout how long the
	// ping may take. A connection that died without a word (a cut network,
	// a failed-over server) would otherwise go unnoticed for as long as TCP
	// keeps it, and every change with it.
	listenIdlePing    = 5 * time.Second
	listenPingTimeout = 5 * time.Second
)

// ListenChanges calls changed with the code and alias of each link created,
// updated or deleted on any node, until ctx ends, and returns ctx's error.
//
// It listens on a connection of its own, outside the pool, and calls
// resync once it listens: a node serves before its listener is connected,
// and a change made meanwhile reached nobody. When that connection fails it
// reconnects, waiting 100ms at first and up to 2s between attempts, and
// once it listens again it calls resync again, since the changes in
// between are lost. NOTIFY is delivered at commit, so a node never hears of
// a change before it can read it.
func (db *DB) ListenChanges(ctx context.Context, changed func(names []string), resync func()) error {
	return db.follow(ctx, changeChannel, "change feed",
		func(payload string) {
			if names := strings.Fields(payload); len(names) > 0 {
				changed(names)
			}
		},
		resync)
}

// ListenDestinationBlocks calls changed once it listens, after each
// destination block added or removed on any node, and each time it listens
// again after a lost connection, until ctx ends; it returns ctx's error.
// Like ListenChanges it has a connection of its own and reconnects the
// same way; the caller reloads the whole list each time, which is small.
func (db *DB) ListenDestinationBlocks(ctx context.Context, changed func()) error {
	return db.follow(ctx, destinationChannel, "destination feed",
		func(string) { changed() },
		changed)
}

// ListenAccountChanges calls changed with each account change (a user
// changed or deleted, a key revoked, a session ended) made on any node,
// until ctx ends, and returns ctx's error. It listens, reconnects and
// resyncs (once it first listens too) as ListenChanges does, on a
// connection of its own.
func (db *DB) ListenAccountChanges(ctx context.Context, changed func([]tiny.AccountChange), resync func()) error {
	return db.follow(ctx, accountChannel, "account feed",
		func(payload string) {
			if c, ok := tiny.ParseAccountChange(payload); ok {
				changed([]tiny.AccountChange{c})
			}
		},
		resync)
}

// follow listens on channel until ctx ends, reconnecting with backoff, and
// returns ctx's error. It calls notified with the payload of each
// notification, and listening each time it listens, the first time
// included. what names the listener in pg_stat_activity.
func (db *DB) follow(ctx context.Context, channel, what string, notified func(payload string), listening func()) error {
	backoff := minListenBackoff
	for {
		ok := false
		// The error has nowhere to go: the caller learns of the outage
		// from listening once it is over.
		_ = db.listen(ctx, channel, what, notified, func() {
			ok = true
			listening()
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if ok {
			backoff = minListenBackoff
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, maxListenBackoff)
	}
}

// listen connects, listens on channel, calls listening, then delivers the
// payload of each notification to notified until the connection fails or
// ctx ends.
func (db *DB) listen(ctx context.Context, channel, what string, notified func(payload string), listening func()) error {
	cfg := db.pool.Config().ConnConfig // a copy
	cfg.RuntimeParams["application_name"] = listenerName(cfg.RuntimeParams["application_name"], what)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		conn.Close(cctx)
		cancel()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	listening()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdlePing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if n != nil {
			notified(n.Payload)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err):
			// Quiet for a while: make sure the connection is still alive.
			// A timeout leaves the connection usable.
			pctx, cancel := context.WithTimeout(ctx, listenPingTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// listenerName is the application_name of a listener connection: the
// pool's, marked with what it listens to, so pg_stat_activity tells them
// apart.
func listenerName(app, what string) string {
	if app == "" {
		app = "tiny"
	}
	return app + " (" + what + ")"
}
