// The data pipe: opening a data connection for RETR, STOR, APPE, STOU and the
// listings, the Reader and Writer that stream it, and ABOR.

package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Compile-time checks: transfers never hide the fast paths from io.Copy.
var (
	_ io.ReadCloser  = (*Reader)(nil)
	_ io.WriterTo    = (*Reader)(nil)
	_ io.WriteCloser = (*Writer)(nil)
	_ io.ReaderFrom  = (*Writer)(nil)
)

// bufSize is the size of the pooled buffers used where no zero-copy path
// applies (ASCII conversion, writers without ReadFrom).
const bufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// transfer is one open data connection and the command it serves.
type transfer struct {
	c      *Conn
	data   net.Conn
	line   string // the transfer command as logged
	arg    string // its argument: the remote path
	prelim Reply  // the 1xx reply, or the final one when no data followed
	tls    bool   // data is a *tls.Conn

	kaStop, kaDone chan struct{} // the keepalive goroutine, when running
	idle           time.Duration // Config.DataTimeout in force, 0 for none
	done           bool          // the final reply was read
	finalReply     Reply         // the final reply, once read
	final          error         // its verdict, when read before the data
	offset         int64         // the REST offset the transfer started at
	upload         bool          // data goes to the server
	stopCtx        func() bool
	ctx            context.Context
}

// openData runs EPSV/PASV or EPRT/PORT, then REST (when offset > 0), then
// the transfer command, and returns the open data connection. REST comes
// last because RFC 959 says it "shall be immediately followed by" the
// transfer command: BSD-derived servers (inetutils, netkit) and aioftp
// forget the restart point on any other command, and would then send or
// overwrite the whole file. In passive mode the data connection is dialled
// while REST and the command are on their way, so a transfer costs no
// round trip beyond its commands.
func (c *Conn) openData(ctx context.Context, verb, arg string, offset int64, binary bool) (*transfer, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if err := validateArg(verb, arg); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("ftp: REST: %w: negative offset %d", ErrInvalidArgument, offset)
	}
	if err := c.prepareArg(ctx, arg); err != nil {
		return nil, err
	}
	if binary {
		want := c.wantType
		if want == 0 {
			want = TypeBinary
		}
		if err := c.setType(ctx, want); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		var t *transfer
		var err error
		if c.cfg.Active != nil {
			t, err = c.openActive(ctx, verb, arg, offset)
		} else {
			usedEPSV := !c.epsvOff && !c.cfg.DisableEPSV
			var retry bool
			t, retry, err = c.openPassive(ctx, verb, arg, offset)
			if retry && usedEPSV && attempt == 0 && c.usable() == nil {
				// The EPSV port could not be reached (a firewall or NAT
				// that knows only PASV) and the server did not refuse the
				// command for a reason of its own: remember, and try PASV
				// once.
				c.epsvOff = true
				continue
			}
		}
		c.noteDataResult(err)
		if err != nil {
			return nil, err
		}
		t.ctx = ctx
		t.arg = arg
		t.offset = offset
		t.idle = c.cfg.dataTimeout()
		t.stopCtx = c.watchData(ctx, t.data)
		if t.data != nil {
			c.setData(t.data)
		}
		c.busy.Store(true)
		t.startKeepalive()
		return t, nil
	}
}

// noteDataResult remembers whether the last transfer could open its data
// connection: a Pool does not keep a connection whose data connections
// fail (a TLS session the server no longer takes, say), since a fresh one
// may work.
func (c *Conn) noteDataResult(err error) {
	var fe *Error
	failed := errors.Is(err, ErrDataConnection) ||
		errors.As(err, &fe) && (fe.Code == StatusCanNotOpenDataConnection || fe.Code == statusTLSDataFailed)
	c.dataFailed.Store(failed)
}

// statusTLSDataFailed is vsftpd's "522 SSL connection failed" (RFC 4217
// gives 522 to an unsupported protocol; servers use it for failed data
// handshakes).
const statusTLSDataFailed = 522

// restartAt sends REST when offset > 0. Callers send it right before the
// transfer command; see openData.
func (c *Conn) restartAt(ctx context.Context, offset int64) error {
	if offset <= 0 {
		return nil
	}
	_, err := c.cmd(ctx, "REST", itoa64(offset), StatusRequestFilePending)
	return err
}

// armDeadline gives the data connection DataTimeout from now to move its
// next bytes, unless the context has ended: then the deadline its watch
// set in the past must stay.
func (t *transfer) armDeadline() {
	if t.idle <= 0 || t.data == nil {
		return
	}
	t.data.SetDeadline(time.Now().Add(t.idle))
	if t.ctx.Err() != nil {
		t.data.SetDeadline(aLongTimeAgo)
	}
}

