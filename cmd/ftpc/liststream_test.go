// ftpc ls streams: up to sortBound entries are sorted by name, a longer
// listing is printed in the server's order as it arrives (with a note),
// --sort sorts any number and --no-sort none.

package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	ftp "github.com/seed362563c3/ftp"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/require"
)

// descendingServer lists /nN as N files named in descending order, so that
// the server's order is never the sorted one.
func descendingServer(t *testing.T) *fakeftp.Gen {
	return fakeftp.StartGen(t, false, func(verb, dir string) func(io.Writer) error {
		var n int
		if _, err := fmt.Sscanf(strings.TrimPrefix(dir, "/"), "n%d", &n); err != nil || verb != "LIST" {
			return nil
		}
		return func(w io.Writer) error {
			for i := n - 1; i >= 0; i-- {
				if err := fakeftp.WriteLines(w, fakeftp.LsFile(fmt.Sprintf("f%06d", i), "7")); err != nil {
					return err
				}
			}
			return nil
		}
	}, func(string) string { return "" })
}

// names returns the names of ls's output lines, in order.
func names(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 4, "line %q", line)
		got = append(got, f[3])
	}
	return got
}

// expect returns n names in ascending or descending order.
func expect(n int, ascending bool) []string {
	out := make([]string, n)
	for i := range n {
		j := i
		if !ascending {
			j = n - 1 - i
		}
		out[i] = fmt.Sprintf("f%06d", j)
	}
	return out
}

func TestListStreams(t *testing.T) {
	srv := descendingServer(t)
	url := func(n int) string { return fmt.Sprintf("ftp://u@%s/n%d", srv.Addr, n) }
	t.Setenv("FTP_PASSWORD", "x")

	short := ftpc("ls", url(50))
	requireOK(t, short)
	require.Equal(t, expect(50, true), names(t, short.stdout), "a short listing is sorted")

	atBound := ftpc("ls", url(sortBound))
	requireOK(t, atBound)
	require.Equal(t, expect(sortBound, true), names(t, atBound.stdout), "sortBound entries are still sorted")

	long := ftpc("ls", url(sortBound+500))
	require.Equal(t, 0, long.code, "stderr: %s", long.stderr)
	require.Equal(t, expect(sortBound+500, false), names(t, long.stdout), "past the bound: the server's order, every entry")
	require.Contains(t, long.stderr, fmt.Sprintf("more than %d entries", sortBound))
	require.Equal(t, 1, strings.Count(long.stderr, "\n"), "one note: %q", long.stderr)

	all := ftpc("ls", "--sort", url(sortBound+500))
	requireOK(t, all)
	require.Equal(t, expect(sortBound+500, true), names(t, all.stdout), "--sort sorts past the bound")

	none := ftpc("ls", "--no-sort", url(50))
	requireOK(t, none)
	require.Equal(t, expect(50, false), names(t, none.stdout), "--no-sort keeps the server's order")

	js := ftpc("ls", "--json", "--no-sort", url(3))
	requireOK(t, js)
	require.Equal(t, 3, strings.Count(js.stdout, "\n"))
	require.True(t, strings.HasPrefix(js.stdout, `{"name":"f000002"`), "json in the server's order: %s", js.stdout)
}

// TestAppendEntry: the line of each kind of entry, column for column.
func TestAppendEntry(t *testing.T) {
	mod := time.Date(2026, 11, 30, 6, 7, 8, 0, time.FixedZone("x", 3600))
	for _, c := range []struct {
		e    ftp.Entry
		want string
	}{
		{ftp.Entry{Name: "a.txt", Type: ftp.EntryFile, Size: 7, ModTime: mod}, "-            7 2026-11-30T05:07:08Z a.txt\n"},
		{ftp.Entry{Name: "dir", Type: ftp.EntryDir, Size: -1}, "d            - -                    dir\n"},
		{ftp.Entry{Name: "l", Type: ftp.EntryLink, Size: 123456789012345, Target: "t\x1b"}, "l 123456789012345 -                    l -> t\\x1b\n"},
		{ftp.Entry{Name: "new\nline", Type: ftp.EntryOther, Size: 0}, "?            0 -                    new\\nline\n"},
	} {
		got := string(appendEntry([]byte("keep"), &c.e))
		require.Equal(t, "keep"+c.want, got)
	}
}
