package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveInProcess runs ftpc serve with args until the test ends, and
// returns its address and what it printed once it is listening.
func serveInProcess(t *testing.T, args ...string) (addr string, out *syncBuffer) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr = l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	old := baseContext
	baseContext = func() context.Context { return ctx }
	out = &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(append([]string{"serve", "--listen", addr}, args...), out, os.Stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code)
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
		baseContext = old
	})
	for range 200 {
		if strings.Contains(out.String(), "serving ") {
			return addr, out
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("serve did not start: %q", out.String())
	return "", nil
}

// TestServeTLS: serve --tls requires explicit TLS with a self-signed
// certificate whose PEM file it names, which clients trust with --cacert;
// plain logins are refused with the hint.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "served.txt"), []byte("hello"), 0o600))
	addr, out := serveInProcess(t, "--tls", dir)
	m := regexp.MustCompile(`(?m)^serving .* on ftpes://(\S+)/\nself-signed certificate for 127\.0\.0\.1, ::1 and localhost in (\S+) \(certificate SHA-256 ([0-9A-F:]{95})\); clients: --cacert (\S+)\n$`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	assert.Equal(t, addr, m[1])
	caFile := m[2]
	assert.Equal(t, caFile, m[4])

	r := ftpc("get", "--cacert", caFile, "ftpes://"+addr+"/served.txt", "-")
	requireOK(t, r)
	assert.Equal(t, "hello", r.stdout)
	local := filepath.Join(t.TempDir(), "up.txt")
	writeFile(t, local, []byte("uploaded"))
	requireOK(t, ftpc("put", "--tls", "--cacert", caFile, local, "ftp://"+addr+"/"))
	assert.Equal(t, []byte("uploaded"), readFile(t, filepath.Join(dir, "up.txt")))

	// Without the certificate: refused; without TLS: refused, with the hint.
	requireOneLineError(t, ftpc("size", "ftpes://"+addr+"/served.txt"), exitTLS)
	r = ftpc("size", "ftp://"+addr+"/served.txt")
	requireOneLineError(t, r, exitLogin)
	assert.Contains(t, r.stderr, "use ftpes:// or --tls")
}

// TestServeImplicitWithCert: --implicit serves ftps://, with the
// certificate and key of --cert and --key.
func TestServeImplicitWithCert(t *testing.T) {
	cert, err := embedded.NewCertificate()
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.TLS.PrivateKey)
	require.NoError(t, err)
	files := t.TempDir()
	certFile, keyFile := filepath.Join(files, "cert.pem"), filepath.Join(files, "key.pem")
	require.NoError(t, os.WriteFile(certFile, cert.PEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("abc"), 0o600))
	addr, out := serveInProcess(t, "--implicit", "--cert", certFile, "--key", keyFile, dir)
	assert.Contains(t, out.String(), "on ftps://"+addr+"/\n")
	assert.Regexp(t, `\ncertificate SHA-256 [0-9A-F:]{95}\n$`, out.String())

	r := ftpc("size", "--cacert", certFile, "ftps://"+addr+"/a.txt")
	requireOK(t, r)
	assert.Equal(t, "3\n", r.stdout)

	requireOneLineError(t, ftpc("serve", "--cert", certFile, dir), exitUsage) // no --key
	requireOneLineError(t, ftpc("serve", "--cert", keyFile, "--key", keyFile, dir), exitError)
}
