// Many-file transfers and mirrors against the in-process server, and
// mirrors of a hostile server's listings.

package mirror

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/seed362563c3/ftp/resume"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// makeMirrorTree writes files small random files in dirs directories
// (nested two deep) under dir, with modification times in the past, and
// returns their relative paths.
func makeMirrorTree(t *testing.T, dir string, dirs, files int) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var subdirs []string
	top := dirs / 10
	for i := range top {
		d := fmt.Sprintf("d%03d", i)
		subdirs = append(subdirs, d)
		for j := range dirs/top - 1 {
			subdirs = append(subdirs, fmt.Sprintf("%s/s%02d", d, j))
		}
	}
	require.Len(t, subdirs, dirs)
	base := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	var rels []string
	for i := range files {
		rel := fmt.Sprintf("%s/f%04d.bin", subdirs[i%len(subdirs)], i)
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		b := make([]byte, 100+rng.IntN(1900))
		for k := range b {
			b[k] = byte(rng.Uint32())
		}
		require.NoError(t, os.WriteFile(p, b, 0o644))
		mt := base.Add(time.Duration(rng.Int64N(int64(300 * 24 * time.Hour))))
		require.NoError(t, os.Chtimes(p, mt, mt))
		rels = append(rels, rel)
	}
	return rels
}

// assertSameTree checks that every file in rels is byte-identical in both
// trees with the same modification time to the second, and that the
// trees hold the same regular files and directories.
func assertSameTree(t *testing.T, a, b string, rels []string) {
	t.Helper()
	for _, rel := range rels {
		pa, pb := filepath.Join(a, filepath.FromSlash(rel)), filepath.Join(b, filepath.FromSlash(rel))
		da, err := os.ReadFile(pa)
		require.NoError(t, err)
		db, err := os.ReadFile(pb)
		require.NoError(t, err)
		if !bytes.Equal(da, db) {
			t.Fatalf("%s differs", rel)
		}
		fa, err := os.Stat(pa)
		require.NoError(t, err)
		fb, err := os.Stat(pb)
		require.NoError(t, err)
		if fa.ModTime().Unix() != fb.ModTime().Unix() {
			t.Fatalf("%s: modification times %v and %v", rel, fa.ModTime(), fb.ModTime())
		}
	}
	assert.Equal(t, listTree(t, a), listTree(t, b))
}

func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel+map[bool]string{true: "/"}[d.IsDir()])
		return nil
	}))
	return out
}

