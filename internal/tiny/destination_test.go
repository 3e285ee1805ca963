package tiny_test

import (
	"net/netip"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

const (
	public   = tiny.PublicDestination
	private  = tiny.PrivateDestination
	metadata = tiny.MetadataDestination
	reserved = tiny.ReservedDestination
)

func TestClassifyAddr(t *testing.T) {
	tests := []struct {
		addr  string
		class tiny.DestinationClass
		kind  string
	}{
		{"8.8.8.8", public, ""},
		{"93.184.216.34", public, ""},
		{"192.0.2.1", public, ""}, // documentation ranges are left public
		{"172.32.0.1", public, ""},
		{"100.128.0.1", public, ""},
		{"127.0.0.1", private, "loopback"},
		{"127.255.255.254", private, "loopback"},
		{"0.0.0.0", private, "unspecified"},
		{"0.1.2.3", private, "unspecified"},
		{"10.0.0.1", private, "private"},
		{"172.16.0.1", private, "private"},
		{"172.31.255.255", private, "private"},
		{"192.168.1.1", private, "private"},
		{"100.64.0.1", private, "carrier-grade NAT"},
		{"100.127.255.255", private, "carrier-grade NAT"},
		{"169.254.1.1", private, "link-local"},
		{"198.18.0.1", private, "benchmarking"},
		{"169.254.169.254", metadata, "metadata"},
		{"169.254.170.2", metadata, "metadata"},
		{"100.100.100.200", metadata, "metadata"},
		{"168.63.129.16", metadata, "metadata"},
		{"192.0.0.192", metadata, "metadata"},
		{"192.0.0.1", reserved, "reserved"},
		{"224.0.0.1", reserved, "multicast"},
		{"239.255.255.250", reserved, "multicast"},
		{"240.0.0.1", reserved, "reserved"},
		{"255.255.255.255", reserved, "reserved"},

		{"2606:4700::1111", public, ""},
		{"2001:db8::1", public, ""},
		{"::ffff:8.8.8.8", public, ""},
		{"64:ff9b::808:808", public, ""},
		{"2002:808:808::1", public, ""},
		{"::1", private, "loopback"},
		{"::", private, "unspecified"},
		{"::ffff:127.0.0.1", private, "loopback"},
		{"::ffff:10.0.0.1", private, "private"},
		{"::ffff:0.0.0.0", private, "unspecified"},
		{"64:ff9b::7f00:1", private, "loopback"},
		{"64:ff9b::c0a8:101", private, "private"},
		{"64:ff9b:1::1", private, "NAT64"},
		{"2002:7f00:1::1", private, "loopback"},
		{"2002:a00:1::1", private, "private"},
		{"fc00::1", private, "unique local"},
		{"fd12:3456::1", private, "unique local"},
		{"fe80::1", private, "link-local"},
		{"febf::1", private, "link-local"},
		{"fec0::1", private, "link-local"},
		{"fe80::1%eth0", private, "scoped"},
		{"fd00:ec2::254", metadata, "metadata"},
		{"fd20:ce::254", metadata, "metadata"},
		{"::ffff:169.254.169.254", metadata, "metadata"},
		{"64:ff9b::a9fe:a9fe", metadata, "metadata"},
		{"2002:a9fe:a9fe::", metadata, "metadata"},
		{"::127.0.0.1", reserved, "reserved"},
		{"::2", reserved, "reserved"},
		{"100::1", reserved, "reserved"},
		{"2001::1", reserved, "reserved"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", reserved, "reserved"},
		{"4000::1", reserved, "reserved"},
		{"ff02::1", reserved, "multicast"},
		{"64:ff9b::e000:1", reserved, "multicast"},
	}
	for _, tt := range tests {
		got := tiny.ClassifyAddr(netip.MustParseAddr(tt.addr))
		if got.Class != tt.class || !strings.Contains(got.Kind, tt.kind) || (tt.kind == "") != (got.Kind == "") {
			t.Errorf("ClassifyAddr(%s) = %+v, want class %d, kind with %q", tt.addr, got, tt.class, tt.kind)
		}
		if want := tt.class != public; tiny.IsPrivateDestination(netip.MustParseAddr(tt.addr)) != want {
			t.Errorf("IsPrivateDestination(%s) = %v, want %v", tt.addr, !want, want)
		}
	}
	if got := tiny.ClassifyAddr(netip.Addr{}); got.Class != reserved {
		t.Errorf("ClassifyAddr(zero Addr) = %+v, want reserved", got)
	}
}

func TestClassifyHost(t *testing.T) {
	tests := []struct {
		host  string
		class tiny.DestinationClass
		kind  string
	}{
		{"example.com", public, ""},
		{"localhost.example.com", public, ""},
		{"internal.example.com", public, ""},
		{"metadata.example.com", public, ""},
		{"8.8.8.8", public, ""},
		{"[2606:4700::1111]", public, ""},
		{"metadata.google.internal", metadata, "metadata"},
		{"METADATA.Google.Internal.", metadata, "metadata"},
		{"metadata.goog", metadata, "metadata"},
		{"metadata", metadata, "metadata"},
		{"instance-data", metadata, "metadata"},
		{"instance-data.ec2.internal", metadata, "metadata"},
		{"169.254.169.254", metadata, "metadata"},
		{"0xa9fea9fe", metadata, "metadata"},
		{"[fd00:ec2::254]", metadata, "metadata"},
		{"localhost", private, "loopback name"},
		{"localhost.", private, "loopback name"},
		{"app.localhost", private, "loopback name"},
		{"printer.local", private, "local network name"},
		{"db.internal", private, "local network name"},
		{"nas.home.arpa", private, "local network name"},
		{"router.lan", private, "local network name"},
		{"host.localdomain", private, "local network name"},
		{"wiki", private, "single-label"},
		{"xn--bcher-kva", private, "single-label"},
		{"[::1]", private, "loopback"},
		{"::1", private, "loopback"},
		{"127.0.0.1", private, "loopback"},
		{"2130706433", private, "loopback"},
		{"0x7f.1", private, "loopback"},
		{"0177.0.0.1", private, "loopback"},
		{"127.1", private, "loopback"},
		{"0", private, "unspecified"},
		{"10.1", private, "private"},
		{"[fe80::1]", private, "link-local"},
		{"256.1.1.1", reserved, "invalid"},
		{"[ff02::1]", reserved, "multicast"},
	}
	for _, tt := range tests {
		got := tiny.ClassifyHost(tt.host)
		if got.Class != tt.class || !strings.Contains(got.Kind, tt.kind) || (tt.kind == "") != (got.Kind == "") {
			t.Errorf("ClassifyHost(%q) = %+v, want class %d, kind with %q", tt.host, got, tt.class, tt.kind)
		}
	}
}

// TestDestinationRule checks every class against the rule, with and
// without AllowPrivate: metadata and reserved hosts are refused whatever
// the operator allows.
// TestDestinationRule checks hosts, and addresses as a dialer meets them,
// against both settings of the rule.
func TestDestinationRule(t *testing.T) {
	tests := []struct {
		host         string
		strict, open bool // allowed by the zero rule; allowed with AllowPrivate
		msg          string
	}{
		{"example.com", true, true, ""},
		{"8.8.8.8", true, true, ""},
		{"[2606:4700::1111]", true, true, ""},
		{"127.0.0.1", false, true, "loopback address (127.0.0.1); links must lead to public hosts"},
		{"[::1]", false, true, "loopback address"},
		{"0.0.0.0", false, true, "an unspecified address"},
		{"[::]", false, true, "unspecified address"},
		{"10.0.0.1", false, true, "private address"},
		{"172.16.0.1", false, true, "private address"},
		{"192.168.0.1", false, true, "private address"},
		{"100.64.0.1", false, true, "carrier-grade NAT"},
		{"[fc00::1]", false, true, "private (unique local) address"},
		{"169.254.1.1", false, true, "link-local address"},
		{"[fe80::1]", false, true, "link-local address"},
		{"localhost", false, true, "loopback name"},
		{"printer.local", false, true, "local network name"},
		{"wiki", false, true, "single-label name"},
		{"169.254.169.254", false, false, "cloud metadata service (169.254.169.254); links there are never allowed"},
		{"metadata.google.internal", false, false, "cloud metadata service"},
		{"[fd00:ec2::254]", false, false, "cloud metadata service"},
		{"100.100.100.200", false, false, "cloud metadata service"},
		{"224.0.0.1", false, false, "multicast address (224.0.0.1), which is not a web destination"},
		{"[ff02::1]", false, false, "multicast address"},
		{"255.255.255.255", false, false, "reserved address"},
		{"[::127.0.0.1]", false, false, "reserved address"},
	}
	for _, tt := range tests {
		for _, rule := range []tiny.DestinationRule{{}, {AllowPrivate: true}} {
			want := tt.strict
			if rule.AllowPrivate {
				want = tt.open
			}
			// The dialer's check on the address it connects to agrees.
			if a, perr := netip.ParseAddr(strings.Trim(tt.host, "[]")); perr == nil {
				derr := rule.DialControl("tcp", netip.AddrPortFrom(a, 443).String(), nil)
				if (derr == nil) != want {
					t.Errorf("%+v.DialControl(%s) = %v, want allowed %v", rule, a, derr, want)
				}
			}
			err := rule.CheckHost(tt.host)
			if (err == nil) != want {
				t.Errorf("%+v.CheckHost(%q) = %v, want allowed %v", rule, tt.host, err, want)
				continue
			}
			if err == nil {
				continue
			}
			if tiny.ErrorCodeOf(err) != tiny.Invalid || tiny.ErrorFieldOf(err) != "url" || !strings.Contains(tiny.ErrorMessageOf(err), tt.msg) {
				t.Errorf("%+v.CheckHost(%q) = %v, want invalid on field url mentioning %q", rule, tt.host, err, tt.msg)
			}
			if a, perr := netip.ParseAddr(strings.Trim(tt.host, "[]")); perr == nil {
				if aerr := rule.CheckAddr(a); aerr == nil || !strings.Contains(tiny.ErrorMessageOf(aerr), strings.Trim(tt.msg, "[]")) {
					t.Errorf("%+v.CheckAddr(%s) = %v, want an error as from CheckHost", rule, a, aerr)
				}
			}
		}
	}
}

// TestNormalizeURLDestinations runs the destination rule through
// NormalizeURL, the one function every create, update and bulk item
// passes, for both settings of AllowPrivate. An empty want is a refusal
// whose message holds msg.
func TestNormalizeURLDestinations(t *testing.T) {
	tests := []struct {
		in           string
		strict, open string
		msg          string
	}{
		{"http://[::ffff:8.8.8.8]/", "http://8.8.8.8/", "http://8.8.8.8/", ""},
		{"http://[::1]/", "", "http://[::1]/", "loopback"},
		{"http://[::1]:9000/x", "", "http://[::1]:9000/x", "loopback"},
		{"http://[fe80::1]/", "", "http://[fe80::1]/", "link-local"},
		{"http://[::]/", "", "http://[::]/", "unspecified"},
		{"http://[::ffff:127.0.0.1]/", "", "http://127.0.0.1/", "loopback"},
		{"http://[::ffff:7f00:1]:9000/", "", "http://127.0.0.1:9000/", "loopback"},
		{"http://[64:ff9b::7f00:1]/", "", "http://[64:ff9b::7f00:1]/", "loopback"},
		{"http://[2002:c0a8:101::1]/", "", "http://[2002:c0a8:101::1]/", "private"},
		{"http://[fd12::1]/", "", "http://[fd12::1]/", "unique local"},
		{"https://127.0.0.1:9000/other-service", "", "https://127.0.0.1:9000/other-service", "loopback"},
		{"http://2130706433:9000/", "", "http://127.0.0.1:9000/", "loopback"},
		{"http://0x7f.1:9000/", "", "http://127.0.0.1:9000/", "loopback"},
		{"http://0177.0.0.1:9000/", "", "http://127.0.0.1:9000/", "loopback"},
		{"http://127.1/", "", "http://127.0.0.1/", "loopback"},
		{"http://0x7F000001./", "", "http://127.0.0.1/", "loopback"},
		{"http://１２７.０.０.１/", "", "http://127.0.0.1/", "loopback"},
		{"http://0/", "", "http://0.0.0.0/", "unspecified"},
		{"http://10.0.0.1/", "", "http://10.0.0.1/", "private"},
		{"http://172.16.5.4/", "", "http://172.16.5.4/", "private"},
		{"http://192.168.1.1/admin", "", "http://192.168.1.1/admin", "private"},
		{"http://100.64.0.1/", "", "http://100.64.0.1/", "carrier-grade NAT"},
		{"http://169.254.1.1/", "", "http://169.254.1.1/", "link-local"},
		{"http://localhost:9000/", "", "http://localhost:9000/", "loopback name"},
		{"http://LOCALHOST./", "", "http://localhost/", "loopback name"},
		{"http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "", "http://localhost/", "loopback name"},
		{"http://printer.local/", "", "http://printer.local/", "local network name"},
		{"http://wiki/page", "", "http://wiki/page", "single-label"},
		// The service itself, over any loopback spelling: a loop either way.
		{"http://[::1]:8080/abc", "", "", "redirect loop"},
		{"http://localhost:8080/abc", "", "", "redirect loop"},
		{"http://0.0.0.0:8080/abc", "", "", "redirect loop"},
		{"http://[::ffff:127.0.0.1]:8080/abc", "", "", "redirect loop"},
		{"http://[::]:8080/abc", "", "", "redirect loop"},
		{"http://app.localhost:8080/abc", "", "", "redirect loop"},
		// Cloud metadata and reserved space, whatever the setting.
		{"http://169.254.169.254/latest/meta-data/", "", "", "cloud metadata"},
		{"http://0xa9fea9fe/", "", "", "cloud metadata"},
		{"http://169.254.43518/", "", "", "cloud metadata"},
		{"http://[::ffff:169.254.169.254]/", "", "", "cloud metadata"},
		{"http://[64:ff9b::a9fe:a9fe]/", "", "", "cloud metadata"},
		{"http://[fd00:ec2::254]/latest/", "", "", "cloud metadata"},
		{"http://metadata.google.internal/computeMetadata/v1/", "", "", "cloud metadata"},
		{"http://Metadata.Google.Internal./", "", "", "cloud metadata"},
		{"http://metadata/computeMetadata/v1/", "", "", "cloud metadata"},
		{"http://100.100.100.200/latest/meta-data/", "", "", "cloud metadata"},
		{"http://224.0.0.1/", "", "", "multicast"},
		{"http://[ff02::1]/", "", "", "multicast"},
		{"http://255.255.255.255/", "", "", "reserved"},
		{"http://[::127.0.0.1]/", "", "", "reserved"},
		{"http://[fe80::1%25eth0]/", "", "", "IPv6"},
		// Spellings that browsers read as 127.0.0.1 and url.Parse or the
		// IPv4 parser refuse: refused, so no hole either way.
		{"http://%31%32%37.0.0.1/", "", "", "not a valid URL"},
		{"http://０x７f.1/", "", "", "IPv4"},
	}
	for _, tt := range tests {
		for _, p := range []tiny.URLPolicy{testPolicy, intranetPolicy} {
			want := tt.strict
			if p.Destinations.AllowPrivate {
				want = tt.open
			}
			got, err := p.NormalizeURL(tt.in)
			if want != "" {
				if err != nil || got != want {
					t.Errorf("NormalizeURL(%q) with %+v = %q, %v, want %q", tt.in, p.Destinations, got, err, want)
				}
				continue
			}
			if err == nil {
				t.Errorf("NormalizeURL(%q) with %+v = %q, want an error mentioning %q", tt.in, p.Destinations, got, tt.msg)
				continue
			}
			if tiny.ErrorCodeOf(err) != tiny.Invalid || tiny.ErrorFieldOf(err) != "url" || !strings.Contains(tiny.ErrorMessageOf(err), tt.msg) {
				t.Errorf("NormalizeURL(%q) with %+v error = %v, want invalid on field url mentioning %q", tt.in, p.Destinations, err, tt.msg)
			}
		}
	}
}
