package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectProxy is a minimal HTTP CONNECT proxy that counts its tunnels.
type connectProxy struct {
	addr    string
	tunnels atomic.Int64
}

func startConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &connectProxy{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c)
			}()
		}
	}()
	return p
}

func (p *connectProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	p.tunnels.Add(1)
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{})
	go func() {
		io.Copy(up, br) // what the client sent, buffered or not
		if tc, ok := up.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		close(done)
	}()
	io.Copy(c, up)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	<-done
}

func TestProxy(t *testing.T) {
	srv, base := startServer(t)
	data := randomBytes(256<<10, 21)
	writeFile(t, filepath.Join(srv.Root, "p.bin"), data)
	proxy := startConnectProxy(t)
	local := filepath.Join(t.TempDir(), "p.bin")

	// --proxy: the control and the data connection go through it.
	requireOK(t, ftpc("--proxy", "http://"+proxy.addr, "get", base+"p.bin", local))
	assert.Equal(t, data, readFile(t, local))
	assert.GreaterOrEqual(t, proxy.tunnels.Load(), int64(2))

	// A proxy without a scheme is an HTTP proxy, as with curl.
	before := proxy.tunnels.Load()
	r := ftpc("ls", base, "--proxy", proxy.addr)
	requireOK(t, r)
	assert.Contains(t, r.stdout, "p.bin")
	assert.GreaterOrEqual(t, proxy.tunnels.Load()-before, int64(2))

	// The environment, lower case first; all_proxy too.
	for _, name := range []string{"ftp_proxy", "FTP_PROXY", "all_proxy", "ALL_PROXY"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, "http://"+proxy.addr)
			before := proxy.tunnels.Load()
			requireOK(t, ftpc("size", base+"p.bin"))
			assert.Equal(t, int64(1), proxy.tunnels.Load()-before)

			// --proxy "" turns it off, and no_proxy too.
			before = proxy.tunnels.Load()
			requireOK(t, ftpc("size", "--proxy", "", base+"p.bin"))
			t.Setenv("no_proxy", "example.com, 127.0.0.0/8")
			requireOK(t, ftpc("size", base+"p.bin"))
			assert.Equal(t, before, proxy.tunnels.Load())
		})
	}
	// The flag wins over the environment.
	t.Setenv("all_proxy", "http://127.0.0.1:1")
	before = proxy.tunnels.Load()
	requireOK(t, ftpc("size", "--proxy", "http://"+proxy.addr, base+"p.bin"))
	assert.Equal(t, int64(1), proxy.tunnels.Load()-before)
	os.Unsetenv("all_proxy")

	// Active mode cannot work through a proxy.
	r = ftpc("get", "--active", "--proxy", "http://"+proxy.addr, base+"p.bin", local)
	requireOneLineError(t, r, exitUsage)
	assert.Contains(t, r.stderr, "--active")
	// An unknown proxy scheme is a usage error that shows no password.
	r = ftpc("ls", "--proxy", "https://user:hunter2@"+proxy.addr, base)
	requireOneLineError(t, r, exitUsage)
	assert.Contains(t, r.stderr, "scheme")
	assert.NotContains(t, r.stderr, "hunter2")
}

func TestNoProxyMatch(t *testing.T) {
	tests := []struct {
		list, host string
		want       bool
	}{
		{"", "example.com", false},
		{"*", "example.com", true},
		{"example.com", "example.com", true},
		{"example.com", "ftp.EXAMPLE.com", true},
		{".example.com", "ftp.example.com", true},
		{"example.com", "badexample.com", false},
		{"a.test,example.com", "example.com", true},
		{"a.test example.com", "example.com", true},
		{"10.0.0.0/8", "10.1.2.3", true},
		{"10.0.0.0/8", "11.1.2.3", false},
		{"::1", "::1", true},
		{"[::1]", "::1", true},
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.1", "127.0.0.10", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, noProxyMatch(tt.list, tt.host), "%q %q", tt.list, tt.host)
	}
}
