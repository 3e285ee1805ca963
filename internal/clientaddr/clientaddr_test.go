package clientaddr

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// testPolicy trusts a loopback proxy, an internal IPv4 network, an IPv6
// proxy network and link-local addresses.
func testPolicy(t testing.TB) Policy {
	t.Helper()
	var trusted []netip.Prefix
	for _, s := range []string{"127.0.0.1", "10.0.0.0/8", "2001:db8:ffff::/48", "fe80::/10"} {
		p, err := ParseProxy(s)
		if err != nil {
			t.Fatal(err)
		}
		trusted = append(trusted, p)
	}
	p, err := New(trusted, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func addr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

func TestClient(t *testing.T) {
	p := testPolicy(t)
	for _, tt := range []struct {
		name  string
		peer  string
		lines []string
		want  string
	}{
		{"untrusted peer ignores the header", "198.51.100.9", []string{"203.0.113.7"}, "198.51.100.9"},
		{"untrusted peer ignores a trusted-looking header", "198.51.100.9", []string{"10.0.0.1"}, "198.51.100.9"},
		{"trusted peer without a header", "127.0.0.1", nil, "127.0.0.1"},
		{"trusted peer with an empty header", "127.0.0.1", []string{""}, "127.0.0.1"},
		{"one entry", "127.0.0.1", []string{"203.0.113.7"}, "203.0.113.7"},
		{"spoofed leftmost entry", "127.0.0.1", []string{"192.0.2.66, 203.0.113.7"}, "203.0.113.7"},
		{"spoofed trusted-looking leftmost entry", "127.0.0.1", []string{"10.0.0.5, 203.0.113.7"}, "203.0.113.7"},
		{"rightmost untrusted behind a chain of proxies", "127.0.0.1", []string{"192.0.2.66, 203.0.113.7, 10.1.2.3, 10.0.0.2"}, "203.0.113.7"},
		{"every entry trusted: the leftmost", "127.0.0.1", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"two lines are one list: the last line's entry", "127.0.0.1", []string{"192.0.2.66", "203.0.113.7"}, "203.0.113.7"},
		{"two lines are one list: across lines", "127.0.0.1", []string{"192.0.2.66, 203.0.113.7", "10.0.0.2"}, "203.0.113.7"},
		{"three lines with an empty one", "127.0.0.1", []string{"192.0.2.66", "203.0.113.7", ""}, "203.0.113.7"},
		{"empty entries are skipped", "127.0.0.1", []string{",203.0.113.7,, ,\t,"}, "203.0.113.7"},
		{"spaces and tabs", "127.0.0.1", []string{" \t203.0.113.7 \t"}, "203.0.113.7"},
		{"garbage rightmost: the peer", "127.0.0.1", []string{"203.0.113.7, unknown"}, "127.0.0.1"},
		{"garbage behind a trusted hop: that hop", "127.0.0.1", []string{"203.0.113.7, not-an-ip, 10.0.0.2"}, "10.0.0.2"},
		{"garbage that starts like hex", "127.0.0.1", []string{"203.0.113.7, cafe.example"}, "127.0.0.1"},
		{"garbage left of the client is never read", "127.0.0.1", []string{"<script>, 203.0.113.7"}, "203.0.113.7"},
		{"an over-long entry is garbage", "127.0.0.1", []string{"203.0.113.7, 1" + strings.Repeat("0", 100)}, "127.0.0.1"},
		{"an address with a port", "127.0.0.1", []string{"203.0.113.7:4711"}, "203.0.113.7"},
		{"an IPv6 address with a port", "127.0.0.1", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"an IPv6 address in brackets without a port is garbage", "127.0.0.1", []string{"[2001:db8::1]"}, "127.0.0.1"},
		{"IPv6 client through an IPv6 proxy", "2001:db8:ffff::1", []string{"2001:db8:7:7::1"}, "2001:db8:7:7::1"},
		{"IPv6 proxies in the chain", "2001:db8:ffff::1", []string{"2001:db8:7:7::1, 2001:db8:ffff:1::2"}, "2001:db8:7:7::1"},
		{"a zone is dropped from an entry", "127.0.0.1", []string{"fe80::1%eth0, 203.0.113.7"}, "203.0.113.7"},
		{"a zoned entry as the client", "127.0.0.1", []string{"2001:db8::9%eth0"}, "2001:db8::9"},
		{"a trusted zoned entry is trusted", "127.0.0.1", []string{"203.0.113.7, fe80::1%eth0"}, "203.0.113.7"},
		{"a zoned peer matches its network", "fe80::1%eth0", []string{"203.0.113.7"}, "203.0.113.7"},
		{"an untrusted zoned peer loses its zone", "2001:db8::1%eth0", []string{"203.0.113.7"}, "2001:db8::1"},
		{"a mapped entry is IPv4", "127.0.0.1", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"a mapped trusted entry is trusted", "127.0.0.1", []string{"203.0.113.7, ::ffff:10.0.0.2"}, "203.0.113.7"},
		{"a mapped peer is IPv4 and trusted", "::ffff:127.0.0.1", []string{"203.0.113.7"}, "203.0.113.7"},
		{"a mapped untrusted peer is unmapped", "::ffff:198.51.100.9", []string{"203.0.113.7"}, "198.51.100.9"},
		{"an invalid peer", "", []string{"203.0.113.7"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Client(addr(tt.peer), tt.lines); got != addr(tt.want) {
				t.Errorf("Client(%s, %q) = %v, want %v", tt.peer, tt.lines, got, tt.want)
			}
		})
	}
}

func TestZeroPolicyTrustsNoOne(t *testing.T) {
	var p Policy
	for _, peer := range []string{"127.0.0.1", "10.0.0.1", "::1"} {
		if got := p.Client(addr(peer), []string{"203.0.113.7"}); got != addr(peer) {
			t.Errorf("Policy{}.Client(%s, [203.0.113.7]) = %v, want the peer", peer, got)
		}
	}
}

func TestKey(t *testing.T) {
	p := testPolicy(t)
	p48, err := New(nil, 48)
	if err != nil {
		t.Fatal(err)
	}
	p128, err := New(nil, 128)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p    Policy
		in   string
		want string
		text string
	}{
		{p, "203.0.113.7", "203.0.113.7/32", "203.0.113.7"},
		{p, "::ffff:203.0.113.7", "203.0.113.7/32", "203.0.113.7"},
		{p, "2001:db8:7:7::1", "2001:db8:7:7::/64", "2001:db8:7:7::/64"},
		{p, "2001:db8:7:7:ffff:ffff:ffff:ffff", "2001:db8:7:7::/64", "2001:db8:7:7::/64"},
		{p, "fe80::1%eth0", "fe80::/64", "fe80::/64"},
		{p48, "2001:db8:7:7::1", "2001:db8:7::/48", "2001:db8:7::/48"},
		{p48, "203.0.113.7", "203.0.113.7/32", "203.0.113.7"},
		{p128, "2001:db8:7:7::1", "2001:db8:7:7::1/128", "2001:db8:7:7::1/128"},
		{Policy{}, "2001:db8:7:7::1", "2001:db8:7:7::/64", "2001:db8:7:7::/64"},
	} {
		if got := tt.p.Key(addr(tt.in)); got != netip.MustParsePrefix(tt.want) {
			t.Errorf("Key(%s) with /%d = %v, want %v", tt.in, tt.p.IPv6Prefix(), got, tt.want)
		}
		if got := tt.p.KeyString(addr(tt.in)); got != tt.text {
			t.Errorf("KeyString(%s) with /%d = %q, want %q", tt.in, tt.p.IPv6Prefix(), got, tt.text)
		}
	}
	if got := p.Key(netip.Addr{}); got.IsValid() {
		t.Errorf("Key(zero Addr) = %v, want the zero Prefix", got)
	}
}

// TestKeyOneSubnetIsOneClient: the ten addresses of finding 4 share a key,
// a neighbouring /64 does not.
func TestKeyOneSubnetIsOneClient(t *testing.T) {
	p := testPolicy(t)
	want := p.Key(addr("2001:db8:7:7::1"))
	for i := 1; i <= 10; i++ {
		a := addr(fmt.Sprintf("2001:db8:7:7::%x", i))
		if got := p.Key(a); got != want {
			t.Errorf("Key(%v) = %v, want %v", a, got, want)
		}
	}
	if got := p.Key(addr("2001:db8:7:8::1")); got == want {
		t.Errorf("Key(2001:db8:7:8::1) = %v, the key of another /64", got)
	}
}

func TestNew(t *testing.T) {
	for _, bits := range []int{0, 32, 48, 64, 128} {
		if _, err := New(nil, bits); err != nil {
			t.Errorf("New(nil, %d) = %v, want nil", bits, err)
		}
	}
	for _, bits := range []int{-1, 8, 31, 129} {
		if _, err := New(nil, bits); err == nil {
			t.Errorf("New(nil, %d) = nil error, want one", bits)
		}
	}
	if _, err := New([]netip.Prefix{{}}, 64); err == nil {
		t.Errorf("New([zero Prefix], 64) = nil error, want one")
	}
	p, err := New([]netip.Prefix{netip.MustParsePrefix("10.1.2.3/8"), netip.MustParsePrefix("::ffff:192.168.0.0/112")}, 64)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		a    string
		want bool
	}{{"10.200.0.1", true}, {"192.168.3.4", true}, {"::ffff:10.0.0.1", true}, {"11.0.0.1", false}, {"192.169.0.1", false}} {
		if got := p.Trusts(addr(tt.a)); got != tt.want {
			t.Errorf("Trusts(%s) with %v = %v, want %v", tt.a, p.Trusted(), got, tt.want)
		}
	}
}

