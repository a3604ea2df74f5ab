// Walk on one connection and on a Pool, against the in-process server and
// against a small fake server whose listings are hostile or broken.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// makeWalkTree creates a tree of files and directories under dir.
func makeWalkTree(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{
		"a.txt", "b/c.txt", "b/d/e.txt", "b/d/f/g.txt", "b-x/h.txt", "i/j.txt",
		"i/k/l.txt", "i/k/m.txt", "n.txt", "o/p/q/r.txt", "empty/.keep",
	} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(f), 0o644))
	}
}

// localWalk is the order fs.WalkDir gives for the same tree, as server
// paths under prefix.
func localWalk(t *testing.T, root, sub, prefix string) []string {
	t.Helper()
	var out []string
	require.NoError(t, fs.WalkDir(os.DirFS(root), sub, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		out = append(out, path.Join(prefix, p))
		return nil
	}))
	return out
}

func TestWalkSerialOrderMatchesWalkDir(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	makeWalkTree(t, filepath.Join(srv.Root, "tree"))
	ctx := testutil.Ctx(t)
	c, err := ftp.Dial(ctx, srv.Addr, nil)
	require.NoError(t, err)
	defer c.Close()

	var got []string
	var kinds []ftp.EntryType
	require.NoError(t, Walk(ctx, c, "/tree", nil, func(p string, e *ftp.Entry, err error) error {
		require.NoError(t, err)
		got = append(got, p)
		kinds = append(kinds, e.Type)
		return nil
	}))
	assert.Equal(t, localWalk(t, srv.Root, "tree", "/"), got)
	assert.Equal(t, ftp.EntryDir, kinds[0])

	// The same through a Pool with parallel 1: the same order.
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 2})
	defer p.Close()
	var viaPool []string
	require.NoError(t, Walk(ctx, p, "/tree", &WalkOptions{Parallel: 1}, func(p string, e *ftp.Entry, err error) error {
		viaPool = append(viaPool, p)
		return err
	}))
	assert.Equal(t, got, viaPool)

	// A relative root and the working directory.
	got = got[:0]
	require.NoError(t, c.ChangeDir(ctx, "/tree"))
	require.NoError(t, Walk(ctx, c, "", nil, func(p string, e *ftp.Entry, err error) error {
		got = append(got, p)
		return err
	}))
	want := localWalk(t, filepath.Join(srv.Root, "tree"), ".", "")
	want[0] = "" // the root is reported as given
	assert.Equal(t, want, got)
}

