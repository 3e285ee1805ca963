package analytics

import "testing"

// TestIsPreviewBot holds user agents as the services send them: the link
// previewers of chat apps and social sites, and the browsers people use,
// including the in-app browsers and desktop apps of the same services.
func TestIsPreviewBot(t *testing.T) {
	bots := []struct{ name, ua string }{
		{"Slackbot link expanding", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
		{"Slackbot", "Slackbot 1.0 (+https://api.slack.com/robots)"},
		{"Slack image proxy", "Slack-ImgProxy (+https://api.slack.com/robots)"},
		{"Facebook", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"},
		{"Facebook catalog", "facebookcatalog/1.0"},
		{"Twitterbot", "Twitterbot/1.0"},
		{"iMessage", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"},
		{"WhatsApp Android", "WhatsApp/2.23.20.0 A"},
		{"WhatsApp iOS", "WhatsApp/2.23.18.78 i"},
		{"WhatsApp old", "WhatsApp/0.3.4479 N"},
		{"Discordbot", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"},
		{"TelegramBot", "TelegramBot (like TwitterBot)"},
		{"LinkedInBot", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"},
		{"Skype and Teams", "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com"},
		{"Microsoft preview", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/106.0.0.0 Safari/537.36 Edg/106.0.1370.52 MicrosoftPreview/2.0 +https://aka.ms/MicrosoftPreview"},
		{"Applebot", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"},
		{"redditbot", "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)"},
		{"Embedly", "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)"},
		{"Iframely", "Iframely/1.3.1 (+https://iframely.com/docs/about)"},
		{"Pinterestbot", "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)"},
		{"vkShare", "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)"},
		{"Mastodon", "http.rb/5.1.1 (Mastodon/4.1.2; +https://mastodon.social/)"},
		{"Bluesky", "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)"},
		{"Google page renderer", "Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/)"},
		{"Mattermost", "Mattermost-Bot/1.1"},
		{"Rocket.Chat", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2227.0 Safari/537.36 Rocket.Chat/6.10.0"},
		{"Bitly", "bitlybot/3.0 (+http://bit.ly/)"},
		{"Snapchat", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.70 Safari/537.36 Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots"},
		{"upper case", "SLACKBOT-LINKEXPANDING 1.0"},
	}
	for _, tt := range bots {
		if !IsPreviewBot(tt.ua) {
			t.Errorf("%s: IsPreviewBot(%q) = false, want true", tt.name, tt.ua)
		}
	}

	people := []struct{ name, ua string }{
		{"empty", ""},
		{"Chrome Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
		{"Chrome Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"},
		{"Firefox Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"},
		{"Firefox Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"},
		{"Safari macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"},
		{"Safari iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"},
		{"Edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51"},
		{"Slack desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.38.115 Chrome/124.0.6367.60 Electron/30.0.1 Safari/537.36 Sonic Slack_SSB/4.38.115"},
		{"Discord desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9147 Chrome/120.0.6099.291 Electron/28.2.10 Safari/537.36"},
		{"Teams desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/1.7.00.13456 Chrome/104.0.5112.102 Electron/20.3.11 Safari/537.36"},
		{"WhatsApp in-app browser", "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/128.0.0.0 Mobile Safari/537.36 WhatsApp/2.24.18.78"},
		{"Telegram in-app browser", "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36 Telegram-Android/10.9.1 (Samsung SM-S911B; Android 13; SDK 33; HIGH)"},
		{"Facebook in-app iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/460.0.0.38.108;FBBV/600000000;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]"},
		{"Facebook in-app Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230805.019; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/458.0.0.54.108;]"},
		{"Messenger in-app", "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/128.0.0.0 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/470.0.0.35.115;]"},
		{"Instagram in-app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 326.0.3.21.104 (iPhone15,2; iOS 17_4; en_US; en; scale=3.00; 1179x2556; 587398577)"},
		{"LinkedIn in-app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.1234"},
		{"Twitter in-app Android", "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.163 Mobile Safari/537.36 TwitterAndroid"},
		{"Snapchat in-app", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.60.0.39 (like Safari/8615.3.12.10.2, panda)"},
		{"Pinterest in-app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]"},
		{"curl", "curl/8.5.0"},
		{"wget", "Wget/1.21.4"},
	}
	for _, tt := range people {
		if IsPreviewBot(tt.ua) {
			t.Errorf("%s: IsPreviewBot(%q) = true, want false", tt.name, tt.ua)
		}
	}
}
