// TLS sessions of data connections: each Conn keeps the session its data
// connections must resume, through failed handshakes and shared caches.

package ftp

import (
	"crypto/tls"
	"errors"
	"io"
	"io/fs"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func retrieveString(t *testing.T, c *Conn, name string) string {
	t.Helper()
	r, err := c.Retrieve(testCtx(t), name)
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	return string(b)
}

// TestTLSSessionSurvivesRefusedTransfer: the server refuses a RETR after
// the data connection's handshake began and cuts it; crypto/tls then drops
// the session it tried to resume (Put with nil). The server insists on
// resumption, as proftpd ("425 Unable to build data connection") and
// vsftpd ("522 session reuse required") do, so every later transfer would
// fail.
func TestTLSSessionSurvivesRefusedTransfer(t *testing.T) {
	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLS1.3", tls.VersionTLS13}, {"TLS1.2", tls.VersionTLS12}} {
		t.Run(v.name, func(t *testing.T) {
			f := startTLSFake(t, func(f *tlsFake) {
				f.reuse = true
				f.reject = "missing"
				f.files["f"] = []byte("resumed")
			})
			c, err := Dial(testCtx(t), f.Addr, f.config(v.version))
			require.NoError(t, err)
			defer c.Close()
			assert.Equal(t, "resumed", retrieveString(t, c, "f"))
			for range 5 {
				_, err := c.Retrieve(testCtx(t), "missing")
				require.Error(t, err)
				assert.True(t, errors.Is(err, fs.ErrNotExist), "want the 550, got %v", err)
				assert.Equal(t, "resumed", retrieveString(t, c, "f"))
			}
			for i, resumed := range f.resumes() {
				assert.True(t, resumed, "data connection %d did not resume the session", i)
			}
		})
	}
}

// mapCache is a caller's own session cache, shared by several Conns.
type mapCache struct {
	mu sync.Mutex
	m  map[string]*tls.ClientSessionState
}

func (c *mapCache) Get(key string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, ok := c.m[key]
	return cs, ok
}

func (c *mapCache) Put(key string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = cs
}

// TestTLSSharedSessionCache: a caller's ClientSessionCache shared by
// several connections (in a Pool, say) must not give one connection's data
// handshake the session of another, which a server that checks resumption
// against its own control session refuses.
func TestTLSSharedSessionCache(t *testing.T) {
	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLS1.3", tls.VersionTLS13}, {"TLS1.2", tls.VersionTLS12}} {
		t.Run(v.name, func(t *testing.T) {
			f := startTLSFake(t, func(f *tlsFake) {
				f.reuse = true
				f.files["f"] = []byte("mine")
			})
			shared := &mapCache{m: map[string]*tls.ClientSessionState{}}
			var conns []*Conn
			for range 3 {
				cfg := f.config(v.version)
				cfg.TLSConfig.ClientSessionCache = shared
				c, err := Dial(testCtx(t), f.Addr, cfg)
				require.NoError(t, err)
				defer c.Close()
				conns = append(conns, c)
			}
			for range 3 {
				for _, c := range conns {
					assert.Equal(t, "mine", retrieveString(t, c, "f"))
				}
			}
			shared.mu.Lock()
			assert.NotEmpty(t, shared.m, "the caller's cache learns the sessions")
			shared.mu.Unlock()
		})
	}
}

// TestPoolDropsConnectionWithoutDataConnections: a pooled connection
// whose transfer could not open its data connection (here: the server
// refuses data connections that do not resume the session) is not kept,
// since a fresh connection may do better.
func TestPoolDropsConnectionWithoutDataConnections(t *testing.T) {
	f := startTLSFake(t, func(f *tlsFake) {
		f.reuse = true
		f.files["f"] = []byte("x")
	})
	cfg := f.config(tls.VersionTLS13)
	cfg.TLSConfig.SessionTicketsDisabled = true
	p := NewPool(f.Addr, cfg, &PoolOptions{MaxOpen: 2})
	defer p.Close()
	ctx := testCtx(t)
	pc, err := p.Conn(ctx)
	require.NoError(t, err)
	_, err = pc.Retrieve(ctx, "f")
	var fe *Error
	require.True(t, errors.As(err, &fe), "want the server's 425, got %v", err)
	assert.Equal(t, StatusCanNotOpenDataConnection, fe.Code)
	require.NoError(t, pc.Close())
	st := p.Stats()
	assert.Equal(t, int64(1), st.Discarded)
	assert.Equal(t, 0, st.Idle)

	// A connection whose transfers work is kept.
	cfg.TLSConfig.SessionTicketsDisabled = false
	p2 := NewPool(f.Addr, cfg, &PoolOptions{MaxOpen: 2})
	defer p2.Close()
	pc, err = p2.Conn(ctx)
	require.NoError(t, err)
	r, err := pc.Retrieve(ctx, "f")
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, pc.Close())
	assert.Equal(t, int64(0), p2.Stats().Discarded)
	assert.Equal(t, 1, p2.Stats().Idle)
}

// TestDataHandshakeOffersServerGroup: a TLS 1.3 server that takes P-256
// only answers the first ClientHello of crypto/tls's defaults (shares for
// X25519MLKEM768 and X25519) with a HelloRetryRequest. Once the control
// connection has learnt the server's group, the data connections open
// with a share for it: one ClientHello each, no retry. Under TLS 1.2 no
// share is sent and nothing changes.
func TestDataHandshakeOffersServerGroup(t *testing.T) {
	for _, tc := range []struct {
		name     string
		max      uint16
		control  int
		curves   []tls.CurveID // the client's own CurvePreferences
		wantData int
	}{
		{"TLS 1.3", 0, 2, nil, 1},
		{"TLS 1.3, client's own groups", 0, 2, []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}, 1},
		{"TLS 1.2", tls.VersionTLS12, 1, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startTLSFake(t, func(f *tlsFake) {
				f.conf.CurvePreferences = []tls.CurveID{tls.CurveP256}
				f.files["f"] = []byte("grouped")
			})
			cfg := f.config(tc.max)
			cfg.TLSConfig.CurvePreferences = tc.curves
			c, err := Dial(testCtx(t), f.Addr, cfg)
			require.NoError(t, err)
			defer c.Close()
			for range 3 {
				assert.Equal(t, "grouped", retrieveString(t, c, "f"))
			}
			want := []int{tc.control, tc.wantData, tc.wantData, tc.wantData}
			assert.Equal(t, want, f.helloCounts(), "ClientHellos per connection: control, then each data connection")
			st, ok := c.TLSConnectionState()
			require.True(t, ok)
			assert.Equal(t, tls.CurveP256, st.CurveID)
		})
	}
}
