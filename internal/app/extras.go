package app

// extrasRoutes registers the bookmarklet and the ShareX uploader config.
func (a *App) extrasRoutes(rt router) {}
