// Hostile servers cannot exhaust or confuse the client: walks, mirrors,
// RemoveAll and FS are bounded in depth, path length, entries and pending
// work and see revisits; listings are bounded and keep a sample of what
// they could not parse; List and NameList never hand out unsafe names.
// Each test bounds itself in time and memory, so that a client without the
// bounds fails it on an assertion, not by exhausting the machine.

package ftp

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListBoundsEntries: a listing longer than its bound is cut (ABOR)
// with a *LimitError beside the first entries, and the connection goes on.
func TestListBoundsEntries(t *testing.T) {
	srv := fakeftp.StartGen(t, true, func(verb, dir string) func(io.Writer) error {
		switch dir {
		case "/big":
			return func(w io.Writer) error { return fakeftp.MLSDFiles(w, 50000) }
		case "/small":
			return func(w io.Writer) error { return fakeftp.MLSDFiles(w, 3) }
		}
		return nil
	}, func(string) string { return "" })
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	require.NoError(t, err)
	defer c.Close()
	heap := fakeftp.WatchHeap()
	entries, err := c.ListWith(ctx, "/big", &ListOptions{MaxEntries: 1000})
	grown := heap.Growth()
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "MaxListEntries", le.Limit)
	assert.Equal(t, int64(1000), le.Max)
	assert.Equal(t, "/big", le.Path)
	require.Len(t, entries, 1000)
	assert.Equal(t, "f0000999", entries[999].Name)
	assert.Less(t, grown, 8.0, "heap growth in MiB")

	entries, err = c.List(ctx, "/small")
	require.NoError(t, err, "the connection goes on after the cut")
	assert.Len(t, entries, 3)
	_, _, _, aborts := srv.Counts()
	assert.Equal(t, 1, aborts)
}

