// Resumable transfers never complete one file with another's bytes, say
// what they verified, and work on servers without SIZE.

package resume

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timedSource is a source with a modification time, as a file has: the
// journal records its size, time and both ends.
type timedSource struct {
	data     []byte
	mtime    time.Time
	from, to int64 // reads in [from, to) fail: the upload stops there
}

func (f timedSource) ReadAt(p []byte, off int64) (int, error) {
	if off < f.to && off+int64(len(p)) > f.from {
		return 0, errors.New("disk read error")
	}
	return bytes.NewReader(f.data).ReadAt(p, off)
}

func (f timedSource) Stat() (os.FileInfo, error) { return timedInfo{f}, nil }

type timedInfo struct{ s timedSource }

func (i timedInfo) Name() string       { return "source" }
func (i timedInfo) Size() int64        { return int64(len(i.s.data)) }
func (i timedInfo) Mode() os.FileMode  { return 0o644 }
func (i timedInfo) ModTime() time.Time { return i.s.mtime }
func (i timedInfo) IsDir() bool        { return false }
func (i timedInfo) Sys() any           { return nil }

// TestUploadStalePartWithoutRangeChecksum: the server holds half of file
// A where B is uploaded now, and has no range checksum to tell. Without a
// journal record of A's upload that proves otherwise, the part is not
// continued: the server ends up with B, whole.
func TestUploadStalePartWithoutRangeChecksum(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{User: "u", Password: "p"}) // no HASH
	ep := testutil.Pool(t, srv.Addr, &ftp.Config{User: "u", Password: "p"}, 1)
	a := testutil.RandomBytes(t, 3<<20)
	b := testutil.RandomBytes(t, 3<<20)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "f"), a[:len(a)/2], 0o644))
	local := filepath.Join(t.TempDir(), "b")
	require.NoError(t, os.WriteFile(local, b, 0o644))
	for _, journal := range []string{"", t.TempDir()} {
		require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "f"), a[:len(a)/2], 0o644))
		res, err := UploadFile(testutil.Ctx(t), ep, local, "f", &Options{Journal: journal})
		require.NoError(t, err)
		assert.False(t, res.Resumed, "journal %q", journal)
		assert.Empty(t, res.ResumedFrom)
		assert.Equal(t, int64(len(b)), res.Sent)
		assert.Equal(t, "size", res.Verified)
		onDisk, err := os.ReadFile(filepath.Join(srv.Root, "f"))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(b, onDisk), "the server holds another file's bytes")
	}
}

