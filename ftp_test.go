// Loopback tests against the in-process server (internal/embedded).

package ftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startServer runs an in-process server for one test.
func startServer(t *testing.T, opts embedded.Options) *embedded.Server {
	t.Helper()
	srv, err := embedded.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return srv
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialServer starts a server and logs in to it.
func dialServer(t *testing.T, cfg *Config) (*Conn, *embedded.Server) {
	t.Helper()
	srv := startServer(t, embedded.Options{User: "u", Password: "p"})
	if cfg == nil {
		cfg = &Config{}
	}
	cfg = cfg.Clone()
	cfg.User, cfg.Password = "u", "p"
	c, err := Dial(testCtx(t), srv.Addr, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, srv
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func TestStoreRetrieveRoundTrip(t *testing.T) {
	for _, active := range []bool{false, true} {
		name := "passive"
		cfg := &Config{}
		if active {
			name = "active"
			cfg.Active = &ActiveConfig{}
		}
		t.Run(name, func(t *testing.T) {
			c, srv := dialServer(t, cfg)
			ctx := testCtx(t)
			data := randomBytes(t, 3<<20+17)
			n, err := send(c.Store(ctx, "f.bin"))(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, int64(len(data)), n)
			onDisk, err := os.ReadFile(filepath.Join(srv.Root, "f.bin"))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, onDisk), "server copy differs")

			r, err := c.Retrieve(ctx, "f.bin")
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			require.NoError(t, r.Close())
			assert.True(t, bytes.Equal(data, got), "download differs")

			size, err := c.Size(ctx, "f.bin")
			require.NoError(t, err)
			assert.Equal(t, int64(len(data)), size)
		})
	}
}

func TestErrReportsClosedConnections(t *testing.T) {
	c, _ := dialServer(t, &Config{ReplyTimeout: 200 * time.Millisecond})
	require.NoError(t, c.Err())
	c.nc.Close() // the connection goes away under the Conn
	require.Error(t, c.NoOp(testCtx(t)))
	err := c.Err()
	require.ErrorIs(t, err, ErrClosed)
	assert.NotEqual(t, ErrClosed, err, "the cause is kept")
	c2, _ := dialServer(t, nil)
	require.NoError(t, c2.Close())
	assert.Equal(t, ErrClosed, c2.Err(), "closed by Close: just ErrClosed")
}

func TestRetrieveMissingIsNotExist(t *testing.T) {
	c, _ := dialServer(t, nil)
	ctx := testCtx(t)
	_, err := c.Retrieve(ctx, "nope.txt")
	require.Error(t, err)
	assert.True(t, errors.Is(err, fs.ErrNotExist), "got %v", err)
	var fe *Error
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, StatusFileUnavailable, fe.Code)
	assert.Equal(t, "RETR nope.txt", fe.Command)
	// The connection is still usable.
	require.NoError(t, c.NoOp(ctx))
}

func TestDirectoryOperations(t *testing.T) {
	c, srv := dialServer(t, nil)
	ctx := testCtx(t)
	dir, err := c.CurrentDir(ctx)
	require.NoError(t, err)
	assert.Equal(t, "/", dir)

	created, err := c.MakeDir(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "/a", created)
	require.NoError(t, c.MakeDirAll(ctx, "/a/b/c d/e"))
	st, err := os.Stat(filepath.Join(srv.Root, "a/b/c d/e"))
	require.NoError(t, err)
	assert.True(t, st.IsDir())
	require.NoError(t, c.MakeDirAll(ctx, "/a/b"), "existing directories are fine")

	require.NoError(t, c.ChangeDir(ctx, "/a/b"))
	dir, err = c.CurrentDir(ctx)
	require.NoError(t, err)
	assert.Equal(t, "/a/b", dir)
	require.NoError(t, c.ChangeDirToParent(ctx))
	dir, err = c.CurrentDir(ctx)
	require.NoError(t, err)
	assert.Equal(t, "/a", dir)

	_, err = send(c.Store(ctx, "/a/b/x.txt"))(strings.NewReader("hello\n"))
	require.NoError(t, err)
	require.NoError(t, c.Rename(ctx, "/a/b/x.txt", "/a/y.txt"))
	_, err = os.Stat(filepath.Join(srv.Root, "a/y.txt"))
	require.NoError(t, err)

	mt := time.Date(2020, 2, 29, 12, 34, 56, 0, time.UTC)
	require.NoError(t, c.SetModTime(ctx, "/a/y.txt", mt))
	got, err := c.ModTime(ctx, "/a/y.txt")
	require.NoError(t, err)
	assert.True(t, mt.Equal(got), "mtime %v", got)
}

