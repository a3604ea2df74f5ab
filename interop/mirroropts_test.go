// Mirror filters, permissions and checksums against real servers: a tree
// goes up with excludes and its modes (SITE CHMOD), is checked on the
// server's disk, comes back down with the server's modes, and, on a
// server with checksums, a file changed in place (same size, same time)
// is caught only by --checksum.

package interop

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/realservers"
	"github.com/seed362563c3/ftp/mirror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startPlain starts spec in plain FTP with o.
func startPlain(t *testing.T, spec *realservers.Spec, o realservers.Options) *realservers.Server {
	t.Helper()
	if err := spec.Find(); err != nil {
		miss, _ := realservers.IsMissing(err)
		missing(t, miss)
	}
	e := getEnv(t)
	o.TLS = realservers.Plain
	inst, err := spec.Start(e.Env, o)
	require.NoError(t, err)
	t.Cleanup(inst.Stop)
	return inst
}

// regularFiles lists the files under root, slash-separated, with modes.
func regularFiles(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	out := map[string]fs.FileMode{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = fi.Mode().Perm()
		}
		return nil
	}))
	return out
}

func keys(m map[string]fs.FileMode) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestMirrorFiltersAndPermissionsOnRealServers(t *testing.T) {
	for _, spec := range []*realservers.Spec{realservers.Vsftpd, realservers.Proftpd} {
		t.Run(spec.Name, func(t *testing.T) {
			e := getEnv(t)
			inst := startPlain(t, spec, realservers.Options{})
			pool := ftp.NewPool(inst.Addr(), &ftp.Config{User: inst.User, Password: inst.Password}, &ftp.PoolOptions{MaxOpen: 2})
			defer pool.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()

			local := t.TempDir()
			files := map[string]fs.FileMode{
				"index.html": 0o644, "secret.key": 0o600, "run.sh": 0o750, "img/a.png": 0o640,
				"img/deep/b.png": 0o644, "x.tmp": 0o644, "cache/c.bin": 0o644,
			}
			for rel, mode := range files {
				p := filepath.Join(local, filepath.FromSlash(rel))
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, e.data[:len(rel)*1000], 0o644))
				require.NoError(t, os.Chmod(p, mode))
			}
			require.NoError(t, os.Chmod(filepath.Join(local, "img"), 0o750))
			// On the server beforehand: an excluded file, a file in an
			// excluded directory, and one the source lacks.
			dstRoot := filepath.Join(inst.Root, "site")
			for _, rel := range []string{"keep.tmp", "cache/theirs", "gone.html"} {
				p := filepath.Join(dstRoot, filepath.FromSlash(rel))
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, []byte("server's"), 0o644))
				require.NoError(t, os.Chown(filepath.Dir(p), e.UID, e.GID))
				require.NoError(t, os.Chown(p, e.UID, e.GID))
			}
			require.NoError(t, os.Chown(dstRoot, e.UID, e.GID))

			filter := &mirror.Filter{Exclude: []string{"*.tmp", "cache/**"}}
			st, err := mirror.Up(ctx, pool, local, "site", &mirror.Options{Filter: filter, Delete: true, Parallel: 2})
			require.NoError(t, err, inst.LogTails())
			t.Logf("up: %+v", *st)
			assert.Equal(t, 2, st.Excluded, "x.tmp and cache")
			assert.Equal(t, 1, st.Deleted, "gone.html")
			onServer := regularFiles(t, dstRoot)
			assert.Equal(t, []string{"cache/theirs", "img/a.png", "img/deep/b.png", "index.html", "keep.tmp", "run.sh", "secret.key"}, keys(onServer))
			for rel, mode := range files {
				if rel == "x.tmp" || rel == "cache/c.bin" {
					continue
				}
				assert.Equal(t, mode, onServer[rel], "%s's mode on the server's disk", rel)
				got, err := os.ReadFile(filepath.Join(dstRoot, filepath.FromSlash(rel)))
				require.NoError(t, err)
				require.NoError(t, sameBytes("on the server's disk, "+rel, got, e.data[:len(rel)*1000]))
			}
			fi, err := os.Stat(filepath.Join(dstRoot, "img"))
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o750), fi.Mode().Perm(), "the directory's mode")

			// Down: the server's modes come back, one changed there too.
			require.NoError(t, os.Chmod(filepath.Join(dstRoot, "index.html"), 0o604))
			back := filepath.Join(t.TempDir(), "back")
			st, err = mirror.Down(ctx, pool, "site", back, &mirror.Options{Filter: filter, Parallel: 2})
			require.NoError(t, err)
			t.Logf("down: %+v", *st)
			inBack := regularFiles(t, back)
			assert.Equal(t, []string{"img/a.png", "img/deep/b.png", "index.html", "run.sh", "secret.key"}, keys(inBack))
			assert.Equal(t, fs.FileMode(0o604), inBack["index.html"])
			assert.Equal(t, fs.FileMode(0o600), inBack["secret.key"])
			assert.Equal(t, fs.FileMode(0o750), inBack["run.sh"])
		})
	}
}

func TestMirrorChecksumOnProftpd(t *testing.T) {
	e := getEnv(t)
	inst := startPlain(t, realservers.Proftpd, realservers.Options{Checksums: true})
	pool := ftp.NewPool(inst.Addr(), &ftp.Config{User: inst.User, Password: inst.Password}, &ftp.PoolOptions{MaxOpen: 2})
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dir := filepath.Join(inst.Root, "sums")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Chown(dir, e.UID, e.GID))
	data := e.data[:1<<20]
	placed := filepath.Join(dir, "db.bin")
	require.NoError(t, os.WriteFile(placed, data, 0o644))
	require.NoError(t, os.Chown(placed, e.UID, e.GID))

	local := t.TempDir()
	_, err := mirror.Down(ctx, pool, "sums", local, nil)
	require.NoError(t, err)

	// Changed in place: one byte, same size, same time.
	fi, err := os.Stat(placed)
	require.NoError(t, err)
	changed := append([]byte(nil), data...)
	changed[12345] ^= 0xff
	require.NoError(t, os.WriteFile(placed, changed, 0o644))
	require.NoError(t, os.Chtimes(placed, fi.ModTime(), fi.ModTime()))

	st, err := mirror.Down(ctx, pool, "sums", local, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Unchanged, "size and time cannot see it")
	st, err = mirror.Down(ctx, pool, "sums", local, &mirror.Options{Checksum: true})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Files, "the checksum does: %+v", *st)
	assert.Empty(t, st.Notes)
	got, err := os.ReadFile(filepath.Join(local, "db.bin"))
	require.NoError(t, err)
	require.NoError(t, sameBytes("the local copy", got, changed))
}
