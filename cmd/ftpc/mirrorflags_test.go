package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMirrorFilterFlags(t *testing.T) {
	srv, base := startServer(t)
	remote := filepath.Join(srv.Root, "site")
	for name, body := range map[string]string{
		"index.html": "i", "x.tmp": "t", "cache/c.bin": "c", "img/a.png": "a", "img/deep/b.png": "b",
	} {
		writeFile(t, filepath.Join(remote, filepath.FromSlash(name)), []byte(body))
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	writeFile(t, filepath.Join(remote, "old.html"), []byte("o"))
	require.NoError(t, os.Chtimes(filepath.Join(remote, "old.html"), old, old))

	local := filepath.Join(t.TempDir(), "copy")
	r := ftpc("mirror", "--exclude", "*.tmp", "--exclude", "cache/**", "--max-depth", "2", "--newer-than", "30d",
		base+"site", local)
	requireOK(t, r)
	assert.Equal(t, map[string]string{"index.html": "i", "img/": "", "img/a.png": "a"}, treeOf(t, local))

	// The dry run of a mirror with --include lists only what it takes.
	r = ftpc("mirror", "--dry-run", "--include", "*.png", base+"site", filepath.Join(t.TempDir(), "pngs"))
	requireOK(t, r)
	assert.Contains(t, r.stdout, "get img/a.png (1 bytes)")
	assert.Contains(t, r.stdout, "get img/deep/b.png (1 bytes)")
	assert.NotContains(t, r.stdout, "index.html")

	for _, bad := range [][]string{{"--newer-than", "soon"}, {"--max-depth", "x"}, {"--exclude", "[z"}} {
		r := ftpc(append(append([]string{"mirror"}, bad...), base+"site", local)...)
		assert.NotEqual(t, 0, r.code, "%v: %s", bad, r.stderr)
	}
}

func TestMirrorPermsFlags(t *testing.T) {
	// LIST gives modes, as vsftpd's does.
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(),
		DisableMLSD: true, DisableMLST: true})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	base := "ftp://" + testUser + ":s3cr%23t%20p%40ss@" + srv.Addr + "/"
	remote := filepath.Join(srv.Root, "keys")
	writeFile(t, filepath.Join(remote, "id"), []byte("secret"))
	require.NoError(t, os.Chmod(filepath.Join(remote, "id"), 0o600))

	local := filepath.Join(t.TempDir(), "keys")
	requireOK(t, ftpc("mirror", base+"keys", local))
	fi, err := os.Stat(filepath.Join(local, "id"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// A mode changed at the source is listed by a dry run, then set.
	require.NoError(t, os.Chmod(filepath.Join(remote, "id"), 0o640))
	r := ftpc("mirror", "--dry-run", base+"keys", local)
	requireOK(t, r)
	assert.True(t, strings.HasPrefix(r.stdout, "chmod 0640 id\n"), r.stdout)
	requireOK(t, ftpc("mirror", base+"keys", local))
	fi, err = os.Stat(filepath.Join(local, "id"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())

	// --no-perms leaves a fresh copy with the mode it was made with.
	bare := filepath.Join(t.TempDir(), "bare")
	requireOK(t, ftpc("mirror", "--no-perms", base+"keys", bare))
	fi, err = os.Stat(filepath.Join(bare, "id"))
	require.NoError(t, err)
	assert.NotEqual(t, os.FileMode(0o640), fi.Mode().Perm())
}

func TestParseTimeSpec(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for spec, want := range map[string]time.Time{
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"2w":                   now.Add(-14 * 24 * time.Hour),
		"36h":                  now.Add(-36 * time.Hour),
		"2026-11-01T10:00:00Z": time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
	} {
		got, err := parseTimeSpec(spec, now)
		require.NoError(t, err, spec)
		assert.True(t, want.Equal(got), "%s: %v", spec, got)
	}
	d, err := parseTimeSpec("2026-11-01", now)
	require.NoError(t, err)
	assert.Equal(t, 2026, d.Year())
	for _, bad := range []string{"", "soon", "-3d", "7x"} {
		_, err := parseTimeSpec(bad, now)
		assert.Error(t, err, bad)
	}
}
