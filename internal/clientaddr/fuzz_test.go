package clientaddr

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzClientAddr feeds arbitrary peers and X-Forwarded-For lines to Client
// and checks it against a plain reading of the rules: no panic; a zoneless,
// unmapped result; an untrusted peer's header ignored; two lines the same as
// their comma-joined list; the result the one a naive right-to-left walk
// finds; and Key stable and containing the client.
func FuzzClientAddr(f *testing.F) {
	for _, s := range [][3]string{
		{"127.0.0.1", "192.0.2.66, 203.0.113.7", ""},
		{"127.0.0.1", "192.0.2.66", "203.0.113.7, 10.0.0.2"},
		{"198.51.100.9", "203.0.113.7", ""},
		{"2001:db8:ffff::1", "2001:db8:7:7::1, 2001:db8:ffff:1::2", ""},
		{"fe80::1%eth0", "fe80::2%lo, [2001:db8::1]:4711", "10.0.0.2:80"},
		{"::ffff:127.0.0.1", "::ffff:203.0.113.7", "::ffff:10.0.0.2"},
		{"127.0.0.1", "203.0.113.7, unknown", "garbage,,\t, 10.0.0.9"},
		{"127.0.0.1", "[::1", "1.2.3.4:99999, %, ::%"},
		{"", "203.0.113.7", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	p := testPolicy(f)
	f.Fuzz(func(t *testing.T, peerText, line1, line2 string) {
		peer, _ := netip.ParseAddr(peerText)
		lines := []string{line1, line2}
		got := p.Client(peer, lines)
		if got.Zone() != "" || got.Is4In6() {
			t.Fatalf("Client(%s, %q) = %v, want no zone and no mapping", peer, lines, got)
		}
		if !p.Trusts(peer) && got != normal(peer) {
			t.Fatalf("Client(untrusted %s, %q) = %v, want the peer", peer, lines, got)
		}
		if joined := p.Client(peer, []string{line1 + "," + line2}); joined != got {
			t.Fatalf("Client(%s, %q) = %v, but the joined line gives %v", peer, lines, got, joined)
		}
		if want := naiveClient(p, peer, lines); got != want {
			t.Fatalf("Client(%s, %q) = %v, want %v", peer, lines, got, want)
		}
		k := p.Key(got)
		if got.IsValid() && !k.Contains(got) {
			t.Fatalf("Key(%v) = %v, which does not contain it", got, k)
		}
		if again := p.Key(k.Addr()); again != k {
			t.Fatalf("Key(Key(%v).Addr()) = %v, want %v", got, again, k)
		}
	})
}

// naiveClient is Client written the obvious way, with allocations.
func naiveClient(p Policy, peer netip.Addr, lines []string) netip.Addr {
	client := peer.WithZone("").Unmap()
	if !p.Trusts(client) {
		return client
	}
	entries := strings.Split(strings.Join(lines, ","), ",")
	for i := len(entries) - 1; i >= 0; i-- {
		e := strings.Trim(entries[i], " \t")
		if e == "" {
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			ap, perr := netip.ParseAddrPort(e)
			if perr != nil || len(e) > maxEntry {
				return client
			}
			a = ap.Addr()
		}
		if len(e) > maxEntry {
			return client
		}
		client = a.WithZone("").Unmap()
		if !p.Trusts(client) {
			return client
		}
	}
	return client
}
