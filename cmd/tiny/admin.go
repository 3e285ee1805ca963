package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// adminCommand is `tiny admin`: the operator's account commands, run on the
// server against the store itself, with or without tiny serving.
func adminCommand(std streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin <command>",
		Short: "manage accounts OFFLINE, on the database (create-user, reset-password, disable-2fa)",
		Long: "OFFLINE: these commands open the database given by --database directly, not the\n" +
			"API, so they work when no admin can sign in. Run them on a server that can reach the\n" +
			"database. On PostgreSQL every node sees the change at once; on SQLite a running\n" +
			"tiny sees it within a minute.",
		Args: positional(cobra.NoArgs),
	}
	cmd.AddCommand(
		adminSubcommand("create-user", "create-user --email EMAIL [--role ROLE] [--password-stdin]",
			"create a user (OFFLINE, on the database); with --password-stdin the password is the first line of stdin, otherwise the user can only sign in by single sign-on until given one",
			std, adminCreateUser),
		adminSubcommand("reset-password", "reset-password --email EMAIL < password",
			"set a user's password from the first line of stdin and end their sessions (OFFLINE, on the database)",
			std, adminResetPassword),
		adminSubcommand("disable-2fa", "disable-2fa --email EMAIL",
			"turn off a user's second factor and delete their recovery codes, for a user who lost both; ends their sessions (OFFLINE, on the database)",
			std, adminDisable2FA),
	)
	return cmd
}

// adminArgs are the flags of every admin subcommand.
type adminArgs struct {
	database      string
	email         string
	role          string
	passwordStdin bool
	stdin         io.Reader
	stdout        io.Writer
}

func adminSubcommand(name, use, help string, std streams,
	act func(ctx context.Context, svc *accounts.Service, a adminArgs) error) *cobra.Command {
	a := adminArgs{stdin: std.stdin, stdout: std.stdout}
	cmd := &cobra.Command{
		Use: use, Short: strings.SplitN(help, " (OFFLINE", 2)[0] + " (OFFLINE)", Long: "OFFLINE: " + help + ".",
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.email == "" {
				return usagef("--email is required")
			}
			ctx := cmd.Context()
			store, err := openStore(ctx, a.database)
			if err != nil {
				return fmt.Errorf("opening the database %s: %w", redactDSN(a.database), err)
			}
			defer store.Close()
			svc, err := accounts.New(ctx, accounts.Config{Store: store, Audit: func(ctx context.Context, e accounts.AuthEvent) {
				_ = store.AddAudit(ctx, accountAudit(e)) // an operator command leaves a trace for the moderators
			}})
			if err != nil {
				return err
			}
			defer svc.Close()
			return act(ctx, svc, a)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&a.database, "database", DefaultConfig().Database, "SQLite file path, or a postgres:// URL, as for tiny serve")
	fs.StringVar(&a.email, "email", "", "the user's email")
	if name == "create-user" {
		fs.StringVar(&a.role, "role", string(tiny.RoleMember), "admin, moderator, member or viewer")
		fs.BoolVar(&a.passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	}
	return withEnv(cmd)
}

func adminCreateUser(ctx context.Context, svc *accounts.Service, a adminArgs) error {
	in := accounts.NewUser{Email: a.email, Role: tiny.Role(a.role)}
	if a.passwordStdin {
		pw, err := readPassword(a.stdin)
		if err != nil {
			return err
		}
		in.Password = pw
	}
	u, err := svc.OperatorCreateUser(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Created %s (%s, id %d).\n", u.Email, u.Role, u.ID)
	if !a.passwordStdin {
		fmt.Fprintln(a.stdout, "They have no password: they sign in by single sign-on, or after tiny admin reset-password.")
	}
	return nil
}

func adminResetPassword(ctx context.Context, svc *accounts.Service, a adminArgs) error {
	pw, err := readPassword(a.stdin)
	if err != nil {
		return err
	}
	u, err := svc.OperatorSetPassword(ctx, a.email, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Set the password of %s and ended their sessions.\n", u.Email)
	return nil
}

func adminDisable2FA(ctx context.Context, svc *accounts.Service, a adminArgs) error {
	u, err := svc.OperatorDisableSecondFactor(ctx, a.email)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Turned off two-factor sign-in for %s, deleted their recovery codes and ended their sessions.\n", u.Email)
	return nil
}

// readPassword reads the first line of r.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("give the password as the first line of stdin")
	}
	return pw, nil
}
