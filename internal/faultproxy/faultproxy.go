// Package faultproxy is a TCP proxy for tests that injects faults: it cuts
// a connection after a given number of bytes, stalls it for a while, or
// resets it.
//
// Its main use is as a dialer (Proxy.DialContext, which fits
// ftp.Config.DialContext): every connection the client opens, control and
// passive data alike, is dialled for real and then handed to the client
// through a loopback TCP connection that the proxy relays, so the client
// still holds a real socket (sendfile and splice keep working) whose
// RemoteAddr is the server's. A Policy picks one Fault per connection.
//
// Proxy.Listen also runs it as an ordinary listening proxy in front of one
// address; there only the connections made to the listener pass through it
// (an FTP client's passive data connections would go around it).
//
// Every goroutine the proxy starts ends when both sides of its connection
// are closed, or at Close, which tears everything down and waits for them.
package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Class says what a connection is for.
type Class int

const (
	// Data is any connection not to the control address.
	Data Class = iota
	// Control is a connection to Options.ControlAddr, or one accepted by
	// a listening proxy.
	Control
)

func (c Class) String() string {
	if c == Control {
		return "control"
	}
	return "data"
}

// Kind is what a fault does.
type Kind int

const (
	// None forwards everything.
	None Kind = iota
	// Cut closes both sides after the bytes given (a FIN, or a RST where
	// unread data is pending, as the kernel decides).
	Cut
	// Stall stops forwarding in one direction for a while, then goes on.
	Stall
	// Reset aborts both sides with a RST (SO_LINGER 0, then close).
	Reset
)

// Kinds lists the kinds that do something.
var Kinds = []Kind{Cut, Stall, Reset}

func (k Kind) String() string {
	switch k {
	case Cut:
		return "cut"
	case Stall:
		return "stall"
	case Reset:
		return "reset"
	}
	return "none"
}

// Dir is a direction of a connection.
type Dir int

const (
	// Up is from the client to the server.
	Up Dir = iota
	// Down is from the server to the client.
	Down
)

func (d Dir) String() string {
	if d == Down {
		return "down"
	}
	return "up"
}

// Fault is what happens to one connection: after After bytes went in
// direction Dir (0: as soon as the connection is relayed), Kind.
type Fault struct {
	Kind  Kind
	Dir   Dir
	After int64
	Stall time.Duration // how long a Stall lasts
	// Match, when set, replaces After: the fault fires just before the
	// first occurrence of Match in Dir is forwarded (or, when Match
	// straddles two reads, before the part in the second one). For
	// control connections: Match "STOR " holds back the first STOR.
	Match []byte
	// Align, when set (and Match is not), moves the fault to just after
	// the first occurrence of Align that ends at or after After: Align
	// "\n" cuts a control connection between two lines, not inside one.
	Align []byte
}

func (f Fault) String() string {
	at := fmt.Sprintf("after %d bytes", f.After)
	switch {
	case f.Match != nil:
		at = fmt.Sprintf("before %q", f.Match)
	case f.Align != nil:
		at = fmt.Sprintf("after %d bytes and %q", f.After, f.Align)
	}
	switch f.Kind {
	case None:
		return "none"
	case Stall:
		return fmt.Sprintf("stall %s %v %s", f.Dir, f.Stall, at)
	}
	return fmt.Sprintf("%s %s %s", f.Kind, at, f.Dir)
}

// Info describes a connection to a Policy.
type Info struct {
	Seq   int    // position among all the proxy's connections, from 0
	N     int    // position among the connections of its Class, from 0
	Class Class  // control or data
	Addr  string // the address dialled
}

