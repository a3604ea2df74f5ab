// Benchmarks of whole transfers against the in-process server.

package ftp

import (
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"testing"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/require"
)

const benchFileSize = 64 << 20

func benchConn(b *testing.B, useTLS bool) (*Conn, *embedded.Server) {
	opts := embedded.Options{User: "u", Password: "p"}
	cfg := &Config{User: "u", Password: "p"}
	if useTLS {
		cert, err := embedded.NewCertificate()
		require.NoError(b, err)
		opts.TLS, opts.TLSRequired = cert.ServerConfig(), ftpserver.MandatoryEncryption
		cfg.TLS, cfg.TLSConfig = TLSExplicit, &tls.Config{RootCAs: cert.Pool}
	}
	srv, err := embedded.Start(opts)
	require.NoError(b, err)
	b.Cleanup(func() { srv.Close() })
	c, err := Dial(b.Context(), srv.Addr, cfg)
	require.NoError(b, err)
	b.Cleanup(func() { c.Close() })
	return c, srv
}

func benchFile(b *testing.B, dir string) string {
	p := filepath.Join(dir, "src.bin")
	require.NoError(b, os.WriteFile(p, randomBytes(b, benchFileSize), 0o644))
	return p
}

// BenchmarkTransfer moves a 64 MiB file between an *os.File and the
// in-process server, plain (sendfile/splice) and TLS. The server shares the
// process and most of its CPU: BenchmarkTLSWrite isolates the client side.
func BenchmarkTransfer(b *testing.B) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"plain", false}, {"tls", true}} {
		b.Run(tc.name+"/store", func(b *testing.B) {
			c, _ := benchConn(b, tc.tls)
			src := benchFile(b, b.TempDir())
			b.SetBytes(benchFileSize)
			b.ReportAllocs()
			for b.Loop() {
				f, err := os.Open(src)
				require.NoError(b, err)
				_, err = send(c.Store(b.Context(), "dst.bin"))(f)
				f.Close()
				require.NoError(b, err)
			}
		})
		b.Run(tc.name+"/retrieve", func(b *testing.B) {
			c, srv := benchConn(b, tc.tls)
			benchFile(b, srv.Root)
			dst := filepath.Join(b.TempDir(), "dst.bin")
			b.SetBytes(benchFileSize)
			b.ReportAllocs()
			for b.Loop() {
				f, err := os.Create(dst)
				require.NoError(b, err)
				r, err := c.Retrieve(b.Context(), "src.bin")
				require.NoError(b, err)
				_, err = io.Copy(f, r)
				require.NoError(b, err)
				require.NoError(b, r.Close())
				f.Close()
			}
		})
	}
}
