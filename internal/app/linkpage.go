package app

// linkPageRoutes registers a link's page: its settings, edit and delete, QR codes and statistics.
func (a *App) linkPageRoutes(rt router) {}
