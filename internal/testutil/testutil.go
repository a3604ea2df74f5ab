// Package testutil holds what the tests of the packages built on the
// client share: the in-process server, a context bounded by the test,
// random data, and the client side of the scripted fake server. (The
// client's own tests cannot import it: it imports the client.)
package testutil

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
)

// StartServer starts an in-process server, closed when the test ends.
func StartServer(t testing.TB, opts embedded.Options) *embedded.Server {
	t.Helper()
	srv, err := embedded.Start(opts)
	if err != nil {
		t.Fatalf("starting the in-process server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// Ctx is a context that ends with the test, or after a minute.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// RandomBytes returns n bytes that differ from test to test.
func RandomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(time.Now().UnixNano())})
	r.Read(b)
	return b
}

// FakeConfig is the Config of transcript tests: user u, password p, and
// timeouts short enough that a broken script cannot hang a test.
func FakeConfig() *ftp.Config {
	return &ftp.Config{User: "u", Password: "p", ReplyTimeout: 5 * time.Second, DialTimeout: 5 * time.Second}
}

// Pool is a pool of connections to srv with cfg (FakeConfig when nil),
// closed when the test ends.
func Pool(t testing.TB, addr string, cfg *ftp.Config, maxOpen int) *ftp.Pool {
	if cfg == nil {
		cfg = FakeConfig()
	}
	p := ftp.NewPool(addr, cfg, &ftp.PoolOptions{MaxOpen: maxOpen})
	t.Cleanup(func() { p.Close() })
	return p
}

// DialFake connects to a fake server and logs in; the Conn is closed when
// the test ends.
func DialFake(t testing.TB, srv *fakeftp.Server, cfg *ftp.Config) *ftp.Conn {
	t.Helper()
	if cfg == nil {
		cfg = FakeConfig()
	}
	c, err := ftp.Dial(fakeftp.Ctx(t), srv.Addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Send uploads r through the Writer that a Store, StoreFrom or Append
// call returned, and says what the server confirmed (Writer.Send).
func Send(w *ftp.Writer, err error) func(io.Reader) (int64, error) {
	return func(r io.Reader) (int64, error) {
		if err != nil {
			return 0, err
		}
		return w.Send(r)
	}
}

// DialServer starts an in-process server for user u, password p, and
// logs in to it with cfg (nil for the zero Config) carrying those
// credentials.
func DialServer(t testing.TB, cfg *ftp.Config) (*ftp.Conn, *embedded.Server) {
	t.Helper()
	srv := StartServer(t, embedded.Options{User: "u", Password: "p"})
	if cfg == nil {
		cfg = &ftp.Config{}
	}
	cfg = cfg.Clone()
	cfg.User, cfg.Password = "u", "p"
	c, err := ftp.Dial(Ctx(t), srv.Addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, srv
}

// WantCommands fails the test unless the command lines a fake server
// received after USER and PASS are want.
func WantCommands(t testing.TB, srv *fakeftp.Server, want ...string) {
	t.Helper()
	lines := fakeftp.Lines(srv.Transcript())
	if len(lines) < 2 {
		t.Errorf("transcript %q: no login", srv.Transcript())
		return
	}
	if got := lines[2:]; !slices.Equal(got, want) {
		t.Errorf("commands after USER and PASS:\n got %q\nwant %q", got, want)
	}
}

// cutConn closes itself after budget bytes in either direction.
type cutConn struct {
	net.Conn
	budget atomic.Int64
}

func (c *cutConn) spend(n int) bool {
	if c.budget.Add(-int64(n)) < 0 {
		c.Conn.Close()
		return false
	}
	return true
}

func (c *cutConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.spend(n) {
		return 0, net.ErrClosed
	}
	return n, err
}

func (c *cutConn) Write(p []byte) (int, error) {
	if !c.spend(len(p)) {
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// CuttingDialer cuts the first cuts data connections after budget bytes;
// the control connections (to controlAddr) are left alone.
func CuttingDialer(controlAddr string, cuts int, budget int64) (func(context.Context, string, string) (net.Conn, error), *atomic.Int32) {
	var cut atomic.Int32
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil || addr == controlAddr || int(cut.Load()) >= cuts {
			return nc, err
		}
		cut.Add(1)
		cc := &cutConn{Conn: nc}
		cc.budget.Store(budget)
		return cc, nil
	}, &cut
}
