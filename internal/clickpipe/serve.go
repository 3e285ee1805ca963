package clickpipe

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"tiny/internal/tiny"
)

// Store is what Serve writes batches to.
type Store interface {
	RecordClicks(ctx context.Context, events []tiny.ClickEvent) error
	// RollUp writes the rollups of what RecordClicks wrote and left to
	// roll up later.
	RollUp(ctx context.Context) error
}

// Serve answers the Writer on the other end of in and out: it says it is
// ready, then writes each batch it reads to store and answers with the
// outcome, until in ends (nil) or breaks the protocol (an error, and the
// child should exit: the Writer then starts a new one).
func Serve(ctx context.Context, in io.Reader, out io.Writer, store Store) error {
	r := bufio.NewReaderSize(in, 1<<16)
	var frame, answer []byte
	var events []tiny.ClickEvent
	if _, err := out.Write(appendAnswer(answer[:0], nil)); err != nil {
		return err
	}
	for {
		var err error
		frame, err = readFrame(r, frame)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading a batch: %w", err)
		}
		if len(frame) == 0 {
			return errCorrupt
		}
		var result error
		switch frame[0] {
		case kindBatch:
			events, err = decodeBatch(events, frame[1:])
			if err != nil {
				return err
			}
			result = store.RecordClicks(ctx, events)
		case kindRollUp:
			if len(frame) != 1 {
				return errCorrupt
			}
			result = store.RollUp(ctx)
		default:
			return errCorrupt
		}
		answer = appendAnswer(answer[:0], result)
		if _, err := out.Write(answer); err != nil {
			return err
		}
	}
}
