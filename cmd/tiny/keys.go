package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// apiKey is the API's APIKey (and APIKeyCreated, with the secret).
type apiKey struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Key        string     `json:"key"`
	User       string     `json:"user"`
	Role       string     `json:"role"`
	Scopes     []string   `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

func keysCommand(std streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys <ls|create|revoke>",
		Short: "list, create and revoke API keys",
		Args:  positional(cobra.NoArgs),
	}
	cmd.AddCommand(keysListCommand(std), keysCreateCommand(std), keysRevokeCommand(std))
	return cmd
}

func keysListCommand(std streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "list your API keys (every key for an admin); secrets are never shown",
		Args:    positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loggedIn()
			if err != nil {
				return err
			}
			var list struct {
				Keys []apiKey `json:"keys"`
			}
			raw, err := c.get(cmd.Context(), "/api/v1/keys", nil, &list)
			if err != nil {
				return err
			}
			if asJSON {
				return writeRaw(std.stdout, raw)
			}
			tw := table(std.stdout)
			fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tUSER\tROLE\tSCOPES\tEXPIRES\tLAST USED\tCREATED")
			for _, k := range list.Keys {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.User, k.Role,
					orDash(strings.Join(k.Scopes, ",")), when(k.ExpiresAt), when(k.LastUsedAt), when(&k.CreatedAt))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func keysCreateCommand(std streams) *cobra.Command {
	var name, expires string
	var scopes []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --name NAME [--scope SCOPE]... [--expires WHEN]",
		Short: "create an API key and print its secret, which is shown only this once",
		Long: "Creates a key for your user and prints its secret alone on stdout, so that\n" +
			"KEY=$(tiny keys create --name ci) works. Scopes: links:read, links:write,\n" +
			"stats:read, moderation, admin (default: every scope your role uses).",
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usagef("--name is required")
			}
			c, err := loggedIn()
			if err != nil {
				return err
			}
			body := map[string]any{"name": name}
			if len(scopes) > 0 {
				body["scopes"] = scopes
			}
			if expires != "" {
				t, err := parseExpiry(expires, time.Now())
				if err != nil {
					return err
				}
				body["expires_at"] = t.UTC().Format(time.RFC3339)
			}
			var k apiKey
			raw, err := c.do(cmd.Context(), "POST", "/api/v1/keys", nil, body, &k)
			if err != nil {
				return err
			}
			if asJSON {
				return writeRaw(std.stdout, raw)
			}
			fmt.Fprintf(std.stderr, "Created key %d (%s, scopes %s). Its secret, shown only this once:\n",
				k.ID, k.Name, strings.Join(k.Scopes, ","))
			_, err = fmt.Fprintln(std.stdout, k.Key)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&name, "name", "", "a name to tell the key apart (required)")
	fs.StringArrayVar(&scopes, "scope", nil, "a scope the key has (repeatable)")
	fs.StringVar(&expires, "expires", "", "when the key stops working: an RFC 3339 time or a duration like 90d (default never)")
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON, secret included")
	return cmd
}

func keysRevokeCommand(std streams) *cobra.Command {
	return &cobra.Command{
		Use:     "revoke ID",
		Aliases: []string{"rm"},
		Short:   "revoke an API key by its id (see tiny keys ls)",
		Args:    positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return usagef("%q is not a key id: give the number tiny keys ls shows", args[0])
			}
			c, err := loggedIn()
			if err != nil {
				return err
			}
			if _, err := c.call(cmd.Context(), "DELETE", "/api/v1/keys/"+args[0], nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(std.stdout, "Revoked key %d.\n", id)
			return nil
		},
	}
}
