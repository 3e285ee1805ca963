package clickpipe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"tiny/internal/nice"
	"tiny/internal/tiny"
)

// startTimeout is how long a starting child may show no sign of work
// before it is taken for hung; opening the store may take a while, and a
// starved child as long as it takes (see stallTimeout).
const startTimeout = 30 * time.Second

// Writer writes click batches through a child process. Its RecordClicks
// sends a batch and waits for the child to write it, however long a
// starved child takes; a child that fails (exits, breaks the protocol,
// outlives the caller's deadline, or shows no sign of work for
// stallTimeout) is killed and the batch reported as not written, and the
// next batch starts a new one. Safe for concurrent use; batches go one at a
// time.
type Writer struct {
	path   string
	args   []string
	stderr io.Writer

	mu    sync.Mutex
	child *child // nil until needed, and after a failure
	buf   []byte
}

// child is one running writer process.
type child struct {
	cmd     *exec.Cmd
	in      *os.File // the child's stdin
	out     *os.File // the child's stdout
	read    *bufio.Reader
	exited  chan struct{} // closed when the process has exited
	exitErr error         // its exit, once exited is closed
	buf     []byte
}

// Start starts the child `path args...`, which must run Serve on its stdin
// and stdout, and waits until it is ready. The child's stderr (its log) is
// stderr.
func Start(ctx context.Context, path string, args []string, stderr io.Writer) (*Writer, error) {
	w := &Writer{path: path, args: args, stderr: stderr}
	c, err := w.start(ctx)
	if err != nil {
		return nil, err
	}
	w.child = c
	return w, nil
}

func (w *Writer) start(ctx context.Context) (*child, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command(w.path, w.args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, w.stderr
	err = cmd.Start()
	// The child has its ends now; the parent keeps only its own.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting the click writer: %w", err)
	}
	c := &child{cmd: cmd, in: inW, out: outR, read: bufio.NewReaderSize(outR, 4096), exited: make(chan struct{})}
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	// The child answers an empty frame once the store is open.
	if result, err := c.answer(ctx, c.watch(startTimeout)); err != nil || result != nil {
		c.kill()
		return nil, fmt.Errorf("the click writer did not start: %w", errors.Join(err, result))
	}
	return c, nil
}

// answer reads the child's answer to the last frame: result is the store's
// outcome, err a failure of the stream. It waits until ctx ends or w finds
// the child hung.
func (c *child) answer(ctx context.Context, w *watch) (result, err error) {
	// Peek consumes nothing, so a wait cut short to look at the child
	// leaves the stream in step.
	for {
		c.out.SetReadDeadline(w.next(ctx))
		if _, err = c.read.Peek(1); err == nil {
			break
		}
		if err = w.check(ctx, err); err != nil {
			return nil, err
		}
	}
	// The answer has begun, and the child writes it in one piece.
	rest := time.Now().Add(w.stall)
	if dl, ok := ctx.Deadline(); ok && dl.Before(rest) {
		rest = dl
	}
	c.out.SetReadDeadline(rest)
	if c.buf, err = readFrame(c.read, c.buf); err != nil {
		return nil, err
	}
	return decodeAnswer(c.buf)
}

