// How TLS data connections end: an upload must reach the server whole,
// without the TCP reset that closing a socket with unread bytes (a TLS 1.3
// server's session tickets) makes Linux send.

package ftp

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTLSUploadEndsWithoutReset: the server reads the upload only after a
// pause, as a busy server does, so the last bytes are still in its socket
// buffer when the client finishes. A client that closes while the
// server's session tickets sit unread resets the connection, and the
// server loses that tail yet answers 226 (pyftpdlib); aioftp fails even a
// 37-byte upload. A careful close (close_notify, half-close, drain, close)
// delivers every byte and a clean end of stream.
func TestTLSUploadEndsWithoutReset(t *testing.T) {
	big := make([]byte, 6<<20)
	_, err := rand.Read(big)
	require.NoError(t, err)
	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLS1.3", tls.VersionTLS13}, {"TLS1.2", tls.VersionTLS12}} {
		t.Run(v.name, func(t *testing.T) {
			f := startTLSFake(t, func(f *tlsFake) {
				f.pause = 300 * time.Millisecond
				f.late = []byte("a record the client never asked for")
			})
			ctx := testCtx(t)
			c, err := Dial(ctx, f.Addr, f.config(v.version))
			require.NoError(t, err)
			defer c.Close()
			for _, size := range []int{37, len(big)} {
				n, err := send(c.Store(ctx, "up"))(bytes.NewReader(big[:size]))
				require.NoError(t, err)
				assert.Equal(t, int64(size), n)
				got := f.upload("up")
				assert.Equal(t, size, len(got), "the server holds %d of %d bytes", len(got), size)
				assert.True(t, bytes.Equal(big[:size], got), "the server's bytes differ")
				assert.Empty(t, f.errors(), "the server's reads failed")
			}
			// A download on the same connection still works afterwards.
			f.mu.Lock()
			f.late = nil
			f.files["down"] = big[:1000]
			f.mu.Unlock()
			r, err := c.Retrieve(ctx, "down")
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			require.NoError(t, r.Close())
			assert.Equal(t, big[:1000], got)
		})
	}
}
