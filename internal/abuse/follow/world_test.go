package follow

import (
	"testing"

	"tiny/internal/abuse/follow/followtest"
)

var (
	page       = followtest.Page
	redirect   = followtest.Redirect
	brandLogin = followtest.PayPalLogin
)

func newClient(t *testing.T, cfg ClientConfig) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hopURLs(ch *Chain) []string {
	var out []string
	for _, h := range ch.Hops {
		out = append(out, h.URL)
	}
	return out
}
