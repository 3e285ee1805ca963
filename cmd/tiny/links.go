package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func linksCommand(std streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "links <ls|get|edit|rm>",
		Short: "list, show, change and delete your links",
		Args:  positional(cobra.NoArgs),
	}
	cmd.AddCommand(linksListCommand(std), linksGetCommand(std), linksEditCommand(std), linksRemoveCommand(std))
	return cmd
}

func linksListCommand(std streams) *cobra.Command {
	var q, tag string
	var limit int
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:     "ls [--q TEXT] [--tag TAG] [--limit N] [--all]",
		Aliases: []string{"list"},
		Short:   "list links, newest first",
		Long: "Lists your links (every link for an admin), newest first: one page of --limit,\n" +
			"or every page with --all. With --json and --all the pages are joined into one\n" +
			"LinkList object with next_cursor null.",
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loggedIn()
			if err != nil {
				return err
			}
			query := url.Values{"limit": {strconv.Itoa(limit)}}
			if q != "" {
				query.Set("q", q)
			}
			if tag != "" {
				query.Set("tag", tag)
			}
			var links []json.RawMessage
			var raw []byte
			for {
				var page struct {
					Links      []json.RawMessage `json:"links"`
					NextCursor *string           `json:"next_cursor"`
				}
				if raw, err = c.get(cmd.Context(), "/api/v1/links", query, &page); err != nil {
					return err
				}
				links = append(links, page.Links...)
				if !all || page.NextCursor == nil {
					break
				}
				query.Set("cursor", *page.NextCursor)
			}
			if asJSON {
				if all {
					raw, err = json.Marshal(map[string]any{"links": links, "next_cursor": nil})
					if err != nil {
						return err
					}
				}
				return writeRaw(std.stdout, raw)
			}
			tw := table(std.stdout)
			fmt.Fprintln(tw, "CODE\tALIAS\tCLICKS\tSTATUS\tCREATED\tTAGS\tURL")
			for _, r := range links {
				var l apiLink
				if err := json.Unmarshal(r, &l); err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", l.Code, orDash(l.Alias), l.Clicks, l.Status,
					when(&l.CreatedAt), orDash(strings.Join(l.Tags, ",")), l.URL)
			}
			return tw.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&q, "q", "", "only links whose URL or title contains this text")
	fs.StringVar(&tag, "tag", "", "only links with this tag")
	fs.IntVar(&limit, "limit", 50, "links per page (1 to 1000)")
	fs.BoolVar(&all, "all", false, "every page, not just the first")
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

// printLink prints one link as a two-column table.
func printLink(w io.Writer, l apiLink) error {
	tw := table(w)
	maxClicks := "-"
	if l.MaxClicks != nil {
		maxClicks = strconv.FormatInt(*l.MaxClicks, 10)
	}
	rows := [][2]string{
		{"Short URL", l.ShortURL},
		{"Code", l.Code},
		{"Alias", orDash(l.Alias)},
		{"URL", l.URL},
		{"Title", orDash(l.Title)},
		{"Tags", orDash(strings.Join(l.Tags, ", "))},
		{"Status", l.Status},
		{"Redirect", strconv.Itoa(l.Redirect)},
		{"Clicks", strconv.FormatInt(l.Clicks, 10)},
		{"Max clicks", maxClicks},
		{"Expires", when(l.ExpiresAt)},
		{"Password", strconv.FormatBool(l.HasPassword)},
		{"Forward query", strconv.FormatBool(l.ForwardQuery)},
		{"Created", when(&l.CreatedAt)},
	}
	if l.ImportedClicks > 0 { // an imported link: the old shortener's count, apart from tiny's
		rows = slices.Insert(rows, 9, [2]string{"Imported clicks", strconv.FormatInt(l.ImportedClicks, 10)})
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

func linksGetCommand(std streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get CODE",
		Short: "show a link, by its code or alias",
		Args:  positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loggedIn()
			if err != nil {
				return err
			}
			var l apiLink
			raw, err := c.get(cmd.Context(), linkPath(args[0]), nil, &l)
			if err != nil {
				return err
			}
			if asJSON {
				return writeRaw(std.stdout, raw)
			}
			return printLink(std.stdout, l)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func linksEditCommand(std streams) *cobra.Command {
	var f linkFlags
	var dest string
	var noExpiry, noMaxClicks, noPassword, asJSON bool
	cmd := &cobra.Command{
		Use:   "edit CODE [flags]",
		Short: "change a link; only the flags given change",
		Long: "Changes the fields given as flags and leaves the others. --tag replaces every tag\n" +
			"(--tag '' alone clears them); --title '' clears the title. The alias never changes.",
		Example: "  tiny links edit spring --url https://example.com/new --expires 2w\n" +
			"  tiny links edit spring --no-expiry --no-password",
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loggedIn()
			if err != nil {
				return err
			}
			fs := cmd.Flags()
			body, err := f.body(std, fs, time.Now())
			if err != nil {
				return err
			}
			if tags, ok := body["tags"].([]string); ok && len(tags) == 1 && tags[0] == "" {
				body["tags"] = []string{}
			}
			if fs.Changed("url") {
				body["url"] = dest
			}
			for flag, field := range map[string]string{"no-expiry": "expires_at", "no-max-clicks": "max_clicks", "no-password": "password"} {
				if v, _ := fs.GetBool(flag); v {
					body[field] = nil
				}
			}
			if len(body) == 0 {
				return usagef("nothing to change: give at least one flag")
			}
			var l apiLink
			raw, err := c.do(cmd.Context(), "PATCH", linkPath(args[0]), nil, body, &l)
			if err != nil {
				return err
			}
			if asJSON {
				return writeRaw(std.stdout, raw)
			}
			return printLink(std.stdout, l)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dest, "url", "", "the new destination")
	f.register(fs)
	fs.BoolVar(&noExpiry, "no-expiry", false, "remove the expiry")
	fs.BoolVar(&noMaxClicks, "no-max-clicks", false, "remove the click limit")
	fs.BoolVar(&noPassword, "no-password", false, "remove the password")
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON of the changed link")
	cmd.MarkFlagsMutuallyExclusive("expires", "no-expiry")
	cmd.MarkFlagsMutuallyExclusive("max-clicks", "no-max-clicks")
	cmd.MarkFlagsMutuallyExclusive("password", "password-stdin", "no-password")
	return cmd
}

func linksRemoveCommand(std streams) *cobra.Command {
	return &cobra.Command{
		Use:     "rm CODE",
		Aliases: []string{"delete"},
		Short:   "delete a link; its code and alias never lead anywhere again",
		Args:    positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loggedIn()
			if err != nil {
				return err
			}
			if _, err := c.call(cmd.Context(), "DELETE", linkPath(args[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(std.stdout, "Deleted %s.\n", args[0])
			return nil
		},
	}
}