// watchData stops blocked I/O on the data connection when ctx is done.
func (c *Conn) watchData(ctx context.Context, data net.Conn) func() bool {
	if data == nil || ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() { data.SetDeadline(aLongTimeAgo) })
}

type dialResult struct {
	nc  net.Conn
	err error
}

type replyResult struct {
	r   Reply
	err error
}

// openPassive opens a passive transfer: EPSV or PASV, the dial (started at
// once), REST, the command. retry reports that the EPSV port could not be
// reached while the server did not refuse the command, so another attempt
// over PASV may work.
func (c *Conn) openPassive(ctx context.Context, verb, arg string, offset int64) (t *transfer, retry bool, err error) {
	addrs, err := c.passiveAddrs(ctx)
	if err != nil {
		return nil, false, err
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dialed := make(chan dialResult, 1)
	go func() {
		nc, err := c.dialData(dctx, addrs)
		dialed <- dialResult{nc, err}
	}()
	unused := func() {
		cancel()
		if res := <-dialed; res.nc != nil {
			res.nc.Close()
		}
	}
	if err := c.restartAt(ctx, offset); err != nil {
		unused()
		return nil, false, err
	}
	if err := c.send(ctx, verb, arg); err != nil {
		unused()
		return nil, false, err
	}
	var dialErr error
	t, dataFailed, err := c.establish(ctx, logLine(verb, arg), func(ctx context.Context) (net.Conn, error) {
		res := <-dialed
		if res.err != nil {
			dialErr = res.err
			return nil, res.err
		}
		return c.protectData(ctx, res.nc)
	}, cancel)
	return t, dataFailed && dialErr != nil, err
}

// openActive opens an active transfer: listen, announce, REST, send, accept.
func (c *Conn) openActive(ctx context.Context, verb, arg string, offset int64) (*transfer, error) {
	l, err := c.listenActive(ctx)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	if err := c.announceActive(ctx, l); err != nil {
		return nil, err
	}
	if err := c.restartAt(ctx, offset); err != nil {
		return nil, err
	}
	if err := c.send(ctx, verb, arg); err != nil {
		return nil, err
	}
	t, _, err := c.establish(ctx, logLine(verb, arg), func(ctx context.Context) (net.Conn, error) {
		nc, err := c.acceptActive(ctx, l)
		if err != nil {
			return nil, err
		}
		return c.protectData(ctx, nc)
	}, func() { l.Close() })
	return t, err
}

// establish finishes opening the data connection (the dial or accept, and
// the TLS handshake) while the first reply to the transfer command is
// awaited: servers differ on which comes first. The server's reply wins:
// a command it refuses (550 for a missing file) returns that refusal even
// when the data connection failed too, as it does when the server closes
// its port on refusing. A data connection that fails while the server has
// said nothing gets an ABOR at once, so that a server waiting for it
// answers now; one that fails after a 1xx aborts the command. dataFailed
// reports that the transfer failed for its data connection, not for a
// refusal of the command.
func (c *Conn) establish(ctx context.Context, line string, connect func(context.Context) (net.Conn, error), stopConnect func()) (t *transfer, dataFailed bool, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.watchGone(cancel)() // Close from another goroutine ends the wait
	conns := make(chan dialResult, 1)
	go func() {
		nc, err := connect(cctx)
		conns <- dialResult{nc, err}
	}()
	replies := make(chan replyResult, 1)
	go func() {
		r, err := c.readPrelim(ctx, line)
		replies <- replyResult{r, err}
	}()
	var conn dialResult
	connected := false // connect has returned on its own
	aborting := false  // ABOR was sent before the first reply was read
	var rep replyResult
	select {
	case rep = <-replies:
	case conn = <-conns:
		connected = true
		if conn.err != nil {
			aborting = c.abortInFlight() == nil
		}
		rep = <-replies
		c.endAbortInFlight()
	}
	started := rep.err == nil && rep.r.Class() == 1
	if !connected && started {
		// The server said 1xx and its data connection is still to come;
		// it may give up on it meanwhile and say so (150 then 425, or
		// 421): the control connection is watched while waiting.
		var later *replyResult
		conn, later = c.awaitConnect(ctx, line, conns)
		if later != nil {
			// The final reply came before the data connection was seen.
			// After a 2xx the connection must be there (the server sent
			// everything already); after an error it may be too, a
			// moment late: then its data is read to its end, and the
			// reply is the transfer's verdict.
			var ok bool
			if later.err == nil {
				conn, ok = <-conns, true
			} else if _, isReply := later.err.(*Error); isReply {
				grace := time.NewTimer(lateConnectGrace)
				select {
				case conn = <-conns:
					ok = true
				case <-grace.C:
				}
				grace.Stop()
			}
			switch {
			case ok && conn.err == nil:
				t = &transfer{c: c, line: line, prelim: rep.r, data: conn.nc, done: true, final: later.err}
				_, t.tls = conn.nc.(*tls.Conn)
				return t, false, nil
			case ok && later.err == nil:
				// Sent, says the server; lost, says the data connection.
				return nil, true, conn.err
			case ok:
				connected = true // and failed: the reply decides below
				rep = *later
			default:
				rep = *later
			}
			started = false
		} else {
			connected = true
		}
	}
	if !connected {
		// Refused, failed or already complete: stop connecting. A reply
		// about the data connection (425, 426) usually follows its
		// failure by a moment: that failure is part of the answer.
		var res dialResult
		early := false
		if fe := (*Error)(nil); errors.As(rep.err, &fe) && !refusedOnItsOwn(rep.r) {
			grace := time.NewTimer(lateConnectGrace)
			select {
			case res = <-conns:
				early = true
			case <-grace.C:
			}
			grace.Stop()
		}
		if !early {
			cancel()
			stopConnect()
			res = <-conns
		}
		if res.nc != nil {
			res.nc.Close()
		}
		if rep.err != nil {
			if early && res.err != nil {
				return nil, true, errors.Join(res.err, rep.err)
			}
			return nil, false, rep.err
		}
		return &transfer{c: c, line: line, prelim: rep.r, done: true}, false, nil
	}
	if !started && conn.nc != nil {
		conn.nc.Close()
	}
	var fe *Error
	replyErr := errors.As(rep.err, &fe) // a reply, not a broken connection
	switch {
	case aborting && rep.err != nil && !replyErr:
		return nil, false, rep.err
	case aborting:
		// ABOR is out: read what the command and ABOR still owe.
		actx, acancel := c.abortContext(ctx)
		defer acancel()
		final := rep.r
		var aerr error
		if rep.err == nil {
			final, aerr = c.readAborted(actx, line, &rep.r)
		} else if _, aerr = c.readOwed(actx, "ABOR"); aerr == nil {
			aerr = c.drainNoops(actx)
		}
		switch {
		case refusedOnItsOwn(final):
			return nil, false, errors.Join(&Error{Command: line, Code: final.Code, Msg: final.Message}, aerr)
		case aerr != nil:
			return nil, true, errors.Join(conn.err, aerr)
		}
		return nil, true, conn.err
	case rep.err != nil:
		if conn.err != nil && replyErr && !refusedOnItsOwn(rep.r) {
			return nil, true, errors.Join(conn.err, rep.err)
		}
		return nil, false, rep.err
	case rep.r.Class() == 2:
		// Answered at once with success: nothing will come on the data
		// connection (a few servers do this for empty files or listings).
		return &transfer{c: c, line: line, prelim: rep.r, done: true}, false, nil
	case conn.err != nil:
		if aerr := c.abortCommand(ctx, line, false); aerr != nil {
			return nil, true, errors.Join(conn.err, aerr)
		}
		return nil, true, conn.err
	}
	t = &transfer{c: c, line: line, prelim: rep.r, data: conn.nc}
	_, t.tls = conn.nc.(*tls.Conn)
	return t, false, nil
}

// lateConnectGrace is how long a data connection may lag behind a final
// reply that overtook it: the scheduling of the goroutine that reports it,
// not the network.
const lateConnectGrace = 100 * time.Millisecond

// awaitConnect waits for the data connection of a transfer command the
// server answered with 1xx, watching the control connection meanwhile:
// a reply that comes first (a 425 or 421 after the 150, or a final 2xx)
// is returned as later, and the caller stops connecting. Further 1xx
// replies are skipped. The watch peeks, so nothing is consumed when the
// data connection wins.
func (c *Conn) awaitConnect(ctx context.Context, line string, conns <-chan dialResult) (dialResult, *replyResult) {
	for range 100 {
		peeked := make(chan error, 1)
		go func() {
			c.opMu.Lock()
			defer c.opMu.Unlock()
			_, err := c.br.Peek(1)
			peeked <- err
		}()
		var res dialResult
		won := false
		select {
		case res = <-conns:
			won = true
		case <-peeked:
			peeked <- nil // for the drain below
			select {
			case res = <-conns: // both ready: the data connection wins
				won = true
			default:
			}
		}
		if won {
			// Stop the peek; the deadline returns to none after it.
			c.deadlineMu.Lock()
			c.nc.SetReadDeadline(aLongTimeAgo)
			c.deadlineMu.Unlock()
			<-peeked
			c.deadlineMu.Lock()
			if !c.cancelled {
				c.nc.SetReadDeadline(time.Time{})
			}
			c.deadlineMu.Unlock()
			return res, nil
		}
		<-peeked
		// Something came on the control connection first (or it failed:
		// reading the reply says which).
		r, err := c.readReply(ctx, line)
		if err == nil && r.Class() == 1 {
			continue
		}
		if err == nil && r.Class() != 2 {
			err = &Error{Command: line, Code: r.Code, Msg: r.Message}
		}
		return dialResult{}, &replyResult{r, err}
	}
	err := &ProtocolError{Command: line, Reason: "too many preliminary replies"}
	c.abandon(err)
	return dialResult{}, &replyResult{Reply{}, err}
}

// refusedOnItsOwn reports whether a final reply to a transfer command is a
// refusal for the server's own reasons (a missing file, no permission), as
// opposed to one about the data connection (425, 426) or none at all.
func refusedOnItsOwn(r Reply) bool {
	switch {
	case r.Code == StatusCanNotOpenDataConnection, r.Code == StatusTransferAborted:
		return false
	}
	return r.Class() == 4 || r.Class() == 5
}

// readPrelim reads the first reply to a transfer command: 1xx means the
// data flows; 2xx that it already did; anything else is the command's error.
func (c *Conn) readPrelim(ctx context.Context, line string) (Reply, error) {
	r, err := c.readReply(ctx, line)
	if err != nil {
		return r, err
	}
	if r.Class() != 1 && r.Class() != 2 {
		return r, &Error{Command: line, Code: r.Code, Msg: r.Message}
	}
	return r, nil
}

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
	limit := c.cfg.replyTimeout()
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

// Reader streams a download (RETR) or listing. It implements io.WriterTo so
// that io.Copy into an *os.File splices from the socket. Read returns io.EOF
// only after the server confirmed the transfer (226/250); a transfer the
// server reports as failed ends with its *Error instead, so a truncated file
// is never mistaken for a whole one. The Conn is busy until Close.
type Reader struct {
	t      *transfer
	src    io.Reader // t.data, or the ASCII converter around it
	ascii  bool
	n      int64
	eof    bool
	err    error // sticky end-of-stream result
	closed bool

	expect    int64 // bytes the stream must carry (ExpectSize), -1 unknown
	announced int64 // size in the 150 reply, -1 when none

	progress func(int64)
}

func newReader(t *transfer, ascii bool) *Reader {
	r := &Reader{t: t, src: t.data, ascii: ascii, expect: -1, announced: -1}
	if t.data == nil {
		r.src = eofReader{}
	} else if ascii {
		r.src = newCRLFReader(t.data)
	}
	return r
}

// newFileReader is newReader for RETR: the size the server announces in
// its 1xx reply ("(1234 bytes)") is checked at the end of a binary stream.
func newFileReader(t *transfer, ascii bool) *Reader {
	r := newReader(t, ascii)
	if !ascii && t.prelim.Class() == 1 {
		r.announced = announcedSize(t.prelim.Message)
	}
	return r
}

// announcedSize reads the size that vsftpd, proftpd, inetutils, busybox
// and others put in their 150 reply to RETR: the last "(N bytes)"; -1 when
// there is none.
func announcedSize(msg string) int64 {
	lower := strings.ToLower(msg)
	for end := len(lower); ; {
		i := strings.LastIndex(lower[:end], " bytes)")
		if i < 0 {
			return -1
		}
		j := strings.LastIndexByte(lower[:i], '(')
		if j >= 0 {
			if n, err := strconv.ParseInt(lower[j+1:i], 10, 64); err == nil && n >= 0 {
				return n
			}
		}
		end = i
	}
}

// ExpectSize declares that the stream carries exactly n bytes (the REST
// offset excluded). Read and WriteTo then return no more than n bytes, and
// the stream ends with a *LengthError if the server sends fewer or more,
// even when its final reply is a success. Call it before reading.
func (r *Reader) ExpectSize(n int64) {
	if n >= 0 {
		r.expect = n
	}
}

// checkLength is called at the end of a stream the server confirmed.
func (r *Reader) checkLength() error {
	switch {
	case r.expect >= 0 && r.n != r.expect:
		return &LengthError{Command: r.t.line, Want: r.expect, Got: r.n, Source: "expected size"}
	case r.announced >= 0 && r.n != r.announced && r.n+r.t.offset != r.announced:
		// Servers announce either the whole file or what follows REST.
		want := r.announced
		if r.t.offset > 0 && r.announced >= r.t.offset {
			want = r.announced - r.t.offset
		}
		return &LengthError{Command: r.t.line, Want: want, Got: r.n, Source: "150 reply"}
	}
	return nil
}

// bound is the most the stream may carry: the expected size, else the
// size in the 150 reply (whichever way the server counts after REST, the
// part after the offset is no longer), -1 when none is known.
func (r *Reader) bound() (int64, string) {
	switch {
	case r.expect >= 0:
		return r.expect, "expected size"
	case r.announced >= 0:
		return r.announced, "150 reply"
	}
	return -1, ""
}

// overlong is called when the bound has been read: it reports whether
// more data follows (then the transfer is aborted).
func (r *Reader) overlong() error {
	var one [1]byte
	r.t.armDeadline()
	n, err := io.ReadAtLeast(r.src, one[:], 1)
	if n == 0 {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return r.end(io.EOF)
		}
		return r.end(err)
	}
	bound, source := r.bound()
	r.eof = true
	r.err = &LengthError{Command: r.t.line, Want: bound, Got: bound + 1, Source: source}
	r.t.abort()
	return r.err
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// Read reads data; see Reader for what io.EOF promises.
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("ftp: %s: read after Close: %w", r.t.line, ErrClosed)
	}
	if r.eof {
		return 0, r.err
	}
	if bound, _ := r.bound(); bound >= 0 {
		left := bound - r.n
		if left <= 0 {
			return 0, r.overlong()
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	r.t.armDeadline()
	n, err := r.src.Read(p)
	r.n += int64(n)
	if r.progress != nil && n > 0 {
		r.progress(r.n)
	}
	return n, r.end(err)
}

// end handles the result of a read: io.EOF reads the final reply.
func (r *Reader) end(err error) error {
	switch {
	case err == nil:
		return nil
	case err == io.EOF, err == io.ErrUnexpectedEOF && r.t.tls:
		// Over TLS a server may close without close_notify; the final
		// reply below, not the socket, says whether the data is whole.
		r.eof = true
		r.err = io.EOF
		if ferr := r.t.finish(); ferr != nil {
			r.err = ferr
		} else if lerr := r.checkLength(); lerr != nil {
			r.err = lerr
		}
		return r.err
	default:
		return r.t.dataErr(err)
	}
}

// WriteTo copies the rest of the stream to w. With a binary transfer and a
// w that implements io.ReaderFrom (an *os.File, a *net.TCPConn, an upload
// Writer), w reads straight from the socket, which reaches splice(2).
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	bound, _ := r.bound()
	if bound < 0 || r.closed || r.eof {
		return r.writeTo(w, -1)
	}
	n, err := r.writeTo(w, max(bound-r.n, 0))
	if err == nil && !r.eof {
		// The expected length arrived: the stream must end here.
		if err = r.overlong(); err == io.EOF {
			err = nil
		}
	}
	return n, err
}

