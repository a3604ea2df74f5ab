// ListSeq: listings that stream. Memory stays flat whatever the length of
// the listing; unsafe names, lines not understood, the bound and early
// ends surface as its doc says; ListWith, built on it, keeps its answers.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lsLines writes n Unix ls -l lines of files e0000000...
func lsLines(w io.Writer, n int) error {
	for i := range n {
		if _, err := fmt.Fprintf(w, "-rw-r--r--    1 ftp      ftp          %5d Nov 30 04:57 e%07d.dat\r\n", i, i); err != nil {
			return err
		}
	}
	return nil
}

// sizedServer lists /n10000, /n100000 ... with that many LIST lines.
func sizedServer(t testing.TB) *fakeftp.Gen {
	return fakeftp.StartGen(t, false, func(verb, dir string) func(io.Writer) error {
		var n int
		if _, err := fmt.Sscanf(dir, "/n%d", &n); err != nil || verb != "LIST" {
			return nil
		}
		return func(w io.Writer) error { return lsLines(w, n) }
	}, func(string) string { return "" })
}

// TestListSeqFlatMemory: streaming 100,000 entries holds no more than
// streaming 10,000 (within a small factor and an absolute bound), where
// ListWith's slice grows with the listing; every entry comes, in order.
func TestListSeqFlatMemory(t *testing.T) {
	srv := sizedServer(t)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	require.NoError(t, err)
	defer c.Close()

	stream := func(n int) float64 {
		heap := fakeftp.WatchHeap()
		count := 0
		for e, err := range c.ListSeq(ctx, fmt.Sprintf("/n%d", n), nil) {
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("e%07d.dat", count), e.Name)
			require.Equal(t, int64(count), e.Size)
			count++
		}
		grown := heap.Growth()
		require.Equal(t, n, count)
		return grown
	}
	small := stream(10_000)
	big := stream(100_000)
	t.Logf("heap growth streaming: %.2f MiB for 10,000 entries, %.2f MiB for 100,000", small, big)
	assert.Less(t, big, 3*small+1, "heap growth in MiB, 100,000 entries against 10,000")
	assert.Less(t, big, 8.0, "heap growth in MiB, 100,000 entries")

	// The slice, for contrast: it holds every entry.
	heap := fakeftp.WatchHeap()
	entries, err := c.List(ctx, "/n100000")
	held := heap.Growth()
	require.NoError(t, err)
	require.Len(t, entries, 100_000)
	t.Logf("heap growth of List: %.2f MiB", held)
	assert.Greater(t, held, 2*big, "List holds what ListSeq does not")
}

// mixedServer lists /mixed: a file, a name that is a path, garbage, two
// more files.
func mixedServer(t *testing.T, mlsd bool) *fakeftp.Gen {
	return fakeftp.StartGen(t, mlsd, func(verb, dir string) func(io.Writer) error {
		switch {
		case dir != "/mixed":
			return nil
		case verb == "MLSD":
			return func(w io.Writer) error {
				return fakeftp.WriteLines(w, "type=file;size=1; a.txt", "type=file;size=2; ../evil", "no facts here",
					"type=file;size=3; b.txt", "type=file;size=4; c.txt")
			}
		}
		return func(w io.Writer) error {
			return fakeftp.WriteLines(w, fakeftp.LsFile("a.txt", "1"), fakeftp.LsFile("../evil", "2"), "?garbage",
				fakeftp.LsFile("b.txt", "3"), fakeftp.LsFile("c.txt", "4"))
		}
	}, func(string) string { return "" })
}

type seqPair struct {
	name string // the entry's, or the refused entry's
	err  error
}

func pairs(seq func(func(*Entry, error) bool)) []seqPair {
	var out []seqPair
	for e, err := range seq {
		p := seqPair{err: err}
		var ue *UnsafeNameError
		switch {
		case e != nil:
			p.name = e.Name
		case errors.As(err, &ue):
			p.name = ue.Entry.Name
		}
		out = append(out, p)
	}
	return out
}

