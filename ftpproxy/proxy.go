// Package ftpproxy opens FTP connections through SOCKS5 (with
// golang.org/x/net/proxy) and HTTP CONNECT proxies: Dialer returns a
// function for ftp.Config.DialContext, and the connections it opens tell
// the client (ftp.Tunnel) where passive data connections must go.

package ftpproxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed362563c3/ftp"
	"golang.org/x/net/proxy"
)

// Default proxy ports, used when the proxy URL names none.
const (
	defaultSOCKSPort = "1080"
	defaultHTTPPort  = "80"
)

type proxyKind int

const (
	socks5Local  proxyKind = iota // socks5://: the client resolves names
	socks5Remote                  // socks5h://: the proxy resolves names
	httpConnect                   // http://: CONNECT, the proxy resolves names
)

// Dialer returns a function for ftp.Config.DialContext that opens every
// connection, control and data alike, through the proxy named by proxyURL:
//
//   - socks5://[user:pass@]host[:port] — SOCKS5 (RFC 1928), with
//     username/password authentication (RFC 1929) when the URL has a user;
//     host names are resolved by the client and the proxy is given an IP.
//   - socks5h://[user:pass@]host[:port] — the same, but host names are
//     passed to the proxy, which resolves them.
//   - http://[user:pass@]host[:port] — an HTTP CONNECT tunnel, with
//     Proxy-Authorization: Basic when the URL has a user; the proxy
//     resolves host names.
//
// The port defaults to 1080 for SOCKS5 and 80 for HTTP. forward dials the
// proxy itself; nil means a zero net.Dialer. The context passed to the
// function bounds the proxy's dial and the whole handshake.
//
// Through a proxy, passive data connections are dialled to the host given
// to Dial (the proxy's own address is what the control connection sees as
// its peer), and active mode fails with ErrActiveThroughProxy. A tunnel
// the proxy refuses fails with a *Error.
func Dialer(proxyURL *url.URL, forward *net.Dialer) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	if proxyURL == nil {
		return nil, fmt.Errorf("ftp: proxy: %w: no URL", ftp.ErrInvalidArgument)
	}
	p := &proxyDialer{shown: proxyURL.Redacted()}
	if forward != nil {
		p.forward = *forward
	}
	port := defaultSOCKSPort
	switch strings.ToLower(proxyURL.Scheme) {
	case "socks5":
		p.kind = socks5Local
	case "socks5h":
		p.kind = socks5Remote
	case "http":
		p.kind, port = httpConnect, defaultHTTPPort
	default:
		return nil, fmt.Errorf("ftp: proxy %s: %w: scheme %q (want socks5, socks5h or http)", p.shown, ftp.ErrInvalidArgument, proxyURL.Scheme)
	}
	host := proxyURL.Hostname()
	if host == "" {
		return nil, fmt.Errorf("ftp: proxy %s: %w: no host", p.shown, ftp.ErrInvalidArgument)
	}
	if s := proxyURL.Port(); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("ftp: proxy %s: %w: bad port %q", p.shown, ftp.ErrInvalidArgument, s)
		}
		port = s
	}
	p.addr = net.JoinHostPort(host, port)
	if u := proxyURL.User; u != nil {
		p.user = u.Username()
		p.pass, _ = u.Password()
		p.auth = true
		if p.kind != httpConnect && (p.user == "" || len(p.user) > 255 || len(p.pass) > 255) {
			return nil, fmt.Errorf("ftp: proxy %s: %w: SOCKS5 needs a user name of 1 to 255 bytes and a password of at most 255", p.shown, ftp.ErrInvalidArgument)
		}
	}
	return p.dial, nil
}

// proxyDialer holds one parsed proxy URL.
type proxyDialer struct {
	kind       proxyKind
	addr       string // the proxy's host:port
	shown      string // the URL for messages, password redacted
	auth       bool   // the URL has credentials
	user, pass string
	forward    net.Dialer
}

// fail returns a *Error for err, or for the context's error when the
// context ended: a socket deadline set from the context's may fire just
// before the context reports it.
func (p *proxyDialer) fail(ctx context.Context, target string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		err = cerr
	} else if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		err = context.DeadlineExceeded
	}
	return &Error{Proxy: p.shown, Target: target, Err: err}
}

func (p *proxyDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, p.fail(ctx, addr, fmt.Errorf("%w: network %q", ftp.ErrInvalidArgument, network))
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, p.fail(ctx, addr, err)
	}
	switch {
	case p.kind == httpConnect:
		return p.connect(ctx, addr)
	case p.kind == socks5Remote || net.ParseIP(host) != nil:
		return p.socks(ctx, network, addr)
	}
	// socks5: resolve here, and try each address as net.Dialer would.
	ipNet := "ip"
	if network != "tcp" {
		ipNet = "ip" + network[3:]
	}
	r := p.forward.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, ipNet, host)
	if err != nil {
		return nil, p.fail(ctx, addr, err)
	}
	var errs []error
	for _, ip := range ips {
		nc, err := p.socks(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return nc, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, p.fail(ctx, addr, fmt.Errorf("no %s address for %s", ipNet, host))
	}
	return nil, errors.Join(errs...)
}

