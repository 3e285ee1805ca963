package analytics

import (
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// unknownPlace is the country of a click that cannot be placed.
const unknownPlace = "unknown"

// geoDB places IP addresses with a MaxMind-format database (GeoIP2 or
// GeoLite2 City or Country, or any database with the same fields).
//
// It caches decoded places by the offset of their data record, which is
// shared by every network of the same place; it never keeps anything keyed
// by, or derived from, an IP address. Like the Enricher it belongs to one
// goroutine: the cache has no lock.
type geoDB struct {
	r      *maxminddb.Reader
	places map[uintptr]geoPlace
}

type geoPlace struct{ country, city string }

// maxPlaces bounds the place cache; it is emptied when full.
const maxPlaces = 10_000

// geoRecord holds the only fields read from a record.
type geoRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	City struct {
		Names struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
}

func openGeoDB(path string) (*geoDB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, err
	}
	return &geoDB{r: r, places: make(map[uintptr]geoPlace)}, nil
}

func (g *geoDB) Close() error { return g.r.Close() }

// lookup returns the ISO 3166-1 alpha-2 country of ip (or "unknown") and
// its city in English (or ""). Addresses that belong to no place, such as
// private, loopback and link-local ones, are unknown.
func (g *geoDB) lookup(ip netip.Addr) (country, city string) {
	ip = ip.Unmap().WithZone("")
	if !isPublic(ip) {
		return unknownPlace, ""
	}
	res := g.r.Lookup(ip)
	if !res.Found() {
		return unknownPlace, ""
	}
	off := res.Offset()
	if p, ok := g.places[off]; ok {
		return p.country, p.city
	}
	var rec geoRecord
	if err := res.Decode(&rec); err != nil {
		return unknownPlace, ""
	}
	p := geoPlace{country: countryCode(rec.Country.ISOCode), city: rec.City.Names.EN}
	if p.country == unknownPlace {
		p.country = countryCode(rec.RegisteredCountry.ISOCode)
	}
	if len(g.places) >= maxPlaces {
		clear(g.places)
	}
	g.places[off] = p
	return p.country, p.city
}

// isPublic reports whether ip could be placed on a map at all.
func isPublic(ip netip.Addr) bool {
	return ip.IsValid() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsUnspecified() &&
		!ip.IsLinkLocalUnicast() && !ip.IsMulticast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsInterfaceLocalMulticast()
}

// countryCode returns code when it is two ASCII letters, in upper case, and
// "unknown" otherwise.
func countryCode(code string) string {
	if len(code) != 2 || !isLetter(code[0]) || !isLetter(code[1]) {
		return unknownPlace
	}
	if code[0] >= 'a' || code[1] >= 'a' {
		return string([]byte{code[0] &^ 0x20, code[1] &^ 0x20})
	}
	return code
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
