package safebrowsing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	neturl "net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultServerURL is Google's Safe Browsing API.
const DefaultServerURL = "https://safebrowsing.googleapis.com"

// DefaultThreatTypes are the lists kept when Config.ThreatTypes is empty,
// each for ANY_PLATFORM and URL entries.
var DefaultThreatTypes = []string{"MALWARE", "SOCIAL_ENGINEERING", "UNWANTED_SOFTWARE"}

// Config configures a Client.
type Config struct {
	// Key is the Google Cloud API key. It is sent in the X-Goog-Api-Key
	// header only, and never logged.
	Key string
	// ServerURL is the API's base URL (DefaultServerURL).
	ServerURL string
	// ThreatTypes are the lists to keep (DefaultThreatTypes).
	ThreatTypes []string
	// UpdateEvery is how often the lists are updated (30 minutes); the
	// server's minimum wait lengthens it.
	UpdateEvery time.Duration
	// Backoff is the first wait after a failed update (15 minutes, as the
	// protocol asks); it doubles with each failure in a row, up to 24 hours.
	Backoff time.Duration
	// ConfirmTimeout bounds a fullHashes:find call (2 seconds).
	ConfirmTimeout time.Duration
	// RecheckWindow is how long prefixes an update added count as new for
	// Blocked, the rescans' lookup (24 hours): a rescan asks the server
	// about new prefixes only, since a link that hit an older one was
	// asked about at create or by an earlier rescan.
	RecheckWindow time.Duration
	// Added, if set, is called after an update added prefixes to a list,
	// so existing links can be checked again.
	Added func()
	// HTTPClient makes the requests (a client with a 60-second timeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
	// ClientVersion is sent with each request to name this client.
	ClientVersion string
}

// Client keeps the threat lists in memory and looks URLs up in them. It is
// safe for concurrent use.
type Client struct {
	cfg   Config
	lists atomic.Pointer[[]*list]

	updateMu sync.Mutex // one update at a time
	// inflight makes concurrent lookups that need the same prefixes
	// confirmed share one request: a burst of creates to one new URL.
	inflight singleflight.Group

	mu            sync.Mutex
	positive      map[[32]byte]cached // full hash → threat types, until expires
	negative      map[string]time.Time
	findNotBefore time.Time  // the server's minimum wait for fullHashes:find
	recent        []addition // what updates added in the last RecheckWindow

	stats stats
}

// list is one threat list: its state token and its prefixes.
type list struct {
	threatType string
	state      []byte
	set        *prefixSet
}

// addition is the prefixes one update added to one list.
type addition struct {
	at  time.Time
	set *prefixSet
}

type cached struct {
	threats []string
	expires time.Time
}

type stats struct {
	updates, updateErrors, lookups, prefixHits, cacheHits, confirmed, findRequests, findErrors atomic.Uint64
	lastUpdate                                                                                 atomic.Int64 // unix nanoseconds
}