// garbageServer answers every listing with an ls line for ok.txt, then n
// lines: garbage for LIST, names for NLST.
func garbageServer(t *testing.T, n int) *fakeftp.Gen {
	return fakeftp.StartGen(t, false, func(verb, dir string) func(io.Writer) error {
		return func(w io.Writer) error {
			if err := fakeftp.WriteLines(w, fakeftp.LsFile("ok.txt", "3")); err != nil {
				return err
			}
			for i := range n {
				var err error
				if verb == "NLST" {
					_, err = fmt.Fprintf(w, "n%d\r\n", i)
				} else {
					_, err = fmt.Fprintf(w, "?%d\r\n", i)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}
	}, func(string) string { return "" })
}

// TestListKeepsSampleOfGarbage: of a listing of garbage the *ListError
// keeps the first 16 lines and the count of all, and memory stays small;
// the listing stops at its bound.
func TestListKeepsSampleOfGarbage(t *testing.T) {
	srv := garbageServer(t, 300000)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	require.NoError(t, err)
	defer c.Close()

	heap := fakeftp.WatchHeap()
	entries, err := c.ListWith(ctx, "/garbage", &ListOptions{MaxEntries: 200000})
	grown := heap.Growth()
	assert.Equal(t, []string{"ok.txt"}, entryNames(entries))
	var le *ListError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 199999, le.Count)
	require.Len(t, le.Lines, 16)
	assert.Equal(t, "?0", le.Lines[0])
	assert.Equal(t, "?15", le.Lines[15])
	assert.Contains(t, le.Error(), "199999 listing line(s) not understood")
	var lim *LimitError
	require.ErrorAs(t, err, &lim)
	assert.Equal(t, "MaxListEntries", lim.Limit)
	assert.Less(t, grown, 16.0, "heap growth in MiB")
}

// TestListDefaultBound: a NLST of over a million names, and a LIST, stop
// at DefaultMaxListEntries.
func TestListDefaultBound(t *testing.T) {
	srv := garbageServer(t, DefaultMaxListEntries+100)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	require.NoError(t, err)
	defer c.Close()
	names, err := c.NameList(ctx, "")
	var lim *LimitError
	require.ErrorAs(t, err, &lim)
	assert.Equal(t, "MaxListEntries", lim.Limit)
	assert.Equal(t, int64(DefaultMaxListEntries), lim.Max)
	assert.Len(t, names, DefaultMaxListEntries, "names kept to the bound")
	assert.Equal(t, DefaultMaxListEntries, (*ListOptions)(nil).maxEntries())
	assert.Equal(t, DefaultMaxListEntries, (&ListOptions{Hidden: true}).maxEntries())
}

// unsafeIn collects the names of the *UnsafeNameErrors err holds.
func unsafeIn(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		var ue *UnsafeNameError
		if errors.As(err, &ue) && err == error(ue) {
			out = append(out, ue.Name)
			return
		}
		switch x := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	if err != nil {
		walk(err)
	}
	sort.Strings(out)
	return out
}

// TestListRefusesUnsafeNames: List, ListAll and ListWith never hand out a
// name that is not one harmless path element: each comes as an
// *UnsafeNameError beside the safe entries.
func TestListRefusesUnsafeNames(t *testing.T) {
	for _, mlsd := range []bool{true, false} {
		t.Run(fmt.Sprintf("mlsd=%v", mlsd), func(t *testing.T) {
			srv := fakeftp.StartHostile(t, mlsd)
			ctx := testCtx(t)
			p := NewPool(srv.Addr, fakeConfig(), &PoolOptions{MaxOpen: 2})
			defer p.Close()
			c, err := p.Conn(ctx)
			require.NoError(t, err)
			defer c.Close()
			want := []string{"broken", "ok.txt", "sub"}
			if mlsd {
				want = []string{"broken", "link", "ok.txt", "sub"}
			}
			listers := map[string]func() ([]*Entry, error){
				"List":      func() ([]*Entry, error) { return c.List(ctx, "/pub") },
				"ListAll":   func() ([]*Entry, error) { return c.ListAll(ctx, "/pub") },
				"ListWith":  func() ([]*Entry, error) { return c.ListWith(ctx, "/pub", &ListOptions{Hidden: true}) },
				"Pool.List": func() ([]*Entry, error) { return p.List(ctx, "/pub") },
			}
			for name, list := range listers {
				entries, err := list()
				names := entryNames(entries)
				sort.Strings(names)
				assert.Equal(t, want, names, name)
				assert.ErrorIs(t, err, ErrUnsafeName, name)
				assert.Equal(t, []string{"../escape", "../x", "/etc/x", "a/b", `back\slash`}, unsafeIn(err), name)
				var ue *UnsafeNameError
				if assert.ErrorAs(t, err, &ue, name) {
					assert.Equal(t, "/pub", ue.Dir)
				}
				var le *ListError
				if assert.ErrorAs(t, err, &le, name) {
					assert.Equal(t, 2, le.Count, "the lines with NUL and CR")
				}
			}
			srv.AssertNoUnsafeCommand(t)
		})
	}
}

// TestNameListNames: NLST names are returned without the directory a
// server may put before them (as asked, or its last elements, relative to
// the working directory); whatever is then not one harmless path element
// is refused with an *UnsafeNameError.
func TestNameListNames(t *testing.T) {
	cases := []struct {
		dir     string
		sent    []string
		names   []string
		refused []string
	}{
		{"pub", []string{"pub/ok.txt", "sub", "../../escaped", "/tmp/x", "a/b", `..\..\x`, "pub/..", "other/y", "pub/a/b"},
			[]string{"ok.txt", "sub"}, []string{"../../escaped", "/tmp/x", `..\..\x`, "a/b", "other/y", "pub/..", "pub/a/b"}},
		{"/srv/pub/", []string{"/srv/pub/a", "/srv/pub//b", "pub/c", "srv/pub/d", "/srv/e"},
			[]string{"a", "b", "c", "d"}, []string{"/srv/e"}},
		{"", []string{"./c", "d", "/e", "../f"}, []string{"c", "d"}, []string{"../f", "/e"}},
		{"/", []string{"/e", "f", "//g"}, []string{"e", "f", "g"}, nil},
	}
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		for _, tc := range cases {
			sc.Listing(strings.TrimSpace("NLST "+tc.dir), tc.sent...)
		}
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	for _, tc := range cases {
		names, err := c.NameList(ctx, tc.dir)
		assert.Equal(t, tc.names, names, "NLST %s", tc.dir)
		sort.Strings(tc.refused)
		assert.Equal(t, tc.refused, unsafeIn(err), "NLST %s", tc.dir)
		if tc.refused == nil {
			assert.NoError(t, err)
		} else {
			assert.ErrorIs(t, err, ErrUnsafeName)
		}
	}
	require.NoError(t, c.Close())
	srv.Wait()
}