// Policy chooses the fault of each connection. It is called from the
// goroutine that opens the connection, one call at a time.
type Policy interface {
	Fault(Info) Fault
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(Info) Fault

// Fault calls f.
func (f PolicyFunc) Fault(i Info) Fault { return f(i) }

// Options configures a Proxy.
type Options struct {
	// ControlAddr is the address whose connections are Control; the
	// others are Data. Compared with the dialled address as a string.
	ControlAddr string
	// Policy picks the faults; nil injects none.
	Policy Policy
	// Dialer dials the real connections; nil means a zero net.Dialer.
	Dialer *net.Dialer
}

// Record is what happened to one connection.
type Record struct {
	Info
	Fault   Fault
	Fired   bool      // the fault took effect (the connection got that far)
	Up      int64     // bytes forwarded client to server
	Down    int64     // bytes forwarded server to client
	Start   time.Time // when the relay started
	End     time.Time // when it ended; zero while it runs
	Err     string    // the first I/O error that ended the relay, if any
	Through string    // "dial" or "listen"
}

func (r Record) String() string {
	state := "running"
	if !r.End.IsZero() {
		state = r.End.Sub(r.Start).Round(time.Millisecond).String()
	}
	fired := ""
	if r.Fault.Kind != None {
		fired = " (not reached)"
		if r.Fired {
			fired = " (FIRED)"
		}
	}
	s := fmt.Sprintf("#%d %s#%d %s: %s%s; up %d, down %d, %s", r.Seq, r.Class, r.N, r.Addr, r.Fault, fired, r.Up, r.Down, state)
	if r.Err != "" {
		s += "; " + r.Err
	}
	return s
}

// Proxy relays connections and injects faults. Create it with New.
type Proxy struct {
	opts   Options
	dialer *net.Dialer

	mu        sync.Mutex
	closed    bool
	seq       int
	perClass  [2]int
	records   []*Record
	live      map[*relay]struct{}
	listeners []net.Listener

	wg     sync.WaitGroup // every goroutine the proxy started
	nLive  atomic.Int64
	idleCh chan struct{} // closed and replaced when nLive drops to 0
}

// New returns a proxy; it listens only once Listen is called.
func New(opts Options) *Proxy {
	d := opts.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	return &Proxy{opts: opts, dialer: d, live: map[*relay]struct{}{}, idleCh: make(chan struct{})}
}

// ErrClosed is returned by a proxy after Close.
var ErrClosed = errors.New("faultproxy: closed")

// conn is the client's end: a real loopback socket that reports the
// server's address as its peer, so an FTP client connects its passive
// data connections to the server, through DialContext again.
type conn struct {
	*net.TCPConn
	remote net.Addr
}

func (c *conn) RemoteAddr() net.Addr { return c.remote }

// DialContext dials addr and returns a connection relayed through the
// proxy with the fault the Policy chooses for it.
func (p *Proxy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if p.isClosed() {
		return nil, ErrClosed
	}
	up, err := p.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	server, ok := up.(*net.TCPConn)
	if !ok {
		up.Close()
		return nil, fmt.Errorf("faultproxy: %s is not TCP", network)
	}
	client, near, err := loopbackPair(ctx, server.LocalAddr().(*net.TCPAddr).IP)
	if err != nil {
		server.Close()
		return nil, err
	}
	class := Data
	if addr == p.opts.ControlAddr {
		class = Control
	}
	if err := p.start(near, server, class, addr, "dial"); err != nil {
		client.Close()
		return nil, err
	}
	return &conn{TCPConn: client, remote: server.RemoteAddr()}, nil
}

// loopbackPair returns both ends of a new TCP connection on loopback (the
// family of ip): the one to hand out and the proxy's.
func loopbackPair(ctx context.Context, ip net.IP) (client, near *net.TCPConn, err error) {
	host := "127.0.0.1"
	if ip.To4() == nil {
		host = "::1"
	}
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.ParseIP(host)})
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	if dl, ok := ctx.Deadline(); ok {
		l.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { l.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", l.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	client = c.(*net.TCPConn)
	for {
		n, err := l.AcceptTCP()
		if err != nil {
			client.Close()
			return nil, nil, err
		}
		if n.RemoteAddr().String() == client.LocalAddr().String() {
			return client, n, nil
		}
		n.Close() // someone else found the port
	}
}

// Listen starts a listening proxy on loopback in front of target and
// returns its address. Its connections are Control.
func (p *Proxy) Listen(target string) (string, error) {
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.Close()
		return "", ErrClosed
	}
	p.listeners = append(p.listeners, l)
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		for {
			near, err := l.AcceptTCP()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				up, err := p.dialer.DialContext(ctx, "tcp", target)
				if err != nil {
					near.SetLinger(0)
					near.Close()
					return
				}
				if err := p.start(near, up.(*net.TCPConn), Control, target, "listen"); err != nil {
					near.Close()
				}
			}()
		}
	}()
	return l.Addr().String(), nil
}

func (p *Proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// start registers a relay between near (the client's peer) and server and
// runs it. On error server is closed, near is not.
func (p *Proxy) start(near, server *net.TCPConn, class Class, addr, through string) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		server.Close()
		return ErrClosed
	}
	info := Info{Seq: p.seq, N: p.perClass[class], Class: class, Addr: addr}
	p.seq++
	p.perClass[class]++
	var f Fault
	if p.opts.Policy != nil {
		f = p.opts.Policy.Fault(info)
	}
	rec := &Record{Info: info, Fault: f, Start: time.Now(), Through: through}
	p.records = append(p.records, rec)
	r := &relay{p: p, rec: rec, fault: f, near: near, server: server, dead: make(chan struct{})}
	p.live[r] = struct{}{}
	p.nLive.Add(1)
	p.wg.Add(2)
	p.mu.Unlock()
	r.left.Store(2)
	go r.pump(Up, server, near)
	go r.pump(Down, near, server)
	return nil
}

