// Package hostile holds the malformed and hostile HTTP requests tests
// throw at a server, and the check that the server's log kept none of the
// secrets and addresses they carried (DESIGN §6.16).
package hostile

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Secrets are what the requests carry that no log may hold.
type Secrets struct {
	Key          string // sent as Authorization: Bearer
	Cookie       string // the value of a session cookie
	ForwardedFor string // an X-Forwarded-For address
}

// Request is one raw HTTP/1.1 request.
type Request struct {
	Name string
	Raw  string
}

// Requests returns requests a server cannot read, each carrying s, and a
// well-formed one carrying s too. The secrets come first in each, where a
// parser's error message would quote them.
func Requests(s Secrets) []Request {
	creds := "Authorization: Bearer " + s.Key + "\r\n" +
		"Cookie: tiny_session=" + s.Cookie + "\r\n" +
		"X-Forwarded-For: " + s.ForwardedFor + "\r\n"
	return []Request{
		{"control byte in the path", "GET /x\x01y HTTP/1.1\r\nHost: a\r\n" + creds + "\r\n"},
		{"header line without a colon", "GET / HTTP/1.1\r\nHost: a\r\n" + creds + "no colon here\r\n\r\n"},
		{"oversized headers", "GET / HTTP/1.1\r\nHost: a\r\n" + creds + "X-Filler: " + strings.Repeat("a", 64<<10) + "\r\n\r\n"},
		{"bad Content-Length", "POST /api/v1/links HTTP/1.1\r\nHost: a\r\n" + creds + "Content-Length: 12x\r\n\r\n"},
		{"body over every limit", "POST /api/v1/links HTTP/1.1\r\nHost: a\r\n" + creds + "Content-Length: 1073741824\r\n\r\n{"},
		{"bad chunked body", "POST /api/v1/links HTTP/1.1\r\nHost: a\r\n" + creds + "Transfer-Encoding: chunked\r\n\r\nzz\r\n"},
		{"no HTTP version", "GET /\r\n" + creds + "\r\n"},
		{"not HTTP", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + creds + "\r\n"},
		{"well-formed", "POST /api/v1/links HTTP/1.1\r\nHost: a\r\n" + creds + "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"},
	}
}

// Send sends each request on a connection of its own to addr, reads
// whatever answer comes, and returns the client address of each
// connection.
func Send(t testing.TB, addr string, reqs []Request) []string {
	t.Helper()
	var clients []string
	for _, r := range reqs {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dialing %s for %s: %v", addr, r.Name, err)
		}
		clients = append(clients, conn.LocalAddr().String())
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		// The server may answer and close before it has read it all.
		_, _ = io.WriteString(conn, r.Raw)
		_, _ = io.Copy(io.Discard, conn)
		conn.Close()
	}
	return clients
}

// CheckLog fails t if log holds any of s or any of the client addresses.
func CheckLog(t testing.TB, log string, s Secrets, clients []string) {
	t.Helper()
	for _, secret := range []struct{ what, v string }{
		{"the API key", s.Key}, {"the cookie", s.Cookie}, {"the X-Forwarded-For address", s.ForwardedFor},
	} {
		if strings.Contains(log, secret.v) {
			t.Errorf("the log holds %s %q:\n%s", secret.what, secret.v, log)
		}
	}
	for _, c := range clients {
		if strings.Contains(log, c) {
			t.Errorf("the log holds the client address %s:\n%s", c, log)
		}
	}
}
