package ftp

import (
	"crypto/tls"
	"io"
	"net"
	"testing"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/require"
)

// BenchmarkTLSWrite sends 64 MiB through TLS to a loopback peer that
// discards it, with and without write coalescing beneath crypto/tls.
func BenchmarkTLSWrite(b *testing.B) {
	cert, err := embedded.NewCertificate()
	require.NoError(b, err)
	l, err := tls.Listen("tcp", "127.0.0.1:0", cert.ServerConfig())
	require.NoError(b, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	chunk := make([]byte, bufSize)
	const total = 64 << 20
	for _, coalesce := range []bool{false, true} {
		name := map[bool]string{false: "direct", true: "coalesced"}[coalesce]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				raw, err := net.Dial("tcp", l.Addr().String())
				require.NoError(b, err)
				var nc net.Conn = raw
				var cc *coalescingConn
				if coalesce {
					cc = newCoalescingConn(raw)
					nc = cc
				}
				tc := tls.Client(nc, &tls.Config{RootCAs: cert.Pool, ServerName: "127.0.0.1"})
				var w io.Writer = tc
				if cc != nil {
					w = flushWriter{w: tc, cc: cc}
				}
				for sent := 0; sent < total; sent += len(chunk) {
					_, err := w.Write(chunk)
					require.NoError(b, err)
				}
				tc.Close()
			}
		})
	}
}
