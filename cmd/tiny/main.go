// Command tiny is the tiny URL shortener and its command line, built with
// spf13/cobra, one command per file:
//
//   - `tiny serve` runs the service (serve.go; its settings in config.go).
//   - Remote commands talk to a server through the JSON API with the key
//     `tiny login` stored (client.go, login.go): shorten, links, stats, qr
//     and keys.
//   - Offline commands open the database itself and say OFFLINE in their
//     help: admin (admin.go) and migrate (migrate.go).
//   - abuse trains and checks the URL model; version and completion.
//
// Errors go to stderr, and the exit status says what kind of error it was
// (exitcode.go, docs/cli.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"

	"github.com/spf13/cobra"
)

// The main goroutine keeps the main thread, so that no background goroutine
// lowers that thread's priority (internal/nice): ps and top show the main
// thread's scheduling class as the whole process's.
func init() { runtime.LockOSThread() }

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(reportError(os.Stderr, err))
}

// streams are the standard files a command uses, passed down so that tests
// can run commands in the process and read what they print.
type streams struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run runs the command line args, with the process's stdin. A mistake on
// the command line is returned as a usageError.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	stdin := io.Reader(os.Stdin)
	std := streams{stdin, stdout, stderr}
	started := false // a RunE began: an error from before it is one of usage
	root := &cobra.Command{
		Use:   "tiny",
		Short: "tiny is a self-hosted URL shortener and link-safety service",
		Long: "tiny is a self-hosted URL shortener and link-safety service.\n\n" +
			"`tiny serve` runs it. Remote commands (login, shorten, links, stats, qr, keys)\n" +
			"talk to a server through its API; OFFLINE commands (admin, migrate) open the\n" +
			"database itself. Exit statuses are listed in docs/cli.md.",
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Annotations[envAnnotation] != "" {
				return applyEnv(cmd.Flags())
			}
			return nil
		},
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(flagError)
	root.AddGroup(
		&cobra.Group{ID: "remote", Title: "Remote commands (through a server's API; see tiny login):"},
		&cobra.Group{ID: "offline", Title: "Server and OFFLINE commands (on the database itself):"},
	)
	for _, c := range []*cobra.Command{loginCommand(std), logoutCommand(std), shortenCommand(std), linksCommand(std),
		statsCommand(std), qrCommand(std), keysCommand(std), exportCommand(std)} {
		c.GroupID = "remote"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{serveCommand(std), adminCommand(std), migrateCommand(std), backupCommand(std),
		restoreCommand(std), moveCommand(std), exportArchiveCommand(std), abuseCommand(std), importCommand(std)} {
		c.GroupID = "offline"
		root.AddCommand(c)
	}
	root.AddCommand(versionCommand(std), healthcheckCommand(std), clickWriterCommand(std))
	markStart(root, &started)
	cmd, err := root.ExecuteContextC(ctx)
	if ue := (usageError{}); err != nil && (!started || errors.As(err, &ue)) {
		// cobra's own errors (an unknown command, a missing argument) come
		// before RunE.
		return usageError{err: err, command: cmd.CommandPath()}
	}
	return err
}

// markStart makes every command of the tree set *started when its RunE
// begins: cobra's checks of flags and arguments all come before.
func markStart(c *cobra.Command, started *bool) {
	if r := c.RunE; r != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*started = true
			return r(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markStart(sub, started)
	}
}

// oneDash is pflag's error for a long flag written with one dash, which
// Go's flag package (and so tiny before cobra) accepted.
var oneDash = regexp.MustCompile(`^unknown shorthand flag: '.' in -([a-z0-9][a-z0-9-]+)`)

// flagError makes a flag error a usage error, and says how to spell a
// long flag given with one dash.
func flagError(_ *cobra.Command, err error) error {
	if m := oneDash.FindStringSubmatch(err.Error()); m != nil {
		err = fmt.Errorf("%w: long flags take two dashes, as in --%s", err, m[1])
	}
	return usageError{err: err}
}