func TestWalkSkipDirSkipAllAndErrors(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	makeWalkTree(t, filepath.Join(srv.Root, "tree"))
	ctx := testutil.Ctx(t)
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()
	c, err := p.Conn(ctx)
	require.NoError(t, err)
	defer c.Close()

	walkers := map[string]func(fn WalkFunc) error{
		"conn":     func(fn WalkFunc) error { return Walk(ctx, c, "/tree", nil, fn) },
		"parallel": func(fn WalkFunc) error { return Walk(ctx, p, "/tree", &WalkOptions{Parallel: 4}, fn) },
	}
	for name, walk := range walkers {
		t.Run(name, func(t *testing.T) {
			// SkipDir on a directory skips its contents only.
			seen := map[string]bool{}
			var mu sync.Mutex
			require.NoError(t, walk(func(p string, e *ftp.Entry, err error) error {
				require.NoError(t, err)
				mu.Lock()
				seen[p] = true
				mu.Unlock()
				if p == "/tree/b" {
					return fs.SkipDir
				}
				return nil
			}))
			assert.True(t, seen["/tree/b"])
			assert.False(t, seen["/tree/b/c.txt"])
			assert.False(t, seen["/tree/b/d/e.txt"])
			assert.True(t, seen["/tree/b-x/h.txt"])
			assert.True(t, seen["/tree/o/p/q/r.txt"])

			// SkipDir on a file skips its later siblings, not earlier ones.
			seen = map[string]bool{}
			require.NoError(t, walk(func(p string, e *ftp.Entry, err error) error {
				seen[p] = true
				if p == "/tree/i/j.txt" {
					return fs.SkipDir
				}
				return err
			}))
			assert.True(t, seen["/tree/i/j.txt"])
			assert.False(t, seen["/tree/i/k"])
			assert.False(t, seen["/tree/i/k/l.txt"])
			assert.True(t, seen["/tree/n.txt"])

			// SkipAll stops without an error, and nothing is called after.
			var calls, after atomic.Int32
			var stopped atomic.Bool
			require.NoError(t, walk(func(p string, e *ftp.Entry, err error) error {
				calls.Add(1)
				if stopped.Load() {
					after.Add(1)
				}
				if p == "/tree/b/d" {
					stopped.Store(true)
					return fs.SkipAll
				}
				return err
			}))
			assert.Zero(t, after.Load())
			assert.Less(t, int(calls.Load()), 20)

			// Any other error ends the walk with it.
			boom := errors.New("boom")
			after.Store(0)
			stopped.Store(false)
			err := walk(func(p string, e *ftp.Entry, err error) error {
				if stopped.Load() {
					after.Add(1)
				}
				if p == "/tree/i/k/l.txt" {
					stopped.Store(true)
					return boom
				}
				return err
			})
			assert.ErrorIs(t, err, boom)
			assert.Zero(t, after.Load())

			// SkipDir at the root: one call.
			calls.Store(0)
			require.NoError(t, walk(func(p string, e *ftp.Entry, err error) error {
				calls.Add(1)
				return fs.SkipDir
			}))
			assert.Equal(t, int32(1), calls.Load())
		})
	}

	// A missing root: one call with the error, whose answer is the result.
	var gotErr error
	err = Walk(ctx, p, "/nope", &WalkOptions{Parallel: 4}, func(p string, e *ftp.Entry, err error) error {
		assert.Equal(t, "/nope", p)
		assert.Nil(t, e)
		gotErr = err
		return err
	})
	assert.ErrorIs(t, gotErr, fs.ErrNotExist)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	// A file as root: one call, nothing listed.
	var paths []string
	require.NoError(t, Walk(ctx, c, "/tree/a.txt", nil, func(p string, e *ftp.Entry, err error) error {
		paths = append(paths, p)
		assert.Equal(t, ftp.EntryFile, e.Type)
		return err
	}))
	assert.Equal(t, []string{"/tree/a.txt"}, paths)
}

func TestWalkParallelVisitsTheSameSet(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	root := filepath.Join(srv.Root, "big")
	for d := range 40 {
		for f := range 5 {
			p := filepath.Join(root, fmt.Sprintf("d%02d", d%8), fmt.Sprintf("s%02d", d), fmt.Sprintf("f%d", f))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(p), 0o644))
		}
	}
	ctx := testutil.Ctx(t)
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 8})
	defer p.Close()

	var serial []string
	require.NoError(t, Walk(ctx, p, "/big", &WalkOptions{Parallel: 1}, func(p string, e *ftp.Entry, err error) error {
		serial = append(serial, p)
		return err
	}))
	assert.Equal(t, localWalk(t, srv.Root, "big", "/"), serial)

	var parallel []string
	var inFn, overlap atomic.Int32
	visited := map[string]bool{}
	start := time.Now()
	require.NoError(t, Walk(ctx, p, "/big", &WalkOptions{Parallel: 8}, func(p string, e *ftp.Entry, err error) error {
		if inFn.Add(1) > 1 {
			overlap.Add(1)
		}
		defer inFn.Add(-1)
		require.NoError(t, err)
		if p != "/big" {
			assert.True(t, visited[path.Dir(p)], "%s before its directory", p)
		}
		visited[p] = true
		parallel = append(parallel, p)
		return nil
	}))
	t.Logf("parallel walk of %d entries: %v", len(parallel), time.Since(start))
	assert.Zero(t, overlap.Load(), "fn calls overlapped")
	sort.Strings(parallel)
	sorted := append([]string(nil), serial...)
	sort.Strings(sorted)
	assert.Equal(t, sorted, parallel)
	assert.LessOrEqual(t, p.Stats().MaxOpenSeen, 8)

	// Cancelling the context ends the walk with its error.
	for _, parallel := range []int{1, 8} {
		cctx, cancel := context.WithCancel(ctx)
		calls := 0
		start := time.Now()
		err := Walk(cctx, p, "/big", &WalkOptions{Parallel: parallel}, func(p string, e *ftp.Entry, err error) error {
			calls++
			cancel()
			return err
		})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, calls)
		assert.Less(t, time.Since(start), 2*time.Second)
		cancel()
	}
}

