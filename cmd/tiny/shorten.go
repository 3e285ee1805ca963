package main

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// apiLink is the API's Link, the fields the CLI shows.
type apiLink struct {
	Code      string     `json:"code"`
	Alias     string     `json:"alias"`
	ShortURL  string     `json:"short_url"`
	URL       string     `json:"url"`
	Title     string     `json:"title"`
	Tags      []string   `json:"tags"`
	Redirect  int        `json:"redirect"`
	ExpiresAt *time.Time `json:"expires_at"`
	MaxClicks *int64     `json:"max_clicks"`
	Clicks    int64      `json:"clicks"`
	// ImportedClicks is the count the old shortener had, shown apart.
	ImportedClicks int64     `json:"imported_clicks"`
	HasPassword    bool      `json:"has_password"`
	ForwardQuery   bool      `json:"forward_query"`
	Status         string    `json:"status"`
	CreatedAt      time.Time `json:"created_at"`
}

// linkFlags are the options shared by shorten and links edit; each one is
// sent only when given.
type linkFlags struct {
	title, expires          string
	tags                    []string
	maxClicks               int64
	redirect                int
	password, passwordStdin bool
	forwardQuery            bool
}

func (f *linkFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.title, "title", "", "a title for people")
	fs.StringArrayVar(&f.tags, "tag", nil, "a tag (repeatable)")
	fs.StringVar(&f.expires, "expires", "", "when the link stops working: an RFC 3339 time, or a duration from now like 30d, 12h or 90m")
	fs.Int64Var(&f.maxClicks, "max-clicks", 0, "how many times the link may be followed")
	fs.IntVar(&f.redirect, "redirect", 0, "the redirect status: 301, 302, 307 or 308 (the server's default is 302)")
	fs.BoolVar(&f.password, "password", false, "ask for a password visitors must enter (on the terminal, or the first line of stdin)")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password visitors must enter from the first line of stdin")
	fs.BoolVar(&f.forwardQuery, "forward-query", false, "append the visitor's query string to the destination")
}

// body returns the fields of the flags given on the command line, as the
// API's LinkCreate and LinkUpdate name them.
func (f *linkFlags) body(std streams, fs *pflag.FlagSet, now time.Time) (map[string]any, error) {
	body := map[string]any{}
	if fs.Changed("title") {
		body["title"] = f.title
	}
	if fs.Changed("tag") {
		body["tags"] = append([]string{}, f.tags...)
	}
	if fs.Changed("expires") {
		t, err := parseExpiry(f.expires, now)
		if err != nil {
			return nil, err
		}
		body["expires_at"] = t.UTC().Format(time.RFC3339)
	}
	if fs.Changed("max-clicks") {
		body["max_clicks"] = f.maxClicks
	}
	if fs.Changed("redirect") {
		body["redirect"] = f.redirect
	}
	if fs.Changed("forward-query") {
		body["forward_query"] = f.forwardQuery
	}
	switch {
	case f.passwordStdin:
		pw, err := readPassword(std.stdin)
		if err != nil {
			return nil, err
		}
		body["password"] = pw
	case f.password:
		pw, err := readSecret(std, "the link's password", "Password for the link: ", true)
		if err != nil {
			return nil, err
		}
		body["password"] = pw
	}
	return body, nil
}

// daysOrWeeks is a duration in days or weeks, which time.ParseDuration
// does not know.
var daysOrWeeks = regexp.MustCompile(`^(\d+)([dw])$`)

// parseExpiry reads --expires: an RFC 3339 time, or a duration after now
// (30d, 2w, 12h, 90m).
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if m := daysOrWeeks.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		if m[2] == "w" {
			n *= 7
		}
		return now.AddDate(0, 0, n), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), nil
	}
	return time.Time{}, usagef("--expires %q: want an RFC 3339 time like 2027-01-31T18:00:00Z or a duration like 30d, 2w, 12h", s)
}

func shortenCommand(std streams) *cobra.Command {
	var f linkFlags
	var alias string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "shorten URL [flags]",
		Short: "create a short link and print only its URL",
		Long: "Creates a short link and prints its URL alone, so that $(tiny shorten URL) works.\n" +
			"A password is never a flag's value (the process list would show it): --password\n" +
			"asks for it, --password-stdin reads it from stdin.",
		Example: "  tiny shorten https://example.com/a/long/path --alias spring --tag promo --expires 30d",
		Args:    positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loggedIn()
			if err != nil {
				return err
			}
			body, err := f.body(std, cmd.Flags(), time.Now())
			if err != nil {
				return err
			}
			body["url"] = args[0]
			if alias != "" {
				body["alias"] = alias
			}
			var l apiLink
			raw, err := c.do(cmd.Context(), "POST", "/api/v1/links", nil, body, &l)
			if err != nil {
				return err
			}
			if asJSON {
				return writeRaw(std.stdout, raw)
			}
			if l.Status == "flagged" {
				fmt.Fprintln(std.stderr, "The link is flagged for review: visitors see a warning first until a moderator clears it.")
			}
			_, err = fmt.Fprintln(std.stdout, l.ShortURL)
			return err
		},
	}
	cmd.Flags().StringVar(&alias, "alias", "", "a custom name for the link, used in its short URL")
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON of the new link")
	return cmd
}
