// RateLimiter: bandwidth limits for transfers, per transfer or shared by
// every connection of a Config (and so of a Pool).

package ftp

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// A RateLimiter caps the bytes per second that the transfers it is given
// to move, together: set on a Config (Config.RateLimiter), it is shared by
// every connection dialled with that Config, so a Pool's transfers split
// the rate between them; set on one Reader or Writer (SetRateLimit), it
// paces that transfer alone. A transfer under both waits for both.
//
// It is a token bucket that holds a tenth of a second of data: after a
// pause the transfers may move that much at once, and over any longer
// span no more than the rate (below 40 KB/s, a chunk of 4 KiB may run
// ahead by its own length). The zero-copy paths stay
// zero-copy: sendfile(2) and splice(2) move one paced chunk at a time.
// Downloads are paced as the data is read, so TCP flow control slows the
// server; the socket buffers may take in up to a few MiB ahead of the
// rate, which the pacing then absorbs.
//
// A RateLimiter is safe for concurrent use.
type RateLimiter struct {
	mu     sync.Mutex
	rate   float64 // bytes per second
	burst  float64 // bucket size in bytes
	tokens float64 // may go below zero: the bytes reserved ahead of time
	last   time.Time

	now   func() time.Time                                 // time.Now; tests replace it
	sleep func(ctx context.Context, d time.Duration) error // sleepContext; tests replace it
}

// Chunk bounds for paced transfers: small enough that pacing is smooth,
// large enough that a paced sendfile(2) costs few system calls. Between
// them a chunk is a tenth of a second of data.
const (
	minPaceChunk = 4 << 10
	maxPaceChunk = zeroCopyChunk
)

// NewRateLimiter returns a limiter of bytesPerSecond; it panics if that
// is not positive, as a limit of zero would stop every transfer.
func NewRateLimiter(bytesPerSecond int64) *RateLimiter {
	if bytesPerSecond <= 0 {
		panic(fmt.Sprintf("ftp: NewRateLimiter(%d): the rate must be positive", bytesPerSecond))
	}
	l := &RateLimiter{now: time.Now, sleep: sleepContext}
	l.setRate(float64(bytesPerSecond))
	l.tokens = l.burst
	l.last = l.now()
	return l
}

// Rate returns the limit in bytes per second.
func (l *RateLimiter) Rate() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(l.rate)
}

// SetRate changes the limit; transfers waiting keep the wait they were
// given, the next ones use the new rate. Rates that are not positive are
// ignored.
func (l *RateLimiter) SetRate(bytesPerSecond int64) {
	if bytesPerSecond <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refill(l.now())
	l.setRate(float64(bytesPerSecond))
	l.tokens = min(l.tokens, l.burst)
}

func (l *RateLimiter) setRate(r float64) {
	l.rate = r
	l.burst = max(r/10, 1)
}

// refill adds the tokens earned since the last call.
func (l *RateLimiter) refill(now time.Time) {
	if elapsed := now.Sub(l.last); elapsed > 0 {
		l.tokens = min(l.burst, l.tokens+elapsed.Seconds()*l.rate)
	}
	l.last = now
}

// chunk is how many bytes a paced transfer moves between waits: the
// bucket's size, within [minPaceChunk, maxPaceChunk].
func (l *RateLimiter) chunk() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(min(max(l.burst, minPaceChunk), maxPaceChunk))
}

// WaitN blocks until n more bytes may move, or ctx is done. It takes the
// bytes at once, so waiters are served in the order they came, and a
// wait cut short by ctx gives them back.
func (l *RateLimiter) WaitN(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	l.mu.Lock()
	now := l.now()
	l.refill(now)
	l.tokens -= float64(n)
	var wait time.Duration
	if l.tokens < 0 {
		wait = time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if err := l.sleep(ctx, wait); err != nil {
		l.giveBack(n)
		return err
	}
	return nil
}

// giveBack returns bytes taken but not moved.
func (l *RateLimiter) giveBack(n int) {
	if n <= 0 {
		return
	}
	l.mu.Lock()
	l.tokens = min(l.burst, l.tokens+float64(n))
	l.mu.Unlock()
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacing: the limiters a transfer waits for.

// paceChunk is the largest piece the transfer moves between waits.
func (t *transfer) paceChunk() int {
	c := maxPaceChunk
	for _, l := range t.limits {
		c = min(c, l.chunk())
	}
	return c
}

// pace waits until n bytes may move under every limiter of the transfer.
func (t *transfer) pace(n int) error {
	for i, l := range t.limits {
		if err := l.WaitN(t.ctx, n); err != nil {
			for _, done := range t.limits[:i] {
				done.giveBack(n)
			}
			return fmt.Errorf("ftp: %s: waiting for the rate limit: %w", t.line, err)
		}
	}
	return nil
}

// unpace gives back bytes paced for but not moved (a short last chunk).
func (t *transfer) unpace(n int) {
	for _, l := range t.limits {
		l.giveBack(n)
	}
}

// setOwnLimit sets (or, with a rate of zero or less, removes) the
// transfer's own limiter, own, and returns it.
func (t *transfer) setOwnLimit(own *RateLimiter, bytesPerSecond int64) *RateLimiter {
	if bytesPerSecond <= 0 {
		if own != nil {
			for i, l := range t.limits {
				if l == own {
					t.limits = append(t.limits[:i:i], t.limits[i+1:]...)
					break
				}
			}
		}
		return nil
	}
	if own != nil {
		own.SetRate(bytesPerSecond)
		return own
	}
	own = NewRateLimiter(bytesPerSecond)
	t.addLimit(own)
	return own
}

// addLimit paces the transfer by l too.
func (t *transfer) addLimit(l *RateLimiter) {
	t.limits = append(t.limits, l)
}

// pacedReader reads at most a paced chunk at a time and waits for what it
// read, so that the sender is slowed by TCP flow control.
type pacedReader struct {
	r io.Reader
	t *transfer
}

func (p pacedReader) Read(b []byte) (int, error) {
	if c := p.t.paceChunk(); len(b) > c {
		b = b[:c]
	}
	n, err := p.r.Read(b)
	if n > 0 {
		if perr := p.t.pace(n); perr != nil && err == nil {
			err = perr
		}
	}
	return n, err
}

// pacedWriter writes in paced chunks, waiting before each.
type pacedWriter struct {
	w io.Writer
	t *transfer
}

func (p pacedWriter) Write(b []byte) (int, error) {
	var done int
	for len(b) > 0 {
		c := min(len(b), p.t.paceChunk())
		if err := p.t.pace(c); err != nil {
			return done, err
		}
		n, err := p.w.Write(b[:c])
		done += n
		if err != nil {
			p.t.unpace(c - n)
			return done, err
		}
		b = b[c:]
	}
	return done, nil
}