// TestListSeqErrorsInPlace: an unsafe name comes as an *UnsafeNameError
// where it was listed, and the listing goes on; the lines not understood
// come last, as one *ListError; ListWith returns the same as before.
func TestListSeqErrorsInPlace(t *testing.T) {
	for _, mlsd := range []bool{false, true} {
		t.Run(fmt.Sprintf("mlsd=%v", mlsd), func(t *testing.T) {
			srv := mixedServer(t, mlsd)
			ctx := testCtx(t)
			c, err := Dial(ctx, srv.Addr, fakeConfig())
			require.NoError(t, err)
			defer c.Close()

			got := pairs(c.ListSeq(ctx, "/mixed", nil))
			require.Len(t, got, 5)
			assert.Equal(t, "a.txt", got[0].name)
			assert.NoError(t, got[0].err)
			assert.Equal(t, "../evil", got[1].name)
			assert.ErrorIs(t, got[1].err, ErrUnsafeName)
			assert.Equal(t, "b.txt", got[2].name)
			assert.Equal(t, "c.txt", got[3].name)
			var le *ListError
			require.ErrorAs(t, got[4].err, &le)
			assert.Equal(t, 1, le.Count)

			entries, err := c.ListWith(ctx, "/mixed", nil)
			assert.Equal(t, []string{"a.txt", "b.txt", "c.txt"}, entryNames(entries))
			var ue *UnsafeNameError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, "../evil", ue.Name)
			require.ErrorAs(t, err, &le)
		})
	}
}

// TestListSeqBound: the listing is cut at MaxEntries lines, the
// *LimitError joined with the *ListError in the last pair.
func TestListSeqBound(t *testing.T) {
	srv := garbageServer(t, 100)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	require.NoError(t, err)
	defer c.Close()
	got := pairs(c.ListSeq(ctx, "/g", &ListOptions{MaxEntries: 10}))
	require.Len(t, got, 2)
	assert.Equal(t, "ok.txt", got[0].name)
	var le *ListError
	require.ErrorAs(t, got[1].err, &le)
	assert.Equal(t, 9, le.Count)
	var lim *LimitError
	require.ErrorAs(t, got[1].err, &lim)
	assert.Equal(t, 10, int(lim.Max))
	_, _, _, aborts := srv.Counts()
	assert.Equal(t, 1, aborts)
}

// TestListSeqBreak: a loop that stops early ends the listing with ABOR;
// the Conn is usable at once, and no pair comes after the break.
func TestListSeqBreak(t *testing.T) {
	srv := sizedServer(t)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	require.NoError(t, err)
	defer c.Close()
	n := 0
	for e, err := range c.ListSeq(ctx, "/n100000", nil) {
		require.NoError(t, err)
		require.NotNil(t, e)
		_, berr := c.Size(ctx, "x")
		require.ErrorIs(t, berr, ErrBusy, "the Conn is busy inside the loop")
		n++
		if n == 3 {
			break
		}
	}
	assert.Equal(t, 3, n)
	_, _, _, aborts := srv.Counts()
	assert.Equal(t, 1, aborts)
	entries, err := c.List(ctx, "/n5")
	require.NoError(t, err)
	assert.Len(t, entries, 5)
}

// TestListSeqRefused: a directory the server will not list gives one
// pair, the refusal.
func TestListSeqRefused(t *testing.T) {
	srv := sizedServer(t)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	require.NoError(t, err)
	defer c.Close()
	got := pairs(c.ListSeq(ctx, "/missing", nil))
	require.Len(t, got, 1)
	var fe *Error
	require.ErrorAs(t, got[0].err, &fe)
	assert.Equal(t, 550, fe.Code)
}

// TestPoolListSeq: the pool's sequence holds a connection for the loop and
// gives it back when the loop ends, by a break too.
func TestPoolListSeq(t *testing.T) {
	srv := sizedServer(t)
	ctx := testCtx(t)
	p := NewPool(srv.Addr, fakeConfig(), &PoolOptions{MaxOpen: 1})
	defer p.Close()
	n := 0
	for _, err := range p.ListSeq(ctx, "/n1000", nil) {
		require.NoError(t, err)
		assert.Equal(t, 1, p.Stats().InUse)
		n++
	}
	assert.Equal(t, 1000, n)
	assert.Equal(t, 0, p.Stats().InUse)
	for range p.ListSeq(ctx, "/n1000", nil) {
		break
	}
	st := p.Stats()
	assert.Equal(t, 0, st.InUse)
	assert.Equal(t, int64(1), st.Dials, "the connection came back after the break, and served again")
	entries, err := p.List(ctx, "/n3")
	require.NoError(t, err)
	assert.Len(t, entries, 3)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	got := pairs(p.ListSeq(cctx, "/n3", nil))
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0].err, context.Canceled)
}