// WriteToN copies at most n bytes of the stream to w, as WriteTo does
// (splice(2) into an *os.File on plain connections). It returns when n
// bytes are copied, leaving the transfer open (Close then aborts it: ABOR,
// as a segmented download does at the end of its range), or when the
// stream ends, with the verdict of the final reply.
func (r *Reader) WriteToN(w io.Writer, n int64) (int64, error) {
	if n < 0 {
		return 0, fmt.Errorf("ftp: %s: %w: a negative count %d", r.t.line, ErrInvalidArgument, n)
	}
	if bound, _ := r.bound(); bound >= 0 && r.n+n > bound {
		return r.WriteTo(w) // the bound stops it where it must
	}
	return r.writeTo(w, n)
}

// writeTo copies to w up to limit bytes (all of the stream when limit is
// negative). Stopping at the limit leaves the transfer open: the caller
// Closes it, which aborts it.
func (r *Reader) writeTo(w io.Writer, limit int64) (int64, error) {
	if r.closed {
		return 0, fmt.Errorf("ftp: %s: read after Close: %w", r.t.line, ErrClosed)
	}
	if r.eof {
		if r.err == io.EOF {
			return 0, nil
		}
		return 0, r.err
	}
	var n int64
	var err error
	if rf, ok := w.(io.ReaderFrom); ok && !r.ascii && !r.t.tls && r.t.data != nil {
		if r.progress == nil && r.t.idle <= 0 && limit < 0 {
			n, err = rf.ReadFrom(r.t.data)
			r.n += n
		} else {
			// Splice a chunk at a time, for progress, the idle deadline
			// and the limit: os.File.ReadFrom still reaches splice(2)
			// through an io.LimitedReader around the socket.
			chunk := &io.LimitedReader{R: r.t.data} // one for every chunk
			for limit != 0 {
				want := int64(zeroCopyChunk)
				if limit > 0 {
					want = min(want, limit)
				}
				r.t.armDeadline()
				chunk.N = want
				m, cerr := rf.ReadFrom(chunk)
				n += m
				r.n += m
				if limit > 0 {
					limit -= m
				}
				if r.progress != nil {
					r.progress(r.n)
				}
				if cerr != nil || m < want {
					err = cerr
					break
				}
			}
			if limit == 0 {
				return n, nil
			}
		}
	} else {
		bp := bufPool.Get().(*[]byte)
		cw := &countingWriter{w: w, total: &r.n, progress: r.progress}
		if limit >= 0 {
			n, err = io.CopyBuffer(cw, io.LimitReader(readerOnly{r.src}, limit), *bp)
			if err == nil && n == limit {
				bufPool.Put(bp)
				return n, nil
			}
		} else {
			n, err = io.CopyBuffer(cw, readerOnly{r.src}, *bp)
		}
		bufPool.Put(bp)
	}
	if err == nil {
		err = io.EOF
	}
	if err = r.end(err); err == io.EOF {
		err = nil
	}
	return n, err
}