// relay is one proxied connection.
type relay struct {
	p            *Proxy
	rec          *Record // guarded by p.mu
	fault        Fault
	near, server *net.TCPConn

	left     atomic.Int32 // pumps still running
	fired    atomic.Bool
	up, down atomic.Int64
	errOnce  sync.Once
	err      error
	downOnce sync.Once
	dead     chan struct{} // closed by teardown
}

// pump copies one direction, firing the fault when it is this direction's.
// The copies are zero-copy (splice) between the two sockets.
func (r *relay) pump(dir Dir, dst, src *net.TCPConn) {
	defer r.p.wg.Done()
	defer r.pumpDone()
	count := &r.up
	if dir == Down {
		count = &r.down
	}
	f := r.fault
	armed := f.Kind != None && f.Dir == dir
	var n int64
	if armed && (f.Match != nil || f.Align != nil) {
		var err error
		if n, err = r.pumpScan(dst, src, count); err != nil {
			return
		}
		armed = false
	}
	for {
		if armed && n >= f.After {
			armed = false
			if !r.fire() {
				return
			}
			continue
		}
		var m int64
		var err error
		if armed {
			m, err = io.CopyN(dst, src, f.After-n)
			if err == io.EOF {
				err = nil // src ended before the fault's offset
				armed = false
			} else if err == nil {
				n += m
				count.Add(m)
				continue
			}
		} else {
			m, err = io.Copy(dst, src)
		}
		n += m
		count.Add(m)
		if err != nil {
			r.setErr(fmt.Errorf("%s: %w", dir, err))
			r.teardown(false)
			return
		}
		if !armed {
			// src sent FIN: pass it on, keep the other direction.
			dst.CloseWrite()
			return
		}
	}
}

// pumpScan forwards until the point Match or Align picks, fires the fault
// there, and returns the bytes forwarded. A non-nil error means this
// direction is over.
func (r *relay) pumpScan(dst, src *net.TCPConn, count *atomic.Int64) (int64, error) {
	f := r.fault
	pat := f.Match
	if pat == nil {
		pat = f.Align
	}
	buf := make([]byte, 32<<10)
	var tail, window []byte // tail: the last len(pat)-1 bytes forwarded
	var n int64
	write := func(b []byte) error {
		m, err := dst.Write(b)
		n += int64(m)
		count.Add(int64(m))
		if err != nil {
			r.setErr(fmt.Errorf("%s: %w", f.Dir, err))
			r.teardown(false)
		}
		return err
	}
	for {
		m, err := src.Read(buf)
		chunk := buf[:m]
		window = append(append(window[:0], tail...), chunk...)
		at := -1 // where in chunk the fault fires
		if f.Match != nil {
			if i := bytes.Index(window, pat); i >= 0 {
				at = max(0, i-len(tail))
			}
		} else {
			for off := 0; ; {
				i := bytes.Index(window[off:], pat)
				if i < 0 {
					break
				}
				if end := off + i + len(pat) - len(tail); end > 0 && n+int64(end) >= f.After {
					at = end
					break
				}
				off += i + 1
			}
		}
		if at >= 0 {
			if werr := write(chunk[:at]); werr != nil {
				return n, werr
			}
			if !r.fire() {
				return n, ErrClosed
			}
			if werr := write(chunk[at:]); werr != nil {
				return n, werr
			}
		} else if werr := write(chunk); werr != nil {
			return n, werr
		} else {
			tail = append(tail, chunk...)
			tail = tail[max(0, len(tail)-len(pat)+1):]
			if err == nil {
				continue
			}
		}
		switch {
		case err == io.EOF:
			dst.CloseWrite()
			return n, err
		case err != nil:
			r.setErr(fmt.Errorf("%s: %w", f.Dir, err))
			r.teardown(false)
			return n, err
		}
		return n, nil
	}
}

// fire applies the fault; false means the relay is over.
func (r *relay) fire() bool {
	r.fired.Store(true)
	switch r.fault.Kind {
	case Stall:
		t := time.NewTimer(r.fault.Stall)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.dead:
			return false
		}
	case Cut:
		r.teardown(false)
		return false
	case Reset:
		r.teardown(true)
		return false
	}
	return true
}

func (r *relay) setErr(err error) {
	r.errOnce.Do(func() { r.err = err })
}

// teardown closes both sides, with a RST when reset.
func (r *relay) teardown(reset bool) {
	r.downOnce.Do(func() {
		if reset {
			r.near.SetLinger(0)
			r.server.SetLinger(0)
		}
		r.near.Close()
		r.server.Close()
		close(r.dead)
	})
}

