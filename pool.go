// Pool: many control connections, safe for concurrent use, in the manner of
// database/sql and net/http's Transport.

package ftp

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// PoolOptions limits a Pool. The zero value allows 4 open connections, all
// of which may stay idle for 90 seconds, and checks an idle connection with
// NOOP when it has been idle for more than 15 seconds.
type PoolOptions struct {
	MaxOpen     int           // connections open at once; 0 means 4
	MaxIdle     int           // idle connections kept; 0 means MaxOpen, negative none
	IdleTimeout time.Duration // an idle connection older than this is closed; 0 means 90 s
	// CheckAfter is the idle time after which a checked-out connection is
	// tested with NOOP first; 0 means 15 s, negative always.
	CheckAfter time.Duration
}

func (o *PoolOptions) maxOpen() int {
	if o.MaxOpen > 0 {
		return o.MaxOpen
	}
	return 4
}

func (o *PoolOptions) maxIdle() int {
	switch {
	case o.MaxIdle > 0:
		return min(o.MaxIdle, o.maxOpen())
	case o.MaxIdle < 0:
		return 0
	}
	return o.maxOpen()
}

func (o *PoolOptions) idleTimeout() time.Duration {
	if o.IdleTimeout > 0 {
		return o.IdleTimeout
	}
	return 90 * time.Second
}

func (o *PoolOptions) checkAfter() time.Duration {
	switch {
	case o.CheckAfter > 0:
		return o.CheckAfter
	case o.CheckAfter < 0:
		return 0
	}
	return 15 * time.Second
}

// PoolStats counts what a Pool did.
type PoolStats struct {
	Open        int           // connections open now, in use or idle
	InUse       int           // connections checked out now
	Idle        int           // connections idle now
	Dials       int64         // connections dialled
	Reused      int64         // checkouts served by an idle connection
	Discarded   int64         // connections closed because broken, stale or failing NOOP
	WaitCount   int64         // checkouts that waited for a free connection
	WaitTime    time.Duration // the time they waited, in all
	MaxOpenSeen int           // the most connections open at once
}

// Pool keeps control connections to one server, all dialled with one
// Config (cloned by NewPool, so it cannot change under the Pool), and hands
// them out one caller at a time, in the manner of database/sql's DB. It is
// safe for concurrent use. Conn checks a connection out and
// PoolConn.Close gives it back, unless it broke, in which case it is
// discarded; connections are never shared across Configs, since a Pool has
// one. The everyday operations that need no stream (List, Stat, Delete,
// Rename, MakeDir...) are available on the Pool itself.
type Pool struct {
	addr string
	cfg  *Config
	opts PoolOptions

	mu     sync.Mutex
	closed bool
	g      poolGroup
	stats  PoolStats
}

// poolGroup is the Pool's connections.
type poolGroup struct {
	idle    []*idleConn
	open    int
	waiters []chan struct{} // woken when a connection is returned or closed
}

type idleConn struct {
	c     *Conn
	since time.Time
}

// NewPool returns a pool of connections to addr with cfg; nil opts means
// the zero PoolOptions. Nothing is dialled before the first checkout.
func NewPool(addr string, cfg *Config, opts *PoolOptions) *Pool {
	p := &Pool{addr: addr, cfg: cfg.Clone()}
	if opts != nil {
		p.opts = *opts
	}
	return p
}

// PoolConn is a connection checked out of a Pool. Use its Conn for one
// goroutine's work, then Close it to give it back.
type PoolConn struct {
	*Conn
	p    *Pool
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
	pc.p.put(pc.Conn)
	return nil
}

// Discard closes the connection instead of returning it.
func (pc *PoolConn) Discard() error {
	if pc.done {
		return nil
	}
	pc.done = true
	pc.p.discard(pc.Conn)
	return nil
}

// Conn checks out a connection: an idle one if there is one (tested with
// NOOP when it idled long), a new one while fewer than MaxOpen are open,
// or else the first to be returned, waiting as long as ctx allows.
func (p *Pool) Conn(ctx context.Context) (*PoolConn, error) {
	g := &p.g
	var waitStart time.Time
checkout:
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrPoolClosed
		}
		// Newest idle first: the most likely to be alive.
		for len(g.idle) > 0 {
			ic := g.idle[len(g.idle)-1]
			g.idle = g.idle[:len(g.idle)-1]
			p.stats.Idle--
			if time.Since(ic.since) > p.opts.idleTimeout() || ic.c.usable() != nil {
				p.dropLocked()
				go ic.c.Close()
				continue
			}
			p.stats.InUse++
			p.stats.Reused++
			p.noteWaitLocked(waitStart)
			p.mu.Unlock()
			if time.Since(ic.since) >= p.opts.checkAfter() {
				if err := ic.c.NoOp(ctx); err != nil {
					p.discard(ic.c)
					if ctx.Err() != nil {
						return nil, err
					}
					continue checkout
				}
			}
			return &PoolConn{Conn: ic.c, p: p}, nil
		}
		if g.open < p.opts.maxOpen() {
			g.open++
			p.stats.Open++
			p.stats.InUse++
			p.stats.MaxOpenSeen = max(p.stats.MaxOpenSeen, g.open)
			p.stats.Dials++
			p.noteWaitLocked(waitStart)
			p.mu.Unlock()
			c, err := Dial(ctx, p.addr, p.cfg)
			if err != nil {
				p.mu.Lock()
				p.dropLocked()
				p.stats.InUse--
				p.mu.Unlock()
				return nil, err
			}
			return &PoolConn{Conn: c, p: p}, nil
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
			p.mu.Unlock()
			// A wake-up that raced with the cancellation is passed on.
			select {
			case <-wake:
				p.wakeOne()
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

// dropLocked accounts for one connection closed.
func (p *Pool) dropLocked() {
	p.g.open--
	p.stats.Open--
	p.stats.Discarded++
	p.wakeLocked()
}

func (p *Pool) wakeLocked() {
	if len(p.g.waiters) > 0 {
		w := p.g.waiters[0]
		p.g.waiters = p.g.waiters[1:]
		w <- struct{}{}
	}
}

func (p *Pool) wakeOne() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wakeLocked()
}

// put returns a connection, or closes it when it cannot be reused.
func (p *Pool) put(c *Conn) {
	p.mu.Lock()
	g := &p.g
	p.stats.InUse--
	broken := c.usable() != nil || c.dataFailed.Load()
	if p.closed || broken || len(g.idle) >= p.opts.maxIdle() {
		g.open--
		p.stats.Open--
		if broken {
			p.stats.Discarded++
		}
		p.wakeLocked()
		p.mu.Unlock()
		c.Close()
		return
	}
	g.idle = append(g.idle, &idleConn{c: c, since: time.Now()})
	p.stats.Idle++
	p.wakeLocked()
	p.mu.Unlock()
}

// discard closes a checked-out connection for good.
func (p *Pool) discard(c *Conn) {
	p.mu.Lock()
	p.stats.InUse--
	p.dropLocked()
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
	g := &p.g
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
	p.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
	return nil
}

// with runs fn on a checked-out connection.
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

// Addr returns the address the Pool dials.
func (p *Pool) Addr() string { return p.addr }

// Config returns a copy of the Config the Pool dials with.
func (p *Pool) Config() *Config { return p.cfg.Clone() }

// RemoveDir removes an empty directory on a pooled connection (RMD).
func (p *Pool) RemoveDir(ctx context.Context, dir string) error {
	return p.with(ctx, func(c *Conn) error { return c.RemoveDir(ctx, dir) })
}