// N returns the number of bytes read so far.
func (r *Reader) N() int64 { return r.n }

// SetProgress arranges for p to be called as data arrives: after each
// Read, and every MiB on the zero-copy path, which stays zero-copy. The
// name is the remote path; done counts from the start of the file (the
// REST offset included), total is the offset plus the expected size
// (ExpectSize), or the size of the 150 reply when no offset makes it
// ambiguous, or -1. p runs on the reading goroutine.
func (r *Reader) SetProgress(p Progress) {
	if p == nil {
		r.progress = nil
		return
	}
	r.progress = func(n int64) {
		total := int64(-1)
		switch {
		case r.expect >= 0:
			total = r.t.offset + r.expect
		case r.announced >= 0 && r.t.offset == 0:
			total = r.announced
		}
		p(r.t.arg, r.t.offset+n, total)
	}
}

// Progress reports how a transfer advances: name is the file (the remote
// path of a Reader or Writer, the path relative to the tree in a mirror),
// done the bytes the destination holds so far, total what it will hold in
// all, or -1 when unknown. It is called from the goroutine that moves the
// data; where several transfers run at once (a mirror, a segmented
// download), from several goroutines.
type Progress func(name string, done, total int64)

// zeroCopyChunk is how much the zero-copy paths move between progress
// calls and idle deadlines.
const zeroCopyChunk = 1 << 20

