// Proxy tests: a small SOCKS5 server and HTTP CONNECT proxy on loopback,
// in front of the in-process FTP server.

package ftpproxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// proxyTestName is a host name only the test proxies can resolve.
const proxyTestName = "ftp.proxy-test.invalid"

// testProxy is a listening proxy whose handler speaks SOCKS5 or HTTP
// CONNECT. It records the target of every tunnel it opens.
type testProxy struct {
	ln    net.Listener
	hosts map[string]string // names the proxy resolves, to IPs

	mu      sync.Mutex
	targets []string // host:port of each tunnel opened, as requested
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// startTestProxy listens on 127.0.0.1 and serves each connection with
// handle until the test ends.
func startTestProxy(t *testing.T, handle func(p *testProxy, c net.Conn)) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &testProxy{
		ln:    ln,
		hosts: map[string]string{proxyTestName: "127.0.0.1", "localhost": "127.0.0.1"},
		conns: map[net.Conn]struct{}{},
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.track(c) {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer p.untrack(c)
				handle(p, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.conns = nil
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *testProxy) addr() string { return p.ln.Addr().String() }

// track registers c for closing at the end; false once the proxy is closed.
func (p *testProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *testProxy) untrack(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// tunnels returns the targets of the tunnels opened so far.
func (p *testProxy) tunnels() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// dialTarget connects to target, resolving only the names in p.hosts.
func (p *testProxy) dialTarget(target string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, err
	}
	if ip, ok := p.hosts[host]; ok {
		host = ip
	} else if net.ParseIP(host) == nil {
		return nil, fmt.Errorf("test proxy: unknown host %q", host)
	}
	up, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 5*time.Second)
	if err != nil {
		return nil, err
	}
	if !p.track(up) {
		return nil, net.ErrClosed
	}
	return up, nil
}

// relay copies both ways between the client (read through cr) and up,
// passing on each half-close, and records the tunnel.
func (p *testProxy) relay(target string, c net.Conn, cr io.Reader, up net.Conn) {
	p.mu.Lock()
	p.targets = append(p.targets, target)
	p.mu.Unlock()
	defer p.untrack(up)
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(up, cr)
		closeWrite(up)
	}()
	io.Copy(c, up)
	closeWrite(c)
	<-done
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	} else {
		c.Close()
	}
}

// socks5Handler serves SOCKS5 CONNECT (RFC 1928), with username/password
// authentication (RFC 1929) when user is set.
func socks5Handler(user, pass string) func(p *testProxy, c net.Conn) {
	return func(p *testProxy, c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		read := func(n int) []byte {
			b := make([]byte, n)
			if _, err := io.ReadFull(br, b); err != nil {
				return nil
			}
			return b
		}
		hdr := read(2)
		if hdr == nil || hdr[0] != 5 {
			return
		}
		methods := read(int(hdr[1]))
		if methods == nil {
			return
		}
		method := byte(0x00)
		if user != "" {
			method = 0x02
		}
		if !bytes.Contains(methods, []byte{method}) {
			c.Write([]byte{5, 0xff})
			return
		}
		c.Write([]byte{5, method})
		if method == 0x02 {
			h := read(2)
			if h == nil || h[0] != 1 {
				return
			}
			u := read(int(h[1]))
			pl := read(1)
			if u == nil || pl == nil {
				return
			}
			pw := read(int(pl[0]))
			if pw == nil {
				return
			}
			if string(u) != user || string(pw) != pass {
				c.Write([]byte{1, 1})
				return
			}
			c.Write([]byte{1, 0})
		}
		reply := func(code byte) { c.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0}) }
		req := read(4)
		if req == nil || req[0] != 5 {
			return
		}
		if req[1] != 1 {
			reply(7) // command not supported
			return
		}
		var host string
		switch req[3] {
		case 1:
			host = net.IP(read(4)).String()
		case 4:
			host = net.IP(read(16)).String()
		case 3:
			n := read(1)
			if n == nil {
				return
			}
			host = string(read(int(n[0])))
		default:
			reply(8) // address type not supported
			return
		}
		pb := read(2)
		if pb == nil {
			return
		}
		target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(pb))))
		up, err := p.dialTarget(target)
		if err != nil {
			reply(5) // connection refused
			return
		}
		reply(0)
		c.SetDeadline(time.Time{})
		p.relay(target, c, br, up)
	}
}

