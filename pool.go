// Pool: many control connections, safe for concurrent use, in the manner of
// database/sql and net/http's Transport.

package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// ErrPoolClosed is returned by a Pool after Close.
var ErrPoolClosed = errors.New("ftp: pool closed")

// PoolOptions limits a Pool. The zero value allows 4 open connections, all
// of which may stay idle for 90 seconds, and checks an idle connection with
// NOOP when it has been idle for more than 15 seconds.
type PoolOptions struct {
	MaxOpen     int           // connections open at once, per key; 0 means 4
	MaxIdle     int           // idle connections kept, per key; 0 means MaxOpen, negative none
	IdleTimeout time.Duration // an idle connection older than this is closed; 0 means 90 s
	// CheckAfter is the idle time after which a checked-out connection is
	// tested with NOOP first; 0 means 15 s, negative always.
	CheckAfter time.Duration
}

func (o PoolOptions) maxOpen() int {
	if o.MaxOpen > 0 {
		return o.MaxOpen
	}
	return 4
}

func (o PoolOptions) maxIdle() int {
	switch {
	case o.MaxIdle > 0:
		return min(o.MaxIdle, o.maxOpen())
	case o.MaxIdle < 0:
		return 0
	}
	return o.maxOpen()
}

func (o PoolOptions) idleTimeout() time.Duration {
	if o.IdleTimeout > 0 {
		return o.IdleTimeout
	}
	return 90 * time.Second
}

func (o PoolOptions) checkAfter() time.Duration {
	switch {
	case o.CheckAfter > 0:
		return o.CheckAfter
	case o.CheckAfter < 0:
		return 0
	}
	return 15 * time.Second
}

// PoolStats counts what a Pool did, over all its keys.
type PoolStats struct {
	Open        int           // connections open now, in use or idle
	InUse       int           // connections checked out now
	Idle        int           // connections idle now
	Dials       int64         // connections dialled
	Reused      int64         // checkouts served by an idle connection
	Discarded   int64         // connections closed because broken, stale or failing NOOP
	WaitCount   int64         // checkouts that waited for a free connection
	WaitTime    time.Duration // the time they waited, in all
	MaxOpenSeen int           // the most connections open at once for one key
}

// poolKey tells connections apart: a connection is reused only for the same
// address and every Config setting that shapes the session or changes who
// sees its traffic (its route, its observers, its limits), so that one is
// never reused across credentials, TLS settings, proxies or loggers (the
// class of curl CVE-2023-27535). Each field of Config is decided here;
// TestPoolKeyCoversConfig fails when Config gains one that is not.
//
// Values are compared as the connection will use them: timeouts and the
// listing time zone through their accessors, so that zero and the default
// share. Pointer-valued settings are compared by identity, which is sound
// because a Config must not be changed after use: a *slog.Logger, a
// *time.Location, a *tls.Config (also by the fields a caller might wrongly
// change after use).
//
// Func values cannot be compared. reflect's code pointer of a func is not an
// identity: two closures made by one constructor (two proxies from
// ProxyDialer with other addresses) share their code and differ only in what
// they capture. So a Config with a DialContext is keyed by the *Config
// itself: checkouts passing that same Config share connections, equal copies
// of it do not. That reuses less, never wrongly.
type poolKey struct {
	addr                    string
	user, password, account string // the login
	host                    string // HOST: the virtual host logged in to

	// The route: a dialer hook (a proxy) is keyed by its Config.
	dialer *Config

	// Limits.
	dialTimeout, replyTimeout, dataTimeout time.Duration
	keepAlive                              time.Duration

	// The observer: who is told the dialogue.
	logger *slog.Logger

	// Data connections.
	disableEPSV bool
	passive     PassiveAddressPolicy
	active      bool
	activeCfg   ActiveConfig // listen and advertised addresses, ports, accept timeout

	// TLS.
	tlsMode                 TLSMode
	tlsConfig               *tls.Config
	serverName              string
	insecure                bool
	clearData, clearControl bool

	// What the session says and how listings are read.
	disableUTF8, disableMLSD bool
	location                 *time.Location
}

