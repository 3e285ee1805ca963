package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"tiny/internal/tiny"
)

// AddDestinationBlock inserts b, sets its ID and CreatedAt, and appends
// the audit entry, in one transaction. Conflict with field "value" when a
// block of that kind and value exists.
func (db *DB) AddDestinationBlock(ctx context.Context, b *tiny.DestinationBlock) error {
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO destination_blocks (kind, value, note, actor_id, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			string(b.Kind), b.Value, b.Note, b.ActorID, millis(now)).Scan(&b.ID)
		if err != nil {
			return storeErr(err, "add destination block", "value")
		}
		return appendAudit(ctx, tx, tiny.DestinationAudit(b, tiny.ActionDestinationBlocked, b.ActorID), now)
	})
	if err != nil {
		return storeErr(err, "add destination block", "")
	}
	b.CreatedAt = now
	return nil
}

const destinationColumns = `id, kind, value, note, actor_id, created_at`

func scanDestinationBlock(row interface{ Scan(...any) error }) (*tiny.DestinationBlock, error) {
	var (
		b         tiny.DestinationBlock
		createdAt int64
	)
	if err := row.Scan(&b.ID, &b.Kind, &b.Value, &b.Note, &b.ActorID, &createdAt); err != nil {
		return nil, err
	}
	b.CreatedAt = fromMillis(createdAt)
	return &b, nil
}

// DestinationBlocks returns every destination block, lowest id first.
func (db *DB) DestinationBlocks(ctx context.Context) ([]*tiny.DestinationBlock, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+destinationColumns+` FROM destination_blocks ORDER BY id`)
	if err != nil {
		return nil, storeErr(err, "destination blocks", "")
	}
	blocks, err := collect(rows, scanDestinationBlock)
	return blocks, storeErr(err, "destination blocks", "")
}

// RemoveDestinationBlock deletes the block and appends the audit entry, in
// one transaction. NotFound when there is no such block.
func (db *DB) RemoveDestinationBlock(ctx context.Context, id, actorID int64) error {
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		b, err := scanDestinationBlock(tx.QueryRowContext(ctx,
			`DELETE FROM destination_blocks WHERE id = ? RETURNING `+destinationColumns, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("destination block")
		}
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, tiny.DestinationAudit(b, tiny.ActionDestinationUnblocked, actorID), now)
	})
	return storeErr(err, "remove destination block", "")
}