// countingWriter adds what it writes to *total and reports it.
type countingWriter struct {
	w        io.Writer
	total    *int64
	progress func(int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.total += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(*c.total)
	}
	return n, err
}

// Close ends the transfer. After a complete read it returns the result of
// the final reply again; before that, it closes the data connection and
// sends ABOR, after which the Conn is usable. Safe to call twice.
func (r *Reader) Close() error {
	if r.closed {
		if r.err == io.EOF {
			return nil
		}
		return r.err
	}
	r.closed = true
	if r.eof {
		if r.err == io.EOF {
			return nil
		}
		return r.err
	}
	r.eof = true
	r.err = r.t.abort()
	if r.err == nil {
		r.err = io.EOF
		return nil
	}
	return r.err
}

// Writer streams an upload (STOR, APPE, STOU). It implements io.ReaderFrom
// so that io.Copy from an *os.File reaches sendfile(2). Close sends the end
// of the data and returns the server's verdict: only a nil error from Close
// means the server holds the data. The Conn is busy until Close.
type Writer struct {
	progress func(int64)
	t        *transfer
	dst      io.Writer // where data goes: the socket, TLS with flushing, or the ASCII converter
	ascii    *lfWriter
	n        int64
	closed   bool
	err      error
}

func newWriter(t *transfer, ascii bool) *Writer {
	t.upload = true
	w := &Writer{t: t, dst: t.data}
	if tc, ok := t.data.(*tls.Conn); ok {
		if cc, ok := tc.NetConn().(*coalescingConn); ok {
			w.dst = flushWriter{w: tc, cc: cc}
		}
	}
	if ascii && t.data != nil {
		w.ascii = &lfWriter{w: w.dst}
		w.dst = w.ascii
	}
	return w
}

