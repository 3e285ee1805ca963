package web

import (
	"net/http"
	"strconv"
	"time"

	"tiny/internal/abuse"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// destinationBodyLimit bounds a destination block: a URL and a note.
const destinationBodyLimit = moderationBodyLimit + tiny.MaxURLLength

// destinationBlockJSON is a destination block as the API shows it.
type destinationBlockJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Value     string    `json:"value"`
	Note      string    `json:"note"`
	ActorID   int64     `json:"actor_id"`
	CreatedAt time.Time `json:"created_at"`
}

func destinationBlockJSONOf(b *tiny.DestinationBlock) *destinationBlockJSON {
	return &destinationBlockJSON{ID: b.ID, Kind: string(b.Kind), Value: b.Value, Note: b.Note, ActorID: b.ActorID, CreatedAt: b.CreatedAt}
}

// destinations returns the destination blocklist for a moderator's
// request r: Forbidden for anyone else, Unavailable when the server was
// built without one.
func (s *Server) destinations(r *http.Request) (*abuse.Destinations, error) {
	if err := requireModerator(r); err != nil {
		return nil, err
	}
	if s.cfg.Destinations == nil {
		return nil, tiny.Errorf(tiny.Unavailable, "destination blocks are not enabled on this server")
	}
	return s.cfg.Destinations, nil
}

// blockDestination blocks a URL, host or domain: new links to it are
// refused and existing ones are blocked by a rescan.
func (s *Server) blockDestination(w http.ResponseWriter, r *http.Request) error {
	d, err := s.destinations(r)
	if err != nil {
		return err
	}
	var in struct {
		Kind  string `json:"kind"`
		Value string `json:"value"`
		Note  string `json:"note"`
	}
	if err := decodeJSON(w, r, &in, destinationBodyLimit); err != nil {
		return err
	}
	n, err := shortener.Note("note", in.Note, false)
	if err != nil {
		return err
	}
	b, err := d.Add(r.Context(), currentUser(r), tiny.DestinationKind(in.Kind), in.Value, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, destinationBlockJSONOf(b))
	return nil
}

func (s *Server) listDestinationBlocks(w http.ResponseWriter, r *http.Request) error {
	d, err := s.destinations(r)
	if err != nil {
		return err
	}
	blocks, err := d.List(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Blocks []*destinationBlockJSON `json:"blocks"`
	}{Blocks: make([]*destinationBlockJSON, 0, len(blocks))}
	for _, b := range blocks {
		out.Blocks = append(out.Blocks, destinationBlockJSONOf(b))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// removeDestinationBlock lets new links to the destination be made again;
// the links the block blocked stay blocked.
func (s *Server) removeDestinationBlock(w http.ResponseWriter, r *http.Request) error {
	d, err := s.destinations(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return tiny.Errorf(tiny.NotFound, "no such destination block")
	}
	if err := d.Remove(r.Context(), currentUser(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
