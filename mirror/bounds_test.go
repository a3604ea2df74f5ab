// Walks, mirrors and RemoveAll are bounded in depth, path length, entries
// and pending work, and see revisits. Each test bounds itself in time and
// memory, so that a client without the bounds fails it on an assertion,
// not by exhausting the machine.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWalkBoundsDepthAndPathLength: a directory that lists itself, under a
// short name (it goes deeper and deeper) or a 60,000-byte one (its paths
// grow by 60 KB a level), is walked only to MaxDepth levels or MaxPathLen
// bytes: the directory past the bound is reported with a *LimitError.
func TestWalkBoundsDepthAndPathLength(t *testing.T) {
	long := strings.Repeat("x", 60000)
	cases := []struct {
		name, limit string
		visits      int
		where       string
	}{
		{"x", "MaxDepth", 1 + DefaultMaxDepth, "/loop" + strings.Repeat("/x", DefaultMaxDepth)},
		{long, "MaxPathLen", 1, "/loop"},
	}
	for _, tc := range cases {
		for _, parallel := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/parallel=%d", tc.limit, parallel), func(t *testing.T) {
				base := runtime.NumGoroutine()
				srv := fakeftp.LoopServer(t, tc.name, 2*DefaultMaxDepth, 1<<20)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 4})
				heap := fakeftp.WatchHeap()
				visits := 0
				var limits []*ftp.LimitError
				err := Walk(ctx, p, "/loop", &WalkOptions{Parallel: parallel}, func(p string, e *ftp.Entry, err error) error {
					if len(p) > 1<<20 || visits > 2*DefaultMaxDepth {
						return fmt.Errorf("%w: %d levels, a path of %d bytes", fakeftp.ErrUnbounded, visits, len(p))
					}
					var le *ftp.LimitError
					if errors.As(err, &le) {
						limits = append(limits, le)
						return nil
					}
					if err != nil {
						return err
					}
					visits++
					return nil
				})
				grown := heap.Growth()
				p.Close()
				require.NoError(t, err)
				assert.Equal(t, tc.visits, visits)
				require.Len(t, limits, 1)
				assert.ErrorIs(t, limits[0], ftp.ErrLimit)
				assert.Equal(t, tc.limit, limits[0].Limit)
				assert.Equal(t, tc.where, limits[0].Path)
				_, maxLine, _, _ := srv.Counts()
				assert.Less(t, maxLine, DefaultMaxPathLen+16, "no command beyond the bounds")
				assert.Less(t, grown, 32.0, "heap growth in MiB")
				srv.Close()
				fakeftp.GoroutinesBack(t, base)
			})
		}
	}
}

// fanServer serves /fan, each of whose directories lists fanOut
// subdirectories, at any depth.
func fanServer(t *testing.T, fanOut int) *fakeftp.Gen {
	under := func(p string) bool { return p == "/fan" || strings.HasPrefix(p, "/fan/") }
	return fakeftp.StartGen(t, true, func(verb, dir string) func(io.Writer) error {
		if !under(dir) {
			return nil
		}
		return func(w io.Writer) error {
			for i := range fanOut {
				if err := fakeftp.WriteLines(w, fakeftp.MLSDDir(fmt.Sprintf("d%05d", i), "")); err != nil {
					return err
				}
			}
			return nil
		}
	}, func(p string) string {
		if !under(p) {
			return ""
		}
		return fakeftp.MLSDDir(p, "")
	})
}