// TestUploadResumesFromJournal: an upload interrupted by a failing source
// leaves its record in the journal; the next call with the same source
// continues the part, and one with a changed source starts over.
func TestUploadResumesFromJournal(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{User: "u", Password: "p"}) // no HASH
	ep := testutil.Pool(t, srv.Addr, &ftp.Config{User: "u", Password: "p"}, 1)
	journal := t.TempDir()
	data := testutil.RandomBytes(t, 4<<20)
	size := int64(len(data))
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	interrupted := func() int64 {
		src := timedSource{data: data, mtime: mtime, from: 3 << 19, to: 3<<19 + 1}
		_, err := Upload(testutil.Ctx(t), ep, src, size, "f", &Options{Journal: journal, Retries: -1})
		var se *ftp.SourceError
		require.True(t, errors.As(err, &se), "want the source's error, got %v", err)
		held := settledSize(t, filepath.Join(srv.Root, "f"))
		require.Greater(t, held, int64(0))
		require.Less(t, held, size)
		return held
	}

	held := interrupted()
	res, err := Upload(testutil.Ctx(t), ep, timedSource{data: data, mtime: mtime}, size, "f", &Options{Journal: journal})
	require.NoError(t, err)
	assert.True(t, res.Resumed)
	assert.Equal(t, ResumedByJournal, res.ResumedFrom)
	assert.Equal(t, size-held, res.Sent)
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "f"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))
	entries, err := os.ReadDir(journal)
	require.NoError(t, err)
	assert.Empty(t, entries, "the record goes once the upload is complete")

	// The source was written inside the part the server holds, after the
	// interruption: its time changed, the record does not match, the part
	// is replaced.
	interrupted()
	changed := bytes.Clone(data)
	copy(changed[1<<20+100:], "changed")
	res, err = Upload(testutil.Ctx(t), ep, timedSource{data: changed, mtime: mtime.Add(time.Second)}, size, "f", &Options{Journal: journal})
	require.NoError(t, err)
	assert.Equal(t, size, res.Sent)
	onDisk, err = os.ReadFile(filepath.Join(srv.Root, "f"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(changed, onDisk))

	// A source without a time is recorded by its whole SHA-256.
	interrupted()
	res, err = Upload(testutil.Ctx(t), ep, bytes.NewReader(changed), size, "f", &Options{Journal: journal})
	require.NoError(t, err)
	assert.Equal(t, size, res.Sent)
	onDisk, err = os.ReadFile(filepath.Join(srv.Root, "f"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(changed, onDisk))
}

// TestRequireChecksum: against a server without checksums, nothing moves
// and the error says why; with one, the result names the algorithm.
func TestRequireChecksum(t *testing.T) {
	data := testutil.RandomBytes(t, 1<<20)
	local := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(local, data, 0o644))

	plain := testutil.StartServer(t, embedded.Options{User: "u", Password: "p"})
	ep := testutil.Pool(t, plain.Addr, &ftp.Config{User: "u", Password: "p"}, 1)
	_, err := UploadFile(testutil.Ctx(t), ep, local, "f", &Options{RequireChecksum: true})
	assert.ErrorIs(t, err, ftp.ErrNotSupported)
	_, serr := os.Stat(filepath.Join(plain.Root, "f"))
	assert.True(t, errors.Is(serr, os.ErrNotExist), "a byte moved: %v", serr)
	require.NoError(t, os.WriteFile(filepath.Join(plain.Root, "g"), data, 0o644))
	dst := filepath.Join(t.TempDir(), "g")
	_, err = DownloadFile(testutil.Ctx(t), ep, "g", dst, &Options{RequireChecksum: true})
	assert.ErrorIs(t, err, ftp.ErrNotSupported)
	fi, serr := os.Stat(dst)
	require.NoError(t, serr)
	assert.Zero(t, fi.Size())

	hashing := testutil.StartServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	ep = testutil.Pool(t, hashing.Addr, &ftp.Config{User: "u", Password: "p"}, 1)
	res, err := UploadFile(testutil.Ctx(t), ep, local, "f", &Options{RequireChecksum: true})
	require.NoError(t, err)
	assert.NotEqual(t, "size", res.Verified)
	assert.NotEmpty(t, res.Verified)
}

// TestDownloadStaleLocalPart: the local part is not the remote file's
// start, which the server's range checksum shows: it is replaced.
func TestDownloadStaleLocalPart(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{User: "u", Password: "p", EnableHASH: true})
	ep := testutil.Pool(t, srv.Addr, &ftp.Config{User: "u", Password: "p"}, 1)
	data := testutil.RandomBytes(t, 2<<20)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "f"), data, 0o644))
	dst := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(dst, bytes.Repeat([]byte("q"), 1<<20), 0o644))
	res, err := DownloadFile(testutil.Ctx(t), ep, "f", dst, nil)
	require.NoError(t, err)
	assert.Empty(t, res.ResumedFrom)
	assert.Equal(t, int64(len(data)), res.Sent)
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))

	// A good part is continued, and says how it was checked.
	require.NoError(t, os.WriteFile(dst, data[:1<<20], 0o644))
	res, err = DownloadFile(testutil.Ctx(t), ep, "f", dst, nil)
	require.NoError(t, err)
	assert.Equal(t, ResumedByRangeChecksum, res.ResumedFrom)
	assert.Equal(t, int64(len(data)-1<<20), res.Sent)
}

