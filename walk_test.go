// Walk on one connection and on a Pool, against the in-process server and
// against a small fake server whose listings are hostile or broken.

package ftp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
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
	srv := startServer(t, embedded.Options{})
	makeWalkTree(t, filepath.Join(srv.Root, "tree"))
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, nil)
	require.NoError(t, err)
	defer c.Close()

	var got []string
	var kinds []EntryType
	require.NoError(t, c.Walk(ctx, "/tree", nil, func(p string, e *Entry, err error) error {
		require.NoError(t, err)
		got = append(got, p)
		kinds = append(kinds, e.Type)
		return nil
	}))
	assert.Equal(t, localWalk(t, srv.Root, "tree", "/"), got)
	assert.Equal(t, EntryDir, kinds[0])

	// The same through a Pool with parallel 1: the same order.
	p := NewPool(srv.Addr, nil, PoolOptions{MaxOpen: 2})
	defer p.Close()
	var viaPool []string
	require.NoError(t, p.Walk(ctx, "/tree", &WalkOptions{Parallel: 1}, func(p string, e *Entry, err error) error {
		viaPool = append(viaPool, p)
		return err
	}))
	assert.Equal(t, got, viaPool)

	// A relative root and the working directory.
	got = got[:0]
	require.NoError(t, c.ChangeDir(ctx, "/tree"))
	require.NoError(t, c.Walk(ctx, "", nil, func(p string, e *Entry, err error) error {
		got = append(got, p)
		return err
	}))
	want := localWalk(t, filepath.Join(srv.Root, "tree"), ".", "")
	want[0] = "" // the root is reported as given
	assert.Equal(t, want, got)
}