func keyFor(addr string, cfg *Config) poolKey {
	k := poolKey{
		addr: addr, user: cfg.User, password: cfg.Password, account: cfg.Account, host: cfg.Host,
		dialTimeout: cfg.dialTimeout(), replyTimeout: cfg.replyTimeout(), dataTimeout: cfg.dataTimeout(),
		keepAlive: max(cfg.KeepAlive, 0), logger: cfg.Logger,
		disableEPSV: cfg.DisableEPSV, passive: cfg.PassiveAddress, active: cfg.Active != nil,
		tlsMode: cfg.TLS, tlsConfig: cfg.TLSConfig, clearData: cfg.ClearData, clearControl: cfg.ClearControl,
		disableUTF8: cfg.DisableUTF8, disableMLSD: cfg.DisableMLSD, location: cfg.location(),
	}
	if cfg.DialContext != nil {
		k.dialer = cfg
	}
	if cfg.Active != nil {
		k.activeCfg = *cfg.Active
	}
	if cfg.TLSConfig != nil {
		k.serverName, k.insecure = cfg.TLSConfig.ServerName, cfg.TLSConfig.InsecureSkipVerify
	}
	return k
}

// Pool keeps control connections to FTP servers and hands them out one
// caller at a time. It is safe for concurrent use. Get checks a connection
// out for a given address and Config; PoolConn.Close gives it back, unless
// it broke, in which case it is discarded. The everyday operations are
// available on the Pool itself for its default address and Config.
type Pool struct {
	addr string
	cfg  *Config
	opts PoolOptions

	mu     sync.Mutex
	closed bool
	keys   map[poolKey]*poolGroup
	stats  PoolStats
}

// poolGroup is the connections of one key.
type poolGroup struct {
	idle    []*idleConn
	open    int
	waiters []chan struct{} // woken when a connection is returned or closed
}

type idleConn struct {
	c     *Conn
	since time.Time
}

// NewPool returns a pool whose default target is addr with cfg (used by
// the Pool's own operations and by Conn); Get reaches any other.
func NewPool(addr string, cfg *Config, opts PoolOptions) *Pool {
	return &Pool{addr: addr, cfg: cfg.Clone(), opts: opts, keys: map[poolKey]*poolGroup{}}
}

// PoolConn is a connection checked out of a Pool. Use its Conn for one
// goroutine's work, then Close it to give it back.
type PoolConn struct {
	*Conn
	p    *Pool
	key  poolKey
	done bool
}

// Close returns the connection to the pool, or closes it if it is broken
// (its last transfer could not open a data connection, for one), busy with
// an unfinished transfer, or beyond the idle limit. Safe to call twice.
func (pc *PoolConn) Close() error {
	if pc.done {
		return nil
	}
	pc.done = true
	pc.p.put(pc.key, pc.Conn)
	return nil
}

// Discard closes the connection instead of returning it.
func (pc *PoolConn) Discard() error {
	if pc.done {
		return nil
	}
	pc.done = true
	pc.p.discard(pc.key, pc.Conn)
	return nil
}

// Connect checks out a connection to the pool's default target; with
// Release it makes a Pool a Connector for the resumable helpers. Every
// connection from Connect must go back through Release (closed or not),
// or the pool counts it as open forever.
func (p *Pool) Connect(ctx context.Context) (*Conn, error) {
	pc, err := p.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return pc.Conn, nil
}

// Release takes back a connection from Connect: it is kept for reuse, or
// closed if it broke or the idle limit is reached.
func (p *Pool) Release(c *Conn) {
	p.put(keyFor(p.addr, p.cfg), c)
}

// Releaser is implemented by Connectors that take their connections back
// (a Pool) rather than have them closed.
type Releaser interface{ Release(c *Conn) }

// Conn checks out a connection to the pool's default target.
func (p *Pool) Conn(ctx context.Context) (*PoolConn, error) {
	return p.Get(ctx, p.addr, p.cfg)
}

