// Filters, permissions, checksums and the plan of a mirror, against the
// in-process server, checked on both disks.

package mirror

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commandLog is a slog.Handler that keeps the command lines a Conn sends.
type commandLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *commandLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *commandLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *commandLog) WithGroup(string) slog.Handler            { return l }
func (l *commandLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "ftp command" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "send" {
			l.mu.Lock()
			l.lines = append(l.lines, a.Value.String())
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

// mentioning returns the command lines that contain s.
func (l *commandLog) mentioning(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// put writes files (relative path → content) under root, with mode 0644
// unless modes says otherwise, and times t.
func put(t *testing.T, root string, files map[string]string, modes map[string]fs.FileMode, when time.Time) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		if m, ok := modes[rel]; ok {
			require.NoError(t, os.Chmod(p, m))
		}
		require.NoError(t, os.Chtimes(p, when, when))
	}
}

// filesIn lists the regular files under root, slash-separated, sorted.
func filesIn(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	}))
	sort.Strings(out)
	return out
}

func TestMirrorFilter(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	recent := time.Now().Add(-time.Hour).Truncate(time.Second)
	old := recent.Add(-30 * 24 * time.Hour)
	src := filepath.Join(srv.Root, "src")
	put(t, src, map[string]string{
		"a.txt": "a", "b.tmp": "b", "sub/c.txt": "c", "sub/d.tmp": "d",
		"sub/deep/e.txt": "e", "cache/x.bin": "x", "sub/cache/y.bin": "y",
	}, nil, recent)
	put(t, src, map[string]string{"old.txt": "old"}, nil, old)

	log := &commandLog{}
	p := ftp.NewPool(srv.Addr, &ftp.Config{Logger: slog.New(log)}, &ftp.PoolOptions{MaxOpen: 2})
	defer p.Close()
	ctx := testutil.Ctx(t)
	filter := &Filter{Exclude: []string{"*.tmp", "cache/**"}, MaxDepth: 2, NewerThan: recent.Add(-24 * time.Hour)}

	local := t.TempDir()
	// In the destination: an excluded file, an excluded directory's file
	// and a file the source lacks.
	put(t, local, map[string]string{"keep.tmp": "mine", "cache/mine.bin": "mine", "gone.txt": "extra"}, nil, recent)
	st, err := Down(ctx, p, "/src", local, &Options{Filter: filter, Delete: true, Parallel: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"a.txt", "cache/mine.bin", "keep.tmp", "sub/c.txt"}, filesIn(t, local),
		"taken: a.txt and sub/c.txt; excluded destination files kept; gone.txt deleted")
	// b.tmp, old.txt, cache, sub/d.tmp, sub/deep (too deep), sub/cache.
	assert.Equal(t, 6, st.Excluded, "%+v", st)
	assert.Equal(t, 2, st.Files)
	assert.Equal(t, 1, st.Deleted)
	assert.Empty(t, log.mentioning("cache"), "no command reaches an excluded directory")
	assert.Empty(t, log.mentioning("deep"), "nor one beyond MaxDepth")

	// Up: the same filter the other way; excluded remote entries stay.
	dst := filepath.Join(srv.Root, "dst")
	put(t, dst, map[string]string{"x.tmp": "theirs", "cache/z": "theirs", "extra.txt": "x"}, nil, recent)
	st, err = Up(ctx, p, src, "/dst", &Options{Filter: filter, Delete: true, Parallel: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"a.txt", "cache/z", "sub/c.txt", "x.tmp"}, filesIn(t, dst))
	assert.Equal(t, 6, st.Excluded)

	// A bad pattern fails before anything happens.
	_, err = Down(ctx, p, "/src", t.TempDir(), &Options{Filter: &Filter{Exclude: []string{"[x"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "[x")
}

func modeOf(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestMirrorPermissions(t *testing.T) {
	// LIST gives the modes (this server's MLSD has no UNIX.mode), as
	// vsftpd's does.
	srv := testutil.StartServer(t, embedded.Options{DisableMLSD: true, DisableMLST: true})
	when := time.Now().Add(-time.Hour).Truncate(time.Second)
	src := filepath.Join(srv.Root, "src")
	put(t, src, map[string]string{"secret": "s", "script": "#!/bin/sh", "plain": "p", "priv/inner": "i"},
		map[string]fs.FileMode{"secret": 0o600, "script": 0o750}, when)
	require.NoError(t, os.Chmod(filepath.Join(src, "priv"), 0o500))
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "priv"), 0o755) })

	p := testutil.Pool(t, srv.Addr, nil, 2)
	ctx := testutil.Ctx(t)
	local := filepath.Join(t.TempDir(), "down")
	_, err := Down(ctx, p, "/src", local, nil)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), modeOf(t, filepath.Join(local, "secret")))
	assert.Equal(t, fs.FileMode(0o750), modeOf(t, filepath.Join(local, "script")))
	assert.Equal(t, fs.FileMode(0o644), modeOf(t, filepath.Join(local, "plain")))
	assert.Equal(t, fs.FileMode(0o700), modeOf(t, filepath.Join(local, "priv")), "the source's r-x, with the owner's write kept")

	// A changed mode alone is set again, and counted; nothing moves.
	require.NoError(t, os.Chmod(filepath.Join(src, "plain"), 0o640))
	st, err := Down(ctx, p, "/src", local, nil)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Files)
	assert.Equal(t, 1, st.Modes)
	assert.Equal(t, fs.FileMode(0o640), modeOf(t, filepath.Join(local, "plain")))

	// NoPerms: files keep the mode they were created with.
	bare := filepath.Join(t.TempDir(), "bare")
	_, err = Down(ctx, p, "/src", bare, &Options{NoPerms: true})
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), modeOf(t, filepath.Join(bare, "secret"))&0o644)
	assert.NotEqual(t, fs.FileMode(0o600), modeOf(t, filepath.Join(bare, "secret")))

	// Up: SITE CHMOD gives the server's copies the local modes.
	up := t.TempDir()
	put(t, up, map[string]string{"a": "a", "b": "b", "d/c": "c"}, map[string]fs.FileMode{"a": 0o600, "b": 0o644}, when)
	require.NoError(t, os.Chmod(filepath.Join(up, "d"), 0o750))
	_, err = Up(ctx, p, up, "/up", nil)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), modeOf(t, filepath.Join(srv.Root, "up", "a")))
	assert.Equal(t, fs.FileMode(0o644), modeOf(t, filepath.Join(srv.Root, "up", "b")))
	assert.Equal(t, fs.FileMode(0o750), modeOf(t, filepath.Join(srv.Root, "up", "d")))
}

