package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed362563c3/ftp/internal/embedded"
)

// makeTree writes 30 files in 5 directories (two of them nested) under
// root and returns their relative paths.
func makeTree(t *testing.T, root string) []string {
	t.Helper()
	dirs := []string{"a", "a/deep", "b", "c", "c/more"}
	var names []string
	for i := range 30 {
		name := fmt.Sprintf("%s/file%02d.bin", dirs[i%len(dirs)], i)
		size := (i * 7919) % 50000
		if i == 3 {
			size = 0
		}
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), randomBytes(size, uint64(100+i)))
		names = append(names, name)
	}
	return names
}

// treeOf maps the relative paths of the files under root to their
// contents, and lists directories with a trailing slash.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
		case d.IsDir():
			tree[rel+"/"] = ""
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			tree[rel] = string(b)
		}
		return nil
	})
	require.NoError(t, err)
	return tree
}

var summaryRE = regexp.MustCompile(`^mirror: (\d+) files transferred \((\d+) resumed, (\d+) bytes\), (\d+) unchanged, (\d+) failed, (\d+) dirs created, (\d+) deleted, 0 symlinks and 0 others skipped, 0 names refused\n$`)

// mirrorStats runs ftpc, requires success and returns files transferred,
// unchanged, dirs created and deleted from the summary.
func mirrorStats(t *testing.T, args ...string) (files, unchanged, dirs, deleted int) {
	t.Helper()
	r := ftpc(args...)
	requireOK(t, r)
	m := summaryRE.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	fmt.Sscan(m[1], &files)
	fmt.Sscan(m[4], &unchanged)
	fmt.Sscan(m[6], &dirs)
	fmt.Sscan(m[7], &deleted)
	return
}

func TestMirrorDownThenUp(t *testing.T) {
	src, base := startServer(t)
	makeTree(t, filepath.Join(src.Root, "tree"))
	want := treeOf(t, filepath.Join(src.Root, "tree"))
	require.Len(t, want, 35)

	// Down into a directory that does not exist yet.
	local := filepath.Join(t.TempDir(), "copy")
	files, unchanged, dirs, _ := mirrorStats(t, "mirror", base+"tree", local)
	assert.Equal(t, 30, files)
	assert.Equal(t, 0, unchanged)
	assert.Equal(t, 6, dirs) // copy itself and the 5 inside
	assert.Equal(t, want, treeOf(t, local))
	// Again: nothing moves.
	files, unchanged, dirs, _ = mirrorStats(t, "mirror", "--parallel", "2", base+"tree/", local)
	assert.Equal(t, []int{0, 30, 0}, []int{files, unchanged, dirs})

	// Up to another server.
	dst, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { dst.Close() })
	dstBase := "ftp://" + testUser + ":s3cr%23t%20p%40ss@" + dst.Addr + "/"
	files, _, _, _ = mirrorStats(t, "mirror", "--reverse", local, dstBase+"up", "--parallel", "8")
	assert.Equal(t, 30, files)
	assert.Equal(t, want, treeOf(t, filepath.Join(dst.Root, "up")))
	files, unchanged, _, _ = mirrorStats(t, "mirror", "--reverse", local, dstBase+"up")
	assert.Equal(t, []int{0, 30}, []int{files, unchanged})

	// --delete: a file and a directory gone locally, one file new and one
	// changed.
	require.NoError(t, os.Remove(filepath.Join(local, "b", "file02.bin")))
	require.NoError(t, os.RemoveAll(filepath.Join(local, "c", "more")))
	writeFile(t, filepath.Join(local, "new.txt"), []byte("new"))
	writeFile(t, filepath.Join(local, "a", "file00.bin"), []byte("changed"))
	goneFiles := 0
	for name := range want {
		if strings.HasPrefix(name, "c/more/") && !strings.HasSuffix(name, "/") {
			goneFiles++
		}
	}

	// Without --delete the extra remote files stay.
	files, _, _, deleted := mirrorStats(t, "mirror", "--reverse", local, dstBase+"up")
	assert.Equal(t, []int{2, 0}, []int{files, deleted})
	assert.FileExists(t, filepath.Join(dst.Root, "up", "b", "file02.bin"))

	// --dry-run --delete says what would go, each file, and changes
	// nothing.
	before := treeOf(t, filepath.Join(dst.Root, "up"))
	r := ftpc("mirror", "--reverse", "--delete", "--dry-run", local, dstBase+"up")
	requireOK(t, r)
	var doomed []string
	for name := range want {
		if strings.HasPrefix(name, "c/more/") && !strings.HasSuffix(name, "/") {
			doomed = append(doomed, "rm "+name)
		}
	}
	doomed = append(doomed, "rmdir c/more", "rm b/file02.bin")
	sort.Sort(sort.Reverse(sort.StringSlice(doomed[:goneFiles]))) // deepest, then last, first
	assert.Equal(t, strings.Join(doomed, "\n")+"\n"+
		fmt.Sprintf("mirror --dry-run: 0 files to transfer (0 to resume, 0 bytes), %d unchanged, 0 dirs to create, %d to delete, 0 symlinks and 0 others skipped, 0 names refused\n", 30-goneFiles, goneFiles+2), r.stdout)
	assert.Equal(t, before, treeOf(t, filepath.Join(dst.Root, "up")))

	_, _, _, deleted = mirrorStats(t, "mirror", "--reverse", "--delete", local, dstBase+"up")
	assert.Equal(t, goneFiles+2, deleted) // the files, c/more and b/file02.bin
	assert.Equal(t, treeOf(t, local), treeOf(t, filepath.Join(dst.Root, "up")))

	// And down with --delete.
	_, _, _, deleted = mirrorStats(t, "mirror", "--delete", base+"tree", local)
	assert.Equal(t, 1, deleted) // new.txt
	assert.Equal(t, want, treeOf(t, local))
}