// httpConnectHandler serves HTTP CONNECT, asking for Basic credentials
// (407) when user is set.
func httpConnectHandler(user, pass string) func(p *testProxy, c net.Conn) {
	return func(p *testProxy, c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.Method != http.MethodConnect || req.Host != req.RequestURI {
			io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
			return
		}
		if user != "" {
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
			if req.Header.Get("Proxy-Authorization") != want {
				io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\n"+
					"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 12\r\n\r\nlogin first\n")
				return
			}
		}
		target := req.RequestURI
		up, err := p.dialTarget(target)
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			return
		}
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		c.SetDeadline(time.Time{})
		p.relay(target, c, br, up)
	}
}

func proxyTestCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func proxyURL(scheme, addr, user, pass string) *url.URL {
	u := &url.URL{Scheme: scheme, Host: addr}
	if user != "" {
		u.User = url.UserPassword(user, pass)
	}
	return u
}

func TestProxyEndToEnd(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{User: "u", Password: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, port, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)

	cases := []struct {
		name        string
		scheme      string
		handler     func(p *testProxy, c net.Conn)
		user, pass  string
		host        string // the host given to Dial
		disableEPSV bool
	}{
		{"SOCKS5", "socks5", socks5Handler("", ""), "", "", "127.0.0.1", false},
		{"SOCKS5Auth", "socks5", socks5Handler("alice", "s3cret"), "alice", "s3cret", "127.0.0.1", false},
		{"SOCKS5hName", "socks5h", socks5Handler("", ""), "", "", proxyTestName, false},
		{"SOCKS5hNameAuthPASV", "socks5h", socks5Handler("alice", "s3cret"), "alice", "s3cret", proxyTestName, true},
		{"HTTP", "http", httpConnectHandler("", ""), "", "", proxyTestName, false},
		{"HTTPAuth", "http", httpConnectHandler("alice", "s3cret"), "alice", "s3cret", proxyTestName, false},
		{"HTTPPASV", "http", httpConnectHandler("", ""), "", "", proxyTestName, true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			px := startTestProxy(t, tc.handler)
			dial, err := Dialer(proxyURL(tc.scheme, px.addr(), tc.user, tc.pass), nil)
			require.NoError(t, err)
			cfg := &ftp.Config{User: "u", Password: "p", DialContext: dial, DisableEPSV: tc.disableEPSV}
			ctx := proxyTestCtx(t)
			c, err := ftp.Dial(ctx, net.JoinHostPort(tc.host, port), cfg)
			require.NoError(t, err)
			defer c.Close()

			// Files on both sides, so that the zero-copy paths (sendfile,
			// splice) run over the tunnel.
			data := make([]byte, 1<<20+17)
			_, err = rand.Read(data)
			require.NoError(t, err)
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			require.NoError(t, os.WriteFile(src, data, 0o600))
			f, err := os.Open(src)
			require.NoError(t, err)
			defer f.Close()
			name := "proxied-" + strconv.Itoa(i) + ".bin"
			n, err := testutil.Send(c.Store(ctx, name))(f)
			require.NoError(t, err)
			assert.Equal(t, int64(len(data)), n)
			onServer, err := os.ReadFile(filepath.Join(srv.Root, name))
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, onServer), "the server holds what was sent")

			r, err := c.Retrieve(ctx, name)
			require.NoError(t, err)
			out, err := os.Create(filepath.Join(dir, "dst"))
			require.NoError(t, err)
			defer out.Close()
			_, err = io.Copy(out, r)
			require.NoError(t, err)
			require.NoError(t, r.Close())
			got, err := os.ReadFile(out.Name())
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, got), "the file round-trips byte-identical")
			require.NoError(t, c.Close())

			// The control connection and one data connection per transfer
			// went through the proxy, all to the host given to Dial.
			targets := px.tunnels()
			require.GreaterOrEqual(t, len(targets), 3, "tunnels: %v", targets)
			assert.Equal(t, net.JoinHostPort(tc.host, port), targets[0], "control connection")
			for _, target := range targets[1:] {
				host, dport, err := net.SplitHostPort(target)
				require.NoError(t, err)
				assert.Equal(t, tc.host, host, "data connection %s goes to the server's host", target)
				assert.NotEqual(t, port, dport)
			}
		})
	}
}

