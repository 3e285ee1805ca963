package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"tiny/internal/clickpipe"
	"tiny/internal/nice"
	"tiny/internal/sqlite"
)

// The click writer process. On SQLite, a batch of clicks is written by Go
// code (the pure-Go SQLite) that holds one of the runtime's Ps for
// milliseconds at a time, and with the serving process's P taken, every
// redirect waits (bench/tail.sh: the writer was 80% of what ran while
// redirects waited 2 ms or more). `tiny serve` therefore starts itself a
// second time as `tiny click-writer`, hands it each batch through a pipe
// (internal/clickpipe) and goes on serving; the child runs at the lowest OS
// priority, so the kernel gives it only the CPU time redirects leave.

// clickWriterRollUpTimeout bounds how long a statistics read waits for the
// click writer to roll up (it may be starved of CPU by a saturated node);
// past it, the store rolls up from the file itself.
const clickWriterRollUpTimeout = 5 * time.Second

// clickWriterCommand is the child's side: hidden, started by serve only.
func clickWriterCommand(std streams) *cobra.Command {
	var database string
	var lowest bool
	cmd := &cobra.Command{
		Use:    "click-writer --database FILE",
		Short:  "write click batches from stdin to an SQLite file (started by tiny serve)",
		Hidden: true,
		Args:   positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lowest {
				nice.LowestProcess()
			}
			// The serving process decides when this one ends, by closing
			// its stdin, after handing over the last clicks: a Ctrl-C or
			// SIGTERM sent to the whole group must not cut the last batch.
			signal.Ignore(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			ctx := context.WithoutCancel(cmd.Context())
			db, err := sqlite.Open(ctx, database)
			if err != nil {
				return err
			}
			err = clickpipe.Serve(ctx, std.stdin, std.stdout, db)
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&database, "database", "", "the SQLite file")
	cmd.Flags().BoolVar(&lowest, "lowest-priority", false, "run every thread at the lowest OS priority")
	return cmd
}

// startClickWriter starts `tiny click-writer` for cfg's SQLite file, from
// executable (this program), its log going to stderr.
func startClickWriter(ctx context.Context, executable string, cfg Config, stderr io.Writer) (*clickpipe.Writer, error) {
	args := []string{"click-writer", "--database", cfg.Database, fmt.Sprintf("--lowest-priority=%t", cfg.BackgroundLowPriority)}
	return clickpipe.Start(ctx, executable, args, stderr)
}