// Write sends p.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("ftp: %s: write after Close: %w", w.t.line, ErrClosed)
	}
	if w.t.data == nil {
		return 0, fmt.Errorf("ftp: %s: the server accepted no data", w.t.line)
	}
	w.t.armDeadline()
	n, err := w.dst.Write(p)
	w.n += int64(n)
	if w.progress != nil && n > 0 {
		w.progress(w.n)
	}
	if err != nil {
		return n, w.t.dataErr(err)
	}
	return n, nil
}

// ReadFrom sends everything src holds. For a binary transfer over plain TCP
// an *os.File (or an io.LimitedReader around one) goes to the socket whole,
// so the kernel sends it with sendfile(2); other readers stream through a
// pooled buffer. An error of src comes back as a *SourceError.
func (w *Writer) ReadFrom(src io.Reader) (int64, error) {
	if w.closed {
		return 0, fmt.Errorf("ftp: %s: write after Close: %w", w.t.line, ErrClosed)
	}
	if w.t.data == nil {
		return 0, fmt.Errorf("ftp: %s: the server accepted no data", w.t.line)
	}
	if rf, ok := w.t.data.(io.ReaderFrom); ok && w.ascii == nil && zeroCopySource(src) {
		n, err := w.sendZeroCopy(rf, src)
		if err != nil {
			return n, w.t.dataErr(err)
		}
		return n, nil
	}
	tw := &trackedWriter{w: &countingWriter{w: w.dst, total: &w.n, progress: w.progress}}
	tr := &trackedReader{r: src}
	bp := bufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(tw, tr, *bp)
	bufPool.Put(bp)
	switch {
	case err == nil:
		return n, nil
	case tr.err != nil && tw.err == nil:
		return n, &SourceError{Command: w.t.line, Err: tr.err}
	default:
		return n, w.t.dataErr(err)
	}
}