// noSizeScript scripts a server without SIZE (502, as aioftp) that has
// MLST: the size comes from MLST.
func TestResumableHelpersWithoutSIZE(t *testing.T) {
	content := []byte("no SIZE here, MLST instead")
	mlst := func(sc *fakeftp.Script, name string, size int) {
		sc.Expect("MLST " + name + "\r\n")
		sc.Send(fmt.Sprintf("250-Listing %s\r\n type=file;size=%d;modify=20240101000000; %s\r\n250 End\r\n", name, size, name))
	}
	t.Run("download", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("SIZE f\r\n")
			sc.Send("502 SIZE not implemented\r\n")
			sc.Expect("FEAT\r\n")
			sc.Send("211-Features:\r\n MLST type*;size*;modify*;\r\n EPSV\r\n211 End\r\n")
			mlst(sc, "f", len(content))
			sc.Expect("EPSV\r\n")
			sc.EPSV()
			sc.Expect("RETR f\r\n")
			sc.AcceptData()
			sc.Send("150 ok\r\n")
			sc.WriteData(content)
			sc.CloseData()
			sc.Send("226 done\r\n")
			sc.Quit()
		})
		dst := filepath.Join(t.TempDir(), "f")
		p := testutil.Pool(t, srv.Addr, testutil.FakeConfig(), 1)
		res, err := DownloadFile(fakeftp.Ctx(t), p, "f", dst, nil)
		p.Close() // QUIT, which the script expects
		require.NoError(t, err)
		assert.Equal(t, int64(len(content)), res.Size)
		assert.Equal(t, "size", res.Verified)
		got, err := os.ReadFile(dst)
		require.NoError(t, err)
		assert.Equal(t, content, got)
		srv.Wait()
	})
	t.Run("upload", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("SIZE f\r\n")
			sc.Send("502 SIZE not implemented\r\n")
			sc.Expect("FEAT\r\n")
			sc.Send("211-Features:\r\n MLST type*;size*;modify*;\r\n EPSV\r\n211 End\r\n")
			sc.Expect("MLST f\r\n")
			sc.Send("550 f: no such file\r\n")
			sc.Expect("EPSV\r\n")
			sc.EPSV()
			sc.Expect("STOR f\r\n")
			sc.AcceptData()
			sc.Send("150 ok\r\n")
			sc.ReadDataAll()
			sc.Send("226 done\r\n")
			sc.Expect("SIZE f\r\n")
			sc.Send("502 SIZE not implemented\r\n")
			mlst(sc, "f", len(content))
			sc.Quit()
		})
		p := testutil.Pool(t, srv.Addr, testutil.FakeConfig(), 1)
		res, err := Upload(fakeftp.Ctx(t), p, bytes.NewReader(content), int64(len(content)), "f", nil)
		p.Close() // QUIT, which the script expects
		require.NoError(t, err)
		assert.Equal(t, "size", res.Verified)
		assert.Equal(t, int64(len(content)), res.Sent)
		srv.Wait()
		assert.Equal(t, content, srv.Upload(0))
	})
}

// settledSize returns the size of the server's file p once it stops
// changing. The in-process server writes what an interrupted upload sent
// in its own goroutine, which may still be at it when the client has had
// its answer to ABOR; a part that never arrives still fails the caller's
// checks once the bound passes.
func settledSize(t *testing.T, p string) int64 {
	t.Helper()
	last, same := int64(-1), 0
	deadline := time.Now().Add(5 * time.Second)
	for {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		if fi.Size() == last {
			same++
		} else {
			last, same = fi.Size(), 0
		}
		if last > 0 && same >= 3 || time.Now().After(deadline) {
			return last
		}
		time.Sleep(30 * time.Millisecond)
	}
}
