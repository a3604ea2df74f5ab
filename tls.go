// TLS: explicit (AUTH TLS, RFC 4217) and implicit FTPS, protected data
// connections that resume the control connection's session, and CCC.

package ftp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

// DefaultImplicitTLSPort is the conventional port of implicit FTPS.
const DefaultImplicitTLSPort = "990"

// tlsConfig returns the TLS config for a session with the server whose name
// (or IP) is host: verification on, TLS 1.2 at least, a session cache that
// the data connections share.
func (c *Config) tlsConfig(host string) *tls.Config {
	var tc *tls.Config
	if c.TLSConfig != nil {
		tc = c.TLSConfig.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.ServerName == "" {
		// An IP address here still verifies against the certificate's IP
		// names and, above all, keys the session cache: without it the
		// cache key holds the port, and data connections never resume.
		tc.ServerName = host
	}
	if tc.MinVersion < tls.VersionTLS12 {
		tc.MinVersion = tls.VersionTLS12
	}
	tc.ClientSessionCache = &sessionCache{shared: tc.ClientSessionCache}
	return tc
}

// sessionCache is one connection's TLS session cache. Servers that insist
// that data connections resume the control connection's session
// (vsftpd's require_ssl_reuse, proftpd) refuse every transfer once that
// session is lost, so each Conn keeps its own, safe from two things:
// crypto/tls drops a session (Put with nil) when a handshake that tried to
// resume it fails, as one does when the server refuses a RETR and closes
// the data connection mid-handshake; and a cache the caller shares between
// connections (TLSConfig.ClientSessionCache, say for a Pool) would hand one
// connection's data handshake another connection's session. The caller's
// cache still serves the control connection's own handshake (a new
// connection may resume an earlier one) and learns this connection's
// sessions.
type sessionCache struct {
	mu     sync.Mutex
	own    map[string]*tls.ClientSessionState
	shared tls.ClientSessionCache // the caller's, or nil
	sealed bool                   // the control handshake is done: own sessions only
}

func (s *sessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	s.mu.Lock()
	cs, ok := s.own[key]
	shared := s.shared
	if ok || s.sealed || shared == nil {
		s.mu.Unlock()
		return cs, ok
	}
	s.mu.Unlock()
	return shared.Get(key)
}

// Put keeps the newest session for key. A nil session (crypto/tls
// dropping one after a failed handshake) changes nothing: the session
// still belongs to the control connection, which the server checks
// against, and crypto/tls itself skips one that expired.
func (s *sessionCache) Put(key string, cs *tls.ClientSessionState) {
	if cs == nil {
		return
	}
	s.mu.Lock()
	if s.own == nil {
		s.own = map[string]*tls.ClientSessionState{}
	}
	if _, ok := s.own[key]; !ok && len(s.own) >= 8 {
		clear(s.own) // bounded: one key per server name in practice
	}
	s.own[key] = cs
	shared := s.shared
	s.mu.Unlock()
	if shared != nil {
		shared.Put(key, cs)
	}
}

// seal ends the use of the caller's cache: from the control handshake on,
// data connections resume this connection's sessions only.
func (s *sessionCache) seal() {
	s.mu.Lock()
	s.sealed = true
	s.mu.Unlock()
}

// sealSessions seals the session cache of c's TLS settings.
func (c *Conn) sealSessions() {
	if c.tlsConf != nil {
		if sc, ok := c.tlsConf.ClientSessionCache.(*sessionCache); ok {
			sc.seal()
		}
	}
}

// handshake runs a TLS client handshake over nc within ctx and, when
// limit > 0, within limit: a peer that accepts and stays silent must not
// hold the caller for ever. On failure nc is closed.
func handshake(ctx context.Context, nc net.Conn, tc *tls.Config, what string, limit time.Duration) (*tls.Conn, error) {
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	tlsConn := tls.Client(nc, tc)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		nc.Close()
		if errors.Is(err, context.DeadlineExceeded) && limit > 0 && ctx.Err() != nil {
			err = fmt.Errorf("no handshake within %v: %w", limit, err)
		}
		return nil, &TLSError{Op: what, Err: err}
	}
	return tlsConn, nil
}

// controlHandshakeLimit bounds a handshake on the control connection: it
// waits for the server as a reply does.
func (c *Conn) controlHandshakeLimit() time.Duration { return c.cfg.replyTimeout() }

// dataHandshakeLimit bounds a data connection's handshake: DataTimeout,
// the idle limit of data connections, else the reply timeout.
func (c *Conn) dataHandshakeLimit() time.Duration {
	if d := c.cfg.dataTimeout(); d > 0 {
		return d
	}
	return c.cfg.replyTimeout()
}

// startImplicitTLS wraps a fresh control connection in TLS before the greeting.
func (c *Conn) startImplicitTLS(ctx context.Context) error {
	tlsConn, err := handshake(ctx, c.nc, c.tlsConf, "control", c.controlHandshakeLimit())
	if err != nil {
		return err
	}
	c.sealSessions()
	c.preferServerGroup(tlsConn.ConnectionState())
	c.setControl(tlsConn)
	return nil
}

// setControl swaps the control connection, as after AUTH TLS or CCC.
func (c *Conn) setControl(nc net.Conn) {
	c.nc = nc
	c.br = newControlReader(nc)
	c.rr = replyReader{r: c.br}
}