func TestProxyExplicitTLS(t *testing.T) {
	cert, err := embedded.NewCertificate()
	require.NoError(t, err)
	srv, err := embedded.Start(embedded.Options{User: "u", Password: "p", TLS: cert.ServerConfig(), TLSRequired: ftpserver.MandatoryEncryption})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, port, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)

	px := startTestProxy(t, httpConnectHandler("", ""))
	dial, err := Dialer(proxyURL("http", px.addr(), "", ""), nil)
	require.NoError(t, err)
	// "localhost" is resolved by the proxy only, and is the certificate's
	// name: the server's name is checked, not the proxy's.
	cfg := &ftp.Config{User: "u", Password: "p", DialContext: dial, TLS: ftp.TLSExplicit,
		TLSConfig: &tls.Config{RootCAs: cert.Pool}}
	ctx := proxyTestCtx(t)
	c, err := ftp.Dial(ctx, net.JoinHostPort("localhost", port), cfg)
	require.NoError(t, err)
	defer c.Close()
	data := bytes.Repeat([]byte("through the tunnel, encrypted\n"), 10000)
	_, err = testutil.Send(c.Store(ctx, "tls.txt"))(bytes.NewReader(data))
	require.NoError(t, err)
	r, err := c.Retrieve(ctx, "tls.txt")
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.True(t, bytes.Equal(data, got))
	require.NoError(t, c.Close())
	targets := px.tunnels()
	require.GreaterOrEqual(t, len(targets), 3, "tunnels: %v", targets)
	for _, target := range targets {
		assert.True(t, strings.HasPrefix(target, "localhost:"), target)
	}
}