// sendZeroCopy hands src to the socket, in chunks when progress is
// reported: each chunk is an io.LimitedReader around the file, which
// sendfile(2) still takes.
func (w *Writer) sendZeroCopy(rf io.ReaderFrom, src io.Reader) (int64, error) {
	if w.progress == nil && w.t.idle <= 0 {
		n, err := rf.ReadFrom(src)
		w.n += n
		return n, err
	}
	inner, limit := src, int64(-1)
	if lr, ok := src.(*io.LimitedReader); ok {
		inner, limit = lr.R, lr.N
	}
	var total int64
	chunk := &io.LimitedReader{R: inner} // one for every chunk
	for limit != 0 {
		want := int64(zeroCopyChunk)
		if limit > 0 && limit < want {
			want = limit
		}
		w.t.armDeadline()
		chunk.N = want
		m, err := rf.ReadFrom(chunk)
		total += m
		w.n += m
		if limit > 0 {
			limit -= m
		}
		if w.progress != nil {
			w.progress(w.n)
		}
		if err != nil || m < want {
			if lr, ok := src.(*io.LimitedReader); ok {
				lr.N = limit
			}
			return total, err
		}
	}
	if lr, ok := src.(*io.LimitedReader); ok {
		lr.N = 0
	}
	return total, nil
}

// zeroCopySource reports whether the socket's own ReadFrom can send src
// without copying it through user space: an *os.File, or what io.Copy
// makes of one on its way here (os.File.WriteTo hands a wrapper without
// WriteTo to our ReadFrom; net's sendfile takes any syscall.Conn).
func zeroCopySource(src io.Reader) bool {
	switch s := src.(type) {
	case *io.LimitedReader:
		return zeroCopySource(s.R)
	case syscall.Conn:
		return true
	}
	return false
}

// trackedReader and trackedWriter remember which side of a copy failed.
type trackedReader struct {
	r   io.Reader
	err error
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

type trackedWriter struct {
	w   io.Writer
	err error
}

func (t *trackedWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		t.err = err
	}
	return n, err
}