func TestParseProxy(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"127.0.0.1", "127.0.0.1/32"},
		{" 10.0.0.0/8 ", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"::1", "::1/128"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"::ffff:127.0.0.1", "127.0.0.1/32"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
	} {
		got, err := ParseProxy(tt.in)
		if err != nil || got != netip.MustParsePrefix(tt.want) {
			t.Errorf("ParseProxy(%q) = %v, %v, want %s", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "true", "proxy.example", "10.0.0.0/33", "10.0.0.0/", "fe80::1%eth0", "fe80::/10%eth0", "127.0.0.1:80"} {
		if got, err := ParseProxy(in); err == nil {
			t.Errorf("ParseProxy(%q) = %v, nil, want an error", in, got)
		}
	}
}

// TestNoAllocations: the redirect fast path calls Client and Key for every
// click, so well-formed input must not allocate.
func TestNoAllocations(t *testing.T) {
	p := testPolicy(t)
	peer := addr("127.0.0.1")
	for _, lines := range [][]string{
		nil,
		{"203.0.113.7"},
		{"192.0.2.66, 203.0.113.7, 10.0.0.2"},
		{"192.0.2.66", "2001:db8:7:7::1", "2001:db8:ffff::2"},
		{"[2001:db8::1]:4711, 10.0.0.2:80"},
		{"203.0.113.7, unknown"},
	} {
		if n := testing.AllocsPerRun(100, func() { p.Key(p.Client(peer, lines)) }); n != 0 {
			t.Errorf("Key(Client(%v, %q)) allocates %v times, want 0", peer, lines, n)
		}
	}
}