// capturingDialer dials the proxy for x/net/proxy and keeps the connection,
// so that the tunnel can be handed out as the *net.TCPConn it is.
type capturingDialer struct {
	d    *net.Dialer
	conn net.Conn
}

func (c *capturingDialer) Dial(network, addr string) (net.Conn, error) {
	return c.DialContext(context.Background(), network, addr)
}

func (c *capturingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nc, err := c.d.DialContext(ctx, network, addr)
	c.conn = nc
	return nc, err
}

// socks opens a SOCKS5 tunnel to target.
func (p *proxyDialer) socks(ctx context.Context, network, target string) (net.Conn, error) {
	var auth *proxy.Auth
	if p.auth {
		auth = &proxy.Auth{User: p.user, Password: p.pass}
	}
	fw := &capturingDialer{d: &p.forward}
	d, err := proxy.SOCKS5("tcp", p.addr, auth, fw)
	if err != nil {
		return nil, p.fail(ctx, target, err)
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, p.fail(ctx, target, errors.New("SOCKS5 dialer without DialContext"))
	}
	nc, err := cd.DialContext(ctx, network, target)
	if err != nil {
		return nil, p.fail(ctx, target, err)
	}
	// The SOCKS5 reply has a known length and x/net reads it exactly, so
	// nothing of the tunnel is buffered: the socket itself can be used,
	// which keeps sendfile and splice.
	if tc, ok := fw.conn.(*net.TCPConn); ok {
		return &tcpTunnel{TCPConn: tc, target: target}, nil
	}
	return &bufTunnel{Conn: nc, target: target}, nil
}

// connect opens an HTTP CONNECT tunnel to target.
func (p *proxyDialer) connect(ctx context.Context, target string) (net.Conn, error) {
	nc, err := p.forward.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, p.fail(ctx, target, err)
	}
	tc, err := p.handshakeHTTP(ctx, nc, target)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return tc, nil
}

// handshakeHTTP sends CONNECT and reads the proxy's answer; ctx ending stops
// the exchange.
func (p *proxyDialer) handshakeHTTP(ctx context.Context, nc net.Conn, target string) (net.Conn, error) {
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: target},
		Host:   target,
		Header: http.Header{},
	}
	if p.auth {
		cred := base64.StdEncoding.EncodeToString([]byte(p.user + ":" + p.pass))
		req.Header.Set("Proxy-Authorization", "Basic "+cred)
	}
	br := bufio.NewReader(nc)
	var resp *http.Response
	err := req.Write(nc)
	if err == nil {
		resp, err = http.ReadResponse(br, req)
	}
	if !stop() || err != nil {
		// stop false: ctx ended and the deadline is in the past.
		if err == nil {
			err = ctx.Err()
		}
		return nil, p.fail(ctx, target, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Proxy: p.shown, Target: target, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	if br.Buffered() > 0 {
		// The proxy sent the first bytes of the tunnel with its answer.
		return &bufTunnel{Conn: nc, br: br, target: target}, nil
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		return &tcpTunnel{TCPConn: tc, target: target}, nil
	}
	return &bufTunnel{Conn: nc, target: target}, nil
}

var (
	_ ftp.Tunnel = (*tcpTunnel)(nil)
	_ ftp.Tunnel = (*bufTunnel)(nil)
)

// tcpTunnel is a tunnel on a socket with nothing buffered: the
// *net.TCPConn stays embedded, so its ReadFrom and SyscallConn keep
// sendfile(2) and splice(2) working.
type tcpTunnel struct {
	*net.TCPConn
	target string
}

// TunnelTarget returns the address the proxy was asked to reach.
func (t *tcpTunnel) TunnelTarget() string { return t.target }

// bufTunnel is a tunnel whose first bytes may have been read with the
// proxy's answer: Read returns them before reading the connection.
type bufTunnel struct {
	net.Conn
	target string

	mu      sync.Mutex
	br      *bufio.Reader // nil when nothing was buffered
	drained atomic.Bool
}

// TunnelTarget returns the address the proxy was asked to reach.
func (t *bufTunnel) TunnelTarget() string { return t.target }

func (t *bufTunnel) Read(b []byte) (int, error) {
	if t.br != nil && !t.drained.Load() {
		t.mu.Lock()
		if t.br.Buffered() > 0 {
			n, err := t.br.Read(b) // only buffered bytes: no read on the socket
			t.mu.Unlock()
			return n, err
		}
		t.drained.Store(true)
		t.mu.Unlock()
	}
	return t.Conn.Read(b)
}

// aLongTimeAgo is a deadline that stops blocked I/O at once.
var aLongTimeAgo = time.Unix(1, 0)
