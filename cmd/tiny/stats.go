package main

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// apiStats is the API's Stats, the fields the CLI shows.
type apiStats struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Interval string    `json:"interval"`
	Totals   struct {
		Clicks         int64 `json:"clicks"`
		BotClicks      int64 `json:"bot_clicks"`
		Previews       int64 `json:"previews"`
		UniqueVisitors int64 `json:"unique_visitors"`
	} `json:"totals"`
	Series []struct {
		Start  time.Time `json:"start"`
		Clicks int64     `json:"clicks"`
	} `json:"series"`
	Referrers []breakdownRow `json:"referrers"`
	Countries []breakdownRow `json:"countries"`
	Browsers  []breakdownRow `json:"browsers"`
}

type breakdownRow struct {
	Value  string `json:"value"`
	Clicks int64  `json:"clicks"`
}

func statsCommand(std streams) *cobra.Command {
	var days int
	var interval string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats CODE [--days N] [--interval hour|day|week|month]",
		Short: "a link's click totals, a chart of clicks over time, and top referrers",
		Args:  positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if days < 1 {
				return usagef("--days must be at least 1")
			}
			c, err := loggedIn()
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			query := url.Values{"from": {now.AddDate(0, 0, -days).Format(time.RFC3339)}, "to": {now.Format(time.RFC3339)}}
			if interval != "" {
				query.Set("interval", interval)
			}
			var st apiStats
			raw, err := c.get(cmd.Context(), linkPath(args[0])+"/stats", query, &st)
			if err != nil {
				return err
			}
			if asJSON {
				return writeRaw(std.stdout, raw)
			}
			return printStats(std.stdout, args[0], st)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&days, "days", 30, "how many days back from now")
	fs.StringVar(&interval, "interval", "", "one bar of the chart: hour, day, week or month (default day)")
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

// printStats prints the totals, the chart and the top referrers,
// countries and browsers.
func printStats(w io.Writer, code string, st apiStats) error {
	tw := table(w)
	fmt.Fprintf(tw, "Link\t%s\n", code)
	fmt.Fprintf(tw, "Period\t%s to %s, by %s\n", st.From.Format("2006-01-02 15:04"), st.To.Format("2006-01-02 15:04 MST"), st.Interval)
	fmt.Fprintf(tw, "Clicks\t%d\n", st.Totals.Clicks)
	fmt.Fprintf(tw, "Unique visitors\t%d\n", st.Totals.UniqueVisitors)
	fmt.Fprintf(tw, "Bot clicks\t%d\n", st.Totals.BotClicks)
	fmt.Fprintf(tw, "Previews\t%d\n", st.Totals.Previews)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.Series) > 0 {
		values := make([]int64, len(st.Series))
		for i, p := range st.Series {
			values[i] = p.Clicks
		}
		values = fitWidth(values, 72)
		fmt.Fprintln(w)
		for _, line := range chart(values, 8) {
			fmt.Fprintln(w, line)
		}
		first, last := st.Series[0].Start.Format("2006-01-02"), st.Series[len(st.Series)-1].Start.Format("2006-01-02")
		fmt.Fprintf(w, "%s%s%*s\n", strings.Repeat(" ", chartLabelWidth), first, max(len(values)-len(first), len(last)+1), last)
	}
	for _, b := range []struct {
		title string
		rows  []breakdownRow
	}{{"REFERRER", st.Referrers}, {"COUNTRY", st.Countries}, {"BROWSER", st.Browsers}} {
		if len(b.rows) == 0 {
			continue
		}
		fmt.Fprintln(w)
		tw := table(w)
		fmt.Fprintf(tw, "%s\tCLICKS\n", b.title)
		for _, r := range b.rows {
			fmt.Fprintf(tw, "%s\t%d\n", r.Value, r.Clicks)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// eighths are the block characters from empty to full, one eighth apart.
var eighths = []rune(" ▁▂▃▄▅▆▇█")

// chartLabelWidth is the width of the chart's scale on the left.
const chartLabelWidth = 8

// fitWidth sums adjacent values until there are at most width of them.
func fitWidth(values []int64, width int) []int64 {
	n := len(values)
	if n <= width {
		return values
	}
	per := (n + width - 1) / width
	merged := make([]int64, 0, width)
	for i := 0; i < n; i += per {
		var sum int64
		for _, v := range values[i:min(i+per, n)] {
			sum += v
		}
		merged = append(merged, sum)
	}
	return merged
}

// chart draws values as vertical bars of height rows, one column each,
// with the scale on the left.
func chart(values []int64, height int) []string {
	top := max(slices.Max(values), 1)
	lines := make([]string, height)
	for row := range height {
		var b strings.Builder
		label := ""
		switch row {
		case 0:
			label = strconv.FormatInt(top, 10)
		case height - 1:
			label = "0"
		}
		fmt.Fprintf(&b, "%*s ┤", chartLabelWidth-2, label)
		floor := int64(height-1-row) * 8 // eighths below this row
		for _, v := range values {
			filled := v*int64(height)*8/top - floor
			if v > 0 && row == height-1 && filled < 1 {
				filled = 1 // a click is never drawn as none
			}
			b.WriteRune(eighths[min(max(filled, 0), 8)])
		}
		lines[row] = strings.TrimRight(b.String(), " ")
	}
	return lines
}
