package urlscore

import "testing"

func TestShortener(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"https://bit.ly/3xYz", "bit.ly"},
		{"http://BIT.LY./abc", "bit.ly"},
		{"https://www.tinyurl.com/abc", "tinyurl.com"},
		{"https://example.com/bit.ly", ""},
		{"https://notbit.ly/x", ""},
		{"http://127.0.0.1/", ""},
	} {
		if got := Shortener(tt.url); got != tt.want {
			t.Errorf("Shortener(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestForeignBrand(t *testing.T) {
	for _, tt := range []struct{ text, url, want string }{
		{"PayPal: Log in to your account", "https://secure-login.example.org/", "paypal"},
		{"PayPal: Log in to your account", "https://www.paypal.com/signin", ""},
		{"Log in to PayPal", "https://paypal.co.uk/", ""},
		{"Bank of America | Online Banking", "https://boa-verify.example.net/", "bankofamerica"},
		{"Fresh bread every morning", "https://bakery.example.com/", ""},
		{"Purchase history", "https://shop.example.com/", ""}, // "chase" must be a word
		{"Chase Online", "https://chase-secure.example.com/", "chase"},
	} {
		if got := ForeignBrand(tt.text, tt.url); got != tt.want {
			t.Errorf("ForeignBrand(%q, %q) = %q, want %q", tt.text, tt.url, got, tt.want)
		}
	}
}
