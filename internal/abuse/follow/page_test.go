package follow

import (
	"strings"
	"testing"
)

func TestParsePage(t *testing.T) {
	const at = "https://secure-login.example.org/signin"
	for _, tt := range []struct {
		name, html string
		want       Page
	}{
		{"plain page", `<html><head><title>Fresh  bread
			daily</title></head><body><p>Come in.</p></body></html>`, Page{Title: "Fresh bread daily"}},
		{"brand login form", brandLogin,
			Page{Title: "PayPal: Log in to your account", PasswordField: true, ForeignForm: "example.net", Brand: "paypal"}},
		{"form to its own domain", `<form action="https://www.example.org/login"><input type="PASSWORD"></form>`,
			Page{PasswordField: true}},
		{"relative form action", `<form action="/post"><input type=text></form>`, Page{}},
		{"brand in a logo only", `<title>Sign in</title><img class="site-logo" alt="Microsoft">`,
			Page{Title: "Sign in", Brand: "microsoft"}},
		{"brand in other images is no claim", `<title>Reviews</title><img src="/p/1.jpg" alt="Microsoft Surface">`,
			Page{Title: "Reviews"}},
		{"brand on its own domain", `<title>PayPal</title>`, Page{Title: "PayPal"}}, // checked below at paypal.com
		{"eval of decoded code", `<script>eval(atob("ZG9jdW1lbnQ="))</script>`, Page{ObfuscatedScript: true}},
		{"long base64 payload", `<script>var p = "` + strings.Repeat("QUJD", 300) + `";</script>`, Page{ObfuscatedScript: true}},
		{"ordinary script", `<script>document.title = "x"; console.log(1)</script>`, Page{}},
		{"meta refresh", `<meta http-equiv="refresh" content="3;url=https://www.example.com/next">`,
			Page{Refresh: "https://www.example.com/next"}},
		{"meta refresh that reloads", `<meta http-equiv="refresh" content="30">`, Page{}},
		{"broken html", `<title>PayPal</title><div><form action=//collect.example.net/><input type=password><p>unclosed`,
			Page{Title: "PayPal", Brand: "paypal", ForeignForm: "example.net", PasswordField: true}},
	} {
		url := at
		if tt.name == "brand on its own domain" {
			url = "https://www.paypal.com/"
		}
		got := ParsePage([]byte(tt.html), url)
		if *got != tt.want {
			t.Errorf("%s: ParsePage = %+v, want %+v", tt.name, *got, tt.want)
		}
	}
}