func TestMirrorDownAndUp2000Files(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	const nDirs, nFiles = 200, 2000
	rels := makeMirrorTree(t, filepath.Join(srv.Root, "src"), nDirs, nFiles)
	var total int64
	for _, rel := range rels {
		fi, err := os.Stat(filepath.Join(srv.Root, "src", filepath.FromSlash(rel)))
		require.NoError(t, err)
		total += fi.Size()
	}
	ctx := testutil.Ctx(t)
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 8})
	defer p.Close()
	var progressCalls sync.Map
	opts := &Options{Parallel: 8, Progress: func(name string, done, total int64) {
		progressCalls.Store(name, done)
	}}
	local := filepath.Join(t.TempDir(), "down")

	// Down: everything, byte for byte, remote times kept.
	start := time.Now()
	st, err := Down(ctx, p, "/src", local, opts)
	require.NoError(t, err)
	t.Logf("mirror down of %d files (%d bytes): %v, %+v", nFiles, total, time.Since(start), *st)
	assert.Equal(t, Stats{Files: nFiles, Bytes: total, Dirs: nDirs + 1}, *st)
	assertSameTree(t, filepath.Join(srv.Root, "src"), local, rels)
	n := 0
	progressCalls.Range(func(_, _ any) bool { n++; return true })
	assert.Equal(t, nFiles, n, "progress for every file")
	assert.LessOrEqual(t, p.Stats().MaxOpenSeen, 8)

	// Again: nothing moves.
	start = time.Now()
	st, err = Down(ctx, p, "/src", local, &Options{Parallel: 8})
	require.NoError(t, err)
	t.Logf("unchanged mirror down: %v", time.Since(start))
	assert.Equal(t, Stats{Unchanged: nFiles}, *st)

	// One remote file changes (same size, new content and time): only it.
	changed := filepath.Join(srv.Root, "src", filepath.FromSlash(rels[7]))
	old, err := os.ReadFile(changed)
	require.NoError(t, err)
	newData := bytes.Repeat([]byte{'z'}, len(old))
	require.NoError(t, os.WriteFile(changed, newData, 0o644))
	st, err = Down(ctx, p, "/src", local, &Options{Parallel: 8})
	require.NoError(t, err)
	assert.Equal(t, Stats{Files: 1, Bytes: int64(len(old)), Unchanged: nFiles - 1}, *st)
	assertSameTree(t, filepath.Join(srv.Root, "src"), local, rels[7:8])

	// A partial copy (".NAME.part", not older than the source: left by an
	// interrupted download) is resumed; a stale one (older than the
	// source) is replaced. A shorter older file, a longer one and a
	// shorter newer one (edited locally) are all fetched again.
	rel := func(i int) string { return filepath.Join(local, filepath.FromSlash(rels[i])) }
	part := func(i int) string { return filepath.Join(local, filepath.FromSlash(partRel(rels[i]))) }
	content := func(i int) []byte {
		b, err := os.ReadFile(filepath.Join(srv.Root, "src", filepath.FromSlash(rels[i])))
		require.NoError(t, err)
		return b
	}
	require.NoError(t, os.Remove(rel(11)))
	require.NoError(t, os.WriteFile(part(11), content(11)[:len(content(11))/2], 0o644))
	require.NoError(t, os.Remove(rel(12)))
	require.NoError(t, os.WriteFile(part(12), content(12)[:10], 0o644))
	require.NoError(t, os.Chtimes(part(12), time.Unix(1e9, 0), time.Unix(1e9, 0)))
	require.NoError(t, os.WriteFile(rel(13), []byte("old version"), 0o644))
	require.NoError(t, os.Chtimes(rel(13), time.Unix(1e9, 0), time.Unix(1e9, 0)))
	require.NoError(t, os.WriteFile(rel(14), append(content(14), "more"...), 0o644))
	require.NoError(t, os.WriteFile(rel(15), []byte("edited"), 0o644))
	st, err = Down(ctx, p, "/src", local, &Options{Parallel: 8, DryRun: true})
	require.NoError(t, err)
	want := Stats{Files: 5, Resumed: 1, Unchanged: nFiles - 5,
		Bytes: int64(len(content(11))-len(content(11))/2) + int64(len(content(12))+len(content(13))+len(content(14))+len(content(15)))}
	assert.Equal(t, want, *st)
	st, err = Down(ctx, p, "/src", local, &Options{Parallel: 8})
	require.NoError(t, err)
	assert.Equal(t, want, *st)
	assertSameTree(t, filepath.Join(srv.Root, "src"), local, rels)

	// Up into a new remote directory: everything, and MFMT sets the times.
	start = time.Now()
	st, err = Up(ctx, p, local, "/dst/copy", &Options{Parallel: 8})
	require.NoError(t, err)
	t.Logf("mirror up of %d files: %v, %+v", nFiles, time.Since(start), *st)
	assert.Equal(t, Stats{Files: nFiles, Bytes: total, Dirs: nDirs + 1}, *st)
	remote := filepath.Join(srv.Root, "dst", "copy")
	assertSameTree(t, local, remote, rels)

	// Again: nothing moves.
	start = time.Now()
	st, err = Up(ctx, p, local, "/dst/copy", &Options{Parallel: 8})
	require.NoError(t, err)
	t.Logf("unchanged mirror up: %v", time.Since(start))
	assert.Equal(t, Stats{Unchanged: nFiles}, *st)

	// One local file changes: only it goes up. A partial remote copy
	// (".NAME.part", newer than the source) is resumed only once it is
	// shown to be the source's start: this server has no range checksum
	// and no journal recorded the upload, so it is replaced.
	touched := filepath.Join(local, filepath.FromSlash(rels[99]))
	require.NoError(t, os.WriteFile(touched, []byte("changed, and shorter"), 0o644))
	remoteFile := filepath.Join(remote, filepath.FromSlash(rels[100]))
	fullUp, err := os.ReadFile(remoteFile)
	require.NoError(t, err)
	require.NoError(t, os.Remove(remoteFile))
	require.NoError(t, os.WriteFile(filepath.Join(remote, filepath.FromSlash(partRel(rels[100]))), fullUp[:len(fullUp)/3], 0o644))
	st, err = Up(ctx, p, local, "/dst/copy", &Options{Parallel: 8})
	require.NoError(t, err)
	assert.Equal(t, Stats{Files: 2, Resumed: 0, Unchanged: nFiles - 2,
		Bytes: int64(len("changed, and shorter")) + int64(len(fullUp))}, *st)
	assertSameTree(t, local, remote, rels)

	// Delete: what the destination has beyond the source goes, in both
	// directions; a dry run only counts.
	require.NoError(t, os.MkdirAll(filepath.Join(remote, "extra", "deeper"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(remote, "extra", "deeper", "x"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(remote, "d000", "stray"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(local, "d001", "stray"), []byte("x"), 0o644))
	// A partial copy of a source file is kept; one of nothing is not.
	keptPart := filepath.Join(remote, filepath.FromSlash(partRel(rels[0])))
	require.NoError(t, os.WriteFile(keptPart, []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(remote, ".nothing.part"), []byte("x"), 0o644))
	st, err = Up(ctx, p, local, "/dst/copy", &Options{Parallel: 8, Delete: true, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, Stats{Files: 1, Bytes: 1, Unchanged: nFiles, Deleted: 5}, *st)
	assert.FileExists(t, filepath.Join(remote, "extra", "deeper", "x"))
	assert.NoFileExists(t, filepath.Join(remote, "d001", "stray"))

	st, err = Up(ctx, p, local, "/dst/copy", &Options{Parallel: 8, Delete: true})
	require.NoError(t, err)
	assert.Equal(t, Stats{Files: 1, Bytes: 1, Unchanged: nFiles, Deleted: 5}, *st)
	assert.NoDirExists(t, filepath.Join(remote, "extra"))
	assert.NoFileExists(t, filepath.Join(remote, "d000", "stray"))
	assert.NoFileExists(t, filepath.Join(remote, ".nothing.part"))
	assert.FileExists(t, keptPart)
	require.NoError(t, os.Remove(keptPart))

	// Down with Delete: the local stray goes, and the file edited locally
	// is fetched again.
	st, err = Down(ctx, p, "/src", local, &Options{Parallel: 8, Delete: true})
	require.NoError(t, err)
	assert.Equal(t, Stats{Files: 1, Bytes: int64(len(content(99))), Unchanged: nFiles - 1, Deleted: 1}, *st)
	assertSameTree(t, filepath.Join(srv.Root, "src"), local, rels)
}

func TestMirrorConflictsAndSymlinks(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	ctx := testutil.Ctx(t)
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()

	src := filepath.Join(srv.Root, "src")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "dir"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "dir", "f"), []byte("in dir"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "file"), []byte("a file"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "empty"), nil, 0o644))

	// The destination has a file where the source has a directory and a
	// directory where it has a file: errors, left alone, unless Delete.
	local := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(local, "dir"), []byte("not a dir"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(local, "file", "inner"), 0o755))
	st, err := Down(ctx, p, "/src", local, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dir is a dir in the source and a file")
	assert.Contains(t, err.Error(), "file is a file in the source and a dir")
	assert.Equal(t, Stats{Files: 1}, *st, "only the empty file")
	fi, err := os.Stat(filepath.Join(local, "empty"))
	require.NoError(t, err)
	assert.Zero(t, fi.Size())

	st, err = Down(ctx, p, "/src", local, &Options{Delete: true})
	require.NoError(t, err)
	assert.Equal(t, Stats{Files: 2, Bytes: 12, Dirs: 1, Deleted: 3, Unchanged: 1}, *st)
	b, err := os.ReadFile(filepath.Join(local, "dir", "f"))
	require.NoError(t, err)
	assert.Equal(t, "in dir", string(b))

	// A local symbolic link in the destination is not written through,
	// even where the source has a file of that name.
	outside := filepath.Join(t.TempDir(), "outside")
	require.NoError(t, os.WriteFile(outside, []byte("keep me"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(local, "file")))
	require.NoError(t, os.Symlink(outside, filepath.Join(local, "file")))
	_, err = Down(ctx, p, "/src", local, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "file is a file in the source and a link")
	b, err = os.ReadFile(outside)
	require.NoError(t, err)
	assert.Equal(t, "keep me", string(b))

	// Up: local symbolic links are skipped, never followed.
	up := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(up, "real"), []byte("real"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(up, "to-outside")))
	require.NoError(t, os.Symlink(filepath.Dir(outside), filepath.Join(up, "to-dir")))
	require.NoError(t, os.WriteFile(filepath.Join(up, "empty"), nil, 0o644))
	st, err = Up(ctx, p, up, "/up", nil)
	require.NoError(t, err)
	assert.Equal(t, Stats{Files: 2, Bytes: 4, Dirs: 1, Symlinks: 2}, *st)
	entries, err := os.ReadDir(filepath.Join(srv.Root, "up"))
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "empty", entries[0].Name())
	assert.Equal(t, "real", entries[1].Name())
	st, err = Up(ctx, p, up, "/up", nil)
	require.NoError(t, err)
	assert.Equal(t, Stats{Unchanged: 2, Symlinks: 2}, *st)
}