// New returns a Client with empty lists; Run or Update fills them.
func New(cfg Config) (*Client, error) {
	if cfg.Key == "" {
		return nil, errors.New("safebrowsing: an API key is required")
	}
	if cfg.ServerURL == "" {
		cfg.ServerURL = DefaultServerURL
	}
	cfg.ServerURL = strings.TrimRight(cfg.ServerURL, "/")
	if u, err := neturl.Parse(cfg.ServerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("safebrowsing: the server URL %q must be an absolute http or https URL without a query", cfg.ServerURL)
	}
	if len(cfg.ThreatTypes) == 0 {
		cfg.ThreatTypes = DefaultThreatTypes
	}
	if cfg.UpdateEvery <= 0 {
		cfg.UpdateEvery = 30 * time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 15 * time.Minute
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = 2 * time.Second
	}
	if cfg.RecheckWindow <= 0 {
		cfg.RecheckWindow = 24 * time.Hour
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientVersion == "" {
		cfg.ClientVersion = "1"
	}
	c := &Client{cfg: cfg, positive: map[[32]byte]cached{}, negative: map[string]time.Time{}}
	lists := make([]*list, len(cfg.ThreatTypes))
	for i, t := range cfg.ThreatTypes {
		lists[i] = &list{threatType: t, set: &prefixSet{}}
	}
	c.lists.Store(&lists)
	return c, nil
}

const (
	platform  = "ANY_PLATFORM"
	entryType = "URL"
	clientID  = "tiny"
)

// Run updates the lists until ctx ends: every UpdateEvery or the server's
// minimum wait, whichever is longer, and after a failure after a back-off
// of Backoff × 2^(failures-1) × (1 + a random fraction), at most 24 hours.
func (c *Client) Run(ctx context.Context) {
	failures := 0
	for {
		wait, err := c.Update(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
		} else {
			failures = 0
		}
		next := c.nextUpdate(failures, wait, rand.Float64())
		if err != nil {
			c.cfg.Logger.Warn("safe browsing update failed", "err", err, "failures", failures, "retry_in", next.Round(time.Second))
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// nextUpdate is the wait before the next update: UpdateEvery, or after
// the nth failure in a row Backoff × 2^(n-1) × (1 + random), at most 24
// hours; never less than the server's minimum wait.
func (c *Client) nextUpdate(failures int, serverWait time.Duration, random float64) time.Duration {
	next := c.cfg.UpdateEvery
	if failures > 0 {
		next = min(c.cfg.Backoff<<min(failures-1, 20), 24*time.Hour)
		next = min(next+time.Duration(random*float64(next)), 24*time.Hour)
	}
	return max(next, serverWait)
}

// Update fetches the changes to every list once and applies them, and
// returns the server's minimum wait before the next update. A list whose
// update does not apply, or whose checksum then differs, is emptied so the
// next update fetches it whole.
func (c *Client) Update(ctx context.Context) (time.Duration, error) {
	c.updateMu.Lock()
	defer c.updateMu.Unlock()
	old := *c.lists.Load()
	req := FetchRequest{Client: c.client()}
	for _, l := range old {
		req.ListUpdateRequests = append(req.ListUpdateRequests, ListUpdateRequest{
			ThreatType: l.threatType, PlatformType: platform, ThreatEntryType: entryType, State: l.state,
			Constraints: Constraints{SupportedCompressions: []string{Raw, Rice}},
		})
	}
	var resp FetchResponse
	if err := c.post(ctx, "/v4/threatListUpdates:fetch", req, &resp, 256<<20); err != nil {
		c.stats.updateErrors.Add(1)
		return 0, err
	}
	lists := append([]*list(nil), old...)
	var errs []error
	added := false
	for _, r := range resp.ListUpdateResponses {
		i := -1
		for j, l := range lists {
			if l.threatType == r.ThreatType && r.PlatformType == platform && r.ThreatEntryType == entryType {
				i = j
			}
		}
		if i < 0 {
			continue // a list not asked for
		}
		l, fresh, err := applyUpdate(lists[i], r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.ThreatType, err))
			l = &list{threatType: r.ThreatType, set: &prefixSet{}} // reset: the next update is a full one
		}
		lists[i] = l
		if fresh != nil && fresh.len() > 0 {
			c.remember(fresh)
			added = true
		}
	}
	c.lists.Store(&lists)
	c.stats.updates.Add(1)
	if len(errs) > 0 {
		c.stats.updateErrors.Add(1)
	} else {
		c.stats.lastUpdate.Store(c.cfg.Now().UnixNano())
	}
	if added && c.cfg.Added != nil {
		c.cfg.Added()
	}
	return time.Duration(resp.MinimumWaitDuration), errors.Join(errs...)
}

var errChecksum = errors.New("checksum mismatch; the list was reset")

// remember keeps the prefixes an update added for RecheckWindow.
func (c *Client) remember(fresh *prefixSet) {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recent = slices.DeleteFunc(c.recent, func(a addition) bool { return now.Sub(a.at) > c.cfg.RecheckWindow })
	c.recent = append(c.recent, addition{at: now, set: fresh})
}

// isRecent says whether prefix was added within RecheckWindow; c.mu is
// held.
func (c *Client) isRecent(prefix string, now time.Time) bool {
	var h [32]byte
	copy(h[:], prefix)
	for _, a := range c.recent {
		if now.Sub(a.at) > c.cfg.RecheckWindow {
			continue
		}
		if p, ok := a.set.match(&h); ok && p == prefix {
			return true
		}
	}
	return false
}

// applyUpdate returns l changed by r and the prefixes it added (the new
// set itself after a full update).
func applyUpdate(l *list, r ListUpdateResponse) (*list, *prefixSet, error) {
	set := l.set
	var removals []int32
	switch r.ResponseType {
	case FullUpdate:
		set = &prefixSet{}
	case PartialUpdate:
		for _, rm := range r.Removals {
			idx, err := decodeIndices(rm)
			if err != nil {
				return nil, nil, err
			}
			removals = append(removals, idx...)
		}
	default:
		return nil, nil, fmt.Errorf("unknown response type %q", r.ResponseType)
	}
	add := &prefixSet{}
	for _, a := range r.Additions {
		if err := decodeHashes(a, add); err != nil {
			return nil, nil, err
		}
	}
	next, err := set.apply(removals, add)
	if err != nil {
		return nil, nil, err
	}
	if len(r.Checksum.SHA256) > 0 && !bytes.Equal(next.checksum(), r.Checksum.SHA256) {
		return nil, nil, errChecksum
	}
	fresh := next
	if r.ResponseType == PartialUpdate {
		add.sort()
		fresh = add
	}
	return &list{threatType: l.threatType, state: r.NewClientState, set: next}, fresh, nil
}

// maxPositiveCache bounds how long a confirmed match is trusted without
// asking again, whatever cacheDuration the server sets: the Safe Browsing
// terms allow blocking only on information from Google of the last 30
// minutes.
const maxPositiveCache = 30 * time.Minute

// ErrUnconfirmed is returned by Lookup when a hash prefix matched but the
// server could not confirm or deny the full hash (an error, a timeout, or
// the server's minimum wait between requests).
var ErrUnconfirmed = errors.New("safebrowsing: a hash prefix matched and could not be confirmed")

// Lookup says whether url is on a list, and which. It reads only memory
// unless a hash prefix matches and no cached answer covers it: then it asks
// fullHashes:find for the matching prefixes, within ConfirmTimeout.
func (c *Client) Lookup(ctx context.Context, url string) (threat string, listed bool, err error) {
	return c.lookup(ctx, url, false)
}

// lookup is Lookup; with onlyRecent, a prefix hit is asked about only if
// the prefix was added within RecheckWindow (cached answers still count).
func (c *Client) lookup(ctx context.Context, url string, onlyRecent bool) (threat string, listed bool, err error) {
	c.stats.lookups.Add(1)
	exprs, err := Expressions(url)
	if err != nil {
		return "", false, nil // no host: nothing the lists can hold
	}
	lists := *c.lists.Load()
	hashes := make([][32]byte, len(exprs))
	for i, e := range exprs {
		hashes[i] = Hash(e)
	}
	var ask []string
	var asked []int // the hashes that need the server
	now := c.cfg.Now()
	c.mu.Lock()
	for i := range hashes {
		h := &hashes[i]
		var prefix string
		for _, l := range lists {
			if p, ok := l.set.match(h); ok {
				prefix = p
				break
			}
		}
		if prefix == "" {
			continue
		}
		c.stats.prefixHits.Add(1)
		if pc, ok := c.positive[*h]; ok {
			if now.Before(pc.expires) {
				c.mu.Unlock()
				c.stats.cacheHits.Add(1)
				c.stats.confirmed.Add(1)
				return pc.threats[0], true, nil
			}
		} else if exp, ok := c.negative[prefix]; ok && now.Before(exp) {
			c.stats.cacheHits.Add(1)
			continue
		}
		if onlyRecent && !c.isRecent(prefix, now) {
			continue
		}
		asked = append(asked, i)
		if !contains(ask, prefix) {
			ask = append(ask, prefix)
		}
	}
	wait := c.findNotBefore
	c.mu.Unlock()
	if len(ask) == 0 {
		return "", false, nil
	}
	if now.Before(wait) {
		return "", false, ErrUnconfirmed
	}
	slices.Sort(ask)
	v, err, _ := c.inflight.Do(strings.Join(ask, ""), func() (any, error) {
		// Not the first caller's cancellation: the others wait on it too.
		return c.findFullHashes(context.WithoutCancel(ctx), lists, ask)
	})
	if err != nil {
		c.stats.findErrors.Add(1)
		return "", false, fmt.Errorf("%w: %w", ErrUnconfirmed, err)
	}
	resp := v.(*FindFullHashesResponse)
	now = c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prune(now)
	c.findNotBefore = now.Add(time.Duration(resp.MinimumWaitDuration))
	for _, p := range ask {
		c.negative[p] = now.Add(time.Duration(resp.NegativeCacheDuration))
	}
	for _, m := range resp.Matches {
		if len(m.Threat.Hash) != 32 {
			continue
		}
		h := [32]byte(m.Threat.Hash)
		pc := c.positive[h]
		if !now.Before(pc.expires) {
			pc = cached{}
		}
		pc.threats = append(pc.threats, m.ThreatType)
		// The terms allow treating a URL as unsafe only on information
		// from Google of the last 30 minutes.
		pc.expires = now.Add(min(time.Duration(m.CacheDuration), maxPositiveCache))
		c.positive[h] = pc
	}
	for _, i := range asked {
		if pc, ok := c.positive[hashes[i]]; ok && len(pc.threats) > 0 && now.Before(pc.expires) {
			c.stats.confirmed.Add(1)
			return pc.threats[0], true, nil
		}
	}
	return "", false, nil
}

// Match implements abuse.ThreatList: Lookup, with the reason a verdict
// gives.
func (c *Client) Match(ctx context.Context, url string) (reason string, listed bool, err error) {
	threat, ok, err := c.Lookup(ctx, url)
	if !ok {
		return "", false, err
	}
	return Reason(threat), true, nil
}

// Blocked implements abuse.Blocklist for rescans: a confirmed match
// blocks, with the list's threat type as the reason; an unconfirmed one
// does not. It asks the server only about prefixes added within
// RecheckWindow, so a rescan of many links after each update does not ask
// again about every old prefix they hit by chance.
func (c *Client) Blocked(url string) (string, bool) {
	threat, ok, _ := c.lookup(context.Background(), url, true)
	if !ok {
		return "", false
	}
	return Reason(threat), true
}

// Reason is the verdict's reason for a URL on the threat list threat.
func Reason(threat string) string { return "Google Safe Browsing: " + threat }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// prune drops the expired cache entries; c.mu is held.
func (c *Client) prune(now time.Time) {
	for h, pc := range c.positive {
		if !now.Before(pc.expires) {
			delete(c.positive, h)
		}
	}
	for p, exp := range c.negative {
		if !now.Before(exp) {
			delete(c.negative, p)
		}
	}
}

// findFullHashes asks the server for the full hashes of prefixes: the
// request holds the prefixes and the lists' states, never a URL.
func (c *Client) findFullHashes(ctx context.Context, lists []*list, prefixes []string) (*FindFullHashesResponse, error) {
	c.stats.findRequests.Add(1)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConfirmTimeout)
	defer cancel()
	req := FindFullHashesRequest{Client: c.client(), ThreatInfo: ThreatInfo{
		PlatformTypes: []string{platform}, ThreatEntryTypes: []string{entryType},
	}}
	for _, l := range lists {
		req.ClientStates = append(req.ClientStates, l.state)
		req.ThreatInfo.ThreatTypes = append(req.ThreatInfo.ThreatTypes, l.threatType)
	}
	for _, p := range prefixes {
		req.ThreatInfo.ThreatEntries = append(req.ThreatInfo.ThreatEntries, ThreatEntry{Hash: []byte(p)})
	}
	var resp FindFullHashesResponse
	if err := c.post(ctx, "/v4/fullHashes:find", req, &resp, 1<<20); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (c *Client) client() ClientInfo {
	return ClientInfo{ClientID: clientID, ClientVersion: c.cfg.ClientVersion}
}

// post sends in as JSON to path and decodes the answer into out. The key
// travels in a header, so errors, which name the URL, never hold it.
func (c *Client) post(ctx context.Context, path string, in, out any, limit int64) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.ServerURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Goog-Api-Key", c.cfg.Key)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		msg := strings.ReplaceAll(strings.TrimSpace(string(b)), c.cfg.Key, "[key]")
		return fmt.Errorf("safebrowsing %s: %s: %s", path, resp.Status, msg)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, limit)).Decode(out); err != nil {
		return fmt.Errorf("safebrowsing %s: %w", path, err)
	}
	return nil
}

// ListStatus is one list as this node holds it.
type ListStatus struct {
	ThreatType string
	Prefixes   int
}

// Lists returns the lists and their sizes.
func (c *Client) Lists() []ListStatus {
	var out []ListStatus
	for _, l := range *c.lists.Load() {
		out = append(out, ListStatus{ThreatType: l.threatType, Prefixes: l.set.len()})
	}
	return out
}
