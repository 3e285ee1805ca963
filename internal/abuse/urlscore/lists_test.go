package urlscore

import "testing"

func TestShortener(t *testing.T) {
	for _, tt := range []struct{ host, want string }{
		{"bit.ly", "bit.ly"},
		{"www.tinyurl.com", "tinyurl.com"},
		{"example.com", ""},
		{"notbit.ly", ""},
		{"bit.ly.example.com", ""},
		{"127.0.0.1", ""},
	} {
		if got := Shortener(tt.host); got != tt.want {
			t.Errorf("Shortener(%q) = %q, want %q", tt.host, got, tt.want)
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