// Send copies everything src holds into the upload and closes it,
// returning the bytes sent and the server's verdict: a nil error means the
// server confirmed them. An *os.File source goes to the socket with
// sendfile(2) on plain connections. If src fails, the upload is aborted
// (ABOR) and the error is a *SourceError; if the data connection fails,
// the server's final reply, when it gives one, is the error.
func (w *Writer) Send(src io.Reader) (int64, error) {
	n, err := w.ReadFrom(src)
	if err != nil {
		var se *SourceError
		if errors.As(err, &se) {
			w.Abort()
			return n, err
		}
		// The data connection failed: the server's reply says why.
		if cerr := w.Close(); cerr != nil {
			return n, cerr
		}
		return n, err
	}
	return n, w.Close()
}

// UniqueName returns the name the server chose for a StoreUnique upload:
// from its 1xx reply ("150 FILE: name", RFC 1123 4.1.2.9, or a quoted
// name), else from its final reply once Close has read it; "" when the
// server did not say.
func (w *Writer) UniqueName() string {
	name := uniqueName(w.t.prelim.Message)
	if name == "" && w.t.finalReply.Code != 0 {
		name = uniqueName(w.t.finalReply.Message)
	}
	return name
}

// N returns the number of bytes written to the data connection so far
// (before ASCII conversion). They are confirmed only by a nil Close.
func (w *Writer) N() int64 { return w.n }

// SetProgress arranges for p to be called as data is sent: after each
// Write, and every MiB on the zero-copy path, which stays zero-copy. The
// name is the remote path; done counts from the start of the file (the
// REST offset included); total is -1 (the Writer does not know the size
// of its source). p runs on the writing goroutine.
func (w *Writer) SetProgress(p Progress) {
	if p == nil {
		w.progress = nil
		return
	}
	w.progress = func(n int64) { p(w.t.arg, w.t.offset+n, -1) }
}

// Close ends the data stream and reads the server's final reply. Safe to
// call twice; the second call returns the first one's result.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.ascii != nil {
		if err := w.ascii.flush(); err != nil {
			w.t.finish()
			w.err = w.t.dataErr(err)
			return w.err
		}
	}
	w.err = w.t.finish()
	return w.err
}

// Abort closes the data stream and sends ABOR instead of completing the
// upload; the server may keep what it already received.
func (w *Writer) Abort() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	w.err = w.t.abort()
	return w.err
}

// readerOnly hides WriterTo where io.CopyBuffer must use the buffer it is
// given.
type readerOnly struct{ io.Reader }

// crlfReader converts CRLF to LF while reading an ASCII stream.
type crlfReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	cr         bool // a CR was read and not yet emitted
	err        error
}

func newCRLFReader(r io.Reader) *crlfReader {
	return &crlfReader{r: r, buf: make([]byte, 32<<10)}
}

func (a *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if a.start == a.end {
			if n > 0 {
				return n, nil
			}
			if a.err != nil {
				if a.cr {
					a.cr = false
					p[n] = '\r'
					n++
					continue
				}
				return n, a.err
			}
			m, err := a.r.Read(a.buf)
			a.start, a.end, a.err = 0, m, err
			continue
		}
		b := a.buf[a.start]
		if a.cr {
			a.cr = false
			if b == '\n' {
				p[n] = '\n'
				n++
				a.start++
				continue
			}
			p[n] = '\r'
			n++
			continue
		}
		if b == '\r' {
			a.cr = true
			a.start++
			continue
		}
		p[n] = b
		n++
		a.start++
	}
	return n, nil
}

// lfWriter converts bare LF to CRLF while writing an ASCII stream.
type lfWriter struct {
	w      io.Writer
	buf    []byte
	lastCR bool
}

func (l *lfWriter) Write(p []byte) (int, error) {
	if l.buf == nil {
		l.buf = make([]byte, 0, 64<<10)
	}
	for _, b := range p {
		if b == '\n' && !l.lastCR {
			l.buf = append(l.buf, '\r')
		}
		l.buf = append(l.buf, b)
		l.lastCR = b == '\r'
		if len(l.buf) >= cap(l.buf)-1 {
			if err := l.flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := l.flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (l *lfWriter) flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.w.Write(l.buf)
	l.buf = l.buf[:0]
	return err
}

// uniqueName finds the name a server chose for STOU: "150 FILE: name"
// (RFC 1123 4.1.2.9) or a quoted name in the reply.
func uniqueName(msgs ...string) string {
	for _, m := range msgs {
		if i := strings.Index(asciiUpper(m), "FILE:"); i >= 0 { // asciiUpper keeps byte offsets
			name := strings.TrimSpace(m[i+5:])
			if j := strings.IndexAny(name, "\r\n"); j >= 0 {
				name = name[:j]
			}
			return name
		}
		if name, err := parseQuoted(m); err == nil && name != "" {
			return name
		}
	}
	return ""
}
