package shortener

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"

	"tiny/internal/tiny"
)

// passwords runs every bcrypt hash and check of the process through a fixed
// number of slots. One bcrypt call at the default cost is about 60-80 ms of
// CPU that anyone can ask for (the password form needs no key), so without
// a bound a few clients could take every core from the redirects.
type passwords struct {
	cost  int
	slots chan struct{}
	wait  time.Duration
	// generate and compare are bcrypt's; tests wrap them to watch how many
	// run at once.
	generate func(pw []byte, cost int) ([]byte, error)
	compare  func(hash, pw []byte) error
}

// defaultPasswordWorkers leaves half the CPUs to everything else.
func defaultPasswordWorkers() int { return max(runtime.GOMAXPROCS(0)/2, 1) }

func newPasswords(cost, workers int, wait time.Duration) *passwords {
	return &passwords{
		cost:     cost,
		slots:    make(chan struct{}, workers),
		wait:     wait,
		generate: bcrypt.GenerateFromPassword,
		compare:  bcrypt.CompareHashAndPassword,
	}
}

// acquire takes a slot, waiting at most p.wait and only while ctx lasts.
// Unavailable when none frees up in time; when ctx ends first the error
// is Unavailable too and wraps the context's cause.
func (p *passwords) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", tiny.Errorf(tiny.Unavailable, "the request ended while waiting to check a password"), context.Cause(ctx))
	case <-timer.C:
		return tiny.Errorf(tiny.Unavailable, "the server is busy checking passwords; try again in a few seconds")
	}
}

func (p *passwords) release() { <-p.slots }

func (p *passwords) hash(ctx context.Context, pw string) (string, error) {
	if err := validatePassword(pw); err != nil {
		return "", err
	}
	if err := p.acquire(ctx); err != nil {
		return "", err
	}
	defer p.release()
	h, err := p.generate([]byte(pw), p.cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

func (p *passwords) check(ctx context.Context, hash, pw string) (bool, error) {
	if err := p.acquire(ctx); err != nil {
		return false, err
	}
	defer p.release()
	return p.compare([]byte(hash), []byte(pw)) == nil, nil
}

func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	return s.passwords.hash(ctx, pw)
}

// CheckPassword reports whether pw opens the password-protected link l. A
// link without a password opens with anything. The check waits for one of
// the process's bcrypt slots: Unavailable when none frees up within
// Config.PasswordWait or ctx ends first.
func (s *Service) CheckPassword(ctx context.Context, l *tiny.Link, pw string) (bool, error) {
	if l.PasswordHash == "" {
		return true, nil
	}
	return s.passwords.check(ctx, l.PasswordHash, pw)
}
