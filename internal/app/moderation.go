package app

// moderationRoutes registers the moderators' pages: review queue, reports, appeals, audit log and quality.
func (a *App) moderationRoutes(rt router) {}
