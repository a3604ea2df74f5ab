// The resumable helpers never write past the size the server reported.

package resume

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDownloadFileNeverPastSize: SIZE says 5 bytes, RETR sends 64 KiB.
// DownloadFile writes 5 bytes, fails with ErrVerify and does not retry.
func TestDownloadFileNeverPastSize(t *testing.T) {
	big := bytes.Repeat([]byte("z"), 64<<10)
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("SIZE f\r\n")
		sc.Send("213 5\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 ok\r\n")
		sc.WriteData(big)
		sc.Expect("ABOR\r\n")
		sc.Send("426 aborted\r\n226 abort done\r\n")
		sc.Quit()
	})
	local := filepath.Join(t.TempDir(), "f")
	p := testutil.Pool(t, srv.Addr, testutil.FakeConfig(), 1)
	_, err := DownloadFile(fakeftp.Ctx(t), p, "f", local, &Options{Retries: 3})
	p.Close() // QUIT, which the script expects
	assert.True(t, errors.Is(err, ftp.ErrVerify), "got %v", err)
	got, rerr := os.ReadFile(local)
	require.NoError(t, rerr)
	assert.Equal(t, big[:5], got)
	srv.Wait()
}

// lyingFs reports a size of its own for files named like lie.
type lyingFs struct {
	afero.Fs
	lie  string
	size int64
}

func (l lyingFs) Stat(name string) (os.FileInfo, error) {
	fi, err := l.Fs.Stat(name)
	if err == nil && strings.HasSuffix(name, l.lie) {
		return sizedInfo{fi, l.size}, nil
	}
	return fi, err
}

type sizedInfo struct {
	os.FileInfo
	size int64
}

func (s sizedInfo) Size() int64 { return s.size }

// TestSegmentedDownloadWithLyingSize: SIZE says 1 TiB of a 10-byte file.
// The segmented download fails without making a terabyte of sparse file.
func TestSegmentedDownloadWithLyingSize(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{WrapFs: func(fs afero.Fs) afero.Fs { return lyingFs{fs, "huge.bin", 1 << 40} }})
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "huge.bin"), []byte("ten bytes!"), 0o644))
	p := ftp.NewPool(srv.Addr, &ftp.Config{}, &ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()
	local := filepath.Join(t.TempDir(), "huge.bin")
	_, err := DownloadSegmented(testutil.Ctx(t), p, "huge.bin", local, 4, &Options{Retries: -1})
	require.Error(t, err)
	fi, serr := os.Stat(local)
	require.NoError(t, serr)
	assert.LessOrEqual(t, fi.Size(), int64(10), "the local file grew to %d bytes", fi.Size())
}

// TestTranscriptDownloadFileResumeOrder: the resumable helper continues a
// local part with EPSV, REST and RETR in that order.
func TestTranscriptDownloadFileResumeOrder(t *testing.T) {
	content := []byte("0123456789")
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("SIZE f\r\n")
		sc.Send("213 10\r\n")
		sc.Expect("FEAT\r\n")
		sc.Send("211-Features:\r\n EPSV\r\n211 End\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("REST 4\r\n")
		sc.Send("350 restarting at 4\r\n")
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 Opening BINARY mode data connection for f (10 bytes)\r\n")
		sc.WriteData(content[4:])
		sc.CloseData()
		sc.Send("226 done\r\n")
		sc.Quit()
	})
	local := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(local, content[:4], 0o644))
	p := testutil.Pool(t, srv.Addr, testutil.FakeConfig(), 1)
	res, err := DownloadFile(fakeftp.Ctx(t), p, "f", local, nil)
	p.Close() // QUIT, which the script expects
	require.NoError(t, err)
	assert.Equal(t, ResumedLocalFile, res.ResumedFrom)
	got, err := os.ReadFile(local)
	require.NoError(t, err)
	assert.Equal(t, content, got)
	srv.Wait()
	testutil.WantCommands(t, srv, "TYPE I", "SIZE f", "FEAT", "EPSV", "REST 4", "RETR f", "QUIT")
}
