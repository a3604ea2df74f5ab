// The end of a transfer command: its final reply, ABOR and what it owes,
// keepalive NOOPs while data flows, and the careful close of a TLS upload.

package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// readOwed reads the next reply of a transfer, skipping the answers to
// keepalive NOOPs sent while the data flowed (200, which no transfer
// command answers).
func (c *Conn) readOwed(ctx context.Context, line string) (Reply, error) {
	return c.readOwedWithin(ctx, line, c.cfg.replyTimeout())
}

// readOwedWithin is readOwed with a time limit for each reply (0: none).
func (c *Conn) readOwedWithin(ctx context.Context, line string, within time.Duration) (Reply, error) {
	for {
		r, err := c.readReplyWithin(ctx, line, within)
		if err != nil || r.Code != StatusCommandOK || c.owedNoops == 0 {
			return r, err
		}
		c.owedNoops--
	}
}

// drainNoops reads the NOOP answers still owed after a transfer ended:
// servers that serve one command at a time answer them only now.
func (c *Conn) drainNoops(ctx context.Context) error {
	for c.owedNoops > 0 {
		c.owedNoops--
		if _, err := c.readReply(ctx, "NOOP"); err != nil {
			return err
		}
	}
	return nil
}

// readFinal reads the reply that ends a transfer, skipping further 1xx
// replies (restart markers), and checks it is a success. ReplyTimeout
// bounds the whole of it, 1xx replies included: a server that sends a 110
// every few seconds does not keep the call alive.
func (c *Conn) readFinal(ctx context.Context, line string) (Reply, error) {
	return c.readFinalWithin(ctx, line, c.cfg.replyTimeout())
}

// readFinalWithin is readFinal bounded by limit (0: by ctx alone).
func (c *Conn) readFinalWithin(ctx context.Context, line string, limit time.Duration) (Reply, error) {
	deadline := time.Now().Add(limit)
	for range 100 {
		within := limit
		if limit > 0 {
			if within = time.Until(deadline); within <= 0 {
				err := &ProtocolError{Command: line, Reason: fmt.Sprintf("no final reply within %v, only preliminary ones", limit)}
				c.abandon(err)
				return Reply{}, err
			}
		}
		r, err := c.readOwedWithin(ctx, line, within)
		if err != nil {
			return r, err
		}
		if r.Class() == 1 {
			continue
		}
		if err := c.drainNoops(ctx); err != nil {
			return r, err
		}
		if r.Class() != 2 {
			return r, &Error{Command: line, Code: r.Code, Msg: r.Message}
		}
		return r, nil
	}
	err := &ProtocolError{Command: line, Reason: "too many preliminary replies"}
	c.abandon(err)
	return Reply{}, err
}

// abortCommand sends ABOR for a transfer command whose final reply has not
// been read (finalRead false) or has (true), and reads what is owed: the
// command's final reply, then ABOR's. A server that does not answer in
// time is cut off.
func (c *Conn) abortCommand(ctx context.Context, line string, finalRead bool) error {
	ctx, cancel := c.abortContext(ctx)
	defer cancel()
	if err := c.send(ctx, "ABOR", ""); err != nil {
		return err
	}
	if finalRead {
		if _, err := c.readOwed(ctx, "ABOR"); err != nil {
			return err
		}
		return c.drainNoops(ctx)
	}
	_, err := c.readAborted(ctx, line, nil)
	return err
}

// abortGrace is how long the ABOR of a caller who has given up may take:
// long enough for a server that answers at once to keep the connection
// in step (a pooled connection survives a cancelled transfer), short
// enough that the caller is not held.
const abortGrace = time.Second

// abortContext bounds the replies owed after ABOR: by the abort time
// limit and the caller's deadline, or, for a caller who has given up
// already, by abortGrace. A server that does not answer in time has its
// connection closed (abandon: without QUIT, after the server has seen the
// end of it).
func (c *Conn) abortContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() != nil {
		return context.WithTimeout(context.WithoutCancel(ctx), min(c.abortTimeout(), abortGrace))
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.abortTimeout())
	if d, ok := ctx.Deadline(); ok {
		actx, cancel2 := context.WithDeadline(actx, d)
		return actx, func() { cancel2(); cancel() }
	}
	return actx, cancel
}

// readAborted reads what a transfer command owes once ABOR is sent: its
// final reply (after any 1xx), then ABOR's. Servers answer 426 then 226,
// or 226 then 225/226, or just 225 when nothing was running; all leave the
// dialogue in step. first, when not nil, is a reply to the command already
// read. The command's final reply is returned (zero when the server
// answered ABOR alone).
func (c *Conn) readAborted(ctx context.Context, line string, first *Reply) (Reply, error) {
	for {
		var r Reply
		if first != nil {
			r, first = *first, nil
		} else {
			var err error
			if r, err = c.readOwed(ctx, line); err != nil {
				return r, err
			}
		}
		if r.Class() == 1 {
			continue
		}
		if r.Code == StatusDataConnectionOpen || r.Class() == 2 && mentionsAbort(r.Message) {
			// ABOR's own answer: 225, or pure-ftpd's one "226 Since you
			// see this ABOR must've succeeded" for both: the command
			// ended without a reply of its own.
			return Reply{}, c.drainNoops(ctx)
		}
		if _, err := c.readOwed(ctx, "ABOR"); err != nil {
			return r, err
		}
		return r, c.drainNoops(ctx)
	}
}

// mentionsAbort reports whether a reply's text speaks of the abort.
func mentionsAbort(msg string) bool {
	return strings.Contains(strings.ToUpper(msg), "ABOR")
}

