// The Pool against the in-process server: reuse, keys, limits, broken
// connections, and a stress run under the race detector.

package ftp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/testreport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPoolReuse(t *testing.T) {
	srv := startServer(t, embedded.Options{})
	ctx := testCtx(t)
	p := NewPool(srv.Addr, &Config{User: "alice", Password: "a"}, &PoolOptions{MaxOpen: 2})
	defer p.Close()

	pc, err := p.Conn(ctx)
	require.NoError(t, err)
	first := pc.Conn
	require.NoError(t, pc.Close())
	pc, err = p.Conn(ctx)
	require.NoError(t, err)
	assert.Same(t, first, pc.Conn, "an idle connection is reused")
	pc.Close()

	// A Pool has one Config, cloned at NewPool: a connection dialled
	// with other credentials or settings is another Pool's, never this
	// one's (the class of curl CVE-2023-27535), by construction.
	st := p.Stats()
	assert.Equal(t, int64(1), st.Dials)
	assert.Equal(t, int64(1), st.Reused)
	assert.Equal(t, 0, st.InUse)
}

func TestPoolLimitsAndBrokenConnections(t *testing.T) {
	srv := startServer(t, embedded.Options{})
	ctx := testCtx(t)
	p := NewPool(srv.Addr, nil, &PoolOptions{MaxOpen: 1, CheckAfter: -1})
	defer p.Close()

	pc, err := p.Conn(ctx)
	require.NoError(t, err)
	// The only connection is out: a second checkout waits until it returns.
	got := make(chan *PoolConn)
	go func() {
		pc2, err := p.Conn(ctx)
		assert.NoError(t, err)
		got <- pc2
	}()
	select {
	case <-got:
		t.Fatal("MaxOpen 1 let a second connection out")
	case <-time.After(100 * time.Millisecond):
	}
	// A broken connection is discarded on return; the waiter dials anew.
	pc.Conn.abandon(fmt.Errorf("test: broken"))
	pc.Close()
	pc2 := <-got
	require.NoError(t, pc2.NoOp(ctx))
	pc2.Close()
	st := p.Stats()
	assert.Equal(t, int64(1), st.Discarded)
	assert.Equal(t, int64(1), st.WaitCount)
	assert.Equal(t, 1, st.MaxOpenSeen)

	// A checkout that waits past its context gives up cleanly.
	pc, err = p.Conn(ctx)
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = p.Conn(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	pc.Close()

	// A connection that died while idle fails its NOOP and is replaced.
	pc, err = p.Conn(ctx)
	require.NoError(t, err)
	dead := pc.Conn
	pc.Close()
	dead.nc.Close() // cut under the pool's feet
	pc, err = p.Conn(ctx)
	require.NoError(t, err)
	assert.NotSame(t, dead, pc.Conn)
	require.NoError(t, pc.NoOp(ctx))
	pc.Close()

	require.NoError(t, p.Close())
	_, err = p.Conn(ctx)
	require.ErrorIs(t, err, ErrPoolClosed)
}

func TestPoolOperations(t *testing.T) {
	srv := startServer(t, embedded.Options{})
	ctx := testCtx(t)
	p := NewPool(srv.Addr, nil, &PoolOptions{})
	defer p.Close()
	require.NoError(t, p.MakeDirAll(ctx, "/a/b"))
	pc, err := p.Conn(ctx)
	require.NoError(t, err)
	_, err = send(pc.Store(ctx, "/a/b/f"))(bytes.NewReader([]byte("pooled")))
	require.NoError(t, err)
	r, err := pc.Retrieve(ctx, "/a/b/f")
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, pc.Close())
	assert.Equal(t, "pooled", string(b))
	require.NoError(t, p.Rename(ctx, "/a/b/f", "/a/g"))
	e, err := p.Stat(ctx, "/a/g")
	require.NoError(t, err)
	assert.Equal(t, int64(6), e.Size)
	entries, err := p.List(ctx, "/a")
	require.NoError(t, err)
	assert.Len(t, entries, 2)
	require.NoError(t, p.Delete(ctx, "/a/g"))
	_, err = p.MakeDir(ctx, "/c")
	require.NoError(t, err)
	assert.Equal(t, 0, p.Stats().InUse)
}

// TestPoolStress runs 32 goroutines × 200 mixed operations on one pool.
func TestPoolStress(t *testing.T) {
	srv := startServer(t, embedded.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := NewPool(srv.Addr, nil, &PoolOptions{MaxOpen: 8})
	defer p.Close()
	const workers, ops = 32, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			dir := fmt.Sprintf("/w%d", w)
			if err := p.MakeDirAll(ctx, dir); err != nil {
				errs <- err
				return
			}
			want := map[string][]byte{}
			for i := range ops {
				name := fmt.Sprintf("%s/f%d", dir, rng.IntN(5))
				var err error
				switch rng.IntN(5) {
				case 0, 1:
					data := []byte(fmt.Sprintf("w%d op%d", w, i))
					if err = withConn(ctx, p, func(c *Conn) error {
						_, err := send(c.Store(ctx, name))(bytes.NewReader(data))
						return err
					}); err == nil {
						want[name] = data
					}
				case 2:
					if data, ok := want[name]; ok {
						err = withConn(ctx, p, func(c *Conn) error {
							r, err := c.Retrieve(ctx, name)
							if err != nil {
								return err
							}
							got, err := io.ReadAll(r)
							if cerr := r.Close(); err == nil {
								err = cerr
							}
							if err == nil && !bytes.Equal(got, data) {
								err = fmt.Errorf("%s: got %q, want %q", name, got, data)
							}
							return err
						})
					}
				case 3:
					_, err = p.List(ctx, dir)
				case 4:
					if _, ok := want[name]; ok {
						if err = p.Delete(ctx, name); err == nil {
							delete(want, name)
						}
					}
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d op %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := p.Stats()
	t.Logf("pool stats after %d×%d operations: %+v", workers, ops, st)
	testreport.Add("pool stress", fmt.Sprintf("%d goroutines × %d operations: %+v", workers, ops, st))
	assert.LessOrEqual(t, st.MaxOpenSeen, 8)
	assert.Equal(t, 0, st.InUse)
	assert.Greater(t, st.Reused, st.Dials, "connections are reused")
	entries, err := os.ReadDir(filepath.Join(srv.Root))
	require.NoError(t, err)
	assert.Len(t, entries, workers)
}

// withConn runs fn on a connection checked out of p.
func withConn(ctx context.Context, p *Pool, fn func(c *Conn) error) error {
	pc, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	defer pc.Close()
	return fn(pc.Conn)
}