// pumpDone ends the relay when both directions are over.
func (r *relay) pumpDone() {
	if r.left.Add(-1) > 0 {
		return
	}
	// Both directions are over: close both sides (a cut or reset may have
	// done it already).
	r.teardown(false)
	p := r.p
	p.mu.Lock()
	r.rec.Fired = r.fired.Load()
	r.rec.Up, r.rec.Down = r.up.Load(), r.down.Load()
	r.rec.End = time.Now()
	if r.err != nil && !r.fired.Load() {
		// Errors after a fault fired are its consequence, not news.
		r.rec.Err = r.err.Error()
	}
	delete(p.live, r)
	if p.nLive.Add(-1) == 0 {
		close(p.idleCh)
		p.idleCh = make(chan struct{})
	}
	p.mu.Unlock()
}

// Live returns how many relays are running.
func (p *Proxy) Live() int { return int(p.nLive.Load()) }

// WaitIdle waits until no relay runs, or ctx is done.
func (p *Proxy) WaitIdle(ctx context.Context) error {
	for {
		p.mu.Lock()
		if len(p.live) == 0 {
			p.mu.Unlock()
			return nil
		}
		ch := p.idleCh
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("faultproxy: %d relays still running: %w", p.Live(), ctx.Err())
		}
	}
}

// Close stops the listeners, tears down every relay and waits for all the
// proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	ls := p.listeners
	p.listeners = nil
	live := make([]*relay, 0, len(p.live))
	for r := range p.live {
		live = append(live, r)
	}
	p.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	for _, r := range live {
		r.teardown(false)
	}
	p.wg.Wait()
	return nil
}

// Records returns what happened to each connection so far, in order.
func (p *Proxy) Records() []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Record, len(p.records))
	for i, r := range p.records {
		out[i] = *r
		if r.End.IsZero() {
			out[i].Up, out[i].Down = 0, 0 // not final; see the relay
		}
	}
	return out
}

// Log returns the records, one a line.
func (p *Proxy) Log() string {
	var b strings.Builder
	for _, r := range p.Records() {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Stats counts the faults that fired, by class and kind.
type Stats struct {
	Conns [2]int          // connections, by Class
	Fired [2]map[Kind]int // faults that took effect, by Class then Kind
	Armed [2]map[Kind]int // faults chosen, fired or not
	Bytes [2][2]int64     // bytes by Class then Dir
}

// Add adds o to s.
func (s *Stats) Add(o Stats) {
	for c := range 2 {
		s.Conns[c] += o.Conns[c]
		for k, n := range o.Fired[c] {
			if s.Fired[c] == nil {
				s.Fired[c] = map[Kind]int{}
			}
			s.Fired[c][k] += n
		}
		for k, n := range o.Armed[c] {
			if s.Armed[c] == nil {
				s.Armed[c] = map[Kind]int{}
			}
			s.Armed[c][k] += n
		}
		for d := range 2 {
			s.Bytes[c][d] += o.Bytes[c][d]
		}
	}
}

// FiredTotal returns how many faults took effect on connections of class c.
func (s *Stats) FiredTotal(c Class) int {
	n := 0
	for _, v := range s.Fired[c] {
		n += v
	}
	return n
}

// String summarises the fired faults: "control cut 3 stall 1 reset 2; data ...".
func (s Stats) String() string {
	var parts []string
	for _, c := range []Class{Control, Data} {
		kinds := make([]string, 0, 3)
		for _, k := range Kinds {
			kinds = append(kinds, fmt.Sprintf("%s %d/%d", k, s.Fired[c][k], s.Armed[c][k]))
		}
		sort.Strings(kinds)
		parts = append(parts, fmt.Sprintf("%s (%d conns): %s", c, s.Conns[c], strings.Join(kinds, ", ")))
	}
	return strings.Join(parts, "; ") + " (fired/chosen)"
}

// Stats returns the counts over the connections so far.
func (p *Proxy) Stats() Stats {
	var s Stats
	for _, r := range p.Records() {
		c := r.Class
		s.Conns[c]++
		s.Bytes[c][Up] += r.Up
		s.Bytes[c][Down] += r.Down
		if r.Fault.Kind == None {
			continue
		}
		if s.Armed[c] == nil {
			s.Armed[c] = map[Kind]int{}
		}
		s.Armed[c][r.Fault.Kind]++
		if r.Fired {
			if s.Fired[c] == nil {
				s.Fired[c] = map[Kind]int{}
			}
			s.Fired[c][r.Fault.Kind]++
		}
	}
	return s
}
