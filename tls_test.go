// TLS against the in-process server: explicit and implicit, session reuse,
// verification, refusal.

package ftp

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resumeLog records, for each TLS connection the server accepted, whether
// it resumed an earlier session.
type resumeLog struct {
	mu      sync.Mutex
	resumed []bool
}

func (l *resumeLog) verify(cs tls.ConnectionState) error {
	l.mu.Lock()
	l.resumed = append(l.resumed, cs.DidResume)
	l.mu.Unlock()
	return nil
}

func (l *resumeLog) all() []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]bool(nil), l.resumed...)
}

func startTLSServer(t *testing.T, mode ftpserver.TLSRequirement) (*embedded.Server, *embedded.Certificate, *resumeLog) {
	t.Helper()
	cert, err := embedded.NewCertificate()
	require.NoError(t, err)
	log := &resumeLog{}
	sc := cert.ServerConfig()
	sc.VerifyConnection = log.verify
	srv := startServer(t, embedded.Options{User: "u", Password: "p", TLS: sc, TLSRequired: mode})
	return srv, cert, log
}

func TestTLSRoundTrip(t *testing.T) {
	cases := []struct {
		name    string
		mode    TLSMode
		server  ftpserver.TLSRequirement
		version uint16
		active  bool
	}{
		{"explicit TLS1.3", TLSExplicit, ftpserver.MandatoryEncryption, tls.VersionTLS13, false},
		{"explicit TLS1.2", TLSExplicit, ftpserver.MandatoryEncryption, tls.VersionTLS12, false},
		{"explicit active", TLSExplicit, ftpserver.MandatoryEncryption, tls.VersionTLS13, true},
		{"implicit TLS1.3", TLSImplicit, ftpserver.ImplicitEncryption, tls.VersionTLS13, false},
		{"implicit TLS1.2", TLSImplicit, ftpserver.ImplicitEncryption, tls.VersionTLS12, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, cert, log := startTLSServer(t, tc.server)
			cfg := &Config{User: "u", Password: "p", TLS: tc.mode,
				TLSConfig: &tls.Config{RootCAs: cert.Pool, MaxVersion: tc.version}}
			if tc.active {
				cfg.Active = &ActiveConfig{}
			}
			ctx := testCtx(t)
			c, err := Dial(ctx, srv.Addr, cfg)
			require.NoError(t, err)
			defer c.Close()
			state, ok := c.TLSConnectionState()
			require.True(t, ok)
			assert.Equal(t, tc.version, state.Version)

			data := randomBytes(t, 2<<20+3)
			_, err = send(c.Store(ctx, "f"))(bytes.NewReader(data))
			require.NoError(t, err)
			onDisk, err := os.ReadFile(filepath.Join(srv.Root, "f"))
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, onDisk))

			r, err := c.RetrieveFrom(ctx, "f", 100)
			require.NoError(t, err)
			var got bytes.Buffer
			_, err = io.Copy(&got, r)
			require.NoError(t, err)
			require.NoError(t, r.Close())
			require.True(t, bytes.Equal(data[100:], got.Bytes()))

			// Empty files both ways: the handshake still happens.
			_, err = send(c.Store(ctx, "empty"))(bytes.NewReader(nil))
			require.NoError(t, err)
			r, err = c.Retrieve(ctx, "empty")
			require.NoError(t, err)
			b, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.Empty(t, b)
			require.NoError(t, r.Close())

			entries, err := c.List(ctx, "/")
			require.NoError(t, err)
			assert.Len(t, entries, 2)

			// Every data connection resumed the control session.
			resumed := log.all()
			require.GreaterOrEqual(t, len(resumed), 6)
			assert.False(t, resumed[0], "the control connection is a full handshake")
			for i, r := range resumed[1:] {
				assert.True(t, r, "data connection %d did not resume the session", i+1)
			}
		})
	}
}

func TestTLSVerifiesCertificate(t *testing.T) {
	srv, _, _ := startTLSServer(t, ftpserver.MandatoryEncryption)
	_, err := Dial(testCtx(t), srv.Addr, &Config{User: "u", Password: "p", TLS: TLSExplicit})
	require.Error(t, err)
	var te *TLSError
	require.True(t, errors.As(err, &te), "got %v", err)
	var unknown x509UnknownAuthority
	assert.True(t, errors.As(err, &unknown), "got %v", err)
}

func TestTLSRefusedSendsNoCredentials(t *testing.T) {
	srv := startServer(t, embedded.Options{User: "u", Password: "p"}) // no TLS configured
	before := srv.Clients()
	_, err := Dial(testCtx(t), srv.Addr, &Config{User: "u", Password: "p", TLS: TLSExplicit})
	require.ErrorIs(t, err, ErrTLSRequired)
	var fe *Error
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "AUTH TLS", fe.Command)
	assert.Equal(t, before+1, srv.Clients())

	// Asked for "TLS if available", the session goes on in plain text.
	c, err := Dial(testCtx(t), srv.Addr, &Config{User: "u", Password: "p", TLS: TLSExplicitIfAvailable})
	require.NoError(t, err)
	defer c.Close()
	_, ok := c.TLSConnectionState()
	assert.False(t, ok)
	require.NoError(t, c.NoOp(testCtx(t)))
}