// unsafeNamesIn collects the names of every *UnsafeNameError in err's tree.
func unsafeNamesIn(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		var ue *ftp.UnsafeNameError
		switch x := e.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		default:
			if errors.As(e, &ue) {
				out = append(out, ue.Name)
			}
		}
	}
	walk(err)
	sort.Strings(out)
	return out
}

// A hostile listing: entries named ../x, /etc/x, a/b and the like write
// nothing outside the target, and are reported as *UnsafeNameError.
func TestMirrorDownHostileListing(t *testing.T) {
	_, err := os.Lstat("/etc/x")
	etcXBefore := err == nil
	for _, mlsd := range []bool{true, false} {
		t.Run(fmt.Sprintf("mlsd=%v", mlsd), func(t *testing.T) {
			srv := fakeftp.StartHostile(t, mlsd)
			ctx := testutil.Ctx(t)
			p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 4})
			defer p.Close()
			base := t.TempDir()
			sandbox := filepath.Join(base, "sandbox")
			target := filepath.Join(sandbox, "target")
			require.NoError(t, os.MkdirAll(filepath.Join(target, "sub"), 0o755))
			// Local files the source does not have: with Delete they stay,
			// since the source's listings were not all understood.
			require.NoError(t, os.WriteFile(filepath.Join(target, "mine"), []byte("mine"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(target, "sub", "mine"), []byte("mine"), 0o644))

			st, err := Down(ctx, p, "/pub", target, &Options{Parallel: 4, Delete: true})
			require.Error(t, err)
			want := []string{"../x", "/etc/x", "a/b", `back\slash`, "../escape", "../../y", "/abs"}
			sort.Strings(want)
			assert.Equal(t, want, unsafeNamesIn(err))
			assert.Equal(t, len(want), st.Refused)
			assert.Equal(t, 2, st.Files)
			assert.Zero(t, st.Deleted)
			assert.Zero(t, st.Failed)
			if mlsd {
				assert.Equal(t, 1, st.Symlinks)
			}
			var le *ftp.ListError
			assert.ErrorAs(t, err, &le, "the lines with NUL and CR")
			assert.Contains(t, err.Error(), "listing /pub/broken")

			// The target holds what it should, and nothing else; nothing
			// appeared beside it or above it.
			assert.Equal(t, []string{"./", "broken/", "mine", "ok.txt", "sub/", "sub/mine", "sub/ok2.txt"}, listTree(t, target))
			assert.Equal(t, []string{"./", "target/"}, listTree(t, sandbox)[:2])
			entries, err := os.ReadDir(base)
			require.NoError(t, err)
			require.Len(t, entries, 1)
			entries, err = os.ReadDir(sandbox)
			require.NoError(t, err)
			require.Len(t, entries, 1)
			b, err := os.ReadFile(filepath.Join(target, "ok.txt"))
			require.NoError(t, err)
			assert.Equal(t, "hello", string(b))
			fi, err := os.Stat(filepath.Join(target, "sub", "ok2.txt"))
			require.NoError(t, err)
			assert.Equal(t, "2020-01-02 03:04:05 +0000 UTC", fi.ModTime().UTC().String())
			if !etcXBefore {
				_, err := os.Lstat("/etc/x")
				assert.ErrorIs(t, err, fs.ErrNotExist)
			}
			// No refused name went back to the server either.
			srv.AssertNoUnsafeCommand(t)
			var retr []string
			for _, c := range srv.Commands() {
				if strings.HasPrefix(c, "RETR ") {
					retr = append(retr, c)
				}
			}
			sort.Strings(retr)
			assert.Equal(t, []string{"RETR /pub/ok.txt", "RETR /pub/sub/ok2.txt"}, retr)
		})
	}
}

