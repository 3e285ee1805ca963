package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"tiny/internal/tiny"
)

// The exit statuses of tiny, one per class of error, so that scripts can
// tell "no such link" from "the server is down" (docs/cli.md lists them).
const (
	exitOK          = 0
	exitInternal    = 1 // an unexpected error, on either side
	exitUsage       = 2 // a bad command, flag or argument
	exitNotFound    = 3 // no such link or key (or it is gone)
	exitDenied      = 4 // not logged in, a bad key, or not allowed
	exitInvalid     = 5 // the server refused the input: invalid, taken, unsafe, too large
	exitRateLimited = 6
	exitUnavailable = 7 // the server cannot be reached or is unavailable
)

// exitByCode maps the API's error codes (and the stores', offline) to exit
// statuses; a code missing here is exitInternal.
var exitByCode = map[tiny.ErrorCode]int{
	tiny.NotFound:     exitNotFound,
	tiny.Gone:         exitNotFound,
	tiny.Unauthorized: exitDenied,
	tiny.Forbidden:    exitDenied,
	tiny.Invalid:      exitInvalid,
	tiny.Conflict:     exitInvalid,
	tiny.Unsafe:       exitInvalid,
	tiny.TooLarge:     exitInvalid,
	tiny.Unsupported:  exitInvalid,
	tiny.RateLimited:  exitRateLimited,
	tiny.Unavailable:  exitUnavailable,
	tiny.Internal:     exitInternal,
}

// usageError is a mistake on the command line: exit status 2. command is
// the command whose help the message points to.
type usageError struct {
	err     error
	command string
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{err: fmt.Errorf(format, args...)}
}

// exitStatus returns the exit status of err.
func exitStatus(err error) int {
	if err == nil {
		return exitOK
	}
	if ue := (usageError{}); errors.As(err, &ue) {
		return exitUsage
	}
	if status, ok := exitByCode[tiny.ErrorCodeOf(err)]; ok {
		return status
	}
	return exitInternal
}

// reportError prints err, if any, on stderr and returns the exit status.
func reportError(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "tiny:", err)
	if ue := (usageError{}); errors.As(err, &ue) && ue.command != "" {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", ue.command)
	}
	return exitStatus(err)
}

// positional wraps a cobra positional-argument check so that its error is
// a usage error.
func positional(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err: err}
		}
		return nil
	}
}

// envPrefix makes every flag of the commands that read the environment
// settable from it: --base-url is TINY_BASE_URL.
const envPrefix = "TINY"

// envAnnotation marks a command whose flags are also read from the
// environment (serve, admin, migrate).
const envAnnotation = "tiny-env"

// withEnv marks cmd as reading its flags from the environment and gives it
// the help that names each variable.
func withEnv(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[envAnnotation] = "yes"
	cmd.SetUsageFunc(func(c *cobra.Command) error {
		_, err := io.WriteString(c.OutOrStderr(), envUsage(c))
		return err
	})
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		_, _ = io.WriteString(c.OutOrStdout(), envUsage(c))
	})
	return cmd
}

// envName is the environment variable of a flag.
func envName(flag string) string {
	return envPrefix + "_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_", "/", "_").Replace(flag))
}

// envNameAnnotation, on a flag, names its variable instead of envName: a
// secret whose generic name would be ambiguous (--token of tiny import is
// TINY_IMPORT_TOKEN, not TINY_TOKEN, which reads like tiny's own key).
const envNameAnnotation = "tiny-env-name"

// flagEnv is the environment variable of f.
func flagEnv(f *pflag.Flag) string {
	if name := f.Annotations[envNameAnnotation]; len(name) == 1 {
		return name[0]
	}
	return envName(f.Name)
}

// applyEnv sets each flag of fs the command line left unset from its
// environment variable, when that is not empty: flags outrank the
// environment, which outranks the defaults (and the --config file).
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		key := flagEnv(f)
		if v := os.Getenv(key); v != "" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = usagef("environment variable %s: %v", key, serr)
			}
		}
	})
	return err
}

// envUsage is the help of a command that reads the environment: its flags,
// each with its variable.
func envUsage(c *cobra.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "USAGE\n  %s\n\n", c.UseLine())
	if long := strings.TrimSpace(c.Long); long != "" {
		fmt.Fprintf(&b, "%s\n\n", long)
	}
	b.WriteString("FLAGS (each also read from the environment variable shown)\n")
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "[]" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(&b, "  --%-18s %-24s %s%s\n", f.Name, flagEnv(f), f.Usage, def)
	})
	return b.String()
}
