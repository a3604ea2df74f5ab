// The io/fs view against the in-process server: fstest.TestFS, WalkDir,
// Glob and http.FileServer with ranges.

package ftpfs

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestFS serves a small tree; bigSize > 0 adds a/b/big.bin. (fstest
// reads a file at many offsets, each a REST + RETR + ABOR, so the
// conformance test keeps its files small.)
func newTestFS(t *testing.T, bigSize int) (*FS, *embedded.Server) {
	srv := testutil.StartServer(t, embedded.Options{})
	root := srv.Root
	require.NoError(t, os.MkdirAll(filepath.Join(root, "tree/a/b"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "tree/hello.txt"), []byte("hello, fs\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "tree/a/one.go"), []byte("package one\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "tree/a/b/two.go"), []byte("package two\n"), 0o644))
	if bigSize > 0 {
		require.NoError(t, os.WriteFile(filepath.Join(root, "tree/a/b/big.bin"), testutil.RandomBytes(t, bigSize), 0o644))
	}
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 16})
	t.Cleanup(func() { p.Close() })
	return New(testutil.Ctx(t), p, "/tree"), srv
}

func TestFSConformance(t *testing.T) {
	fsys, _ := newTestFS(t, 0)
	require.NoError(t, fstest.TestFS(fsys, "hello.txt", "a/one.go", "a/b/two.go"))
}

func TestFSWalkAndGlob(t *testing.T) {
	fsys, _ := newTestFS(t, 1000)
	var walked []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, p)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{".", "a", "a/b", "a/b/big.bin", "a/b/two.go", "a/one.go", "hello.txt"}, walked)
	matches, err := fs.Glob(fsys, "a/*/*.go")
	require.NoError(t, err)
	assert.Equal(t, []string{"a/b/two.go"}, matches)
	b, err := fs.ReadFile(fsys, "a/one.go")
	require.NoError(t, err)
	assert.Equal(t, "package one\n", string(b))
	_, err = fs.Stat(fsys, "missing")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestFSHTTPFileServerRanges(t *testing.T) {
	fsys, srv := newTestFS(t, 300<<10)
	hs := httptest.NewServer(http.FileServer(http.FS(fsys)))
	defer hs.Close()
	want, err := os.ReadFile(filepath.Join(srv.Root, "tree/a/b/big.bin"))
	require.NoError(t, err)

	req, err := http.NewRequest("GET", hs.URL+"/a/b/big.bin", nil)
	require.NoError(t, err)
	req.Header.Set("Range", "bytes=100000-100999")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, want[100000:101000], got)

	resp2, err := http.Get(hs.URL + "/hello.txt")
	require.NoError(t, err)
	defer resp2.Body.Close()
	body, _ := io.ReadAll(resp2.Body)
	assert.Equal(t, "hello, fs\n", string(body))
}