func TestMirrorDryRunWritesNothing(t *testing.T) {
	srv, base := startServer(t)
	names := makeTree(t, filepath.Join(srv.Root, "tree"))
	local := filepath.Join(t.TempDir(), "never")
	r := ftpc("mirror", "--dry-run", base+"tree", local)
	requireOK(t, r)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 1+6+30, r.stdout)
	assert.Equal(t, []string{"mkdir .", "mkdir a", "mkdir a/deep", "mkdir b", "mkdir c", "mkdir c/more"}, lines[:6])
	for _, name := range names {
		fi, err := os.Stat(filepath.Join(srv.Root, "tree", filepath.FromSlash(name)))
		require.NoError(t, err)
		assert.Contains(t, lines[6:36], fmt.Sprintf("get %s (%d bytes)", name, fi.Size()))
	}
	assert.Regexp(t, `^mirror --dry-run: 30 files to transfer \(0 to resume, \d+ bytes\), 0 unchanged, 6 dirs to create, 0 to delete`, lines[36])
	assert.NoDirExists(t, local)

	// Up: the remote side is untouched.
	src := t.TempDir()
	makeTree(t, src)
	r = ftpc("mirror", "--reverse", "--dry-run", src, base+"up")
	requireOK(t, r)
	assert.Contains(t, r.stdout, "30 files to transfer")
	assert.Equal(t, 30, strings.Count(r.stdout, "\nput "))
	assert.True(t, strings.HasPrefix(r.stdout, "mkdir .\n"), r.stdout)
	assert.NoDirExists(t, filepath.Join(srv.Root, "up"))
}

func TestMirrorErrors(t *testing.T) {
	srv, base := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "tree", "x"), []byte("file"))
	writeFile(t, filepath.Join(srv.Root, "tree", "y"), []byte("file"))
	writeFile(t, filepath.Join(srv.Root, "tree", "z"), []byte("fine"))
	local := t.TempDir()
	// Directories where the source has files: two conflicts.
	require.NoError(t, os.MkdirAll(filepath.Join(local, "x"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(local, "y"), 0o755))

	r := ftpc("mirror", base+"tree", local)
	require.Equal(t, exitError, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, lines, 3, r.stderr)
	for _, l := range lines {
		assert.True(t, strings.HasPrefix(l, "ftpc: "), l)
	}
	assert.Contains(t, lines[0]+lines[1], "x is a file in the source and a dir in the destination")
	assert.Contains(t, lines[0]+lines[1], "y is a file in the source and a dir in the destination")
	assert.Equal(t, "ftpc: mirror: 2 errors", lines[2])
	assert.Contains(t, r.stdout, "mirror: 1 files transferred")
	assert.Equal(t, []byte("fine"), readFile(t, filepath.Join(local, "z")))

	// A single error is a single line.
	r = ftpc("mirror", base+"missing", t.TempDir())
	requireOneLineError(t, r, exitNotFound)

	// Usage errors.
	for _, args := range [][]string{
		{"mirror", base + "tree"},
		{"mirror", local, base + "tree"}, // upload without --reverse
		{"mirror", "--parallel", "0", base + "tree", local},
		{"mirror", "--resume", base + "tree", local},
		{"mirror", "--reverse", local, "/not/a/url"},
	} {
		requireOneLineError(t, ftpc(args...), exitUsage)
	}
}