// Up with Delete into a hostile directory: only safe extraneous names are
// deleted; the refused ones are reported and never sent back.
func TestMirrorUpHostileDestination(t *testing.T) {
	srv := fakeftp.StartHostile(t, true)
	ctx := testutil.Ctx(t)
	p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()
	local := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(local, "keep.txt"), []byte("keep"), 0o644))

	st, err := Up(ctx, p, local, "/pub", &Options{Parallel: 4, Delete: true})
	require.Error(t, err)
	want := []string{"../x", "/etc/x", "a/b", `back\slash`, "../escape", "../../y", "/abs"}
	sort.Strings(want)
	assert.Equal(t, want, unsafeNamesIn(err))
	assert.Equal(t, 1, st.Files)
	var changes []string
	for _, c := range srv.Commands() {
		verb, _, _ := strings.Cut(c, " ")
		switch verb {
		case "DELE", "RMD", "STOR", "MFMT", "MKD":
			changes = append(changes, c)
		}
	}
	sort.Strings(changes)
	require.Len(t, changes, 5, "%q", changes)
	assert.Equal(t, []string{"DELE /pub/link", "DELE /pub/ok.txt", "DELE /pub/sub/ok2.txt"}, changes[:3])
	assert.True(t, strings.HasPrefix(changes[3], "MFMT ") && strings.HasSuffix(changes[3], " /pub/keep.txt"), changes[3])
	assert.Equal(t, "STOR /pub/.keep.txt.part", changes[4])
	assert.Equal(t, 3, st.Deleted)
	assert.Equal(t, "keep", string(srv.Stored("/pub/keep.txt")))
}

