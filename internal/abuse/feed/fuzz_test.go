package feed

import (
	"iter"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that no input panics the parser and that every entry it
// keeps is canonical: parsing it again gives the same entry, and a URL made
// from it matches the list it came from.
func FuzzParse(f *testing.F) {
	f.Add("example.com\n*.wild.example\n# c\n0.0.0.0 a.example b.example\nhttp://x.example/p?q=1\n||ad.example^\n")
	f.Add("\xef\xbb\xbfmünchen.de\r\n::1 localhost\n2001:db8::1\n")
	f.Fuzz(func(t *testing.T, in string) {
		l, st, err := Parse(strings.NewReader(in), "fuzz")
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if st.Domains+st.URLs != l.Len() {
			t.Fatalf("stats count %d+%d entries, list has %d", st.Domains, st.URLs, l.Len())
		}
		set := NewSet(l)
		// Arbitrary input as a URL must not panic the matcher either.
		set.MatchString(in)
		set.MatchString("http://" + in)
		set.MatchHost(in)
		for d := range l.Domains() {
			host := d
			if strings.Contains(d, ":") {
				host = "[" + d + "]"
			}
			if _, ok := set.MatchString("http://" + host + "/"); !ok {
				t.Errorf("domain entry %q does not match http://%s/", d, host)
			}
			if got := reparse(t, d, (*List).Domains); !slices.Equal(got, []string{d}) {
				t.Errorf("domain entry %q reparses as %q", d, got)
			}
		}
		for u := range l.URLs() {
			if _, ok := set.MatchString("http://" + u); !ok {
				t.Errorf("URL entry %q does not match http://%s", u, u)
			}
			if got := reparse(t, "http://"+u, (*List).URLs); !slices.Equal(got, []string{u}) {
				t.Errorf("URL entry %q reparses as %q", u, got)
			}
		}
	})
}

func reparse(t *testing.T, line string, entries func(*List) iter.Seq[string]) []string {
	l, _, err := Parse(strings.NewReader(line), "again")
	if err != nil {
		t.Fatal(err)
	}
	return slices.Collect(entries(l))
}