func TestTLSClearData(t *testing.T) {
	srv, cert, _ := startTLSServer(t, ftpserver.ClearOrEncrypted)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, &Config{User: "u", Password: "p", TLS: TLSExplicit, ClearData: true,
		TLSConfig: &tls.Config{RootCAs: cert.Pool}})
	require.NoError(t, err)
	defer c.Close()
	_, err = send(c.Store(ctx, "clear"))(bytes.NewReader([]byte("plain data")))
	require.NoError(t, err)
	r, err := c.Retrieve(ctx, "clear")
	require.NoError(t, err)
	assert.False(t, r.t.tls, "PROT C keeps data in plain text")
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "plain data", string(b))
}

type x509UnknownAuthority = x509.UnknownAuthorityError

func TestTLSPipelinedAfter234Aborts(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Send("220 hi\r\n")
		sc.Expect("AUTH TLS\r\n")
		// A reply injected before the handshake would be read as if it had
		// come through TLS.
		sc.Send("234 go ahead\r\n230 you are in\r\n")
		sc.ExpectEOF()
	})
	cfg := fakeConfig()
	cfg.TLS = TLSExplicit
	_, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
	require.ErrorIs(t, err, ErrPipelinedTLS)
	assert.Equal(t, "AUTH TLS\r\n", srv.Transcript(), "no handshake, no USER, no PASS")
}

func TestTLSGreeting230SendsNoCredentials(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Send("230 already logged in\r\n")
		sc.ExpectEOF()
	})
	cfg := fakeConfig()
	cfg.TLS = TLSExplicit
	_, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
	require.ErrorIs(t, err, ErrTLSRequired)
	assert.Empty(t, srv.Transcript())

	// "TLS if available" accepts the session as it is, still without
	// sending credentials.
	srv = fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Send("230 already logged in\r\n")
		sc.Expect("NOOP\r\n")
		sc.Send("200 ok\r\n")
		sc.Quit()
	})
	cfg.TLS = TLSExplicitIfAvailable
	c, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
	require.NoError(t, err)
	require.NoError(t, c.NoOp(fakeftp.Ctx(t)))
	require.NoError(t, c.Close())
	assert.Equal(t, "NOOP\r\nQUIT\r\n", srv.Transcript())
}

func TestTLSAuthRefusedSendsNoCredentials(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Send("220 hi\r\n")
		sc.Expect("AUTH TLS\r\n")
		sc.Send("502 no TLS here\r\n")
		sc.ExpectEOF()
	})
	cfg := fakeConfig()
	cfg.TLS = TLSExplicit
	_, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
	require.ErrorIs(t, err, ErrTLSRequired)
	var fe *Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 502, fe.Code)
	assert.Equal(t, "AUTH TLS\r\n", srv.Transcript())
}

// TestTLSClearControl runs CCC against a small TLS server: after it the
// control connection speaks plain text on the same socket.
func TestTLSClearControl(t *testing.T) {
	cert, err := embedded.NewCertificate()
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	plainAfter := make(chan string, 1)
	go func() {
		raw, err := l.Accept()
		if err != nil {
			return
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(raw)
		io.WriteString(raw, "220 hi\r\n")
		br.ReadString('\n') // AUTH TLS
		io.WriteString(raw, "234 go\r\n")
		tc := tls.Server(raw, cert.ServerConfig())
		tbr := bufio.NewReader(tc)
		for _, reply := range []string{"331 pass\r\n", "230 in\r\n", "200 pbsz\r\n", "200 prot\r\n", "200 ccc\r\n"} {
			if _, err := tbr.ReadString('\n'); err != nil {
				return
			}
			io.WriteString(tc, reply)
		}
		tc.CloseWrite()
		// crypto/tls ends its close_notify by moving the write deadline to
		// now; the plain-text dialogue needs it back.
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		// The client's close_notify: one record, read off the socket by
		// hand so that crypto/tls does not swallow the plain text after it.
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(raw, hdr); err != nil {
			return
		}
		if _, err := io.ReadFull(raw, make([]byte, int(hdr[3])<<8|int(hdr[4]))); err != nil {
			return
		}
		line, _ := br.ReadString('\n')
		plainAfter <- line
		io.WriteString(raw, "200 plain noop\r\n")
		br.ReadString('\n') // QUIT
		io.WriteString(raw, "221 bye\r\n")
	}()
	ctx := testCtx(t)
	c, err := Dial(ctx, l.Addr().String(), &Config{User: "u", Password: "p", TLS: TLSExplicit, ClearControl: true,
		TLSConfig: &tls.Config{RootCAs: cert.Pool}})
	require.NoError(t, err)
	_, protected := c.TLSConnectionState()
	assert.False(t, protected, "CCC returned the control connection to plain text")
	require.NoError(t, c.NoOp(ctx))
	assert.Equal(t, "NOOP\r\n", <-plainAfter)
	require.NoError(t, c.Close())
}
