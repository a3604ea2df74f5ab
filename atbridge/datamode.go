// Data mode: raw bytes from the port into an upload, with the "+++" escape
// and its guard times; a download from a pump out to the port, which "+++"
// pauses; and the pump that reads a transfer in the background.

package atbridge

import (
	"context"
	"io"
	"sync"
	"time"
)

// dataEnd says why receiveData returned.
type dataEnd int

const (
	endEscape dataEnd = iota // "+++" with its guard times
	endLimit                 // the announced length arrived
	endIdle                  // no data within the idle time
)

// escape recognises "+++" in data mode: a guard time of silence, three '+'
// within the guard time, and a guard time of silence again. The silence
// after is checked by the caller, which waits for the next input until
// deadline().
type escape struct {
	guard      time.Duration
	last       time.Time // arrival of the last byte that was not a held '+'
	plus       int       // '+' held back, 0 to 3
	first, end time.Time // arrival of the first and of the last held '+'
}

// feed handles one byte that arrived at t. It returns the bytes that turn
// out to be data (held '+' that were not an escape, and b itself).
func (e *escape) feed(b byte, t time.Time, out []byte) []byte {
	if e.plus == 0 {
		if b == '+' && t.Sub(e.last) >= e.guard {
			e.plus, e.first, e.end = 1, t, t
			return out
		}
		e.last = t
		return append(out, b)
	}
	if b == '+' && e.plus < 3 && t.Sub(e.first) <= e.guard {
		e.plus++
		e.end = t
		return out
	}
	out = append(out, "+++"[:e.plus]...)
	e.plus = 0
	e.last = t
	return append(out, b)
}

// deadline returns when the held '+' resolve: at the end of the silence
// after a complete "+++", or when the three '+' took too long.
func (e *escape) deadline() time.Time {
	if e.plus == 3 {
		return e.end.Add(e.guard)
	}
	return e.first.Add(e.guard)
}

// expire resolves the held '+' at their deadline: it reports an escape for
// a complete "+++", otherwise returns the held '+' as data.
func (e *escape) expire(now time.Time) (escaped bool, data []byte) {
	if e.plus == 3 {
		return true, nil
	}
	data = []byte("+++"[:e.plus])
	e.plus = 0
	e.last = now
	return false, data
}

// receiveData passes the bytes of data mode to sink until the host escapes
// with "+++", limit bytes arrived (limit >= 0), or no byte came for idle
// (idle > 0). It returns the bytes passed on. Bytes after the limit stay in
// the input as command text.
func (m *Modem) receiveData(ctx context.Context, limit int64, idle time.Duration, sink func([]byte) error) (int64, dataEnd, error) {
	m.skipLF = false
	e := escape{guard: m.opts.guard(), last: time.Now()}
	var n int64
	deliver := func(b []byte) error {
		if len(b) == 0 {
			return nil
		}
		if limit >= 0 && n+int64(len(b)) > limit {
			// Held '+' flushed past the limit: they are command text.
			extra := b[limit-n:]
			m.in.unread(extra, time.Now())
			b = b[:limit-n]
		}
		n += int64(len(b))
		return sink(b)
	}
	for {
		if limit >= 0 && n >= limit {
			return n, endLimit, nil
		}
		timeout := idle
		if e.plus > 0 {
			timeout = max(time.Until(e.deadline()), time.Nanosecond)
		}
		c, err := m.in.next(ctx, timeout)
		if err == errInputTimeout {
			if e.plus == 0 {
				return n, endIdle, nil
			}
			escaped, data := e.expire(time.Now())
			if escaped {
				return n, endEscape, nil
			}
			if err := deliver(data); err != nil {
				return n, endEscape, err
			}
			continue
		}
		if err != nil {
			return n, endEscape, err
		}
		var out []byte
		for i, b := range c.b {
			if limit >= 0 && n+int64(len(out)) >= limit {
				m.in.unread(c.b[i:], c.t)
				break
			}
			out = e.feed(b, c.t, out)
		}
		if err := deliver(out); err != nil {
			return n, endEscape, err
		}
	}
}

// sendData writes what the pump delivers to the port until the transfer
// ends, limit bytes were written (limit >= 0), or the host escapes with
// "+++" (paused is then true and the transfer may go on after ATO). Input
// other than the escape is discarded, as the modules do in data mode.
func (m *Modem) sendData(ctx context.Context, p *pump, limit int64, sent *int64) (paused bool, err error) {
	m.skipLF = false
	e := escape{guard: m.opts.guard(), last: time.Now()}
	inCh, inDone := m.in.ch, m.in.done
	watch := func(c chunk) {
		for _, b := range c.b {
			e.feed(b, c.t, nil)
		}
	}
	if len(m.in.pending) > 0 {
		watch(chunk{m.in.pending, m.in.pendT})
		m.in.pending = nil
	}
	for {
		// Input that arrived meanwhile, without waiting.
		select {
		case c := <-inCh:
			watch(c)
		default:
		}
		if e.plus > 0 && !time.Now().Before(e.deadline()) {
			if escaped, _ := e.expire(time.Now()); escaped {
				return true, nil
			}
		}
		room := 16 << 10
		if limit >= 0 {
			room = int(min(int64(room), limit-*sent))
			if room <= 0 {
				return false, nil
			}
		}
		b, done, perr := p.take(room)
		if len(b) > 0 {
			m.raw(b)
			*sent += int64(len(b))
			continue
		}
		if done {
			return false, perr
		}
		var timer *time.Timer
		var tc <-chan time.Time
		if e.plus > 0 {
			timer = time.NewTimer(max(time.Until(e.deadline()), time.Nanosecond))
			tc = timer.C
		}
		select {
		case <-p.notify:
		case c := <-inCh:
			watch(c)
		case <-inDone:
			inCh, inDone = nil, nil
		case <-tc:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return false, err
		}
	}
}