// startKeepalive sends NOOP on the control connection every
// Config.KeepAlive while the data flows, so that firewalls and NAT keep the
// idle control connection; the answers are read when the transfer ends.
func (t *transfer) startKeepalive() {
	every := t.c.cfg.KeepAlive
	if every <= 0 || t.data == nil {
		return
	}
	t.kaStop, t.kaDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(t.kaDone)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-t.kaStop:
				return
			case <-tick.C:
				if !t.c.sendKeepalive() {
					return
				}
			}
		}
	}()
}

// stopKeepalive ends the NOOPs; after it, c.owedNoops is final.
func (t *transfer) stopKeepalive() {
	if t.kaStop != nil {
		close(t.kaStop)
		<-t.kaDone
		t.kaStop = nil
	}
}

// sendKeepalive writes one NOOP during a transfer and counts the answer owed.
func (c *Conn) sendKeepalive() bool {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.closed.Load() {
		return false
	}
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug("ftp command", "send", "NOOP", "keepalive", true)
	}
	c.deadlineMu.Lock()
	if !c.cancelled {
		c.nc.SetWriteDeadline(time.Now().Add(c.cfg.dialTimeout()))
	}
	c.deadlineMu.Unlock()
	if _, err := io.WriteString(c.nc, "NOOP\r\n"); err != nil {
		return false
	}
	c.owedNoops++
	return true
}

func (c *Conn) abortTimeout() time.Duration {
	if d := c.cfg.replyTimeout(); d > 0 && d < 15*time.Second {
		return d
	}
	return 15 * time.Second
}

// finish closes the data connection and reads the final reply.
func (t *transfer) finish() error {
	t.stopKeepalive()
	var closed <-chan struct{}
	if t.data != nil {
		if t.upload && t.tls && t.ctx.Err() == nil {
			closed = closeTLSUpload(t.data.(*tls.Conn), t.drainLimit())
		} else {
			t.data.Close()
		}
	}
	t.stopCtx()
	defer t.c.busy.Store(false)
	err := t.final
	if !t.done {
		t.done = true
		// The caller's context still bounds the wait: a server that took
		// the data and never confirms it must not hold the call.
		t.finalReply, err = t.c.readFinal(t.ctx, t.line)
	}
	if closed != nil {
		// The server closes its side once it has read the end of the
		// upload, before or just after its final reply.
		grace := time.NewTimer(closeGrace)
		select {
		case <-closed:
		case <-grace.C:
			t.data.Close()
			<-closed
		}
		grace.Stop()
	}
	t.c.setData(nil)
	return err
}

// closeGrace is how long a TLS upload's data connection may stay open
// after the final reply, waiting for the server's close.
const closeGrace = 2 * time.Second

// drainLimit bounds the wait for the server's close of a TLS upload.
func (t *transfer) drainLimit() time.Duration {
	if t.idle > 0 {
		return t.idle
	}
	return max(t.c.cfg.replyTimeout(), closeGrace)
}

// closeTLSUpload ends an upload's TLS data connection the way a careful
// TLS peer does: close_notify, a TCP half-close, then reading until the
// server closes too (within limit), and only then the socket's close. The
// reads matter: a socket closed with unread bytes (a TLS 1.3 server's
// session tickets, sent after the handshake and never read by an upload)
// makes Linux send RST instead of FIN, and a server that gets RST may lose
// the tail of the upload still in its buffers, yet answer 226. The
// returned channel is closed once the socket is closed.
func closeTLSUpload(tc *tls.Conn, limit time.Duration) <-chan struct{} {
	done := make(chan struct{})
	raw := tc.NetConn()
	cc, coalescing := raw.(*coalescingConn)
	if coalescing {
		raw = cc.Conn
	}
	raw.SetWriteDeadline(time.Now().Add(closeGrace))
	err := tc.CloseWrite() // close_notify; crypto/tls then sets the write deadline to now
	if coalescing {
		raw.SetWriteDeadline(time.Now().Add(closeGrace))
		if ferr := cc.Flush(); err == nil {
			err = ferr
		}
	}
	hc, halfClose := raw.(interface{ CloseWrite() error })
	if err != nil || !halfClose || hc.CloseWrite() != nil {
		tc.Close()
		close(done)
		return done
	}
	go func() {
		defer close(done)
		raw.SetReadDeadline(time.Now().Add(limit))
		bp := bufPool.Get().(*[]byte)
		io.CopyBuffer(io.Discard, readerOnly{tc}, *bp)
		bufPool.Put(bp)
		tc.Close()
	}()
	return done
}

// abort closes the data connection early and sends ABOR.
func (t *transfer) abort() error {
	t.stopKeepalive()
	if t.data != nil {
		t.data.Close()
		t.c.setData(nil)
	}
	t.stopCtx()
	finalRead := t.done
	t.done = true
	t.c.busy.Store(false)
	return t.c.abortCommand(t.ctx, t.line, finalRead)
}

// dataErr turns an error on the data connection into one that names the
// command and the cancellation cause.
func (t *transfer) dataErr(err error) error {
	if ctxErr := t.ctx.Err(); ctxErr != nil {
		return fmt.Errorf("ftp: %s: %w", t.line, ctxErr)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && t.idle > 0 {
		// Only the data connection has a deadline: a zero-copy copy
		// reports it as the file's ("write out.bin: i/o timeout").
		return dataConnErrorf(err, "ftp: %s: data connection: no data moved for %v (DataTimeout)", t.line, t.idle)
	}
	return dataConnErrorf(err, "ftp: %s: data connection: %v", t.line, err)
}
