package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"tiny/internal/tiny"
)

// The causes that end the context of costly work.
var (
	errClientGone  = errors.New("the client hung up")
	errOutOfBudget = errors.New("the request ran out of time")
)

// hangupPoll is how often a costly request looks whether its client is
// still there: the work done for a gone client is at most this long, plus
// the item in hand.
const hangupPoll = 50 * time.Millisecond

// costlyContext returns the context for work that buys real CPU — bcrypt
// hashes, bulk creates. It ends when the client hangs up, or after the
// write timeout, whichever comes first; a shutdown does not end it, so a
// graceful shutdown still lets such requests finish. When costly is false
// it is r's own context. Call stop when the work is done. Never use it on
// the redirect path: it costs a goroutine.
func (s *Server) costlyContext(r *http.Request, costly bool) (ctx context.Context, stop func()) {
	if !costly {
		return r.Context(), func() {}
	}
	budget, cancelBudget := context.WithTimeoutCause(r.Context(), s.cfg.WriteTimeout, errOutOfBudget)
	ctx, cancel := context.WithCancelCause(budget)
	stopWatch := func() {}
	if c, ok := r.Context().Value(connKey).(net.Conn); ok {
		stopWatch = watchHangup(c, hangupPoll, func() { cancel(errClientGone) })
	}
	return ctx, func() {
		stopWatch()
		cancel(nil)
		cancelBudget()
	}
}

// stopped is the error of work that ctx ended: the client left, or the
// time budget ran out. Nobody reads the first; the second tells the client
// to send less.
func stopped(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), errClientGone) {
		return tiny.Errorf(tiny.Unavailable, "the client hung up; the work was stopped")
	}
	return tiny.Errorf(tiny.Unavailable, "the request ran out of time and was stopped; send fewer links or passwords at a time")
}

// stoppedOr is stopped(ctx) when ctx has ended, err otherwise.
func stoppedOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return stopped(ctx)
	}
	return err
}