// pump reads a transfer in its own goroutine into a bounded buffer, so that
// the port can be served while the server is slow.
type pump struct {
	mu      sync.Mutex
	buf     []byte
	done    bool
	err     error // nil after a clean end
	total   int64
	max     int
	notify  chan struct{} // a signal after data arrived or the end
	space   chan struct{} // a signal after data was taken
	cancel  context.CancelFunc
	exited  chan struct{}
	onEnd   func() // called once, without the lock, when the source ended
	stopped bool   // stop was called: onEnd is not
}

// startPump starts reading src. cancel must unblock a Read of src (the
// transfer's context). onEnd, when not nil, runs in the pump's goroutine
// once the source ended.
func startPump(src io.Reader, cancel context.CancelFunc, maxBuf int, onEnd func()) *pump {
	p := &pump{
		max:    maxBuf,
		notify: make(chan struct{}, 1),
		space:  make(chan struct{}, 1),
		cancel: cancel,
		exited: make(chan struct{}),
		onEnd:  onEnd,
	}
	go p.run(src)
	return p
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (p *pump) run(src io.Reader) {
	defer close(p.exited)
	tmp := make([]byte, 16<<10)
	for {
		for {
			p.mu.Lock()
			full := len(p.buf) >= p.max
			stopped := p.done
			p.mu.Unlock()
			if stopped {
				return
			}
			if !full {
				break
			}
			<-p.space
		}
		n, err := src.Read(tmp)
		p.mu.Lock()
		p.buf = append(p.buf, tmp[:n]...)
		p.total += int64(n)
		if err != nil {
			p.done = true
			if err != io.EOF {
				p.err = err
			}
		}
		end, stopped := p.done, p.stopped
		p.mu.Unlock()
		signal(p.notify)
		if end {
			if p.onEnd != nil && !stopped {
				p.onEnd()
			}
			return
		}
	}
}

// take returns at most n buffered bytes, and whether the transfer is over
// with nothing left to take (with its error).
func (p *pump) take(n int) ([]byte, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := min(n, len(p.buf))
	var b []byte
	if k > 0 {
		b = append([]byte(nil), p.buf[:k]...)
		p.buf = append(p.buf[:0], p.buf[k:]...)
		signal(p.space)
	}
	return b, p.done && len(p.buf) == 0, p.err
}

// wait blocks until n bytes are buffered, the transfer ended, timeout
// passed or ctx is done.
func (p *pump) wait(ctx context.Context, n int, timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		p.mu.Lock()
		ready := len(p.buf) >= n || p.done
		p.mu.Unlock()
		if ready {
			return
		}
		select {
		case <-p.notify:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// finished reports whether the source ended and everything was taken.
func (p *pump) finished() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done && len(p.buf) == 0, p.err
}

// halt ends the pump early as stop does, but keeps the transfer's context
// alive where it can, for the ABOR that follows: an ABOR needs a live
// context, and one sent on a cancelled context costs the connection. A
// pump waiting for room returns at once, one inside a Read as soon as the
// server's next bytes or its end arrive; only a Read still blocked after
// grace (a server that stalled) is cut by cancelling the context.
func (p *pump) halt(grace time.Duration) {
	p.mu.Lock()
	p.done = true
	p.stopped = true
	p.mu.Unlock()
	signal(p.space)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
		return
	case <-t.C:
	}
	p.cancel()
	<-p.exited
}

// haltGrace is how long halt waits for a Read in progress.
const haltGrace = time.Second

// stop ends the pump early at once, cancelling a Read in progress, and
// waits for its goroutine.
func (p *pump) stop() { p.halt(0) }

// receiveRaw passes exactly n bytes of input to sink, without escape
// processing, or fewer when deadline passes (errInputTimeout) or the input
// ends. A zero deadline waits for ever.
func (m *Modem) receiveRaw(ctx context.Context, n int, deadline time.Time, sink func([]byte)) error {
	m.skipLF = false
	got := 0
	for got < n {
		var timeout time.Duration
		if !deadline.IsZero() {
			timeout = time.Until(deadline)
			if timeout <= 0 {
				return errInputTimeout
			}
		}
		c, err := m.in.next(ctx, timeout)
		if err != nil {
			return err
		}
		k := min(len(c.b), n-got)
		sink(c.b[:k])
		got += k
		m.in.unread(c.b[k:], c.t)
	}
	return nil
}