func TestGetSegments(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(), EnableHASH: true})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	base := "ftp://" + testUser + ":s3cr%23t%20p%40ss@" + srv.Addr + "/"
	data := randomBytes(3<<20+12345, 31)
	writeFile(t, filepath.Join(srv.Root, "big.bin"), data)
	dir := t.TempDir()

	local := filepath.Join(dir, "big.bin")
	writeFile(t, local, bytes.Repeat([]byte("old"), 2<<20)) // longer: truncated
	r := ftpc("get", "--segments", "4", "--debug", base+"big.bin", local)
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, bytes.Equal(data, readFile(t, local)), "the download differs")
	assert.Regexp(t, `ftpc: pool: [2-5] connections dialled, \d+ reuses, 0 discarded, at most [2-4] open at once`, r.stderr)

	r = ftpc("get", base+"big.bin", filepath.Join(dir, "v.bin"), "--segments", "3", "--verify", "--retries", "2")
	requireOK(t, r)
	assert.Equal(t, "big.bin: 3158073 bytes, verified by SHA-256\n", r.stdout)
	assert.True(t, bytes.Equal(data, readFile(t, filepath.Join(dir, "v.bin"))))

	// A missing file leaves no local file.
	r = ftpc("get", "--segments", "2", base+"missing.bin", filepath.Join(dir, "missing.bin"))
	requireOneLineError(t, r, exitNotFound)
	assert.NoFileExists(t, filepath.Join(dir, "missing.bin"))

	for _, args := range [][]string{
		{"get", "--segments", "-1", base + "big.bin", local},
		{"get", "--segments", "2", base + "big.bin", "-"},
		{"get", "--segments", "2", "--resume", base + "big.bin", local},
		{"put", "--segments", "2", local, base},
	} {
		requireOneLineError(t, ftpc(args...), exitUsage)
	}
}

// TestMirrorDryRunPlan: --dry-run lists each change, as text or JSON, and
// the list agrees with the mirror's own counts, and with what a real run
// then does: a changed file, a file touched, a partial copy to resume, a
// new directory, and with --delete a local file the server lacks. On a
// server with MLSD and on one with LIST only (times from MDTM).
func TestMirrorDryRunPlan(t *testing.T) {
	for _, mode := range []string{"MLSD", "LIST"} {
		t.Run(mode, func(t *testing.T) {
			srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(),
				DisableMLSD: mode == "LIST", DisableMLST: mode == "LIST"})
			require.NoError(t, err)
			t.Cleanup(func() { srv.Close() })
			base := "ftp://" + testUser + ":s3cr%23t%20p%40ss@" + srv.Addr + "/"
			remote := filepath.Join(srv.Root, "tree")
			makeTree(t, remote)
			local := filepath.Join(t.TempDir(), "copy")
			mirrorStats(t, "mirror", base+"tree", local)

			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			writeFile(t, filepath.Join(remote, "a", "file00.bin"), []byte("changed"))
			touched := filepath.Join(remote, "a", "deep", "file01.bin") // same size, another time
			require.NoError(t, os.Chtimes(touched, old, old))
			part := readFile(t, filepath.Join(remote, "b", "file02.bin"))
			require.NoError(t, os.Remove(filepath.Join(local, "b", "file02.bin")))
			writeFile(t, filepath.Join(local, "b", ".file02.bin.part"), part[:len(part)/2])
			writeFile(t, filepath.Join(remote, "new", "n.txt"), []byte("n"))
			writeFile(t, filepath.Join(local, "extra.txt"), []byte("x"))
			touchedSize := len(readFile(t, touched))

			r := ftpc("mirror", "--dry-run", "--delete", base+"tree", local)
			requireOK(t, r)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			assert.Equal(t, []string{
				"rm extra.txt",
				"mkdir new",
				fmt.Sprintf("get a/deep/file01.bin (%d bytes)", touchedSize),
				"get a/file00.bin (7 bytes)",
				fmt.Sprintf("get b/file02.bin (resume at %d of %d bytes)", len(part)/2, len(part)),
				"get new/n.txt (1 bytes)",
			}, lines[:len(lines)-1])
			assert.Equal(t, fmt.Sprintf("mirror --dry-run: 4 files to transfer (1 to resume, %d bytes), 27 unchanged, 1 dirs to create, 1 to delete, 0 symlinks and 0 others skipped, 0 names refused",
				touchedSize+7+len(part)-len(part)/2+1), lines[len(lines)-1])

			// The same as JSON, one object a line, the summary last.
			r = ftpc("mirror", "--dry-run", "--delete", "--json", base+"tree", local)
			requireOK(t, r)
			objs := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			require.Len(t, objs, 7)
			assert.Equal(t, `{"action":"rm","path":"extra.txt"}`, objs[0])
			assert.Equal(t, fmt.Sprintf(`{"action":"get","path":"b/file02.bin","size":%d,"resume_at":%d}`, len(part), len(part)/2), objs[4])
			var sum jsonMirror
			require.NoError(t, json.Unmarshal([]byte(objs[6]), &sum))
			assert.Equal(t, jsonMirror{Op: "mirror", Direction: "get", DryRun: true, Files: 4, Resumed: 1, Bytes: sum.Bytes, Unchanged: 27, Dirs: 1, Deleted: 1}, sum)

			// The real run does what was listed.
			files, unchanged, dirs, deleted := mirrorStats(t, "mirror", "--delete", base+"tree", local)
			assert.Equal(t, []int{4, 27, 1, 1}, []int{files, unchanged, dirs, deleted})
			assert.Equal(t, treeOf(t, remote), treeOf(t, local))
		})
	}
}
