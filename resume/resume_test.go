// Resumable transfers against the in-process server, with data connections
// cut part-way by the dialer.

package resume

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fastRetries() *Options {
	return &Options{Retries: 5, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

func TestUploadFileResumesAfterCuts(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	data := testutil.RandomBytes(t, 8<<20)
	local := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(local, data, 0o644))
	dial, cut := testutil.CuttingDialer(srv.Addr, 3, 1<<20)
	ep := testutil.Pool(t, srv.Addr, &ftp.Config{User: "u", Password: "p", DialContext: dial}, 1)
	opts := fastRetries()
	opts.Verify = true
	var last atomic.Int64
	opts.Progress = func(_ string, done, total int64) {
		assert.Equal(t, int64(len(data)), total)
		last.Store(done)
	}
	res, err := UploadFile(testutil.Ctx(t), ep, local, "dir/../dst.bin", opts)
	require.NoError(t, err)
	assert.Equal(t, int32(3), cut.Load())
	assert.Equal(t, 4, res.Attempts)
	assert.True(t, res.Resumed)
	assert.Equal(t, ftp.HashSHA256, res.Verified)
	assert.Equal(t, int64(len(data)), last.Load())
	assert.Less(t, res.Sent, int64(len(data))+4<<20, "resumed parts are not sent again")
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "dst.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))
}

func TestDownloadFileResumesAfterCuts(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	data := testutil.RandomBytes(t, 8<<20)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "src.bin"), data, 0o644))
	dial, cut := testutil.CuttingDialer(srv.Addr, 3, 1<<20)
	ep := testutil.Pool(t, srv.Addr, &ftp.Config{User: "u", Password: "p", DialContext: dial}, 1)
	opts := fastRetries()
	opts.Verify = true
	local := filepath.Join(t.TempDir(), "dst")
	res, err := DownloadFile(testutil.Ctx(t), ep, "src.bin", local, opts)
	require.NoError(t, err)
	assert.Equal(t, int32(3), cut.Load())
	assert.Equal(t, 4, res.Attempts)
	assert.Equal(t, ftp.HashSHA256, res.Verified)
	got, err := os.ReadFile(local)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
}

func TestResumeAcrossCalls(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	ep := testutil.Pool(t, srv.Addr, &ftp.Config{User: "u", Password: "p"}, 1)
	data := testutil.RandomBytes(t, 3<<20)
	local := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(local, data, 0o644))

	// A partial remote file left by an earlier process: continued.
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "up"), data[:1<<20], 0o644))
	res, err := UploadFile(testutil.Ctx(t), ep, local, "up", &Options{Verify: true})
	require.NoError(t, err)
	assert.True(t, res.Resumed)
	assert.Equal(t, int64(2<<20), res.Sent)

	// A remote part that is not a prefix of the source: started over.
	bad := bytes.Repeat([]byte{'x'}, 1<<20)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "up2"), bad, 0o644))
	res, err = UploadFile(testutil.Ctx(t), ep, local, "up2", &Options{Verify: true})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), res.Sent)
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "up2"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))

	// A partial local download: continued.
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "down"), data, 0o644))
	dst := filepath.Join(t.TempDir(), "down")
	require.NoError(t, os.WriteFile(dst, data[:12345], 0o644))
	res, err = DownloadFile(testutil.Ctx(t), ep, "down", dst, &Options{Verify: true})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)-12345), res.Sent)
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))

	// A remote file larger than the source is not touched.
	big := filepath.Join(srv.Root, "big")
	require.NoError(t, os.WriteFile(big, append(append([]byte{}, data...), 'z'), 0o644))
	_, err = UploadFile(testutil.Ctx(t), ep, local, "big", nil)
	require.ErrorIs(t, err, ErrRemoteLarger)
}

func TestUploadTempNameAndNoRetryOnPermanentError(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{User: "u", Password: "p"})
	ep := testutil.Pool(t, srv.Addr, &ftp.Config{User: "u", Password: "p"}, 1)
	data := testutil.RandomBytes(t, 100<<10)
	res, err := Upload(testutil.Ctx(t), ep, bytes.NewReader(data), int64(len(data)), "final.bin", &Options{TempName: true})
	require.NoError(t, err)
	assert.Equal(t, "size", res.Verified)
	_, err = os.Stat(filepath.Join(srv.Root, ".final.bin.part"))
	assert.True(t, os.IsNotExist(err), "the temporary name is gone")
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "final.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))

	// A missing remote directory is permanent: one attempt, no retries.
	res, err = Upload(testutil.Ctx(t), ep, bytes.NewReader(data), int64(len(data)), "no/such/dir/x", fastRetries())
	require.Error(t, err)
	var fe *ftp.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 1, res.Attempts)
}

func TestVerifyDetectsMismatch(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	ep := testutil.Pool(t, srv.Addr, &ftp.Config{User: "u", Password: "p"}, 1)
	data := testutil.RandomBytes(t, 64<<10)
	// A source whose bytes change after upload stands for corruption.
	src := &flippingReaderAt{data: data}
	_, err := Upload(testutil.Ctx(t), ep, src, int64(len(data)), "v.bin", &Options{Verify: true})
	require.ErrorIs(t, err, ftp.ErrVerify)
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
	c, srv := testutil.DialServer(t, &ftp.Config{KeepAlive: 5 * time.Millisecond, Logger: logger})
	ctx := testutil.Ctx(t)
	data := testutil.RandomBytes(t, 1<<20)
	n, err := testutil.Send(c.Store(ctx, "slow"))(&slowReader{r: bytes.NewReader(data), delay: 2 * time.Millisecond})
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
		{&ftp.Error{Code: 421}, true},
		{&ftp.Error{Code: 426}, true},
		{&ftp.Error{Code: 451}, true},
		{&ftp.Error{Code: 550}, false},
		{&ftp.Error{Code: 530}, false},
		{io.ErrUnexpectedEOF, true},
		{ftp.ErrClosed, true},
		{context.Canceled, false},
		{&ftp.SourceError{Err: io.ErrClosedPipe}, false},
		{&ftp.ProtocolError{Reason: "x"}, false},
		{ftp.ErrVerify, false},
		{errors.Join(ftp.ErrInvalidArgument), false},
	} {
		assert.Equal(t, tc.want, retryable(tc.err), "%v", tc.err)
	}
}