// send writes b to the child's stdin, a pipe the child drains as it reads
// the frame. It waits until ctx ends or w finds the child hung.
func (c *child) send(ctx context.Context, w *watch, b []byte) error {
	for len(b) > 0 {
		c.in.SetWriteDeadline(w.next(ctx))
		n, err := c.in.Write(b)
		b = b[n:]
		if err != nil {
			if err = w.check(ctx, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// stallTimeout is how long a child with a request in hand may show no sign
// of work before it is taken for hung. A child at the lowest priority on a
// saturated node may take far longer over a batch, and is not hung: its
// threads are runnable, waiting their turn, or gain CPU time. A variable
// for the tests.
var stallTimeout = 10 * time.Second

// maxRequestCPU is the most CPU time a child may spend on one request: a
// batch of 50,000 clicks on a file of ten million links takes a few
// seconds, so a child far past this is looping, not writing.
const maxRequestCPU = 5 * time.Minute

// checkEvery is how often a wait looks at the child.
const checkEvery = time.Second

// watch tells a child at work from a hung one while the parent waits for
// it. A hung child is neither runnable nor gaining CPU time; where that
// cannot be read (no /proc), silence alone counts.
type watch struct {
	pid       int
	stall     time.Duration
	cpu0, cpu int64     // the child's CPU time at the start, and at the last sign of work
	signAt    time.Time // when that sign was seen
}

func (c *child) watch(stall time.Duration) *watch {
	w := &watch{pid: c.cmd.Process.Pid, stall: stall, signAt: time.Now()}
	w.cpu0, _, _ = activity(w.pid)
	w.cpu = w.cpu0
	return w
}

// next is the deadline of the next wait: the next look at the child, or
// ctx's deadline if sooner.
func (w *watch) next(ctx context.Context) time.Time {
	d := time.Now().Add(min(checkEvery, w.stall/4))
	if dl, ok := ctx.Deadline(); ok && dl.Before(d) {
		d = dl
	}
	return d
}

// check takes the error of a wait cut short: nil when it was only the look
// at the child and the child is at work, else the error that ends the wait.
func (w *watch) check(ctx context.Context, err error) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now()
	cpu, runnable, aerr := activity(w.pid)
	switch {
	case aerr == nil && time.Duration(cpu-w.cpu0) > maxRequestCPU:
		return fmt.Errorf("the click writer spent %v of CPU on one request", time.Duration(cpu-w.cpu0).Round(time.Second))
	case aerr == nil && (runnable || cpu != w.cpu):
		w.cpu, w.signAt = cpu, now
		return nil
	case now.Sub(w.signAt) < w.stall:
		return nil
	}
	return fmt.Errorf("the click writer has shown no sign of work for %v", now.Sub(w.signAt).Round(10*time.Millisecond))
}

// kill ends the child at once and waits for it.
func (c *child) kill() {
	c.in.Close()
	c.out.Close()
	c.cmd.Process.Kill()
	<-c.exited
}

// RecordClicks sends events to the child and waits until it has written
// them, or failed to, or ctx ends, or the child is found hung.
func (w *Writer) RecordClicks(ctx context.Context, events []tiny.ClickEvent) error {
	if len(events) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = appendBatch(w.buf[:0], events, func() { nice.YieldIn(ctx) })
	return w.call(ctx)
}

// RollUp asks the child to roll up everything it wrote, and waits.
func (w *Writer) RollUp(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.child == nil {
		return nil // a new child has written nothing yet
	}
	w.buf = appendRollUp(w.buf[:0])
	return w.call(ctx)
}

// call sends the request in w.buf and returns the answer. Callers hold mu.
func (w *Writer) call(ctx context.Context) error {
	if w.child == nil {
		c, err := w.start(ctx)
		if err != nil {
			return &tiny.Error{Code: tiny.Unavailable, Message: err.Error()}
		}
		w.child = c
	}
	c := w.child
	watch := c.watch(stallTimeout)
	err := c.send(ctx, watch, w.buf)
	var result error
	if err == nil {
		result, err = c.answer(ctx, watch)
	}
	if err != nil {
		// The stream is broken or out of step: whether the child wrote
		// this batch is unknown, and its next answer could be this
		// batch's. A new child starts with the next batch.
		c.kill()
		w.child = nil
		return &tiny.Error{Code: tiny.Unavailable, Message: "click writer: " + err.Error()}
	}
	return result
}

// Close ends the child: it writes what it was given, closes the store and
// exits. If ctx ends first, the child is killed.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.child
	w.child = nil
	if c == nil {
		return nil
	}
	c.in.Close()
	select {
	case <-c.exited:
		c.out.Close()
		if c.exitErr != nil {
			return fmt.Errorf("click writer: %w", c.exitErr)
		}
		return nil
	case <-ctx.Done():
		c.kill()
		return fmt.Errorf("click writer: %w", ctx.Err())
	}
}
