// Rate limits: the token bucket's arithmetic on a fake clock, and every
// transfer path (splice, sendfile, buffered, TLS) paced through it.

package ftp

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock stands in for time in a RateLimiter: sleeping advances it at
// once, and it adds up how long the limiter asked to wait.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	slept  time.Duration
	sleeps int
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
	f.slept += d
	f.sleeps++
	return nil
}

func (f *fakeClock) total() (time.Duration, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slept, f.sleeps
}

// fakeLimiter returns a limiter of rate bytes per second on a fake clock.
func fakeLimiter(rate int64) (*RateLimiter, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	l := NewRateLimiter(rate)
	l.now, l.sleep, l.last = clk.now, clk.sleep, clk.t
	return l, clk
}

// wantPaced asserts that moving n bytes at rate made the limiter wait
// what a full bucket (a tenth of a second) leaves: (n - rate/10) / rate,
// within one chunk either way.
func wantPaced(t *testing.T, clk *fakeClock, rate int64, n int) {
	t.Helper()
	slept, sleeps := clk.total()
	want := time.Duration(float64(int64(n)-rate/10) / float64(rate) * float64(time.Second))
	slack := time.Duration(float64(maxPaceChunk) / float64(rate) * float64(time.Second))
	assert.InDelta(t, want.Seconds(), slept.Seconds(), slack.Seconds(),
		"slept %v in %d waits for %d bytes at %d B/s", slept, sleeps, n, rate)
	assert.Greater(t, sleeps, 1, "pacing waits between chunks, not once")
}

func TestRateLimiterArithmetic(t *testing.T) {
	ctx := context.Background()
	l, clk := fakeLimiter(1000)
	// The bucket starts full: a tenth of a second moves at once.
	require.NoError(t, l.WaitN(ctx, 100))
	slept, _ := clk.total()
	assert.Zero(t, slept)
	// The next 500 bytes wait half a second.
	require.NoError(t, l.WaitN(ctx, 500))
	slept, _ = clk.total()
	assert.Equal(t, 500*time.Millisecond, slept)
	// A long pause refills no more than the bucket.
	clk.t = clk.t.Add(time.Hour)
	require.NoError(t, l.WaitN(ctx, 1100))
	slept, _ = clk.total()
	assert.Equal(t, 1500*time.Millisecond, slept)
	// A wait cut short by the context gives its bytes back.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, l.WaitN(cancelled, 5000), context.Canceled)
	require.NoError(t, l.WaitN(ctx, 1000))
	slept, _ = clk.total()
	assert.Equal(t, 2500*time.Millisecond, slept, "the cancelled 5000 bytes were given back")

	l.SetRate(2000)
	assert.Equal(t, int64(2000), l.Rate())
	l.SetRate(0) // ignored
	assert.Equal(t, int64(2000), l.Rate())
	assert.Panics(t, func() { NewRateLimiter(0) })
}

func TestRateLimiterChunks(t *testing.T) {
	for _, tc := range []struct{ rate, chunk int64 }{
		{1000, minPaceChunk},
		{1 << 20, 1 << 20 / 10},
		{100 << 20, maxPaceChunk},
	} {
		assert.Equal(t, int(tc.chunk), NewRateLimiter(tc.rate).chunk(), "rate %d", tc.rate)
	}
}

// rateCase is one way of moving data that must be paced.
type rateCase struct {
	name string
	tls  bool
	// move transfers data (len n) to or from the server under c, and
	// returns what the server or the local side ends up holding.
	move func(t *testing.T, c *Conn, dir string, data []byte, own int64) []byte
}

func rateCases() []rateCase {
	get := func(sink string) func(*testing.T, *Conn, string, []byte, int64) []byte {
		return func(t *testing.T, c *Conn, dir string, data []byte, own int64) []byte {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "src.bin"), data, 0o644))
			r, err := c.Retrieve(testCtx(t), "src.bin")
			require.NoError(t, err)
			r.SetRateLimit(own)
			defer r.Close()
			switch sink {
			case "file": // splice(2) on plain connections
				out := filepath.Join(t.TempDir(), "out.bin")
				f, err := os.Create(out)
				require.NoError(t, err)
				_, err = io.Copy(f, r)
				require.NoError(t, err)
				require.NoError(t, f.Close())
				require.NoError(t, r.Close())
				got, err := os.ReadFile(out)
				require.NoError(t, err)
				return got
			default: // Read with a large buffer
				var got []byte
				buf := make([]byte, 4<<20)
				for {
					n, err := r.Read(buf)
					got = append(got, buf[:n]...)
					if err == io.EOF {
						break
					}
					require.NoError(t, err)
				}
				require.NoError(t, r.Close())
				return got
			}
		}
	}
	put := func(src string) func(*testing.T, *Conn, string, []byte, int64) []byte {
		return func(t *testing.T, c *Conn, dir string, data []byte, own int64) []byte {
			w, err := c.Store(testCtx(t), "dst.bin")
			require.NoError(t, err)
			w.SetRateLimit(own)
			switch src {
			case "file": // sendfile(2) on plain connections
				in := filepath.Join(t.TempDir(), "in.bin")
				require.NoError(t, os.WriteFile(in, data, 0o644))
				f, err := os.Open(in)
				require.NoError(t, err)
				defer f.Close()
				_, err = w.Send(f)
				require.NoError(t, err)
			case "buffered":
				_, err = w.Send(bytes.NewReader(data))
				require.NoError(t, err)
			default: // one large Write
				_, err = w.Write(data)
				require.NoError(t, err)
				require.NoError(t, w.Close())
			}
			got, err := os.ReadFile(filepath.Join(dir, "dst.bin"))
			require.NoError(t, err)
			return got
		}
	}
	return []rateCase{
		{"get splice", false, get("file")},
		{"get read", false, get("read")},
		{"get TLS", true, get("file")},
		{"put sendfile", false, put("file")},
		{"put buffered", false, put("buffered")},
		{"put write", false, put("write")},
		{"put TLS", true, put("file")},
	}
}