func TestProxySOCKS5ResolvesLocally(t *testing.T) {
	addrs, err := net.DefaultResolver.LookupHost(context.Background(), "localhost")
	if err != nil || !containsString(addrs, "127.0.0.1") {
		t.Skipf("localhost does not resolve to 127.0.0.1 here: %v %v", addrs, err)
	}
	srv, err := embedded.Start(embedded.Options{User: "u", Password: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, port, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)
	px := startTestProxy(t, socks5Handler("", ""))
	delete(px.hosts, "localhost") // the proxy must be given an address
	dial, err := Dialer(proxyURL("socks5", px.addr(), "", ""), nil)
	require.NoError(t, err)
	ctx := proxyTestCtx(t)
	c, err := ftp.Dial(ctx, "localhost:"+port, &ftp.Config{User: "u", Password: "p", DialContext: dial})
	require.NoError(t, err)
	defer c.Close()
	_, err = testutil.Send(c.Store(ctx, "local.txt"))(strings.NewReader("resolved by the client"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	targets := px.tunnels()
	require.GreaterOrEqual(t, len(targets), 2, "tunnels: %v", targets)
	for _, target := range targets {
		host, _, err := net.SplitHostPort(target)
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1", host, "socks5:// sends addresses, not names")
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestProxyActiveModeRefused(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{User: "u", Password: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	px := startTestProxy(t, socks5Handler("", ""))
	dial, err := Dialer(proxyURL("socks5", px.addr(), "", ""), nil)
	require.NoError(t, err)
	ctx := proxyTestCtx(t)
	c, err := ftp.Dial(ctx, srv.Addr, &ftp.Config{User: "u", Password: "p", DialContext: dial, Active: &ftp.ActiveConfig{}})
	require.NoError(t, err)
	defer c.Close()
	_, err = testutil.Send(c.Store(ctx, "active.txt"))(strings.NewReader("x"))
	require.ErrorIs(t, err, ftp.ErrActiveThroughProxy)
	require.NoError(t, c.NoOp(ctx), "the connection stays usable")
	assert.Len(t, px.tunnels(), 1, "only the control connection was tunnelled")
}

func TestProxyHTTPRefusals(t *testing.T) {
	px := startTestProxy(t, httpConnectHandler("alice", "s3cret"))
	cases := []struct {
		name       string
		user, pass string
	}{
		{"NoCredentials", "", ""},
		{"WrongPassword", "alice", "wrong-password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dial, err := Dialer(proxyURL("http", px.addr(), tc.user, tc.pass), nil)
			require.NoError(t, err)
			_, err = ftp.Dial(proxyTestCtx(t), "127.0.0.1:21", &ftp.Config{DialContext: dial})
			require.Error(t, err)
			var pe *Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, http.StatusProxyAuthRequired, pe.StatusCode)
			assert.Equal(t, "407 Proxy Authentication Required", pe.Status)
			assert.Equal(t, "127.0.0.1:21", pe.Target)
			assert.Contains(t, err.Error(), "407 Proxy Authentication Required")
			if tc.pass != "" {
				assert.NotContains(t, err.Error(), tc.pass, "the password is redacted")
			}
		})
	}
	assert.Empty(t, px.tunnels())

	t.Run("BadGateway", func(t *testing.T) {
		px := startTestProxy(t, httpConnectHandler("", ""))
		dial, err := Dialer(proxyURL("http", px.addr(), "", ""), nil)
		require.NoError(t, err)
		_, err = dial(proxyTestCtx(t), "tcp", "no-such-host.invalid:21")
		var pe *Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, http.StatusBadGateway, pe.StatusCode)
	})
}

func TestProxySOCKS5Refusals(t *testing.T) {
	px := startTestProxy(t, socks5Handler("alice", "s3cret"))
	ctx := proxyTestCtx(t)
	for _, u := range []*url.URL{
		proxyURL("socks5", px.addr(), "alice", "wrong-password"),
		proxyURL("socks5", px.addr(), "", ""), // no acceptable method
		proxyURL("socks5h", px.addr(), "alice", "wrong-password"),
	} {
		dial, err := Dialer(u, nil)
		require.NoError(t, err)
		_, err = dial(ctx, "tcp", "127.0.0.1:21")
		var pe *Error
		require.ErrorAs(t, err, &pe, u.Redacted())
		assert.Equal(t, "127.0.0.1:21", pe.Target)
		assert.Zero(t, pe.StatusCode)
		assert.NotContains(t, err.Error(), "wrong-password")
	}
	// The proxy cannot reach the target.
	open := startTestProxy(t, socks5Handler("", ""))
	dial, err := Dialer(proxyURL("socks5h", open.addr(), "", ""), nil)
	require.NoError(t, err)
	_, err = dial(ctx, "tcp", "no-such-host.invalid:21")
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Empty(t, px.tunnels())
	assert.Empty(t, open.tunnels())
}

// silentProxy accepts connections and never answers.
func silentProxy(t *testing.T) string {
	px := startTestProxy(t, func(p *testProxy, c net.Conn) { io.Copy(io.Discard, c) })
	return px.addr()
}

func TestProxyHandshakeHonoursContext(t *testing.T) {
	addr := silentProxy(t)
	for _, scheme := range []string{"http", "socks5h"} {
		t.Run(scheme+"/deadline", func(t *testing.T) {
			dial, err := Dialer(proxyURL(scheme, addr, "", ""), nil)
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = dial(ctx, "tcp", "example.invalid:21")
			require.ErrorIs(t, err, context.DeadlineExceeded)
			var pe *Error
			require.ErrorAs(t, err, &pe)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
		t.Run(scheme+"/cancel", func(t *testing.T) {
			dial, err := Dialer(proxyURL(scheme, addr, "", ""), nil)
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			_, err = dial(ctx, "tcp", "example.invalid:21")
			require.ErrorIs(t, err, context.Canceled)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
	t.Run("DialTimeout", func(t *testing.T) {
		// Config.DialTimeout bounds the handshake through Dial.
		dial, err := Dialer(proxyURL("http", addr, "", ""), nil)
		require.NoError(t, err)
		start := time.Now()
		_, err = ftp.Dial(context.Background(), "example.invalid:21", &ftp.Config{DialContext: dial, DialTimeout: 150 * time.Millisecond})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

func TestProxyHTTPBufferedBytes(t *testing.T) {
	// A proxy that sends the tunnel's first bytes in the same segment as
	// its answer, then echoes.
	px := startTestProxy(t, func(p *testProxy, c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\n220 hello from the tunnel\r\n")
		io.Copy(c, br)
	})
	dial, err := Dialer(proxyURL("http", px.addr(), "", ""), nil)
	require.NoError(t, err)
	nc, err := dial(proxyTestCtx(t), "tcp", "server.invalid:21")
	require.NoError(t, err)
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "220 hello from the tunnel\r\n", line)
	_, err = io.WriteString(nc, "echo\n")
	require.NoError(t, err)
	line, err = br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "echo\n", line)
	tun, ok := nc.(ftp.Tunnel)
	require.True(t, ok, "a tunnel tells the client its target")
	assert.Equal(t, "server.invalid:21", tun.TunnelTarget())
}

func TestProxyDialerBadURL(t *testing.T) {
	for _, raw := range []string{
		"ftp://proxy:21",
		"https://proxy:443",
		"socks4://proxy:1080",
		"socks5://:1080",
		"socks5://proxy:0",
		"http://proxy:99999",
		"socks5://:pass@proxy:1080",
		"socks5://" + strings.Repeat("u", 256) + ":p@proxy:1080",
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err, raw)
		_, err = Dialer(u, nil)
		assert.ErrorIs(t, err, ftp.ErrInvalidArgument, raw)
	}
	_, err := Dialer(nil, nil)
	assert.ErrorIs(t, err, ftp.ErrInvalidArgument)
	u, _ := url.Parse("http://alice:topsecret@proxy")
	_, err = Dialer(&url.URL{Scheme: "gopher", Host: "h", User: u.User}, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "topsecret")

	dial, err := Dialer(&url.URL{Scheme: "SOCKS5H", Host: "127.0.0.1"}, &net.Dialer{})
	require.NoError(t, err)
	_, err = dial(context.Background(), "udp", "127.0.0.1:21")
	assert.ErrorIs(t, err, ftp.ErrInvalidArgument)
	var pe *Error
	assert.True(t, errors.As(err, &pe))
}
