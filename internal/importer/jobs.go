package importer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// MaxFileBytes bounds a file an import job reads: the job holds it in
// memory while it runs.
const MaxFileBytes = 64 << 20

// JobState is where a job is.
type JobState string

// The states of a job.
const (
	Running   JobState = "running"
	Done      JobState = "done"
	Failed    JobState = "failed"
	Cancelled JobState = "cancelled"
)

// Progress is what a running job has done so far.
type Progress struct {
	Read, Imported, AlreadyImported, Resumed int64
	Skipped, Flagged, Blocked                int64
	// Total is the records the source has, -1 when it does not tell.
	Total int64
}

// Job is a snapshot of an import job. It never holds an API token.
type Job struct {
	ID      string
	OwnerID int64
	Format  string
	// Source is the file's name or the API's address, without its query.
	Source    string
	DryRun    bool
	State     JobState
	Progress  Progress
	Summary   *Summary // when the job ended; on failure, what it did
	Error     string   // why it failed, safe to show the owner
	StartedAt time.Time
	EndedAt   *time.Time
}

// JobsConfig tunes Jobs; zero values take the defaults noted.
type JobsConfig struct {
	// MaxRunning is how many jobs this node runs at once (2); each user
	// runs one at a time.
	MaxRunning int
	// Keep is how long an ended job stays listed (24h).
	Keep time.Duration
	// Destinations is where an API import may connect (nil: where the
	// link service lets links lead). A member names the address, and must
	// not reach the server's own network with it.
	Destinations *tiny.DestinationRule
	// Client makes the API readers' requests (an OutboundClient of
	// Destinations).
	Client *APIConfig
	Logger *slog.Logger
	Now    func() time.Time
}

// Jobs runs imports in the background of a server, one per user at a
// time. The jobs live in the memory of the node that runs them: a restart
// loses their status, but not their work. Each batch commits with its
// checkpoint, so starting the same file again resumes where the job got to
// (see JobID).
type Jobs struct {
	links *shortener.Service
	cfg   JobsConfig

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	jobs map[string]*job
}

// job is a Job and what runs it.
type job struct {
	Job
	cancel context.CancelFunc
	done   chan struct{} // closed when the job ends
	token  string        // only to scrub it from an error
}