func TestWalkSkipDirSkipAllAndErrors(t *testing.T) {
	srv := startServer(t, embedded.Options{})
	makeWalkTree(t, filepath.Join(srv.Root, "tree"))
	ctx := testCtx(t)
	p := NewPool(srv.Addr, nil, PoolOptions{MaxOpen: 4})
	defer p.Close()
	c, err := p.Conn(ctx)
	require.NoError(t, err)
	defer c.Close()

	walkers := map[string]func(fn WalkFunc) error{
		"conn":     func(fn WalkFunc) error { return c.Walk(ctx, "/tree", nil, fn) },
		"parallel": func(fn WalkFunc) error { return p.Walk(ctx, "/tree", &WalkOptions{Parallel: 4}, fn) },
	}
	for name, walk := range walkers {
		t.Run(name, func(t *testing.T) {
			// SkipDir on a directory skips its contents only.
			seen := map[string]bool{}
			var mu sync.Mutex
			require.NoError(t, walk(func(p string, e *Entry, err error) error {
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
			require.NoError(t, walk(func(p string, e *Entry, err error) error {
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
			require.NoError(t, walk(func(p string, e *Entry, err error) error {
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
			err := walk(func(p string, e *Entry, err error) error {
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
			require.NoError(t, walk(func(p string, e *Entry, err error) error {
				calls.Add(1)
				return fs.SkipDir
			}))
			assert.Equal(t, int32(1), calls.Load())
		})
	}

	// A missing root: one call with the error, whose answer is the result.
	var gotErr error
	err = p.Walk(ctx, "/nope", &WalkOptions{Parallel: 4}, func(p string, e *Entry, err error) error {
		assert.Equal(t, "/nope", p)
		assert.Nil(t, e)
		gotErr = err
		return err
	})
	assert.ErrorIs(t, gotErr, fs.ErrNotExist)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	// A file as root: one call, nothing listed.
	var paths []string
	require.NoError(t, c.Walk(ctx, "/tree/a.txt", nil, func(p string, e *Entry, err error) error {
		paths = append(paths, p)
		assert.Equal(t, EntryFile, e.Type)
		return err
	}))
	assert.Equal(t, []string{"/tree/a.txt"}, paths)
}

func TestWalkParallelVisitsTheSameSet(t *testing.T) {
	srv := startServer(t, embedded.Options{})
	root := filepath.Join(srv.Root, "big")
	for d := range 40 {
		for f := range 5 {
			p := filepath.Join(root, fmt.Sprintf("d%02d", d%8), fmt.Sprintf("s%02d", d), fmt.Sprintf("f%d", f))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(p), 0o644))
		}
	}
	ctx := testCtx(t)
	p := NewPool(srv.Addr, nil, PoolOptions{MaxOpen: 8})
	defer p.Close()

	var serial []string
	require.NoError(t, p.Walk(ctx, "/big", &WalkOptions{Parallel: 1}, func(p string, e *Entry, err error) error {
		serial = append(serial, p)
		return err
	}))
	assert.Equal(t, localWalk(t, srv.Root, "big", "/"), serial)

	var parallel []string
	var inFn, overlap atomic.Int32
	visited := map[string]bool{}
	start := time.Now()
	require.NoError(t, p.Walk(ctx, "/big", &WalkOptions{Parallel: 8}, func(p string, e *Entry, err error) error {
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
		err := p.Walk(cctx, "/big", &WalkOptions{Parallel: parallel}, func(p string, e *Entry, err error) error {
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
		assert.False(t, safeEntryName(name), "%q", name)
	}
	for _, name := range []string{"a", "...", "a b", "-rf", ".hidden", "ünï", "a:b"} {
		assert.True(t, safeEntryName(name), "%q", name)
	}
}

// A hostile server's listings: names that lead elsewhere are reported as
// *UnsafeNameError and never joined into a path or sent back.
func TestWalkRefusesUnsafeNames(t *testing.T) {
	for _, mlsd := range []bool{true, false} {
		t.Run(fmt.Sprintf("mlsd=%v", mlsd), func(t *testing.T) {
			srv := startHostile(t, mlsd)
			ctx := testCtx(t)
			p := NewPool(srv.Addr, fakeConfig(), PoolOptions{MaxOpen: 4})
			defer p.Close()
			for _, parallel := range []int{1, 4} {
				var paths, refused []string
				listErrs := map[string]error{}
				err := p.Walk(ctx, "/pub", &WalkOptions{Parallel: parallel}, func(p string, e *Entry, err error) error {
					var ue *UnsafeNameError
					switch {
					case errors.As(err, &ue):
						assert.Nil(t, e)
						assert.ErrorIs(t, err, ErrUnsafeName)
						refused = append(refused, ue.Dir+" "+ue.Name)
					case err != nil:
						assert.Equal(t, EntryDir, e.Type)
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
				var le *ListError
				require.ErrorAs(t, listErrs["/pub"], &le)
				assert.Len(t, le.Lines, 2)
				assert.ErrorIs(t, listErrs["/pub/broken"], fs.ErrNotExist)
			}
			srv.assertNoUnsafeCommand(t)
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

// hostileServer is a fake FTP server for any number of connections,
// serving a fixed tree whose listings the test writes line by line; it
// records every command line.
type hostileServer struct {
	Addr  string
	ln    net.Listener
	mlsd  bool
	dirs  map[string][]string // listing lines by directory path
	files map[string][]byte   // contents by path
	wg    sync.WaitGroup

	mu     sync.Mutex
	cmds   []string
	stored map[string][]byte
	conns  []net.Conn
}

const hostileTime = "20200102030405"

// startHostile serves:
//
//	/pub: ok.txt, link (a symbolic link, MLSD only), sub/, broken/ (whose
//	listing fails) and entries named ../x, /etc/x, a/b, .., bad<NUL>nul,
//	cr<CR>name, back\slash, ../escape (a directory)
//	/pub/sub: ok2.txt, ../../y, /abs, ..
func startHostile(t *testing.T, mlsd bool) *hostileServer {
	t.Helper()
	s := &hostileServer{mlsd: mlsd, stored: map[string][]byte{}, files: map[string][]byte{
		"/pub/ok.txt": []byte("hello"), "/pub/sub/ok2.txt": []byte("world!"),
		"/pub/../x": []byte("evil"), "/etc/x": []byte("evil"), "/pub/a/b": []byte("evil"),
		"/pub/sub/../../y": []byte("evil"), "/abs": []byte("evil"),
	}}
	file := func(name string, size int) string {
		if mlsd {
			return fmt.Sprintf("type=file;size=%d;modify=%s; %s", size, hostileTime, name)
		}
		return fmt.Sprintf("-rw-r--r--   1 ftp ftp %8d Jan 02  2020 %s", size, name)
	}
	dir := func(name string) string {
		if mlsd {
			return fmt.Sprintf("type=dir;modify=%s; %s", hostileTime, name)
		}
		return fmt.Sprintf("drwxr-xr-x   2 ftp ftp     4096 Jan 02  2020 %s", name)
	}
	s.dirs = map[string][]string{
		"/": {dir("pub")},
		"/pub": {
			file("ok.txt", 5), file("../x", 4), file("/etc/x", 4), file("a/b", 4), dir(".."),
			file("bad\x00nul", 4), file("cr\rname", 4), file(`back\slash`, 4), dir("../escape"),
			dir("sub"), dir("broken"),
		},
		"/pub/sub": {file("ok2.txt", 6), file("../../y", 4), file("/abs", 4), dir("..")},
	}
	if mlsd {
		s.dirs["/pub"] = append(s.dirs["/pub"], "type=OS.unix=slink:/etc/passwd;modify="+hostileTime+"; link")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.ln, s.Addr = ln, ln.Addr().String()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, nc)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(nc)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *hostileServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

// assertNoUnsafeCommand checks that no refused name came back in a command.
func (s *hostileServer) assertNoUnsafeCommand(t *testing.T) {
	t.Helper()
	for _, c := range s.commands() {
		for _, bad := range []string{"..", "/etc/x", "a/b", "\x00", "\r", `\`, "/abs", "escape", "link"} {
			assert.NotContains(t, c, bad, "command %q", c)
		}
	}
}

func (s *hostileServer) serve(nc net.Conn) {
	defer nc.Close()
	br := bufio.NewReader(nc)
	w := func(format string, args ...any) {
		nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(nc, format, args...)
	}
	var dataLn net.Listener
	defer func() {
		if dataLn != nil {
			dataLn.Close()
		}
	}()
	accept := func() net.Conn {
		if dataLn == nil {
			return nil
		}
		dataLn.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
		dc, err := dataLn.Accept()
		dataLn.Close()
		dataLn = nil
		if err != nil {
			return nil
		}
		return dc
	}
	var offset int64
	var renameFrom string
	w("220 hostile server\r\n")
	for {
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.cmds = append(s.cmds, line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		_, isFile := s.files[arg]
		listing, isDir := s.dirs[arg]
		switch verb {
		case "USER":
			w("331 password\r\n")
		case "PASS":
			w("230 in\r\n")
		case "FEAT":
			feats := " SIZE\r\n MDTM\r\n MFMT\r\n REST STREAM\r\n EPSV\r\n"
			if s.mlsd {
				feats += " MLST type*;size*;modify*;\r\n"
			}
			w("211-Features:\r\n%s211 End\r\n", feats)
		case "TYPE", "NOOP", "OPTS":
			w("200 ok\r\n")
		case "PWD":
			w("257 \"/\"\r\n")
		case "EPSV":
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				w("425 no\r\n")
				continue
			}
			dataLn = l
			w("229 Entering Extended Passive Mode (|||%d|)\r\n", l.Addr().(*net.TCPAddr).Port)
		case "MLST":
			switch {
			case s.mlsd && (isDir || arg == "/pub/broken"):
				w("250-Listing %s\r\n type=dir;modify=%s; %s\r\n250 End\r\n", arg, hostileTime, arg)
			case s.mlsd && isFile:
				w("250-Listing %s\r\n type=file;size=%d;modify=%s; %s\r\n250 End\r\n", arg, len(s.files[arg]), hostileTime, arg)
			default:
				w("550 no such file\r\n")
			}
		case "MLSD", "LIST":
			if !isDir || (verb == "MLSD") != s.mlsd {
				w("550 no such directory\r\n")
				continue
			}
			w("150 here it comes\r\n")
			if dc := accept(); dc != nil {
				dc.Write([]byte(strings.Join(listing, "\r\n") + "\r\n"))
				dc.Close()
			}
			w("226 done\r\n")
		case "SIZE":
			s.mu.Lock()
			stored, isStored := s.stored[arg]
			s.mu.Unlock()
			switch {
			case isFile:
				w("213 %d\r\n", len(s.files[arg]))
			case isStored:
				w("213 %d\r\n", len(stored))
			default:
				w("550 no such file\r\n")
			}
		case "MDTM":
			if !isFile {
				w("550 no such file\r\n")
				continue
			}
			w("213 %s\r\n", hostileTime)
		case "REST":
			offset, _ = strconv.ParseInt(arg, 10, 64)
			w("350 restarting\r\n")
		case "RETR":
			if !isFile {
				w("550 no such file\r\n")
				continue
			}
			w("150 sending\r\n")
			if dc := accept(); dc != nil {
				dc.Write(s.files[arg][min(offset, int64(len(s.files[arg]))):])
				dc.Close()
			}
			offset = 0
			w("226 done\r\n")
		case "STOR":
			w("150 send it\r\n")
			if dc := accept(); dc != nil {
				b, _ := io.ReadAll(dc)
				dc.Close()
				s.mu.Lock()
				s.stored[arg] = b
				s.mu.Unlock()
			}
			w("226 stored\r\n")
		case "DELE", "RMD":
			w("250 gone\r\n")
		case "RNFR":
			renameFrom = arg
			w("350 go on\r\n")
		case "RNTO":
			s.mu.Lock()
			b, ok := s.stored[renameFrom]
			if ok {
				delete(s.stored, renameFrom)
				s.stored[arg] = b
			}
			s.mu.Unlock()
			if !ok {
				w("550 no such file\r\n")
				continue
			}
			w("250 renamed\r\n")
		case "MKD":
			w("257 \"%s\" created\r\n", arg)
		case "MFMT":
			w("213 Modify=%s\r\n", arg)
		case "QUIT":
			w("221 bye\r\n")
			return
		default:
			w("502 not implemented\r\n")
		}
	}
}

// TestRemoveAllRefusesUnsafeNames: a hostile listing cannot turn RemoveAll
// into a removal outside the tree.
func TestRemoveAllRefusesUnsafeNames(t *testing.T) {
	srv := startHostile(t, true)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	require.NoError(t, err)
	defer c.Close()
	err = c.RemoveAll(ctx, "/pub/sub")
	var ue *UnsafeNameError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "/pub/sub", ue.Dir)
	srv.assertNoUnsafeCommand(t)
	for _, cmd := range srv.commands() {
		assert.NotContains(t, cmd, "DELE", "nothing of an untrusted listing is removed")
		assert.NotContains(t, cmd, "RMD", "nothing of an untrusted listing is removed")
	}
}

// TestFSReadDirReportsUnsafeNames: the io/fs view hands out only safe
// names and reports the others.
func TestFSReadDirReportsUnsafeNames(t *testing.T) {
	srv := startHostile(t, true)
	p := NewPool(srv.Addr, fakeConfig(), PoolOptions{})
	defer p.Close()
	fsys := NewFS(testCtx(t), p, "/pub")
	entries, err := fs.ReadDir(fsys, "sub")
	require.ErrorIs(t, err, ErrUnsafeName)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"ok2.txt"}, names)
}