// Get checks out a connection to addr with cfg: an idle one with the same
// key if there is one (tested with NOOP when it idled long), a new one if
// the key is below MaxOpen, or else the first to be returned.
//
// A connection is handed only to a checkout whose addr and Config agree
// with the one it was dialled for in every setting: credentials, HOST,
// timeouts, keep-alive, Logger, data-connection and TLS settings, listing
// settings. Pointer-valued settings (Logger, TLSConfig, Location) agree
// when they are the same pointer. A Config with a DialContext (a proxy)
// agrees only with itself: pass the same *Config to share those
// connections. The Pool's own operations use a copy of the Config given to
// NewPool, so they do not share with Get calls that pass the original.
func (p *Pool) Get(ctx context.Context, addr string, cfg *Config) (*PoolConn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	key := keyFor(addr, cfg)
	var waitStart time.Time
checkout:
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrPoolClosed
		}
		g := p.keys[key]
		if g == nil {
			g = &poolGroup{}
			p.keys[key] = g
		}
		// Newest idle first: the most likely to be alive.
		for len(g.idle) > 0 {
			ic := g.idle[len(g.idle)-1]
			g.idle = g.idle[:len(g.idle)-1]
			p.stats.Idle--
			if time.Since(ic.since) > p.opts.idleTimeout() || ic.c.usable() != nil {
				p.dropLocked(g)
				go ic.c.Close()
				continue
			}
			p.stats.InUse++
			p.stats.Reused++
			p.noteWaitLocked(waitStart)
			p.mu.Unlock()
			if time.Since(ic.since) >= p.opts.checkAfter() {
				if err := ic.c.NoOp(ctx); err != nil {
					if ctx.Err() != nil {
						p.discard(key, ic.c)
						return nil, err
					}
					p.discard(key, ic.c)
					continue checkout
				}
			}
			return &PoolConn{Conn: ic.c, p: p, key: key}, nil
		}
		if g.open < p.opts.maxOpen() {
			g.open++
			p.stats.Open++
			p.stats.InUse++
			p.stats.MaxOpenSeen = max(p.stats.MaxOpenSeen, g.open)
			p.stats.Dials++
			p.noteWaitLocked(waitStart)
			p.mu.Unlock()
			c, err := Dial(ctx, addr, cfg)
			if err != nil {
				p.mu.Lock()
				p.dropLocked(g)
				p.stats.InUse--
				p.forgetLocked(key, g)
				p.mu.Unlock()
				return nil, err
			}
			return &PoolConn{Conn: c, p: p, key: key}, nil
		}
		wake := make(chan struct{}, 1)
		g.waiters = append(g.waiters, wake)
		if waitStart.IsZero() {
			waitStart = time.Now()
			p.stats.WaitCount++
		}
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			p.mu.Lock()
			for i, w := range g.waiters {
				if w == wake {
					g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
					break
				}
			}
			p.forgetLocked(key, g)
			p.mu.Unlock()
			// A wake-up that raced with the cancellation is passed on.
			select {
			case <-wake:
				p.wakeOne(key)
			default:
			}
			return nil, fmt.Errorf("ftp: pool: waiting for a connection: %w", ctx.Err())
		}
	}
}

func (p *Pool) noteWaitLocked(start time.Time) {
	if !start.IsZero() {
		p.stats.WaitTime += time.Since(start)
	}
}

// dropLocked accounts for one connection of g closed.
func (p *Pool) dropLocked(g *poolGroup) {
	g.open--
	p.stats.Open--
	p.stats.Discarded++
	p.wakeLocked(g)
}

// forgetLocked drops the key of a group left with no connection and no
// waiter, so that a long-lived pool does not keep every Config, Logger and
// tls.Config it was ever given (keys hold them). Only where the caller is
// done with g: a checkout in progress still counts in g.open.
func (p *Pool) forgetLocked(key poolKey, g *poolGroup) {
	if g.open == 0 && len(g.idle) == 0 && len(g.waiters) == 0 && p.keys[key] == g {
		delete(p.keys, key)
	}
}

func (p *Pool) wakeLocked(g *poolGroup) {
	if len(g.waiters) > 0 {
		w := g.waiters[0]
		g.waiters = g.waiters[1:]
		w <- struct{}{}
	}
}

func (p *Pool) wakeOne(key poolKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g := p.keys[key]; g != nil {
		p.wakeLocked(g)
	}
}

