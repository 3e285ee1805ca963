// Package sbtest is a local server that speaks the Safe Browsing v4 Update
// API (threatListUpdates:fetch and fullHashes:find, JSON) for tests. It
// keeps full hashes per list, answers updates with full or partial changes
// since the client's state (raw or Rice-coded), and records what clients
// send.
package sbtest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"

	"tiny/internal/abuse/safebrowsing"
)

// Server is a running protocol server.
type Server struct {
	*httptest.Server
	key string

	mu      sync.Mutex
	version int
	full    map[string][][32]byte        // threat type → full hashes
	listed  map[string]map[[32]byte]bool // the same, as a set
	history map[int]map[string][]string  // version → threat type → sorted prefixes
	bodies  []string
	updates int
	finds   int
	fail    int
	badSum  int

	// Rice codes additions and removals when set.
	Rice bool
	// FindGate, if set, holds every fullHashes:find answer until it is
	// closed, so a test can have requests overlap.
	FindGate chan struct{}
	// MinimumWait, CacheDuration and NegativeCacheDuration are sent with
	// the answers.
	MinimumWait, FindMinimumWait, CacheDuration, NegativeCacheDuration time.Duration
}

// PrefixSize is the size of the prefixes the server hands out.
const PrefixSize = 4

// NewServer starts a server that accepts the API key key.
func NewServer(key string) *Server {
	s := &Server{key: key, full: map[string][][32]byte{}, listed: map[string]map[[32]byte]bool{}, history: map[int]map[string][]string{},
		CacheDuration: 5 * time.Minute, NegativeCacheDuration: 5 * time.Minute}
	s.history[0] = map[string][]string{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v4/threatListUpdates:fetch", s.fetch)
	mux.HandleFunc("POST /v4/fullHashes:find", s.find)
	s.Server = httptest.NewServer(mux)
	return s
}

// Add lists the full hash of each expression (such as "evil.example/")
// under threatType.
func (s *Server) Add(threatType string, expressions ...string) {
	s.change(func() {
		if s.listed[threatType] == nil {
			s.listed[threatType] = map[[32]byte]bool{}
		}
		for _, e := range expressions {
			h := sha256.Sum256([]byte(e))
			if !s.listed[threatType][h] {
				s.listed[threatType][h] = true
				s.full[threatType] = append(s.full[threatType], h)
			}
		}
	})
}

// AddPrefixOnly lists a full hash that shares its prefix with the
// expression's hash but differs after it: the client's lookups hit the
// prefix, and the server then denies the full hash.
func (s *Server) AddPrefixOnly(threatType string, expressions ...string) {
	s.change(func() {
		for _, e := range expressions {
			h := sha256.Sum256([]byte(e))
			h[31] ^= 0xff
			s.full[threatType] = append(s.full[threatType], h)
		}
	})
}

// Remove unlists the expressions' full hashes.
func (s *Server) Remove(threatType string, expressions ...string) {
	s.change(func() {
		for _, e := range expressions {
			h := sha256.Sum256([]byte(e))
			delete(s.listed[threatType], h)
			s.full[threatType] = slices.DeleteFunc(s.full[threatType], func(x [32]byte) bool { return x == h })
		}
	})
}

// change applies f and records the lists' prefixes as a new version.
func (s *Server) change(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	s.version++
	snap := map[string][]string{}
	for t, hashes := range s.full {
		var ps []string
		for _, h := range hashes {
			ps = append(ps, string(h[:PrefixSize]))
		}
		slices.Sort(ps)
		snap[t] = slices.Compact(ps)
	}
	s.history[s.version] = snap
}

// FailNext makes the next n requests fail with 503.
func (s *Server) FailNext(n int) { s.mu.Lock(); s.fail = n; s.mu.Unlock() }

// CorruptNextChecksum sends a wrong checksum with the next n list updates.
func (s *Server) CorruptNextChecksum(n int) { s.mu.Lock(); s.badSum = n; s.mu.Unlock() }

// Counts returns how many update and fullHashes requests were answered.
func (s *Server) Counts() (updates, finds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updates, s.finds
}

// FindBodies returns the bodies of the fullHashes:find requests received.
func (s *Server) FindBodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

// allow checks the key and the failures asked for; s.mu is held.
func (s *Server) allow(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.RawQuery != "" {
		// Google accepts ?key= too, but a key in a URL ends up in logs.
		http.Error(w, `{"error":{"code":400,"message":"this test server takes the key in the X-Goog-Api-Key header only"}}`, http.StatusBadRequest)
		return false
	}
	if r.Header.Get("X-Goog-Api-Key") != s.key {
		http.Error(w, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
		return false
	}
	if s.fail > 0 {
		s.fail--
		http.Error(w, `{"error":{"code":503,"status":"UNAVAILABLE"}}`, http.StatusServiceUnavailable)
		return false
	}
	return true
}

func (s *Server) fetch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allow(w, r) {
		return
	}
	var req safebrowsing.FetchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.updates++
	resp := safebrowsing.FetchResponse{MinimumWaitDuration: safebrowsing.Duration(s.MinimumWait)}
	cur := s.history[s.version]
	for _, lr := range req.ListUpdateRequests {
		out := safebrowsing.ListUpdateResponse{ThreatType: lr.ThreatType, PlatformType: lr.PlatformType,
			ThreatEntryType: lr.ThreatEntryType, ResponseType: safebrowsing.FullUpdate,
			NewClientState: []byte(strconv.Itoa(s.version))}
		var old []string
		if v, err := strconv.Atoi(string(lr.State)); err == nil && len(lr.State) > 0 && s.history[v] != nil {
			out.ResponseType, old = safebrowsing.PartialUpdate, s.history[v][lr.ThreatType]
		}
		now := cur[lr.ThreatType]
		var removed []int32
		for i, p := range old {
			if _, ok := slices.BinarySearch(now, p); !ok {
				removed = append(removed, int32(i))
			}
		}
		var added []string
		for _, p := range now {
			if _, ok := slices.BinarySearch(old, p); !ok {
				added = append(added, p)
			}
		}
		if len(removed) > 0 {
			out.Removals = []safebrowsing.ThreatEntrySet{s.indices(removed)}
		}
		if len(added) > 0 {
			out.Additions = []safebrowsing.ThreatEntrySet{s.hashes(added)}
		}
		sum := sha256.New()
		for _, p := range now {
			sum.Write([]byte(p))
		}
		out.Checksum.SHA256 = sum.Sum(nil)
		if s.badSum > 0 {
			s.badSum--
			out.Checksum.SHA256[0] ^= 1
		}
		resp.ListUpdateResponses = append(resp.ListUpdateResponses, out)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (s *Server) indices(idx []int32) safebrowsing.ThreatEntrySet {
	if !s.Rice {
		return safebrowsing.ThreatEntrySet{CompressionType: safebrowsing.Raw, RawIndices: &safebrowsing.RawIndices{Indices: idx}}
	}
	vals := make([]uint32, len(idx))
	for i, v := range idx {
		vals[i] = uint32(v)
	}
	return safebrowsing.ThreatEntrySet{CompressionType: safebrowsing.Rice, RiceIndices: EncodeRice(vals)}
}

func (s *Server) hashes(prefixes []string) safebrowsing.ThreatEntrySet {
	if !s.Rice {
		var raw []byte
		for _, p := range prefixes {
			raw = append(raw, p...)
		}
		return safebrowsing.ThreatEntrySet{CompressionType: safebrowsing.Raw,
			RawHashes: &safebrowsing.RawHashes{PrefixSize: PrefixSize, RawHashes: raw}}
	}
	vals := make([]uint32, len(prefixes))
	for i, p := range prefixes {
		vals[i] = binary.LittleEndian.Uint32([]byte(p))
	}
	slices.Sort(vals)
	return safebrowsing.ThreatEntrySet{CompressionType: safebrowsing.Rice, RiceHashes: EncodeRice(vals)}
}

func (s *Server) find(w http.ResponseWriter, r *http.Request) {
	if s.FindGate != nil {
		<-s.FindGate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allow(w, r) {
		return
	}
	body, req := readFind(r)
	if req == nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.finds++
	s.bodies = append(s.bodies, string(body))
	resp := safebrowsing.FindFullHashesResponse{
		MinimumWaitDuration:   safebrowsing.Duration(s.FindMinimumWait),
		NegativeCacheDuration: safebrowsing.Duration(s.NegativeCacheDuration),
	}
	for _, e := range req.ThreatInfo.ThreatEntries {
		for _, t := range req.ThreatInfo.ThreatTypes {
			for _, h := range s.full[t] {
				if string(h[:len(e.Hash)]) == string(e.Hash) {
					resp.Matches = append(resp.Matches, safebrowsing.ThreatMatch{ThreatType: t, PlatformType: "ANY_PLATFORM",
						ThreatEntryType: "URL", Threat: safebrowsing.ThreatEntry{Hash: h[:]},
						CacheDuration: safebrowsing.Duration(s.CacheDuration)})
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func readFind(r *http.Request) ([]byte, *safebrowsing.FindFullHashesRequest) {
	var body json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, nil
	}
	var req safebrowsing.FindFullHashesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, nil
	}
	return body, &req
}

// EncodeRice Golomb-Rice codes sorted values as the protocol does: the
// first value as is, then each delta as a unary quotient and k bits of
// remainder, least significant bit first.
func EncodeRice(sorted []uint32) *safebrowsing.RiceDeltaEncoding {
	if len(sorted) == 0 {
		return &safebrowsing.RiceDeltaEncoding{}
	}
	var sum uint64
	for i := 1; i < len(sorted); i++ {
		sum += uint64(sorted[i] - sorted[i-1])
	}
	k := 0
	if n := len(sorted) - 1; n > 0 && sum/uint64(n) > 1 {
		k = bits.Len64(sum/uint64(n)) - 1
	}
	var w bitWriter
	for i := 1; i < len(sorted); i++ {
		d := uint64(sorted[i] - sorted[i-1])
		for q := d >> k; q > 0; q-- {
			w.write(1, 1)
		}
		w.write(0, 1)
		w.write(d&(1<<k-1), uint(k))
	}
	return &safebrowsing.RiceDeltaEncoding{FirstValue: safebrowsing.Int64(sorted[0]), RiceParameter: int32(k),
		NumEntries: int32(len(sorted) - 1), EncodedData: w.buf}
}

type bitWriter struct {
	buf []byte
	n   uint
}

func (w *bitWriter) write(v uint64, n uint) {
	for i := uint(0); i < n; i++ {
		if w.n%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>i&1 == 1 {
			w.buf[len(w.buf)-1] |= 1 << (w.n % 8)
		}
		w.n++
	}
}
