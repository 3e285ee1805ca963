package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"tiny/internal/tiny"
)

func loginCommand(std streams) *cobra.Command {
	var server, key string
	cmd := &cobra.Command{
		Use:   "login --server URL [--key KEY]",
		Short: "check an API key against a server and store both for the other remote commands",
		Long: "Asks for an API key (create one in the web app, or with tiny keys create), checks\n" +
			"it against the server, and stores the server and the key in the user's\n" +
			"configuration directory (tiny/config.json, readable by the user alone).\n" +
			"The key is read from --key, else from the first line of stdin when stdin is not\n" +
			"a terminal, else from a prompt that does not echo it. --key shows the key to\n" +
			"anyone who lists processes: prefer the prompt or stdin.\n" +
			"TINY_SERVER and TINY_KEY, when set, override what is stored.",
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" {
				stored, err := loadCredentials()
				if err != nil {
					return err
				}
				server = stored.Server
			}
			if server == "" {
				return usagef("--server is required")
			}
			base, err := normalizeServer(server)
			if err != nil {
				return err
			}
			if key == "" {
				if key, err = readSecret(std, "the API key", "API key for "+base+": ", false); err != nil {
					return err
				}
			}
			who, err := checkKey(cmd.Context(), newClient(base, key))
			if err != nil {
				return err
			}
			path, err := saveCredentials(credentials{Server: base, Key: key})
			if err != nil {
				return err
			}
			fmt.Fprintf(std.stdout, "Logged in to %s%s. The key is stored in %s.\n", base, who, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "the server's base URL, e.g. https://sho.rt (default TINY_SERVER, or the stored one)")
	cmd.Flags().StringVar(&key, "key", "", "the API key (visible in the process list: prefer the prompt or stdin)")
	return cmd
}

// checkKey makes a request with the key and says whose it is. A key whose
// scopes leave out the account is still good if it may list links.
func checkKey(ctx context.Context, c *client) (who string, err error) {
	var u struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	_, err = c.get(ctx, "/api/v1/account", nil, &u)
	if tiny.IsCode(err, tiny.Forbidden) {
		_, err = c.call(ctx, "GET", "/api/v1/links", map[string][]string{"limit": {"1"}}, nil)
	}
	if err != nil {
		return "", err
	}
	if u.Name != "" {
		return fmt.Sprintf(" as %s (%s)", u.Name, u.Role), nil
	}
	return "", nil
}

func logoutCommand(std streams) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "forget the stored server and API key",
		Args:  positional(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			path, err := credentialsPath()
			if err != nil {
				return err
			}
			switch err := os.Remove(path); {
			case errors.Is(err, fs.ErrNotExist):
				fmt.Fprintln(std.stdout, "Not logged in.")
			case err != nil:
				return err
			default:
				fmt.Fprintf(std.stdout, "Logged out: removed %s.\n", path)
			}
			if os.Getenv("TINY_KEY") != "" {
				fmt.Fprintln(std.stderr, "TINY_KEY is still set in the environment, and still used.")
			}
			return nil
		},
	}
}

// readSecret reads a secret, what: from the first line of stdin when stdin
// is not a terminal, else from a prompt on the terminal that does not echo
// it (twice when confirm, so a typo does not go unseen).
func readSecret(std streams, what, prompt string, confirm bool) (string, error) {
	f, isFile := std.stdin.(*os.File)
	if !isFile || !term.IsTerminal(int(f.Fd())) {
		s, err := readPassword(std.stdin)
		if err != nil {
			return "", usagef("give %s as the first line of stdin, or run on a terminal to be asked for it", what)
		}
		return s, nil
	}
	ask := func(p string) (string, error) {
		fmt.Fprint(std.stderr, p)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.stderr)
		if err != nil {
			return "", fmt.Errorf("reading from the terminal: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	s, err := ask(prompt)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", usagef("nothing entered")
	}
	if confirm {
		again, err := ask("Again: ")
		if err != nil {
			return "", err
		}
		if again != s {
			return "", usagef("the two entries differ")
		}
	}
	return s, nil
}