// The mode given to a copy is the source's nine permission bits: never
// setuid, setgid or sticky, whatever a listing said.
func TestPermsNeverSpecialBits(t *testing.T) {
	m := &mirror{}
	for _, special := range []fs.FileMode{fs.ModeSetuid, fs.ModeSetgid, fs.ModeSticky} {
		mode, ok := m.perms(&mirrorEntry{mode: 0o755 | special})
		require.True(t, ok)
		assert.Equal(t, fs.FileMode(0o755), mode)
	}
	_, ok := m.perms(&mirrorEntry{})
	assert.False(t, ok, "an unknown mode is not set")
	m.opts.NoPerms = true
	_, ok = m.perms(&mirrorEntry{mode: 0o600})
	assert.False(t, ok)
}

func TestMirrorChecksum(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{EnableHASH: true})
	when := time.Now().Add(-time.Hour).Truncate(time.Second)
	src := filepath.Join(srv.Root, "src")
	put(t, src, map[string]string{"same": "content", "edited": "new text", "touched": "stable"}, nil, when)
	p := testutil.Pool(t, srv.Addr, nil, 2)
	ctx := testutil.Ctx(t)
	local := t.TempDir()
	_, err := Down(ctx, p, "/src", local, nil)
	require.NoError(t, err)

	// "edited": same size and time, other content; "touched": same
	// content, another time.
	put(t, local, map[string]string{"edited": "old text"}, nil, when)
	require.NoError(t, os.Chtimes(filepath.Join(local, "touched"), when.Add(time.Hour), when.Add(time.Hour)))

	st, err := Down(ctx, p, "/src", local, &Options{DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Files, "by size and time only touched differs: %+v", st)

	st, err = Down(ctx, p, "/src", local, &Options{Checksum: true})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Files, "%+v", st)
	assert.Equal(t, 2, st.Unchanged)
	assert.Empty(t, st.Notes)
	got, err := os.ReadFile(filepath.Join(local, "edited"))
	require.NoError(t, err)
	assert.Equal(t, "new text", string(got))

	// A server without checksums: size and time decide, and a note says so.
	plain := testutil.StartServer(t, embedded.Options{})
	put(t, filepath.Join(plain.Root, "src"), map[string]string{"f": "x"}, nil, when)
	pp := testutil.Pool(t, plain.Addr, nil, 1)
	target := t.TempDir()
	st, err = Down(ctx, pp, "/src", target, &Options{Checksum: true})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Files)
	st, err = Down(ctx, pp, "/src", target, &Options{Checksum: true, DryRun: true})
	require.NoError(t, err)
	require.Len(t, st.Notes, 1)
	assert.Contains(t, st.Notes[0], "no checksum")
}

func TestMirrorPlan(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	when := time.Now().Add(-time.Hour).Truncate(time.Second)
	src := filepath.Join(srv.Root, "src")
	put(t, src, map[string]string{"a": "aa", "d/b": "bbb", "keep": "k"}, nil, when)
	local := t.TempDir()
	put(t, local, map[string]string{"keep": "k", "extra": "e", "x/y": "y"}, nil, when)
	p := testutil.Pool(t, srv.Addr, nil, 2)
	ctx := testutil.Ctx(t)

	var changes []string
	record := func(c Change) {
		s := c.Op.String() + " " + c.Path
		if c.Op == Transfer {
			s += " " + strings.Repeat("#", int(c.Size))
		}
		changes = append(changes, s)
	}
	st, err := Down(ctx, p, "/src", local, &Options{Delete: true, DryRun: true, Plan: record})
	require.NoError(t, err)
	want := []string{"delete x/y", "delete x", "delete extra", "mkdir d", "transfer a ##", "transfer d/b ###"}
	sort.Strings(want[3:])
	got := append([]string(nil), changes...)
	sort.Strings(got[3:]) // files come in parallel
	assert.Equal(t, want, got)
	assert.Equal(t, 2, st.Files)
	assert.Equal(t, 3, st.Deleted)
	assert.FileExists(t, filepath.Join(local, "extra"), "a dry run changes nothing")

	changes = nil
	st2, err := Down(ctx, p, "/src", local, &Options{Delete: true, Plan: record})
	require.NoError(t, err)
	got2 := append([]string(nil), changes...)
	sort.Strings(got2[3:])
	assert.Equal(t, got, got2, "the real run does what the dry run said")
	assert.Equal(t, st.Files, st2.Files)
	assert.NoFileExists(t, filepath.Join(local, "extra"))
}
