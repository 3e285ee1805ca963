package tiny

// CSVSafe defuses a value a spreadsheet would run as a formula, for the
// CSV exports of the API and the web app.
func CSVSafe(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@') {
		return "'" + v
	}
	return v
}
