package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"tiny/internal/tiny"
)

// destinationChannel is the NOTIFY channel of changes to the destination
// blocks. Its payload is the id of the block added or removed; listeners
// reload the whole list whatever it says.
const destinationChannel = "tiny_destinations"

// notifyDestinations is the NOTIFY of a change to block $1.
const notifyDestinations = `SELECT pg_notify('` + destinationChannel + `', $1::bigint::text)`

// AddDestinationBlock inserts b, sets its ID and CreatedAt, appends the
// audit entry and notifies every node, in one transaction. Conflict with
// field "value" when a block of that kind and value exists.
func (db *DB) AddDestinationBlock(ctx context.Context, b *tiny.DestinationBlock) error {
	batch := txBatch()
	batch.Queue(`INSERT INTO destination_blocks (kind, value, note, actor_id, created_at)
		VALUES ($1, $2, $3, $4, now()) RETURNING id, created_at`,
		string(b.Kind), b.Value, b.Note, b.ActorID).QueryRow(func(row pgx.Row) error {
		return row.Scan(&b.ID, &b.CreatedAt)
	})
	err := db.sendTx(ctx, batch, func(tx pgx.Tx) error {
		b.CreatedAt = b.CreatedAt.UTC()
		then := &pgx.Batch{}
		queueAudit(then, tiny.DestinationAudit(b, tiny.ActionDestinationBlocked, b.ActorID))
		then.Queue(notifyDestinations, b.ID)
		return tx.SendBatch(ctx, then).Close()
	})
	return storeErr(err, "add destination block")
}

const destinationColumns = `id, kind, value, note, actor_id, created_at`

func scanDestinationBlock(row pgx.Row) (*tiny.DestinationBlock, error) {
	var b tiny.DestinationBlock
	if err := row.Scan(&b.ID, &b.Kind, &b.Value, &b.Note, &b.ActorID, &b.CreatedAt); err != nil {
		return nil, err
	}
	b.CreatedAt = b.CreatedAt.UTC()
	return &b, nil
}

// DestinationBlocks returns every destination block, lowest id first.
func (db *DB) DestinationBlocks(ctx context.Context) ([]*tiny.DestinationBlock, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+destinationColumns+` FROM destination_blocks ORDER BY id`)
	if err != nil {
		return nil, storeErr(err, "destination blocks")
	}
	blocks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tiny.DestinationBlock, error) {
		return scanDestinationBlock(row)
	})
	return blocks, storeErr(err, "destination blocks")
}

// RemoveDestinationBlock deletes the block, appends the audit entry and
// notifies every node, in one transaction. NotFound when there is no such
// block.
func (db *DB) RemoveDestinationBlock(ctx context.Context, id, actorID int64) error {
	var removed *tiny.DestinationBlock
	batch := txBatch()
	batch.Queue(`DELETE FROM destination_blocks WHERE id = $1 RETURNING `+destinationColumns, id).QueryRow(func(row pgx.Row) (err error) {
		removed, err = scanDestinationBlock(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("destination block")
		}
		return err
	})
	err := db.sendTx(ctx, batch, func(tx pgx.Tx) error {
		then := &pgx.Batch{}
		queueAudit(then, tiny.DestinationAudit(removed, tiny.ActionDestinationUnblocked, actorID))
		then.Queue(notifyDestinations, id)
		return tx.SendBatch(ctx, then).Close()
	})
	return storeErr(err, "remove destination block")
}