func TestUploadAndDownloadFiles(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	ctx := testutil.Ctx(t)
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 8})
	defer p.Close()
	srcDir, backDir := t.TempDir(), t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(srv.Root, "many"), 0o755))
	const n = 200
	var up, down []FilePair
	var total int64
	for i := range n {
		name := fmt.Sprintf("file%03d", i)
		data := testutil.RandomBytes(t, 100+i*37)
		total += int64(len(data))
		require.NoError(t, os.WriteFile(filepath.Join(srcDir, name), data, 0o644))
		up = append(up, FilePair{Local: filepath.Join(srcDir, name), Remote: "/many/" + name})
		down = append(down, FilePair{Local: filepath.Join(backDir, name), Remote: "/many/" + name})
	}
	var mu sync.Mutex
	progress := map[string]int64{}
	opts := &FilesOptions{Parallel: 8, Resume: fastRetries(), Progress: func(name string, done, total int64) {
		mu.Lock()
		progress[name] = done
		mu.Unlock()
	}}
	start := time.Now()
	res, err := UploadFiles(ctx, p, up, opts)
	require.NoError(t, err)
	t.Logf("%d uploads: %v", n, time.Since(start))
	require.Len(t, res, n)
	var sent int64
	for i, r := range res {
		sent += r.Sent
		assert.Equal(t, int64(100+i*37), progress[up[i].Remote])
	}
	assert.Equal(t, total, sent)

	start = time.Now()
	res, err = DownloadFiles(ctx, p, down, &FilesOptions{Parallel: 8})
	require.NoError(t, err)
	t.Logf("%d downloads: %v", n, time.Since(start))
	require.Len(t, res, n)
	for _, f := range up {
		a, err := os.ReadFile(f.Local)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(backDir, filepath.Base(f.Local)))
		require.NoError(t, err)
		require.True(t, bytes.Equal(a, b), f.Local)
	}

	// Failures are collected, one *TransferError per file; the others go on.
	bad := []FilePair{
		{Local: filepath.Join(srcDir, "file000"), Remote: "/many/again"},
		{Local: filepath.Join(srcDir, "missing"), Remote: "/many/missing"},
		{Local: filepath.Join(srcDir, "file001"), Remote: "/no/such/dir/x"},
	}
	res, err = UploadFiles(ctx, p, bad, &FilesOptions{Parallel: 2, Resume: &resume.Options{Retries: -1}})
	require.Error(t, err)
	var failed []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var te *TransferError
		require.ErrorAs(t, e, &te)
		assert.Equal(t, "upload", te.Op)
		failed = append(failed, te.Remote)
	}
	sort.Strings(failed)
	assert.Equal(t, []string{"/many/missing", "/no/such/dir/x"}, failed)
	assert.NotNil(t, res[0])
	assert.FileExists(t, filepath.Join(srv.Root, "many", "again"))
	assert.Contains(t, err.Error(), "missing")

	res, err = DownloadFiles(ctx, p, []FilePair{{Local: filepath.Join(backDir, "nope"), Remote: "/many/nope"}}, &FilesOptions{Resume: &resume.Options{Retries: -1}})
	var te *TransferError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "download", te.Op)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Len(t, res, 1)
}

