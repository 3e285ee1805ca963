package analytics

import "strings"

// previewBots are user-agent fragments of the services that fetch a link to
// draw a preview card when it is pasted into a chat or a post. They must
// never use up a one-time link nor count as a click. In-app browsers of the
// same apps (a person tapping the link) carry other agents and are not here.
var previewBots = []string{
	"slackbot", "slack-imgproxy", "facebookexternalhit", "facebookcatalog",
	"twitterbot", "whatsapp", "discordbot", "telegrambot", "linkedinbot",
	"skypeuripreview", "pinterestbot", "redditbot", "applebot", "embedly",
	"vkshare", "mastodon", "bluesky", "cardyb", "iframely", "google-pagerenderer",
	"microsoftpreview", "mattermost-bot", "rocket.chat", "bitlybot", "zoombot",
	"snap url preview",
}

// IsPreviewBot reports whether a user agent is a link previewer.
func IsPreviewBot(userAgent string) bool {
	if userAgent == "" {
		return false
	}
	ua := strings.ToLower(userAgent)
	for _, p := range previewBots {
		if strings.Contains(ua, p) {
			return true
		}
	}
	return false
}
