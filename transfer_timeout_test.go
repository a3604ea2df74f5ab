// The data connection's idle timeout against a server that stops sending.

package ftp

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDataTimeoutOnStalledDownload(t *testing.T) {
	for _, sink := range []string{"read", "file"} {
		t.Run(sink, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("TYPE I\r\n")
				sc.Send("200 ok\r\n")
				sc.Expect("EPSV\r\n")
				sc.EPSV()
				sc.Expect("RETR f\r\n")
				sc.AcceptData()
				sc.Send("150 here it comes\r\n")
				sc.WriteData(bytes.Repeat([]byte("x"), 1000))
				// ... and then nothing, with the connection open.
				sc.Expect("ABOR\r\n")
				sc.Send("426 aborted\r\n226 abort ok\r\n")
				sc.CloseData()
				sc.Expect("NOOP\r\n")
				sc.Send("200 ok\r\n")
				sc.Quit()
			})
			cfg := fakeConfig()
			cfg.DataTimeout = 200 * time.Millisecond
			c := dialFake(t, srv, cfg)
			ctx := fakeftp.Ctx(t)
			r, err := c.Retrieve(ctx, "f")
			require.NoError(t, err)
			start := time.Now()
			var n int64
			if sink == "read" {
				n, err = io.Copy(io.Discard, struct{ io.Reader }{r})
			} else {
				f, ferr := os.Create(filepath.Join(t.TempDir(), "out"))
				require.NoError(t, ferr)
				defer f.Close()
				n, err = io.Copy(f, r) // the splice path, chunked
			}
			require.ErrorIs(t, err, ErrDataConnection)
			var ne net.Error
			require.ErrorAs(t, err, &ne)
			assert.True(t, ne.Timeout())
			assert.Equal(t, int64(1000), n)
			assert.Less(t, time.Since(start), 5*time.Second)
			require.NoError(t, r.Close())
			require.NoError(t, c.NoOp(ctx), "usable after the abort")
		})
	}
}

// TestEPSVUnreachableFallsBackToPASV: the EPSV port cannot be reached (a
// firewall that knows only PASV); the client aborts the command, retries
// over PASV and remembers.
func TestEPSVUnreachableFallsBackToPASV(t *testing.T) {
	content := []byte("through PASV")
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.Send("229 Entering Extended Passive Mode (|||1|)\r\n") // nothing listens on port 1
		sc.Expect("RETR f\r\n")
		sc.Expect("ABOR\r\n")
		sc.Send("425 no data connection\r\n225 ABOR ok\r\n")
		sc.Expect("PASV\r\n")
		sc.PASV()
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 ok\r\n")
		sc.WriteData(content)
		sc.CloseData()
		sc.Send("226 done\r\n")
		sc.Expect("PASV\r\n") // remembered: no EPSV this time
		sc.PASV()
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 ok\r\n")
		sc.WriteData(content)
		sc.CloseData()
		sc.Send("226 done\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	for range 2 {
		r, err := c.Retrieve(ctx, "f")
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, content, got)
	}
}

// srcCapture records what io.Copy hands to ReadFrom.
type srcCapture struct{ src io.Reader }

func (s *srcCapture) Write(p []byte) (int, error) { return len(p), nil }
func (s *srcCapture) ReadFrom(r io.Reader) (int64, error) {
	s.src = r
	return io.Copy(io.Discard, struct{ io.Reader }{r})
}

// TestZeroCopySourceThroughIOCopy: io.Copy(w, f) reaches w.ReadFrom with a
// wrapper of f (os.File.WriteTo's doing); the Writer must still see a file
// that sendfile(2) can take, or uploads lose the fast path.
func TestZeroCopySourceThroughIOCopy(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, []byte("data"), 0o644))
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	var got srcCapture
	_, err = io.Copy(&got, f)
	require.NoError(t, err)
	assert.True(t, zeroCopySource(got.src), "io.Copy gave %T", got.src)
	assert.True(t, zeroCopySource(io.LimitReader(f, 10)))
	assert.False(t, zeroCopySource(bytes.NewReader(nil)))
	assert.False(t, zeroCopySource(io.NewSectionReader(f, 0, 4)))
}