// Without MLSD and MLST (LIST gives minutes at best), the times are
// compared as far as the listing tells, a downloaded file's time comes
// from MDTM, and a second mirror in either direction moves nothing.
func TestMirrorListOnlyServer(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{DisableMLSD: true, DisableMLST: true})
	rels := makeMirrorTree(t, filepath.Join(srv.Root, "src"), 10, 40)
	ctx := testutil.Ctx(t)
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()
	local := filepath.Join(t.TempDir(), "down")
	st, err := Down(ctx, p, "/src", local, nil)
	require.NoError(t, err)
	assert.Equal(t, 40, st.Files)
	assertSameTree(t, filepath.Join(srv.Root, "src"), local, rels)
	st, err = Down(ctx, p, "/src", local, nil)
	require.NoError(t, err)
	assert.Equal(t, Stats{Unchanged: 40}, *st)

	// The same size and another time (another day) is a change.
	changed := filepath.Join(srv.Root, "src", filepath.FromSlash(rels[3]))
	require.NoError(t, os.Chtimes(changed, time.Unix(1.5e9, 0), time.Unix(1.5e9, 0)))
	st, err = Down(ctx, p, "/src", local, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Files)
	assertSameTree(t, filepath.Join(srv.Root, "src"), local, rels)

	st, err = Up(ctx, p, local, "/up", nil)
	require.NoError(t, err)
	assert.Equal(t, 40, st.Files)
	assertSameTree(t, local, filepath.Join(srv.Root, "up"), rels)
	st, err = Up(ctx, p, local, "/up", nil)
	require.NoError(t, err)
	assert.Equal(t, Stats{Unchanged: 40}, *st)
}