func TestListAndStat(t *testing.T) {
	for _, mlsd := range []bool{true, false} {
		t.Run(map[bool]string{true: "MLSD", false: "LIST"}[mlsd], func(t *testing.T) {
			srv := startServer(t, embedded.Options{DisableMLSD: !mlsd, DisableMLST: !mlsd})
			ctx := testCtx(t)
			c, err := Dial(ctx, srv.Addr, nil)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "one.txt"), []byte("12345"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "with space.bin"), nil, 0o644))
			require.NoError(t, os.Mkdir(filepath.Join(srv.Root, "sub"), 0o755))

			entries, err := c.List(ctx, "/")
			require.NoError(t, err)
			byName := map[string]*Entry{}
			for _, e := range entries {
				byName[e.Name] = e
			}
			require.Len(t, byName, 3)
			assert.Equal(t, EntryFile, byName["one.txt"].Type)
			assert.Equal(t, int64(5), byName["one.txt"].Size)
			assert.Equal(t, int64(0), byName["with space.bin"].Size)
			assert.Equal(t, EntryDir, byName["sub"].Type)
			assert.False(t, byName["one.txt"].ModTime.IsZero())

			names, err := c.NameList(ctx, "/")
			require.NoError(t, err)
			assert.Len(t, names, 3)

			e, err := c.Stat(ctx, "/one.txt")
			require.NoError(t, err)
			assert.Equal(t, "one.txt", e.Name)
			assert.Equal(t, int64(5), e.Size)
			assert.Equal(t, EntryFile, e.Type)
			e, err = c.Stat(ctx, "/sub")
			require.NoError(t, err)
			assert.Equal(t, EntryDir, e.Type)
			_, err = c.Stat(ctx, "/missing")
			assert.True(t, errors.Is(err, fs.ErrNotExist), "got %v", err)
		})
	}
}

func TestResumeDownloadAndUpload(t *testing.T) {
	c, srv := dialServer(t, nil)
	ctx := testCtx(t)
	data := randomBytes(t, 1<<20)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "big"), data, 0o644))

	r, err := c.RetrieveFrom(ctx, "big", 1000)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.True(t, bytes.Equal(data[1000:], got))

	// An interrupted upload continued with REST + STOR.
	_, err = send(c.Store(ctx, "up"))(bytes.NewReader(data[:300000]))
	require.NoError(t, err)
	held, err := c.Size(ctx, "up")
	require.NoError(t, err)
	_, err = send(c.StoreFrom(ctx, "up", held))(bytes.NewReader(data[held:]))
	require.NoError(t, err)
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "up"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))

	// And with APPE.
	_, err = send(c.Store(ctx, "app"))(bytes.NewReader(data[:5]))
	require.NoError(t, err)
	_, err = send(c.Append(ctx, "app"))(bytes.NewReader(data[5:]))
	require.NoError(t, err)
	onDisk, err = os.ReadFile(filepath.Join(srv.Root, "app"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))
}

func TestEmptyFiles(t *testing.T) {
	c, srv := dialServer(t, nil)
	ctx := testCtx(t)
	n, err := send(c.Store(ctx, "empty"))(bytes.NewReader(nil))
	require.NoError(t, err)
	assert.Zero(t, n)
	st, err := os.Stat(filepath.Join(srv.Root, "empty"))
	require.NoError(t, err)
	assert.Zero(t, st.Size())
	r, err := c.Retrieve(ctx, "empty")
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Empty(t, got)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close twice")
}

func TestAbortDownloadLeavesConnUsable(t *testing.T) {
	c, srv := dialServer(t, nil)
	ctx := testCtx(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "big"), randomBytes(t, 32<<20), 0o644))
	r, err := c.Retrieve(ctx, "big")
	require.NoError(t, err)
	buf := make([]byte, 4096)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, c.NoOp(ctx))
	size, err := c.Size(ctx, "big")
	require.NoError(t, err)
	assert.Equal(t, int64(32<<20), size)
}

func TestCancelDownloadContext(t *testing.T) {
	c, srv := dialServer(t, nil)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "big"), randomBytes(t, 32<<20), 0o644))
	ctx, cancel := context.WithCancel(testCtx(t))
	r, err := c.Retrieve(ctx, "big")
	require.NoError(t, err)
	_, err = io.ReadFull(r, make([]byte, 1000))
	require.NoError(t, err)
	cancel()
	_, err = io.Copy(io.Discard, r)
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, r.Close())
	require.NoError(t, c.NoOp(testCtx(t)), "usable after a cancelled download")
}

func TestASCIIMode(t *testing.T) {
	c, srv := dialServer(t, nil)
	ctx := testCtx(t)
	require.NoError(t, c.SetType(TypeASCII))
	_, err := send(c.Store(ctx, "a.txt"))(strings.NewReader("one\ntwo\r\nthree\n"))
	require.NoError(t, err)
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "a.txt"))
	require.NoError(t, err)
	// The server stores ASCII uploads with its own (LF) line ends.
	assert.Equal(t, "one\ntwo\nthree\n", string(onDisk))
	r, err := c.Retrieve(ctx, "a.txt")
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.Equal(t, "one\ntwo\nthree\n", string(got))
}

// send uploads r through the Writer that a Store, StoreFrom or Append
// call returned, and says what the server confirmed (Writer.Send).
func send(w *Writer, err error) func(io.Reader) (int64, error) {
	return func(r io.Reader) (int64, error) {
		if err != nil {
			return 0, err
		}
		return w.Send(r)
	}
}