// put returns a connection, or closes it when it cannot be reused.
func (p *Pool) put(key poolKey, c *Conn) {
	p.mu.Lock()
	g := p.keys[key]
	p.stats.InUse--
	broken := c.usable() != nil || c.dataFailed.Load()
	if p.closed || broken || len(g.idle) >= p.opts.maxIdle() {
		g.open--
		p.stats.Open--
		if broken {
			p.stats.Discarded++
		}
		p.wakeLocked(g)
		p.forgetLocked(key, g)
		p.mu.Unlock()
		c.Close()
		return
	}
	g.idle = append(g.idle, &idleConn{c: c, since: time.Now()})
	p.stats.Idle++
	p.wakeLocked(g)
	p.mu.Unlock()
}

// discard closes a checked-out connection for good.
func (p *Pool) discard(key poolKey, c *Conn) {
	p.mu.Lock()
	p.stats.InUse--
	g := p.keys[key]
	p.dropLocked(g)
	p.forgetLocked(key, g)
	p.mu.Unlock()
	c.Close()
}

// Stats returns a snapshot of the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close closes the idle connections and makes the pool refuse new
// checkouts; connections in use are closed when they are returned.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	var idle []*Conn
	for _, g := range p.keys {
		for _, ic := range g.idle {
			idle = append(idle, ic.c)
			g.open--
			p.stats.Open--
			p.stats.Idle--
		}
		g.idle = nil
		for _, w := range g.waiters {
			w <- struct{}{}
		}
		g.waiters = nil
	}
	p.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
	return nil
}

// with runs fn on a checked-out connection of the default target.
func (p *Pool) with(ctx context.Context, fn func(c *Conn) error) error {
	pc, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	defer pc.Close()
	return fn(pc.Conn)
}

// List lists a directory on a pooled connection (see Conn.List).
func (p *Pool) List(ctx context.Context, dir string) (entries []*Entry, err error) {
	err = p.with(ctx, func(c *Conn) error { entries, err = c.List(ctx, dir); return err })
	return entries, err
}

// Stat describes a file on a pooled connection (see Conn.Stat).
func (p *Pool) Stat(ctx context.Context, name string) (e *Entry, err error) {
	err = p.with(ctx, func(c *Conn) error { e, err = c.Stat(ctx, name); return err })
	return e, err
}

// Delete removes a file on a pooled connection (DELE).
func (p *Pool) Delete(ctx context.Context, name string) error {
	return p.with(ctx, func(c *Conn) error { return c.Delete(ctx, name) })
}

// Rename renames on a pooled connection (RNFR, RNTO).
func (p *Pool) Rename(ctx context.Context, from, to string) error {
	return p.with(ctx, func(c *Conn) error { return c.Rename(ctx, from, to) })
}

// MakeDir creates a directory on a pooled connection (MKD).
func (p *Pool) MakeDir(ctx context.Context, dir string) (created string, err error) {
	err = p.with(ctx, func(c *Conn) error { created, err = c.MakeDir(ctx, dir); return err })
	return created, err
}

// MakeDirAll creates a directory and its parents on a pooled connection.
func (p *Pool) MakeDirAll(ctx context.Context, dir string) error {
	return p.with(ctx, func(c *Conn) error { return c.MakeDirAll(ctx, dir) })
}

// Store uploads r to file on a pooled connection (STOR).
func (p *Pool) Store(ctx context.Context, file string, r io.Reader) (n int64, err error) {
	err = p.with(ctx, func(c *Conn) error { n, err = c.Store(ctx, file, r); return err })
	return n, err
}

// Retrieve starts a download on a pooled connection; closing the returned
// ReadCloser ends the transfer and gives the connection back.
func (p *Pool) Retrieve(ctx context.Context, file string) (io.ReadCloser, error) {
	return p.RetrieveFrom(ctx, file, 0)
}

// RetrieveFrom is Retrieve from byte offset (REST).
func (p *Pool) RetrieveFrom(ctx context.Context, file string, offset int64) (io.ReadCloser, error) {
	pc, err := p.Conn(ctx)
	if err != nil {
		return nil, err
	}
	r, err := pc.RetrieveFrom(ctx, file, offset)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return &pooledReader{Reader: r, pc: pc}, nil
}

// pooledReader gives its connection back on Close. It keeps WriteTo, so
// io.Copy into a file still splices.
type pooledReader struct {
	*Reader
	pc *PoolConn
}

func (r *pooledReader) Close() error {
	err := r.Reader.Close()
	r.pc.Close()
	return err
}