// TestWalkBoundsFanOut: a server whose every directory holds 2,000
// subdirectories makes a walk hold ever more pending directories: the
// walk ends with a *LimitError at MaxEntries or MaxPending, having held
// little and listed only a few directories, one at a time or in parallel.
func TestWalkBoundsFanOut(t *testing.T) {
	cases := []struct {
		limit      string
		limits     Limits
		maxListed  int
		wantListed int // in a walk one directory at a time
	}{
		{"MaxEntries", Limits{MaxEntries: 10000}, 10, 6},
		{"MaxPending", Limits{MaxPending: 3000}, 6, 2},
	}
	for _, tc := range cases {
		for _, parallel := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/parallel=%d", tc.limit, parallel), func(t *testing.T) {
				base := runtime.NumGoroutine()
				srv := fanServer(t, 2000)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 4})
				heap := fakeftp.WatchHeap()
				visits := 0
				lim := tc.limits
				err := Walk(ctx, p, "/fan", &WalkOptions{Parallel: parallel, Limits: &lim}, func(p string, e *ftp.Entry, err error) error {
					if listed, _, _, _ := srv.Counts(); visits > 20000 || listed > 50 {
						return fmt.Errorf("%w: %d entries visited, %d directories listed", fakeftp.ErrUnbounded, visits, listed)
					}
					visits++
					return err
				})
				grown := heap.Growth()
				p.Close()
				var le *ftp.LimitError
				require.ErrorAs(t, err, &le)
				assert.ErrorIs(t, err, ftp.ErrLimit)
				assert.Equal(t, tc.limit, le.Limit)
				assert.True(t, strings.HasPrefix(le.Path, "/fan"), le.Path)
				listed, _, _, _ := srv.Counts()
				assert.LessOrEqual(t, listed, tc.maxListed)
				if parallel == 1 {
					assert.Equal(t, tc.wantListed, listed)
				}
				assert.Less(t, grown, 48.0, "heap growth in MiB")
				srv.Close()
				fakeftp.GoroutinesBack(t, base)
			})
		}
	}
}

// revisitServer serves /rv (unique R), whose listing holds:
//
//	self  (unique R: /rv itself), a (unique A), alias (unique A: a again),
//	dup twice (a name listed twice), f (a file)
//
// and /rv/a lists up (unique R: /rv again) and g (a file). Listed, self
// and up list as /rv does, alias as a: a walk that follows them never
// ends (listings past guardDepth levels are refused).
func revisitServer(t *testing.T, guardDepth int) *fakeftp.Gen {
	resolve := func(p string) string {
		if p != "/rv" && !strings.HasPrefix(p, "/rv/") {
			return ""
		}
		r := "/rv"
		for _, el := range strings.Split(p, "/")[2:] {
			switch {
			case el == "self" && r == "/rv", el == "up" && r == "/rv/a":
				r = "/rv"
			case (el == "a" || el == "alias") && r == "/rv":
				r = "/rv/a"
			case el == "dup" && r == "/rv":
				r = "/rv/dup"
			default:
				return ""
			}
		}
		return r
	}
	uniques := map[string]string{"/rv": "R", "/rv/a": "A", "/rv/dup": "D"}
	return fakeftp.StartGen(t, true, func(verb, dir string) func(io.Writer) error {
		if strings.Count(dir, "/") > guardDepth {
			return nil
		}
		switch resolve(dir) {
		case "/rv":
			return func(w io.Writer) error {
				return fakeftp.WriteLines(w, fakeftp.MLSDDir("self", "R"), fakeftp.MLSDDir("a", "A"), fakeftp.MLSDDir("alias", "A"),
					fakeftp.MLSDDir("dup", "D"), fakeftp.MLSDDir("dup", "D"), "type=file;size=1;unique=F; f")
			}
		case "/rv/a":
			return func(w io.Writer) error {
				return fakeftp.WriteLines(w, fakeftp.MLSDDir("up", "R"), "type=file;size=1;unique=G; g")
			}
		case "/rv/dup":
			return func(w io.Writer) error { return fakeftp.WriteLines(w, "type=file;size=1;unique=H; h") }
		}
		return nil
	}, func(p string) string {
		if r := resolve(p); r != "" {
			return fakeftp.MLSDDir(p, uniques[r])
		}
		return ""
	})
}

