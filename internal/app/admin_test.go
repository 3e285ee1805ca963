package app

import (
	"strings"
	"testing"
	"time"

	"tiny/internal/abuse/feed"
	"tiny/internal/tiny"
)

func TestAdminViewRenders(t *testing.T) {
	signedIn := testNow.Add(-2 * time.Hour)
	admin := &tiny.User{ID: 1, Name: "root@example.com", Email: "root@example.com", Role: tiny.RoleAdmin, TOTPEnabled: true, CreatedAt: testNow, LastSignInAt: &signedIn}
	users := []*tiny.User{
		admin,
		{ID: 2, Name: "robot", Role: tiny.RoleViewer, CreatedAt: testNow},
		{ID: 3, Name: "gone@example.com", Email: "gone@example.com", DisplayName: "Gone Person", Role: tiny.RoleMember, Disabled: true, CreatedAt: testNow},
	}
	html := renderOf(t, "admin.html", &adminView{
		Page: Page{Title: "Admin", Section: "admin", User: admin}, Users: users, Roles: roles,
		Figures: adminFigures{Links: 98765, Users: 3, Admins: 1, Disabled: 1, Keys: 4, Clicks: 123456, Clicks30: 789},
		Feeds: []feed.FeedStatus{
			{Feed: "https://feeds.example/urlhaus.txt", Entries: 51234, Invalid: 3, LastSuccess: testNow, LastChange: testNow.Add(-time.Hour)},
			{Feed: "/etc/tiny/" + strings.Repeat("very-long-name-", 10) + ".txt", Errors: 7, LastError: "open /etc/tiny/x.txt: permission denied"},
		},
		Settings: groupSettings([]Setting{{"Server", "Base URL", "https://tiny.example"}, {"Server", "Store", "SQLite file tiny.db"}, {"Link safety", "Safety checks", "on"}, {"Analytics", "GeoIP database", ""}}),
		Form:     newUserForm{Email: "new@example.com", Role: tiny.RoleModerator},
		Errors:   map[string]string{"email": "Email is already taken"},
	})
	wantIn(t, "the admin page", html, []string{
		"<strong>123456</strong>", "<strong>98765</strong> links", "<strong>789</strong>", `href="/app/admin/users/2">robot</a>`, "Gone Person", `disabled</span>`, `<span class="badge">you</span>`,
		"51234", "permission denied", `<span class="status-blocked">never</span>`, "<h3>Link safety</h3>", "<dt>Base URL</dt><dd>https://tiny.example</dd>",
		`<span class="muted">not set</span>`, `value="new@example.com"`, `<option value="moderator" selected>`, `id="nu-email-error">Email is already taken`,
		`aria-current="page">Admin</a>`,
	}, "No blocklist feed")
	if got := strings.Count(html, "<h3>"); got != 3 {
		t.Errorf("the settings have %d groups, want 3", got)
	}

	html = renderOf(t, "admin.html", &adminView{Page: Page{Title: "Admin", User: admin}, Users: users[:1], Roles: roles, Form: newUserForm{Role: tiny.RoleMember}})
	wantIn(t, "the admin page of a new instance", html, []string{"No blocklist feed is configured", "does not show its settings", `<option value="member" selected>`}, "aria-invalid")
}

func TestAdminUserViewRenders(t *testing.T) {
	admin := &tiny.User{ID: 1, Name: "root", Email: "root@example.com", Role: tiny.RoleAdmin, CreatedAt: testNow}
	robot := &tiny.User{ID: 2, Name: "robot", Role: tiny.RoleViewer, Disabled: true, CreatedAt: testNow}
	html := renderOf(t, "admin_user.html", &adminUserView{Page: Page{Title: "robot", User: admin}, Subject: robot, Roles: roles, Others: []*tiny.User{admin}, Keys: 2,
		Errors: map[string]string{"transfer_to": "No such user"}})
	wantIn(t, "a disabled user without email", html, []string{"<h1>robot</h1>", "Enable the user", `<option value="viewer" selected>`, `<option value="1">root@example.com (admin)</option>`,
		`id="transfer-error">No such user`, "<dd>2</dd>", "tiny admin reset-password", `<span class="muted">never</span>`}, "Disable the user")

	html = renderOf(t, "admin_user.html", &adminUserView{Page: Page{Title: "root", User: admin}, Subject: admin, Self: true, Roles: roles, Error: "tiny needs at least one enabled admin."})
	wantIn(t, "the admin's own page", html, []string{`role="alert">tiny needs at least one enabled admin.`, "your own account"}, "Delete the user", "Disable the user")

	html = renderOf(t, "admin_user.html", &adminUserView{Page: Page{Title: "x", User: admin}, Subject: &tiny.User{ID: 5, Name: "x", Email: "x@example.com", Role: tiny.RoleMember}, Roles: roles})
	wantIn(t, "the only user besides the admin, links to delete", html, []string{"Disable the user", `value="delete" checked`}, `name="transfer_to"`)
}
