package main

import (
	"context"
	"fmt"

	"tiny/internal/abuse"
)

// startDestinations loads the moderators' destination blocks. Every create
// is checked against them, whether the safety check is on or not; a block
// gained here or on another node rescans the existing links.
func (m *Main) startDestinations(ctx context.Context) error {
	m.destinations = abuse.NewDestinations(abuse.DestinationsConfig{Store: m.store, Logger: m.logger,
		Added: func() { m.rescanner.Changed(m.blocklist()) }})
	if _, err := m.destinations.Load(ctx); err != nil {
		return fmt.Errorf("loading the destination blocks: %w", err)
	}
	return nil
}

// blocklist is what rescans check links against: what the safety check
// blocks outright (destination blocks, then feeds), or with the check off
// the destination blocks alone.
func (m *Main) blocklist() abuse.Blocklist {
	if m.checker != nil {
		return m.checker
	}
	return m.destinations
}