func TestSafeEntryName(t *testing.T) {
	for _, name := range []string{"", ".", "..", "../x", "/etc/x", "a/b", `a\b`, `..\x`, "a\x00b", "a\rb", "a\nb", "/"} {
		assert.False(t, ftp.SafeName(name), "%q", name)
	}
	for _, name := range []string{"a", "...", "a b", "-rf", ".hidden", "ünï", "a:b"} {
		assert.True(t, ftp.SafeName(name), "%q", name)
	}
}

// A hostile server's listings: names that lead elsewhere are reported as
// *UnsafeNameError and never joined into a path or sent back.
func TestWalkRefusesUnsafeNames(t *testing.T) {
	for _, mlsd := range []bool{true, false} {
		t.Run(fmt.Sprintf("mlsd=%v", mlsd), func(t *testing.T) {
			srv := fakeftp.StartHostile(t, mlsd)
			ctx := testutil.Ctx(t)
			p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 4})
			defer p.Close()
			for _, parallel := range []int{1, 4} {
				var paths, refused []string
				listErrs := map[string]error{}
				err := Walk(ctx, p, "/pub", &WalkOptions{Parallel: parallel}, func(p string, e *ftp.Entry, err error) error {
					var ue *ftp.UnsafeNameError
					switch {
					case errors.As(err, &ue):
						assert.Nil(t, e)
						assert.ErrorIs(t, err, ftp.ErrUnsafeName)
						refused = append(refused, ue.Dir+" "+ue.Name)
					case err != nil:
						assert.Equal(t, ftp.EntryDir, e.Type)
						listErrs[p] = err
					default:
						paths = append(paths, p)
					}
					return nil
				})
				require.NoError(t, err)
				sort.Strings(paths)
				sort.Strings(refused)
				wantPaths := []string{"/pub", "/pub/broken", "/pub/ok.txt", "/pub/sub", "/pub/sub/ok2.txt"}
				if mlsd {
					wantPaths = append(wantPaths, "/pub/link")
					sort.Strings(wantPaths)
				}
				assert.Equal(t, wantPaths, paths, "parallel %d", parallel)
				assert.Equal(t, hostileRefused(), refused, "parallel %d", parallel)
				// The lines with NUL and CR are not even understood as
				// entries: a *ListError for /pub, whose other entries are
				// walked. The failed listing of /pub/broken is reported.
				require.Len(t, listErrs, 2)
				var le *ftp.ListError
				require.ErrorAs(t, listErrs["/pub"], &le)
				assert.Len(t, le.Lines, 2)
				assert.ErrorIs(t, listErrs["/pub/broken"], fs.ErrNotExist)
			}
			srv.AssertNoUnsafeCommand(t)
		})
	}
}

// hostileRefused is what a walk of the hostile /pub refuses, sorted.
func hostileRefused() []string {
	out := []string{
		"/pub ../x", "/pub /etc/x", "/pub a/b", `/pub back\slash`, "/pub ../escape", "/pub/sub ../../y", "/pub/sub /abs",
	}
	sort.Strings(out)
	return out
}

// TestRemoveAllRefusesUnsafeNames: a hostile listing cannot turn RemoveAll
// into a removal outside the tree.
func TestRemoveAllRefusesUnsafeNames(t *testing.T) {
	srv := fakeftp.StartHostile(t, true)
	ctx := testutil.Ctx(t)
	c, err := ftp.Dial(ctx, srv.Addr, testutil.FakeConfig())
	require.NoError(t, err)
	defer c.Close()
	err = RemoveAll(ctx, c, "/pub/sub")
	var ue *ftp.UnsafeNameError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "/pub/sub", ue.Dir)
	srv.AssertNoUnsafeCommand(t)
	for _, cmd := range srv.Commands() {
		assert.NotContains(t, cmd, "DELE", "nothing of an untrusted listing is removed")
		assert.NotContains(t, cmd, "RMD", "nothing of an untrusted listing is removed")
	}
}
