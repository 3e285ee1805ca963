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

// startTimeout bounds how long a child may take to open the store and say
// it is ready.
const startTimeout = 30 * time.Second

// Writer writes click batches through a child process. Its RecordClicks
// sends a batch and waits for the child to write it; a child that fails
// (exits, breaks the protocol, or outlives the caller's deadline) is killed
// and the batch reported as not written, and the next batch starts a new
// one. Safe for concurrent use; batches go one at a time.
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
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if result, err := c.answer(ctx); err != nil || result != nil {
		c.kill()
		return nil, fmt.Errorf("the click writer did not start: %w", errors.Join(err, result))
	}
	return c, nil
}

// answer reads the child's answer to the last frame, by ctx's deadline:
// result is the store's outcome, err a failure of the stream.
func (c *child) answer(ctx context.Context) (result, err error) {
	d, _ := ctx.Deadline() // zero: none, and none left from a call before
	c.out.SetReadDeadline(d)
	if c.buf, err = readFrame(c.read, c.buf); err != nil {
		return nil, err
	}
	return decodeAnswer(c.buf)
}

// kill ends the child at once and waits for it.
func (c *child) kill() {
	c.in.Close()
	c.out.Close()
	c.cmd.Process.Kill()
	<-c.exited
}

// RecordClicks sends events to the child and waits until it has written
// them, or failed to, or ctx ends.
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
	d, _ := ctx.Deadline() // zero: none, and none left from a call before
	c.in.SetWriteDeadline(d)
	_, err := c.in.Write(w.buf)
	var result error
	if err == nil {
		result, err = c.answer(ctx)
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
