package analytics

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"tiny/internal/tiny"
)

// writeTestGeoDB writes a small GeoIP2-City database and returns its path.
// Most networks are documentation ranges, reserved for examples like this.
func writeTestGeoDB(tb testing.TB) string {
	tb.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoIP2-City", IncludeReservedNetworks: true})
	if err != nil {
		tb.Fatal(err)
	}
	place := func(country, registered, city string) mmdbtype.Map {
		m := mmdbtype.Map{}
		if country != "" {
			m["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(country)}
		}
		if registered != "" {
			m["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(registered)}
		}
		if city != "" {
			m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city), "nl": mmdbtype.String(city + "-nl")}}
		}
		return m
	}
	for _, n := range []struct {
		cidr string
		rec  mmdbtype.Map
	}{
		{"192.0.2.0/24", place("NL", "NL", "Amsterdam")},
		{"198.51.100.0/24", place("", "DE", "")},          // registered country only
		{"203.0.113.0/24", place("US", "US", "")},         // no city
		{"81.2.69.0/24", place("GB", "GB", "London")},     // a public network
		{"2001:db8::/32", place("JP", "JP", "Tokyo")},     // IPv6 documentation
		{"2001:db8:1::/48", place("FR", "FR", "Paris")},   // more specific
		{"10.0.0.0/8", place("XX", "XX", "Private City")}, // private: never asked
		{"100.64.0.0/10", place("zz", "", "Lower Case")},  // lower-case code
		{"100.128.0.0/16", place("USA", "CA", "Toronto")}, // bad code: registered
	} {
		_, network, err := net.ParseCIDR(n.cidr)
		if err != nil {
			tb.Fatal(err)
		}
		if err := tree.Insert(network, n.rec); err != nil {
			tb.Fatalf("Insert(%s) = %v", n.cidr, err)
		}
	}
	path := filepath.Join(tb.TempDir(), "GeoIP2-City-Test.mmdb")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestGeoLookup(t *testing.T) {
	g, err := openGeoDB(writeTestGeoDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	tests := []struct {
		ip            string
		country, city string
	}{
		{"192.0.2.1", "NL", "Amsterdam"},
		{"192.0.2.254", "NL", "Amsterdam"},
		{"::ffff:192.0.2.55", "NL", "Amsterdam"}, // IPv4-mapped
		{"198.51.100.7", "DE", ""},               // registered_country fallback
		{"203.0.113.9", "US", ""},
		{"81.2.69.142", "GB", "London"},
		{"2001:db8::1", "JP", "Tokyo"},
		{"2001:db8:ffff::1", "JP", "Tokyo"},
		{"2001:db8:1::42", "FR", "Paris"},
		{"2001:db8:1::42%eth0", "FR", "Paris"}, // zone ignored
		{"100.64.1.1", "ZZ", "Lower Case"},
		{"100.128.1.1", "CA", "Toronto"},
		{"8.8.8.8", "unknown", ""},           // not in the database
		{"2a00:1450:4001::1", "unknown", ""}, // not in the database
		{"10.1.2.3", "unknown", ""},          // private, even though listed
		{"172.16.0.1", "unknown", ""},
		{"192.168.1.1", "unknown", ""},
		{"127.0.0.1", "unknown", ""},
		{"::1", "unknown", ""},
		{"fe80::1", "unknown", ""},
		{"fd00::1", "unknown", ""},
		{"0.0.0.0", "unknown", ""},
		{"::", "unknown", ""},
		{"224.0.0.1", "unknown", ""},
	}
	for range 2 { // the second round is served from the place cache
		for _, tt := range tests {
			country, city := g.lookup(netip.MustParseAddr(tt.ip))
			if country != tt.country || city != tt.city {
				t.Errorf("lookup(%s) = %q, %q, want %q, %q", tt.ip, country, city, tt.country, tt.city)
			}
		}
	}
	if country, city := g.lookup(netip.Addr{}); country != "unknown" || city != "" {
		t.Errorf("lookup(zero Addr) = %q, %q, want \"unknown\", \"\"", country, city)
	}
	// Two addresses of one network share one cached place.
	if n := len(g.places); n == 0 || n > 9 {
		t.Errorf("len(places) = %d, want 1..9 (one per record)", n)
	}
}

func TestEnricherGeoIP(t *testing.T) {
	path := writeTestGeoDB(t)
	tests := []struct {
		path          string
		ip            string
		country, city string
	}{
		{path, "192.0.2.10", "NL", "Amsterdam"},
		{path, "2001:db8::10", "JP", "Tokyo"},
		{path, "127.0.0.1", "unknown", ""},
		{"", "192.0.2.10", "unknown", ""}, // no database
	}
	for _, tt := range tests {
		e, err := NewEnricher(EnricherConfig{GeoIPPath: tt.path, Secrets: NewMemorySecretStore()})
		if err != nil {
			t.Fatal(err)
		}
		ev := e.Enrich(Click{LinkID: 1, At: testNow(), IP: netip.MustParseAddr(tt.ip)})
		if ev.Country != tt.country || ev.City != tt.city {
			t.Errorf("Enrich(IP %s, GeoIPPath %q) = country %q, city %q, want %q, %q", tt.ip, tt.path, ev.Country, ev.City, tt.country, tt.city)
		}
		if err := e.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
	}
}

func TestNewEnricherBadGeoIP(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.mmdb")
	if err := os.WriteFile(bad, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "missing.mmdb"), bad} {
		_, err := NewEnricher(EnricherConfig{GeoIPPath: path, Secrets: NewMemorySecretStore()})
		if !tiny.IsCode(err, tiny.Invalid) {
			t.Errorf("NewEnricher(GeoIPPath %s) = %v, want an invalid error", path, err)
		}
	}
}