// NewJobs returns the job runner of links.
func NewJobs(links *shortener.Service, cfg JobsConfig) *Jobs {
	if cfg.MaxRunning <= 0 {
		cfg.MaxRunning = 2
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Destinations == nil {
		rule := links.DestinationRule()
		cfg.Destinations = &rule
	}
	if cfg.Client == nil {
		cfg.Client = &APIConfig{}
	}
	if cfg.Client.Client == nil {
		c := *cfg.Client
		c.Client = OutboundClient(*cfg.Destinations)
		cfg.Client = &c
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Jobs{links: links, cfg: cfg, ctx: ctx, cancel: cancel, jobs: map[string]*job{}}
}

// FileSource is a file to import.
type FileSource struct {
	Format string
	Name   string // the file's name, for the owner's list
	Data   []byte
	DryRun bool
}

// APISource is a foreign API to import from. Token is used for the job's
// requests and kept nowhere else.
type APISource struct {
	Format  string
	BaseURL string
	Token   string
	DryRun  bool
}

// StartFile starts importing a file as p's links.
func (js *Jobs) StartFile(p *accounts.Principal, src FileSource) (*Job, error) {
	if err := p.Check(accounts.WriteLinks, accounts.Own(p.User.ID)); err != nil {
		return nil, err
	}
	if len(src.Data) > MaxFileBytes {
		return nil, tiny.FieldErrorf(tiny.TooLarge, "file", "the file must be at most %d MiB", MaxFileBytes>>20)
	}
	r, err := OpenFile(src.Format, bytes.NewReader(src.Data))
	if err != nil {
		return nil, err
	}
	id, err := JobID(src.Format, p.User.ID, bytes.NewReader(src.Data))
	if err != nil {
		return nil, err
	}
	name := src.Name
	if name == "" {
		name = "upload"
	}
	return js.start(p, &job{Job: Job{Format: src.Format, Source: truncate(name), DryRun: src.DryRun}}, r, id)
}

// StartAPI starts importing a foreign API's links as p's links.
func (js *Jobs) StartAPI(p *accounts.Principal, src APISource) (*Job, error) {
	if err := p.Check(accounts.WriteLinks, accounts.Own(p.User.ID)); err != nil {
		return nil, err
	}
	if strings.TrimSpace(src.Token) == "" {
		return nil, tiny.FieldErrorf(tiny.Invalid, "token", "give the API token or key of the other service")
	}
	cfg := APIConfig{BaseURL: strings.TrimSpace(src.BaseURL), Token: src.Token,
		Client: js.cfg.Client.Client, Retries: js.cfg.Client.Retries, Wait: js.cfg.Client.Wait}
	r, err := OpenAPI(src.Format, cfg)
	if err != nil {
		return nil, err
	}
	source := cfg.BaseURL
	if u, err := url.Parse(cfg.BaseURL); err == nil {
		// The client refuses such an address when it dials; a host named
		// as one is refused here, with the field to mend.
		if d := tiny.ClassifyHost(u.Hostname()); !js.cfg.Destinations.Allows(d.Class) {
			return nil, tiny.FieldErrorf(tiny.Invalid, "url", "%s is %s; this server imports only from public hosts", u.Hostname(), tiny.WithArticle(d.Kind))
		}
		u.RawQuery, u.Fragment, u.User = "", "", nil
		source = u.String()
	}
	// An API lists its links in no fixed order, so it has no checkpoint;
	// a rerun finds the slugs it imported and adds nothing twice.
	return js.start(p, &job{Job: Job{Format: src.Format, Source: truncate(source), DryRun: src.DryRun}, token: src.Token}, r, "")
}

func (js *Jobs) start(p *accounts.Principal, j *job, r Reader, checkpoint string) (*Job, error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.ctx.Err() != nil {
		return nil, tiny.Errorf(tiny.Unavailable, "the server is shutting down; start the import again in a moment")
	}
	js.prune()
	running := 0
	for _, o := range js.jobs {
		if o.State != Running {
			continue
		}
		if o.OwnerID == p.User.ID {
			return nil, tiny.Errorf(tiny.Conflict, "your import %s is still running; wait for it or cancel it first", o.ID)
		}
		running++
	}
	if running >= js.cfg.MaxRunning {
		return nil, tiny.Errorf(tiny.Unavailable, "this server is running as many imports as it takes; try again in a few minutes")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := context.WithCancel(js.ctx)
	j.ID, j.OwnerID, j.State, j.StartedAt, j.cancel = hex.EncodeToString(b[:]), p.User.ID, Running, js.cfg.Now(), cancel
	j.Progress.Total, j.done = -1, make(chan struct{})
	js.jobs[j.ID] = j
	snap := j.Job
	js.wg.Add(1)
	go js.run(ctx, p, j, r, checkpoint)
	return &snap, nil
}

func (js *Jobs) run(ctx context.Context, p *accounts.Principal, j *job, r Reader, checkpoint string) {
	defer js.wg.Done()
	defer close(j.done)
	defer j.cancel()
	opt := Options{Job: checkpoint, DryRun: j.DryRun, Tally: func(sum *Summary, total int64) {
		js.mu.Lock()
		j.Progress = progressOf(sum, total)
		js.mu.Unlock()
	}}
	sum, err := Run(ctx, js.links, p, r, opt)
	js.mu.Lock()
	defer js.mu.Unlock()
	end := js.cfg.Now()
	j.EndedAt, j.Summary = &end, sum
	j.Progress = progressOf(sum, j.Progress.Total)
	switch {
	case err == nil:
		j.State = Done
		if j.Progress.Total < 0 {
			j.Progress.Total = sum.Read
		}
	case ctx.Err() != nil:
		j.State, j.Error = Cancelled, "the import was cancelled; what it imported stays, and starting it again resumes"
	default:
		j.State, j.Error = Failed, js.reason(j, err)
		js.cfg.Logger.Warn("import job failed", "job", j.ID, "format", j.Format, "code", tiny.ErrorCodeOf(err))
	}
}

// reason is the owner's explanation of err, never with the token.
func (js *Jobs) reason(j *job, err error) string {
	msg := tiny.ErrorMessageOf(err)
	var te *tiny.Error
	if !errors.As(err, &te) {
		// The readers' errors say what the source did wrong, with no
		// secret in them (api.go keeps the token out); the store's are
		// internal.
		msg = err.Error()
		if tiny.ErrorCodeOf(err) == tiny.Internal && !strings.HasPrefix(msg, "GET ") && !strings.Contains(msg, "row ") {
			msg = "the import stopped on an internal error; start it again to resume"
		}
	}
	if j.token != "" {
		msg = strings.ReplaceAll(msg, j.token, "[token]")
	}
	return msg
}

func progressOf(sum *Summary, total int64) Progress {
	return Progress{Read: sum.Read, Imported: sum.Imported, AlreadyImported: sum.AlreadyImported, Resumed: sum.Resumed,
		Skipped: sum.SkippedCount(), Flagged: sum.FlaggedCount, Blocked: sum.BlockedCount, Total: total}
}

// keptPerUser bounds the ended jobs kept for one user, each with its
// summary, however many they start within Keep.
const keptPerUser = 20

// prune forgets the jobs that ended more than Keep ago, and each user's
// ended jobs beyond the newest keptPerUser. js.mu is held.
func (js *Jobs) prune() {
	cut := js.cfg.Now().Add(-js.cfg.Keep)
	ended := map[int64][]*job{}
	for id, j := range js.jobs {
		switch {
		case j.EndedAt == nil:
		case j.EndedAt.Before(cut):
			delete(js.jobs, id)
		default:
			ended[j.OwnerID] = append(ended[j.OwnerID], j)
		}
	}
	for _, jobs := range ended {
		if len(jobs) <= keptPerUser {
			continue
		}
		sort.Slice(jobs, func(a, b int) bool { return jobs[a].EndedAt.After(*jobs[b].EndedAt) })
		for _, j := range jobs[keptPerUser:] {
			delete(js.jobs, j.ID)
		}
	}
}

// Get returns the job id, to its owner or an admin; to anyone else it is
// not found, so job ids cannot be probed.
func (js *Jobs) Get(p *accounts.Principal, id string) (*Job, error) {
	j, err := js.owned(p, id)
	if err != nil {
		return nil, err
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	snap := j.Job
	return &snap, nil
}

// owned returns the job id if p may see it.
func (js *Jobs) owned(p *accounts.Principal, id string) (*job, error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.jobs[id]
	if !ok || p.Check(accounts.WriteLinks, accounts.Own(j.OwnerID)) != nil {
		return nil, tiny.Errorf(tiny.NotFound, "no import %q on this server", truncate(id))
	}
	return j, nil
}

// List returns p's jobs, newest first.
func (js *Jobs) List(p *accounts.Principal) []*Job {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.prune()
	var out []*Job
	for _, j := range js.jobs {
		if j.OwnerID == p.User.ID {
			snap := j.Job
			out = append(out, &snap)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].StartedAt.After(out[b].StartedAt) })
	return out
}

// Cancel stops the job id and waits for it to end; what it imported
// stays. Cancelling an ended job changes nothing.
func (js *Jobs) Cancel(ctx context.Context, p *accounts.Principal, id string) (*Job, error) {
	j, err := js.owned(p, id)
	if err != nil {
		return nil, err
	}
	j.cancel()
	return js.wait(ctx, j)
}

// Wait waits for the job id to end, or for ctx, and returns it.
func (js *Jobs) Wait(ctx context.Context, p *accounts.Principal, id string) (*Job, error) {
	j, err := js.owned(p, id)
	if err != nil {
		return nil, err
	}
	return js.wait(ctx, j)
}

func (js *Jobs) wait(ctx context.Context, j *job) (*Job, error) {
	select {
	case <-j.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	snap := j.Job
	return &snap, nil
}

// Close cancels the running jobs and waits for them to stop, or for ctx.
func (js *Jobs) Close(ctx context.Context) error {
	js.cancel()
	done := make(chan struct{})
	go func() { js.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Running returns how many jobs are running on this node.
func (js *Jobs) Running() int {
	js.mu.Lock()
	defer js.mu.Unlock()
	n := 0
	for _, j := range js.jobs {
		if j.State == Running {
			n++
		}
	}
	return n
}
