package analytics

import "strings"

// previewBots are user-agent fragments of the services that fetch a link to
// draw a preview card when it is pasted into a chat or a post. They must
// never use up a one-time link nor count as a click. In-app browsers of the
// same apps (a person tapping the link) carry other agents and are not here.
var previewBots = []string{
	"slackbot", "slack-imgproxy", "facebookexternalhit", "facebookcatalog",
	"twitterbot", "discordbot", "telegrambot", "linkedinbot",
	"skypeuripreview", "pinterestbot", "redditbot", "applebot", "embedly",
	"vkshare", "mastodon", "bluesky", "cardyb", "iframely", "google-pagerenderer",
	"microsoftpreview", "mattermost-bot", "rocket.chat", "bitlybot", "zoombot",
	"snap url preview",
}

// previewBotPrefixes are previewers recognised only at the start of the
// agent, because their app's in-app browser carries the same name further
// on: WhatsApp previews as "WhatsApp/2.23.20.0 A", while its Android in-app
// browser appends "WhatsApp/2.24.18.78" to a WebView agent.
var previewBotPrefixes = []string{"whatsapp/"}

// IsPreviewBot reports whether a user agent is a link previewer.
func IsPreviewBot(userAgent string) bool {
	if userAgent == "" {
		return false
	}
	ua := strings.ToLower(userAgent)
	for _, p := range previewBotPrefixes {
		if strings.HasPrefix(ua, p) {
			return true
		}
	}
	for _, p := range previewBots {
		if strings.Contains(ua, p) {
			return true
		}
	}
	return false
}