// TestWalkSeesRevisits: a directory whose MLSD unique fact is that of a
// directory walked already (a cycle to itself or an ancestor, or an alias)
// is not listed again, nor a name listed twice: each is reported with a
// *RevisitError, and every directory is listed once.
func TestWalkSeesRevisits(t *testing.T) {
	for _, parallel := range []int{1, 4} {
		t.Run(fmt.Sprintf("parallel=%d", parallel), func(t *testing.T) {
			base := runtime.NumGoroutine()
			srv := revisitServer(t, 300)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 4})
			var visits, revisits []string
			err := Walk(ctx, p, "/rv", &WalkOptions{Parallel: parallel}, func(p string, e *ftp.Entry, err error) error {
				if len(visits) > 1000 {
					return fmt.Errorf("%w: %d visits", fakeftp.ErrUnbounded, len(visits))
				}
				var re *RevisitError
				switch {
				case errors.As(err, &re):
					assert.ErrorIs(t, err, ErrRevisit)
					revisits = append(revisits, fmt.Sprintf("%s at %s first %s (%s)", p, re.Path, re.First, re.Unique))
				case err != nil:
					return err
				default:
					visits = append(visits, p)
				}
				return nil
			})
			p.Close()
			require.NoError(t, err)
			sort.Strings(visits)
			sort.Strings(revisits)
			assert.Equal(t, []string{"/rv", "/rv/a", "/rv/a/g", "/rv/a/up", "/rv/alias", "/rv/dup", "/rv/dup/h", "/rv/f", "/rv/self"}, visits)
			assert.Equal(t, []string{
				"/rv at /rv/dup first /rv/dup ()",
				"/rv/a/up at /rv/a/up first /rv (R)",
				"/rv/alias at /rv/alias first /rv/a (A)",
				"/rv/self at /rv/self first /rv (R)",
			}, revisits)
			listed := srv.ListedDirs()
			sort.Strings(listed)
			assert.Equal(t, []string{"/rv", "/rv/a", "/rv/dup"}, listed)
			srv.Close()
			fakeftp.GoroutinesBack(t, base)
		})
	}
}

// TestRemoveAllBounded: RemoveAll of a directory that lists itself ends
// at MaxDepth, and of one that lists its own unique fact at once, having
// removed nothing.
func TestRemoveAllBounded(t *testing.T) {
	t.Run("depth", func(t *testing.T) {
		srv := fakeftp.LoopServer(t, "x", DefaultMaxDepth+20, 1<<20)
		c, err := ftp.Dial(testutil.Ctx(t), srv.Addr, testutil.FakeConfig())
		require.NoError(t, err)
		defer c.Close()
		err = RemoveAll(testutil.Ctx(t), c, "/loop")
		var le *ftp.LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "MaxDepth", le.Limit)
		assert.Equal(t, "/loop"+strings.Repeat("/x", DefaultMaxDepth), le.Path)
		listed, _, removes, _ := srv.Counts()
		assert.Equal(t, DefaultMaxDepth, listed)
		assert.Zero(t, removes, "nothing of an unbounded tree is removed")
	})
	t.Run("revisit", func(t *testing.T) {
		srv := revisitServer(t, 300)
		c, err := ftp.Dial(testutil.Ctx(t), srv.Addr, testutil.FakeConfig())
		require.NoError(t, err)
		defer c.Close()
		err = RemoveAll(testutil.Ctx(t), c, "/rv")
		var re *RevisitError
		require.ErrorAs(t, err, &re)
		assert.ErrorIs(t, err, ErrRevisit)
		_, _, removes, _ := srv.Counts()
		assert.Zero(t, removes, "nothing of a cyclic tree is removed")
	})
}

// fakeDirInfo is the os.FileInfo of a made-up directory.
type fakeDirInfo struct{ name string }

func (i fakeDirInfo) Name() string { return i.name }

func (i fakeDirInfo) Size() int64 { return 0 }

func (i fakeDirInfo) Mode() os.FileMode { return os.ModeDir | 0o755 }

func (i fakeDirInfo) ModTime() time.Time { return time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC) }

func (i fakeDirInfo) IsDir() bool { return true }

func (i fakeDirInfo) Sys() any { return nil }

// endlessFs wraps the served file system: every directory under /gen
// holds the directories names returns for it, made up, at any depth. It
// stops making them up once it has served budget entries, so that a
// client without bounds ends at last.
type endlessFs struct {
	afero.Fs
	names  func(dir string) []string
	budget int64
	served *atomic.Int64
}