// authTLS runs AUTH TLS and the handshake. It returns nil without TLS only
// when the caller allowed plain text.
func (c *Conn) authTLS(ctx context.Context) error {
	r, err := c.cmd(ctx, "AUTH", "TLS", StatusAuthOK)
	if errors.Is(err, ErrUnsolicitedReply) {
		// Replies queued behind the answer to AUTH (a refusal, or 234):
		// whoever sent them would have the next command answered for
		// the server.
		return fmt.Errorf("%w: %w", ErrPipelinedTLS, err)
	}
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			if c.cfg.TLS == TLSExplicitIfAvailable {
				c.tlsConf = nil
				return nil
			}
			err = fmt.Errorf("%w: %w", ErrTLSRequired, err)
			c.abandon(err)
		}
		return err
	}
	_ = r
	if c.br.Buffered() > 0 {
		// Anything already here would be taken as protected text.
		err := fmt.Errorf("%w (%d bytes after 234)", ErrPipelinedTLS, c.br.Buffered())
		c.abandon(err)
		return err
	}
	tlsConn, err := handshake(ctx, c.nc, c.tlsConf, "AUTH TLS", c.controlHandshakeLimit())
	if err != nil {
		c.abandon(err)
		return err
	}
	c.sealSessions()
	c.preferServerGroup(tlsConn.ConnectionState())
	c.setControl(tlsConn)
	return nil
}

// preferServerGroup makes the data connections open with a key share for
// the group the server chose for the control connection. crypto/tls
// sends a share for its first group only (X25519MLKEM768, with an X25519
// share beside it); a server that takes neither, as pure-ftpd with its
// P-256, answers every data handshake with a HelloRetryRequest: one more
// round trip, and an ML-KEM key made for nothing, per file (about 15 % of
// the small-file rate over TLS). crypto/tls orders groups itself and
// CurvePreferences only filters them, so the data connections offer the
// server's group and the groups crypto/tls ranks after it: every
// post-quantum hybrid and X25519 before a P-curve the server chose, and
// the larger P-curves after it. Nothing the server would choose is taken
// away: it chose in a handshake its certificate authenticated, and it
// makes the same choice again.
func (c *Conn) preferServerGroup(cs tls.ConnectionState) {
	if cs.Version < tls.VersionTLS13 || cs.CurveID == 0 || cs.CurveID == tls.X25519MLKEM768 || cs.CurveID == tls.X25519 {
		return // TLS 1.2 sends no shares; these two are in the first flight
	}
	var groups []tls.CurveID
	switch cs.CurveID {
	case tls.CurveP256:
		groups = []tls.CurveID{tls.CurveP256, tls.CurveP384, tls.CurveP521}
	case tls.CurveP384:
		groups = []tls.CurveID{tls.CurveP384, tls.CurveP521}
	case tls.CurveP521:
		groups = []tls.CurveID{tls.CurveP521}
	default: // another hybrid: they sort before the classic groups
		groups = []tls.CurveID{cs.CurveID, tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}
	}
	if own := c.tlsConf.CurvePreferences; len(own) > 0 {
		groups = slices.DeleteFunc(groups, func(g tls.CurveID) bool { return !slices.Contains(own, g) })
	}
	// A Config must not change once a handshake has used it.
	tc := c.tlsConf.Clone()
	tc.CurvePreferences = groups
	c.tlsConf = tc
}

// protect runs PBSZ 0 and PROT P (or PROT C when ClearData) after login,
// then CCC when asked.
func (c *Conn) protect(ctx context.Context) error {
	if _, err := c.cmd(ctx, "PBSZ", "0", 2); err != nil {
		return err
	}
	level := "P"
	if c.cfg.ClearData {
		level = "C"
	}
	if _, err := c.cmd(ctx, "PROT", level, 2); err != nil {
		return err
	}
	c.protData = level == "P"
	if c.cfg.ClearControl {
		return c.clearControl(ctx)
	}
	return nil
}

// clearControl sends CCC and returns the control connection to plain text:
// both sides end TLS with close_notify and the TCP connection stays.
func (c *Conn) clearControl(ctx context.Context) error {
	if _, err := c.cmd(ctx, "CCC", "", 2); err != nil {
		return err
	}
	tlsConn, ok := c.nc.(*tls.Conn)
	if !ok {
		return nil
	}
	raw := tlsConn.NetConn()
	stop := c.watch(ctx)
	defer stop()
	raw.SetDeadline(time.Now().Add(c.cfg.dialTimeout()))
	// Our close_notify, then the server's: once it is read, what follows on
	// the socket is plain text.
	if err := tlsConn.CloseWrite(); err != nil {
		return c.fail(ctx, "CCC", err)
	}
	if _, err := io.Copy(io.Discard, c.br); err != nil {
		return c.fail(ctx, "CCC", err)
	}
	raw.SetDeadline(time.Time{})
	c.nc = raw
	c.br = bufio.NewReaderSize(raw, 4096)
	c.rr = replyReader{r: c.br}
	return nil
}

// protectData wraps a data connection in TLS when PROT P is in force. It is
// called only after the transfer command was sent: some servers accept the
// data connection only then, and a handshake started earlier would wait for
// their idle timeout.
func (c *Conn) protectData(ctx context.Context, data net.Conn) (net.Conn, error) {
	if !c.protData {
		return data, nil
	}
	cc := newCoalescingConn(data)
	tlsConn, err := handshake(ctx, cc, c.tlsConf, "data", c.dataHandshakeLimit())
	if err == nil {
		// TLS 1.3 ends the handshake with our Finished, which nothing
		// after it would push out before the first large write.
		if ferr := cc.Flush(); ferr != nil {
			err = &TLSError{Op: "data", Err: ferr}
		}
	}
	if err != nil {
		cc.Close()
		return nil, dataConnErrorf(err, "%v", err)
	}
	return tlsConn, nil
}

// TLSConnectionState returns the state of the control connection's TLS,
// and false when the control connection is not (or no longer) protected.
func (c *Conn) TLSConnectionState() (tls.ConnectionState, bool) {
	if tc, ok := c.nc.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}
