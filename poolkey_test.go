// The Pool's key, field by field: a connection is never handed to a caller
// whose Config would have routed, observed or limited it differently.

package ftp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loginServer accepts any number of control connections and lets every
// one log in, whatever HOST, USER, PASS and ACCT say: enough for a pool
// that only dials, logs in and gives back.
type loginServer struct{ Addr string }

func startLoginServer(t *testing.T) *loginServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go serveLogins(nc)
		}
	}()
	return &loginServer{Addr: l.Addr().String()}
}

// serveLogins runs one session; the client's QUIT or close ends it, a
// minute at most.
func serveLogins(nc net.Conn) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Minute))
	reply := func(s string) { io.WriteString(nc, s+"\r\n") }
	reply("220 ready")
	br := bufio.NewReader(nc)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch strings.ToUpper(verb) {
		case "USER", "PASS", "ACCT":
			reply("230 logged in")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("200 ok")
		}
	}
}

// countingDialer returns a DialContext that counts its calls in n. Two
// dialers made by it share their code: only what they capture differs, so
// a key built from the function's code pointer would confuse them.
func countingDialer(n *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// poolKeyCase is one Config field: configs built by base alone and by base
// then other differ only in that field.
type poolKeyCase struct {
	field       string        // the Config field, "Active.PortMin" for a field of a field
	base, other func(*Config) // base may be nil
	// byConfig: the field is a func, so connections are shared only between
	// checkouts that pass the same *Config, not between equal copies.
	byConfig bool
	// check, when set, runs after the other config's connection was dialled.
	check func(t *testing.T)
}

func poolKeyCases() []poolKeyCase {
	var dialsA, dialsB atomic.Int64
	dialA, dialB := countingDialer(&dialsA), countingDialer(&dialsB)
	var logA, logB bytes.Buffer
	loggerA := slog.New(slog.NewTextHandler(&logA, &slog.HandlerOptions{Level: slog.LevelDebug}))
	loggerB := slog.New(slog.NewTextHandler(&logB, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tlsA := &tls.Config{MinVersion: tls.VersionTLS12}
	tlsB := tlsA.Clone()
	tlsC := tlsA.Clone()
	tlsC.ServerName = "other.example"
	zone := time.FixedZone("X", 3600)
	active := func(c *Config) { c.Active = &ActiveConfig{} }
	withTLS := func(c *Config) { c.TLSConfig = tlsA }
	return []poolKeyCase{
		{field: "User", other: func(c *Config) { c.User = "bob" }},
		{field: "Password", other: func(c *Config) { c.Password = "other" }},
		{field: "Account", other: func(c *Config) { c.Account = "acct" }},
		{field: "DialContext", other: func(c *Config) { c.DialContext = dialA }, byConfig: true,
			check: func(t *testing.T) { assert.Positive(t, dialsA.Load(), "the proxy dialer was never called") }},
		// The same code, other captured state: a code-pointer key would share.
		{field: "DialContext", base: func(c *Config) { c.DialContext = dialA }, other: func(c *Config) { c.DialContext = dialB }, byConfig: true,
			check: func(t *testing.T) { assert.Positive(t, dialsB.Load(), "the second dialer was never called") }},
		{field: "DialTimeout", other: func(c *Config) { c.DialTimeout = time.Second }},
		{field: "ReplyTimeout", base: func(c *Config) { c.ReplyTimeout = time.Second }, other: func(c *Config) { c.ReplyTimeout = -1 }},
		{field: "DataTimeout", other: func(c *Config) { c.DataTimeout = -1 }},
		{field: "Logger", other: func(c *Config) { c.Logger = loggerA },
			check: func(t *testing.T) { assert.Contains(t, logA.String(), "USER", "the logger saw no login") }},
		{field: "Logger", base: func(c *Config) { c.Logger = loggerA }, other: func(c *Config) { c.Logger = loggerB },
			check: func(t *testing.T) { assert.Contains(t, logB.String(), "USER", "tenant B's logger saw no login") }},
		{field: "Host", other: func(c *Config) { c.Host = "vhost.example" }},
		{field: "DisableEPSV", other: func(c *Config) { c.DisableEPSV = true }},
		{field: "PassiveAddress", other: func(c *Config) { c.PassiveAddress = PassiveServerAddress }},
		{field: "Active", other: active},
		{field: "Active.ListenAddr", base: active, other: func(c *Config) { c.Active.ListenAddr = "127.0.0.1" }},
		{field: "Active.AdvertiseAddr", base: active, other: func(c *Config) { c.Active.AdvertiseAddr = "192.0.2.1" }},
		{field: "Active.PortMin", base: active, other: func(c *Config) { c.Active.PortMin, c.Active.PortMax = 40000, 0 }},
		{field: "Active.PortMax", base: active, other: func(c *Config) { c.Active.PortMax = 40010 }},
		{field: "Active.AcceptTimeout", base: active, other: func(c *Config) { c.Active.AcceptTimeout = time.Second }},
		{field: "TLS", other: func(c *Config) { c.TLS = TLSExplicitIfAvailable }},
		{field: "TLSConfig", other: withTLS},
		{field: "TLSConfig", base: withTLS, other: func(c *Config) { c.TLSConfig = tlsB }},
		{field: "TLSConfig.ServerName", base: withTLS, other: func(c *Config) { c.TLSConfig = tlsC }},
		{field: "ClearData", other: func(c *Config) { c.ClearData = true }},
		{field: "ClearControl", other: func(c *Config) { c.ClearControl = true }},
		{field: "KeepAlive", other: func(c *Config) { c.KeepAlive = time.Second }},
		{field: "DisableUTF8", other: func(c *Config) { c.DisableUTF8 = true }},
		{field: "DisableMLSD", other: func(c *Config) { c.DisableMLSD = true }},
		{field: "Location", base: func(c *Config) { c.Location = time.UTC }, other: func(c *Config) { c.Location = time.Local }},
		{field: "Location", other: func(c *Config) { c.Location = zone }},
	}
}

// TestPoolKeyFields: for every Config field, two configs differing only in
// it never share a connection, and configs equal in everything do.
func TestPoolKeyFields(t *testing.T) {
	srv := startLoginServer(t)
	for _, tc := range poolKeyCases() {
		t.Run(tc.field, func(t *testing.T) {
			ctx := testCtx(t)
			p := NewPool(srv.Addr, nil, PoolOptions{})
			defer p.Close()
			mk := func(other bool) *Config {
				c := &Config{}
				if tc.base != nil {
					tc.base(c)
				}
				if other {
					tc.other(c)
				}
				return c
			}
			get := func(cfg *Config) *Conn {
				t.Helper()
				pc, err := p.Get(ctx, srv.Addr, cfg)
				require.NoError(t, err)
				require.NoError(t, pc.Close())
				return pc.Conn
			}
			// same returns a config that must share with cfg: an equal copy,
			// or cfg itself for a func-valued field.
			same := func(cfg *Config, other bool) *Config {
				if tc.byConfig {
					return cfg
				}
				return mk(other)
			}

			a := mk(false)
			first := get(a)
			assert.True(t, first == get(same(a, false)), "configs equal in everything do not share a connection")

			b := mk(true)
			second := get(b)
			assert.False(t, first == second, "a config with another %s got the first one's connection", tc.field)
			if tc.check != nil {
				tc.check(t)
			}
			assert.True(t, second == get(same(b, true)), "configs equal in everything do not share a connection")
			if tc.byConfig {
				// Equal copies of a Config with a func cannot be told from
				// configs with another func: they are not shared.
				assert.False(t, second == get(mk(true)), "an equal copy of a Config with a func shared its connection")
			}
			st := p.Stats()
			assert.Equal(t, 0, st.InUse)
			assert.Equal(t, int64(2), st.Reused)
		})
	}
}

// TestPoolKeyCoversConfig fails when Config (or ActiveConfig) gains a field
// that TestPoolKeyFields does not try, so that every new field is decided.
func TestPoolKeyCoversConfig(t *testing.T) {
	tried := map[string]bool{}
	for _, tc := range poolKeyCases() {
		tried[tc.field] = true
	}
	for _, typ := range []struct {
		prefix string
		t      reflect.Type
	}{{"", reflect.TypeFor[Config]()}, {"Active.", reflect.TypeFor[ActiveConfig]()}} {
		for i := range typ.t.NumField() {
			name := typ.prefix + typ.t.Field(i).Name
			assert.True(t, tried[name], "Config field %s: decide whether it belongs in poolKey (pool.go) and add a case", name)
		}
	}
	for name := range tried {
		field, _, _ := strings.Cut(name, ".")
		_, ok := reflect.TypeFor[Config]().FieldByName(field)
		assert.True(t, ok, "a case names %s, which Config lacks", name)
	}
}

// TestPoolForgetsEmptyKeys: a key whose connections are all closed is
// dropped, so that keys holding a *Config (func-valued fields) or a Logger
// do not pile up in a long-lived pool.
func TestPoolForgetsEmptyKeys(t *testing.T) {
	srv := startLoginServer(t)
	ctx := testCtx(t)
	p := NewPool(srv.Addr, nil, PoolOptions{MaxIdle: -1})
	defer p.Close()
	var n atomic.Int64
	for range 5 {
		pc, err := p.Get(ctx, srv.Addr, &Config{DialContext: countingDialer(&n)})
		require.NoError(t, err)
		require.NoError(t, pc.Close()) // MaxIdle -1: closed, not kept
	}
	assert.Equal(t, int64(5), n.Load())
	p.mu.Lock()
	keys := len(p.keys)
	p.mu.Unlock()
	assert.Zero(t, keys, "keys of closed connections are kept")
	assert.Equal(t, 0, p.Stats().Open)
}
