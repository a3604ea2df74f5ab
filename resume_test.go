// Resumable transfers against the in-process server, with data connections
// cut part-way by the dialer.

package ftp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// cuttingDialer cuts the first cuts data connections after budget bytes;
// the control connections (to controlAddr) are left alone.
func cuttingDialer(controlAddr string, cuts int, budget int64) (func(context.Context, string, string) (net.Conn, error), *atomic.Int32) {
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

func fastRetries() *ResumeOptions {
	return &ResumeOptions{Retries: 5, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

func TestUploadFileResumesAfterCuts(t *testing.T) {
	srv := startServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	data := randomBytes(t, 8<<20)
	local := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(local, data, 0o644))
	dial, cut := cuttingDialer(srv.Addr, 3, 1<<20)
	ep := Endpoint{Addr: srv.Addr, Config: &Config{User: "u", Password: "p", DialContext: dial}}
	opts := fastRetries()
	opts.Verify = true
	var last atomic.Int64
	opts.Progress = func(done, total int64) {
		assert.Equal(t, int64(len(data)), total)
		last.Store(done)
	}
	res, err := UploadFile(testCtx(t), ep, local, "dir/../dst.bin", opts)
	require.NoError(t, err)
	assert.Equal(t, int32(3), cut.Load())
	assert.Equal(t, 4, res.Attempts)
	assert.True(t, res.Resumed)
	assert.Equal(t, HashSHA256, res.Verified)
	assert.Equal(t, int64(len(data)), last.Load())
	assert.Less(t, res.Sent, int64(len(data))+4<<20, "resumed parts are not sent again")
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "dst.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))
}

func TestDownloadFileResumesAfterCuts(t *testing.T) {
	srv := startServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	data := randomBytes(t, 8<<20)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "src.bin"), data, 0o644))
	dial, cut := cuttingDialer(srv.Addr, 3, 1<<20)
	ep := Endpoint{Addr: srv.Addr, Config: &Config{User: "u", Password: "p", DialContext: dial}}
	opts := fastRetries()
	opts.Verify = true
	local := filepath.Join(t.TempDir(), "dst")
	res, err := DownloadFile(testCtx(t), ep, "src.bin", local, opts)
	require.NoError(t, err)
	assert.Equal(t, int32(3), cut.Load())
	assert.Equal(t, 4, res.Attempts)
	assert.Equal(t, HashSHA256, res.Verified)
	got, err := os.ReadFile(local)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
}

func TestResumeAcrossCalls(t *testing.T) {
	srv := startServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	ep := Endpoint{Addr: srv.Addr, Config: &Config{User: "u", Password: "p"}}
	data := randomBytes(t, 3<<20)
	local := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(local, data, 0o644))

	// A partial remote file left by an earlier process: continued.
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "up"), data[:1<<20], 0o644))
	res, err := UploadFile(testCtx(t), ep, local, "up", &ResumeOptions{Verify: true})
	require.NoError(t, err)
	assert.True(t, res.Resumed)
	assert.Equal(t, int64(2<<20), res.Sent)

	// A remote part that is not a prefix of the source: started over.
	bad := bytes.Repeat([]byte{'x'}, 1<<20)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "up2"), bad, 0o644))
	res, err = UploadFile(testCtx(t), ep, local, "up2", &ResumeOptions{Verify: true})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), res.Sent)
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "up2"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))

	// A partial local download: continued.
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "down"), data, 0o644))
	dst := filepath.Join(t.TempDir(), "down")
	require.NoError(t, os.WriteFile(dst, data[:12345], 0o644))
	res, err = DownloadFile(testCtx(t), ep, "down", dst, &ResumeOptions{Verify: true})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)-12345), res.Sent)
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))

	// A remote file larger than the source is not touched.
	big := filepath.Join(srv.Root, "big")
	require.NoError(t, os.WriteFile(big, append(append([]byte{}, data...), 'z'), 0o644))
	_, err = UploadFile(testCtx(t), ep, local, "big", nil)
	require.ErrorIs(t, err, ErrRemoteLarger)
}

func TestUploadTempNameAndNoRetryOnPermanentError(t *testing.T) {
	srv := startServer(t, embedded.Options{User: "u", Password: "p"})
	ep := Endpoint{Addr: srv.Addr, Config: &Config{User: "u", Password: "p"}}
	data := randomBytes(t, 100<<10)
	res, err := Upload(testCtx(t), ep, bytes.NewReader(data), int64(len(data)), "final.bin", &ResumeOptions{TempName: true})
	require.NoError(t, err)
	assert.Equal(t, "size", res.Verified)
	_, err = os.Stat(filepath.Join(srv.Root, ".final.bin.part"))
	assert.True(t, os.IsNotExist(err), "the temporary name is gone")
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "final.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))

	// A missing remote directory is permanent: one attempt, no retries.
	res, err = Upload(testCtx(t), ep, bytes.NewReader(data), int64(len(data)), "no/such/dir/x", fastRetries())
	require.Error(t, err)
	var fe *Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 1, res.Attempts)
}

func TestVerifyDetectsMismatch(t *testing.T) {
	srv := startServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	ep := Endpoint{Addr: srv.Addr, Config: &Config{User: "u", Password: "p"}}
	data := randomBytes(t, 64<<10)
	// A source whose bytes change after upload stands for corruption.
	src := &flippingReaderAt{data: data}
	_, err := Upload(testCtx(t), ep, src, int64(len(data)), "v.bin", &ResumeOptions{Verify: true})
	require.ErrorIs(t, err, ErrVerify)
}

// flippingReaderAt serves data, then a changed copy once the first full
// pass is over (as a file modified during its upload would).
type flippingReaderAt struct {
	mu   sync.Mutex
	data []byte
	read int
}

func (f *flippingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	f.read += n
	if f.read >= len(f.data) {
		f.data = bytes.ToUpper(f.data)
		f.data[0] ^= 0xff
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func TestKeepaliveDuringTransfer(t *testing.T) {
	var logBuf bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, srv := dialServer(t, &Config{KeepAlive: 5 * time.Millisecond, Logger: logger})
	ctx := testCtx(t)
	data := randomBytes(t, 1<<20)
	n, err := c.Store(ctx, "slow", &slowReader{r: bytes.NewReader(data), delay: 2 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	require.NoError(t, c.NoOp(ctx), "every NOOP answer was read")
	size, err := c.Size(ctx, "slow")
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), size)
	logMu.Lock()
	noops := strings.Count(logBuf.String(), "keepalive=true")
	logMu.Unlock()
	assert.Greater(t, noops, 3, "keepalive NOOPs were sent")
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "slow"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type slowReader struct {
	r     io.Reader
	delay time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.delay)
	return s.r.Read(p[:min(len(p), 32<<10)])
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&Error{Code: 421}, true},
		{&Error{Code: 426}, true},
		{&Error{Code: 451}, true},
		{&Error{Code: 550}, false},
		{&Error{Code: 530}, false},
		{io.ErrUnexpectedEOF, true},
		{ErrClosed, true},
		{context.Canceled, false},
		{&SourceError{Err: io.ErrClosedPipe}, false},
		{&ProtocolError{Reason: "x"}, false},
		{ErrVerify, false},
		{errors.Join(ErrInvalidArgument), false},
	} {
		assert.Equal(t, tc.want, retryable(tc.err), "%v", tc.err)
	}
}
