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
	"sync"
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
	limits         []*RateLimiter // the rate limits pacing a file transfer
}

// openData runs EPSV/PASV or EPRT/PORT, then REST (when offset > 0), then
// the transfer command, and returns the open data connection. REST comes
// last because RFC 959 says it "shall be immediately followed by" the
// transfer command: BSD-derived servers (inetutils, netkit) and aioftp
// forget the restart point on any other command, and would then send or
// overwrite the whole file. In passive mode the data connection is dialled
// while the command's reply is on its way, so a transfer costs no round
// trip beyond its commands.
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

// openPassive opens a passive transfer: EPSV or PASV, REST, the command,
// then the dial, while the command's reply is on its way (so a transfer
// costs no round trip beyond its commands, and the server has the command
// when the connection arrives, as some servers need); with REST the dial
// comes first, since some servers read no command after PASV before the
// data connection arrives. A plain data
// connection that is there is all the server's reply waits for: it is
// read on this goroutine, with no other started. A TLS handshake, or a
// dial that failed, goes through establish, which watches the reply
// meanwhile. retry reports that the EPSV port could not be reached while
// the server did not refuse the command, so another attempt over PASV may
// work.
func (c *Conn) openPassive(ctx context.Context, verb, arg string, offset int64) (t *transfer, retry bool, err error) {
	addrs, err := c.passiveAddrs(ctx)
	if err != nil {
		return nil, false, err
	}
	var nc net.Conn
	var dialErr error
	if offset > 0 {
		// After PASV some servers (Twisted) answer nothing until the data
		// connection is there: REST's reply would wait for it.
		nc, dialErr = c.dialData(ctx, addrs)
	}
	if err := c.restartAt(ctx, offset); err != nil {
		if nc != nil {
			nc.Close()
		}
		return nil, false, err
	}
	if err := c.send(ctx, verb, arg); err != nil {
		if nc != nil {
			nc.Close()
		}
		return nil, false, err
	}
	line := logLine(verb, arg)
	if offset <= 0 {
		nc, dialErr = c.dialData(ctx, addrs)
	}
	switch {
	case dialErr != nil:
		t, dataFailed, err := c.establish(ctx, line, func(context.Context) (net.Conn, error) { return nil, dialErr }, func() {})
		return t, dataFailed, err
	case c.protData:
		t, _, err := c.establish(ctx, line, func(ctx context.Context) (net.Conn, error) { return c.protectData(ctx, nc) }, func() {})
		return t, false, err
	}
	t, err = c.connected(ctx, line, nc)
	return t, false, err
}

// connected reads the first reply to a transfer command whose plain data
// connection nc is open already: 1xx starts the transfer on nc; 2xx (a
// server that had nothing to send) or a refusal closes it.
func (c *Conn) connected(ctx context.Context, line string, nc net.Conn) (*transfer, error) {
	r, err := c.readPrelim(ctx, line)
	switch {
	case err != nil:
		nc.Close()
		return nil, err
	case r.Class() == 2:
		nc.Close()
		return &transfer{c: c, line: line, prelim: r, done: true}, nil
	}
	return &transfer{c: c, line: line, prelim: r, data: nc}, nil
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