// Transfers cut part-way are taken over by the resumable helpers, which
// continue from what arrived.
func TestMirrorSurvivesCutTransfers(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	src := filepath.Join(srv.Root, "src")
	require.NoError(t, os.MkdirAll(src, 0o755))
	var rels []string
	for i := range 6 {
		name := fmt.Sprintf("big%d", i)
		require.NoError(t, os.WriteFile(filepath.Join(src, name), testutil.RandomBytes(t, 1<<20), 0o644))
		rels = append(rels, name)
	}
	ctx := testutil.Ctx(t)
	dial, cut := testutil.CuttingDialer(srv.Addr, 4, 300<<10)
	p := ftp.NewPool(srv.Addr, &ftp.Config{DialContext: dial}, &ftp.PoolOptions{MaxOpen: 3})
	defer p.Close()
	local := filepath.Join(t.TempDir(), "down")
	st, err := Down(ctx, p, "/src", local, &Options{Parallel: 3, Resume: fastRetries()})
	require.NoError(t, err)
	assert.Equal(t, int32(4), cut.Load())
	assert.Equal(t, 6, st.Files)
	assert.GreaterOrEqual(t, st.Resumed, 1)
	assert.Less(t, st.Bytes, int64(6<<20+4*300<<10))
	assertSameTree(t, src, local, rels)

	dial, cut = testutil.CuttingDialer(srv.Addr, 4, 300<<10)
	p2 := ftp.NewPool(srv.Addr, &ftp.Config{DialContext: dial}, &ftp.PoolOptions{MaxOpen: 3})
	defer p2.Close()
	st, err = Up(ctx, p2, local, "/up", &Options{Parallel: 3, Resume: fastRetries()})
	require.NoError(t, err)
	assert.Equal(t, int32(4), cut.Load())
	assert.Equal(t, 6, st.Files)
	assert.GreaterOrEqual(t, st.Resumed, 1)
	assert.Less(t, st.Bytes, int64(6<<20+4*300<<10))
	assertSameTree(t, local, filepath.Join(srv.Root, "up"), rels)
}

func fastRetries() *resume.Options {
	return &resume.Options{Retries: 5, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

// TestMirrorUpResumesProvenPart: a remote ".NAME.part" that the server's
// range checksum shows to be the source's start is continued; one that
// differs is replaced.
func TestMirrorUpResumesProvenPart(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{EnableHASH: true})
	local := t.TempDir()
	data := testutil.RandomBytes(t, 300_000)
	require.NoError(t, os.WriteFile(filepath.Join(local, "big.bin"), data, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(srv.Root, "dst"), 0o755))
	part := filepath.Join(srv.Root, "dst", ".big.bin.part")
	p := testutil.Pool(t, srv.Addr, nil, 2)
	ctx := testutil.Ctx(t)

	require.NoError(t, os.WriteFile(part, data[:100_000], 0o644))
	st, err := Up(ctx, p, local, "/dst", nil)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Resumed)
	assert.Equal(t, int64(200_000), st.Bytes)
	got, err := os.ReadFile(filepath.Join(srv.Root, "dst", "big.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))

	require.NoError(t, os.Remove(filepath.Join(srv.Root, "dst", "big.bin")))
	require.NoError(t, os.WriteFile(part, bytes.Repeat([]byte("x"), 100_000), 0o644))
	st, err = Up(ctx, p, local, "/dst", nil)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Resumed)
	assert.Equal(t, int64(300_000), st.Bytes)
	got, err = os.ReadFile(filepath.Join(srv.Root, "dst", "big.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "another file's part was continued")
}