func (f endlessFs) virtual(name string) bool {
	name = filepath.ToSlash(name)
	return name == "/gen" || strings.HasPrefix(name, "/gen/")
}

func (f endlessFs) Stat(name string) (os.FileInfo, error) {
	if f.virtual(name) {
		return fakeDirInfo{name: path.Base(filepath.ToSlash(name))}, nil
	}
	return f.Fs.Stat(name)
}

// ReadDir is ftpserverlib's ClientDriverExtensionFileList.
func (f endlessFs) ReadDir(name string) ([]os.FileInfo, error) {
	if !f.virtual(name) {
		return afero.ReadDir(f.Fs, name)
	}
	names := f.names(filepath.ToSlash(name))
	if f.served.Add(int64(len(names))) > f.budget {
		return nil, nil
	}
	out := make([]os.FileInfo, len(names))
	for i, n := range names {
		out[i] = fakeDirInfo{name: n}
	}
	return out, nil
}

// TestMirrorDownBounded: MirrorDown from a server (ftpserverlib over a
// made-up file system) whose directories each hold 2,000 subdirectories,
// or one directory with a 60,000-byte name, ends with a *LimitError
// (MaxEntries, MaxPathLen) after listing little, holding little and
// creating nothing.
func TestMirrorDownBounded(t *testing.T) {
	fan := make([]string, 2000)
	for i := range fan {
		fan[i] = fmt.Sprintf("d%05d", i)
	}
	long := strings.Repeat("y", 60000)
	cases := []struct {
		limit  string
		names  func(string) []string
		limits *Limits
	}{
		{"MaxEntries", func(string) []string { return fan }, &Limits{MaxEntries: 10000}},
		{"MaxPathLen", func(string) []string { return []string{long} }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.limit, func(t *testing.T) {
			base := runtime.NumGoroutine()
			var served atomic.Int64
			srv, err := embedded.Start(embedded.Options{WrapFs: func(fs afero.Fs) afero.Fs {
				return endlessFs{Fs: fs, names: tc.names, budget: 40000, served: &served}
			}})
			require.NoError(t, err)
			closeSrv := sync.OnceFunc(func() { srv.Close() })
			defer closeSrv()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 4})
			local := filepath.Join(t.TempDir(), "copy")
			heap := fakeftp.WatchHeap()
			st, err := Down(ctx, p, "/gen", local, &Options{Parallel: 4, Limits: tc.limits})
			grown := heap.Growth()
			p.Close()
			var le *ftp.LimitError
			require.ErrorAs(t, err, &le, "%v", err)
			assert.Equal(t, tc.limit, le.Limit)
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
			assert.LessOrEqual(t, served.Load(), int64(20000))
			assert.Zero(t, st.Files+st.Failed)
			made, _ := filepath.Glob(filepath.Join(local, "*"))
			assert.Empty(t, made, "nothing created below the copy")
			assert.Less(t, grown, 64.0, "heap growth in MiB")
			closeSrv()
			fakeftp.GoroutinesBack(t, base)
		})
	}
}

// TestMirrorUpBoundsLocalTree: the local tree a mirror holds is bounded by
// Limits.MaxEntries too; nothing is sent past it.
func TestMirrorUpBoundsLocalTree(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	local := t.TempDir()
	for i := range 10 {
		require.NoError(t, os.WriteFile(filepath.Join(local, fmt.Sprintf("f%d", i)), []byte("x"), 0o644))
	}
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 2})
	defer p.Close()
	st, err := Up(testutil.Ctx(t), p, local, "/up", &Options{Limits: &Limits{MaxEntries: 5}})
	var le *ftp.LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "MaxEntries", le.Limit)
	assert.Equal(t, local, le.Path)
	assert.Zero(t, st.Files)
	_, serr := os.Stat(filepath.Join(srv.Root, "up"))
	assert.ErrorIs(t, serr, fs.ErrNotExist, "nothing sent")
}