// dialRateServer logs in to an in-process server, over TLS if asked.
func dialRateServer(t *testing.T, useTLS bool, cfg *Config) (*Conn, string) {
	t.Helper()
	if !useTLS {
		c, srv := dialServer(t, cfg)
		return c, srv.Root
	}
	srv, cert, _ := startTLSServer(t, ftpserver.MandatoryEncryption)
	cfg = cfg.Clone()
	cfg.User, cfg.Password, cfg.TLS = "u", "p", TLSExplicit
	cfg.TLSConfig = &tls.Config{RootCAs: cert.Pool}
	c, err := Dial(testCtx(t), srv.Addr, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, srv.Root
}

func TestRateLimitPacesEveryPath(t *testing.T) {
	const n = 3 << 20
	const rate = 1 << 20
	data := randomBytes(t, n)
	for _, tc := range rateCases() {
		t.Run(tc.name+"/config", func(t *testing.T) {
			l, clk := fakeLimiter(rate)
			c, dir := dialRateServer(t, tc.tls, &Config{RateLimiter: l})
			got := tc.move(t, c, dir, data, 0)
			require.True(t, bytes.Equal(data, got), "the bytes arrived whole")
			wantPaced(t, clk, rate, n)
		})
	}
	// A transfer's own limit paces it on top of the Config's: both wait.
	t.Run("own and config", func(t *testing.T) {
		l, clk := fakeLimiter(rate)
		c, dir := dialRateServer(t, false, &Config{RateLimiter: l})
		require.NoError(t, os.WriteFile(filepath.Join(dir, "src.bin"), data, 0o644))
		r, err := c.Retrieve(testCtx(t), "src.bin")
		require.NoError(t, err)
		r.SetRateLimit(rate / 2)
		own := r.own
		ownClk := &fakeClock{t: time.Unix(1e9, 0)}
		own.now, own.sleep, own.last = ownClk.now, ownClk.sleep, ownClk.t
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.True(t, bytes.Equal(data, got))
		wantPaced(t, ownClk, rate/2, n)
		slept, _ := clk.total()
		assert.Positive(t, slept, "the Config's limiter paced too")
	})
	// Lifting the transfer's own limit leaves it unpaced.
	t.Run("own lifted", func(t *testing.T) {
		c, dir := dialRateServer(t, false, nil)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "src.bin"), data, 0o644))
		r, err := c.Retrieve(testCtx(t), "src.bin")
		require.NoError(t, err)
		r.SetRateLimit(1)
		r.SetRateLimit(0)
		assert.Empty(t, r.t.limits)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.True(t, bytes.Equal(data, got))
	})
}

// A Pool's connections share its Config's limiter: two transfers on two
// connections wait as one stream of twice the bytes.
func TestRateLimitSharedByPool(t *testing.T) {
	const n = 2 << 20
	const rate = 1 << 20
	data := randomBytes(t, n)
	srv := startServer(t, embedded.Options{User: "u", Password: "p"})
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "src.bin"), data, 0o644))
	l, clk := fakeLimiter(rate)
	p := NewPool(srv.Addr, &Config{User: "u", Password: "p", RateLimiter: l}, &PoolOptions{MaxOpen: 2})
	t.Cleanup(func() { p.Close() })
	ctx := testCtx(t)
	c1, err := p.Conn(ctx)
	require.NoError(t, err)
	c2, err := p.Conn(ctx)
	require.NoError(t, err)
	for _, c := range []*PoolConn{c1, c2} {
		r, err := c.Retrieve(ctx, "src.bin")
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.True(t, bytes.Equal(data, got))
	}
	require.NoError(t, c1.Close())
	require.NoError(t, c2.Close())
	wantPaced(t, clk, rate, 2*n)
}

// A cancelled context ends a paced transfer with the context's error,
// not after the wait the limit asked for.
func TestRateLimitCancelled(t *testing.T) {
	l := NewRateLimiter(64 << 10) // 48 s for 3 MiB: the test would notice
	c, srv := dialServer(t, &Config{RateLimiter: l})
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "src.bin"), randomBytes(t, 3<<20), 0o644))
	ctx, cancel := context.WithCancel(testCtx(t))
	r, err := c.Retrieve(ctx, "src.bin")
	require.NoError(t, err)
	buf := make([]byte, 32<<10)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	cancel()
	_, err = io.Copy(io.Discard, r)
	assert.ErrorIs(t, err, context.Canceled)
	r.Close()
	require.NoError(t, c.NoOp(testCtx(t)), "the connection is usable after the abort")
}
