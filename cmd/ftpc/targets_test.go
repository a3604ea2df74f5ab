package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGetIntoDirectory: "ftpc get URL dir/" and "ftpc get URL DIR" (an
// existing directory) write the file into it under its remote name.
func TestGetIntoDirectory(t *testing.T) {
	srv, base := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "pub", "name.txt"), []byte("content"))
	dir := t.TempDir()

	requireOK(t, ftpc("get", base+"pub/name.txt", dir+"/"))
	assert.Equal(t, []byte("content"), readFile(t, filepath.Join(dir, "name.txt")))

	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	requireOK(t, ftpc("get", base+"pub/name.txt", sub))
	assert.Equal(t, []byte("content"), readFile(t, filepath.Join(sub, "name.txt")))

	// With --resume and --retries too: the same target.
	writeFile(t, filepath.Join(sub, "name.txt"), []byte("cont"))
	r := ftpc("get", "--resume", base+"pub/name.txt", sub+"/")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []byte("content"), readFile(t, filepath.Join(sub, "name.txt")))
	assert.Contains(t, r.stderr, "resuming at 4 bytes (57%)")
	os.Remove(filepath.Join(sub, "name.txt"))
	requireOK(t, ftpc("get", "--retries", "1", base+"pub/name.txt", sub))
	assert.Equal(t, []byte("content"), readFile(t, filepath.Join(sub, "name.txt")))

	// A directory that is not there is not made up.
	r = ftpc("get", base+"pub/name.txt", filepath.Join(dir, "missing")+"/")
	requireOneLineError(t, r, exitNotFound)
	assert.NoDirExists(t, filepath.Join(dir, "missing"))
	// A file named like a directory is not one.
	writeFile(t, filepath.Join(dir, "plain"), []byte("x"))
	requireOneLineError(t, ftpc("get", base+"pub/name.txt", filepath.Join(dir, "plain")+"/"), exitError)
	// A remote name that cannot be a local name needs LOCAL.
	requireOneLineError(t, ftpc("get", base+"pub/..", dir+"/"), exitUsage)
}

// TestListFile: ftpc ls of a file shows that file, on a server whose MLSD
// refuses a file (as proftpd's does) and on one listing with LIST.
func TestListFile(t *testing.T) {
	mt := time.Date(2024, 2, 29, 12, 34, 56, 0, time.UTC)
	for _, mode := range []string{"MLSD", "LIST"} {
		t.Run(mode, func(t *testing.T) {
			srv, err := embedded.Start(embedded.Options{Root: t.TempDir(), DisableMLSD: mode == "LIST", DisableMLST: mode == "LIST"})
			require.NoError(t, err)
			t.Cleanup(func() { srv.Close() })
			writeFile(t, filepath.Join(srv.Root, "dir", "file.txt"), []byte("hello, world\n"))
			require.NoError(t, os.Chmod(filepath.Join(srv.Root, "dir", "file.txt"), 0o644))
			require.NoError(t, os.Chtimes(filepath.Join(srv.Root, "dir", "file.txt"), mt, mt))

			r := ftpc("ls", "ftp://"+srv.Addr+"/dir/file.txt")
			requireOK(t, r)
			assert.Regexp(t, `^- +13 \S+ +(dir/)?file\.txt\n$`, r.stdout)
			if mode == "MLSD" {
				assert.Equal(t, "-           13 2024-02-29T12:34:56Z dir/file.txt\n", r.stdout)
			}
			r = ftpc("ls", "--json", "ftp://"+srv.Addr+"/dir/")
			requireOK(t, r)
			var e map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &e))
			assert.Equal(t, "file.txt", e["name"])
			if mode == "LIST" {
				assert.Equal(t, "0644", e["perm"], "the mode LIST shows")
			}

			// A missing file is still an error, not an empty listing.
			r = ftpc("ls", "ftp://"+srv.Addr+"/dir/missing.txt")
			requireOneLineError(t, r, exitNotFound)
		})
	}
}

// TestJSONOutput: --json prints one object a line for ls, size, mdtm and
// the summaries of get and put.
func TestJSONOutput(t *testing.T) {
	srv, base := startServer(t)
	mt := time.Date(2021, 7, 8, 9, 10, 11, 0, time.UTC)
	writeFile(t, filepath.Join(srv.Root, "f.bin"), make([]byte, 12345))
	require.NoError(t, os.Chtimes(filepath.Join(srv.Root, "f.bin"), mt, mt))
	require.NoError(t, os.Mkdir(filepath.Join(srv.Root, "d"), 0o755))

	r := ftpc("ls", "--json", base)
	requireOK(t, r)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2, r.stdout)
	var d, f map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &d))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &f))
	assert.Equal(t, "d", d["name"])
	assert.Equal(t, "dir", d["type"])
	// This server's MLSD has no UNIX.mode fact: no perm.
	assert.Equal(t, map[string]any{"name": "f.bin", "type": "file", "size": 12345.0, "modified": "2021-07-08T09:10:11Z"}, f)

	r = ftpc("size", "--json", base+"f.bin")
	requireOK(t, r)
	assert.Equal(t, `{"path":"f.bin","size":12345}`+"\n", r.stdout)
	r = ftpc("mdtm", base+"f.bin", "--json")
	requireOK(t, r)
	assert.Equal(t, `{"path":"f.bin","modified":"2021-07-08T09:10:11Z"}`+"\n", r.stdout)

	// get: the summary, and where a resumed one continued.
	local := filepath.Join(t.TempDir(), "f.bin")
	writeFile(t, local, make([]byte, 2345))
	r = ftpc("get", "--json", "--resume", base+"f.bin", local)
	require.Equal(t, 0, r.code, r.stderr)
	var g jsonTransfer
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &g))
	assert.Equal(t, "\n", r.stdout[len(r.stdout)-1:])
	assert.Equal(t, jsonTransfer{Op: "get", Remote: "f.bin", Local: local, Size: 12345, Bytes: 10000, ResumedAt: 2345, Verified: "size", Seconds: g.Seconds}, g)

	// put, plain and verified.
	r = ftpc("put", "--json", local, base+"up/")
	requireOneLineError(t, r, exitNotFound) // no such directory
	require.NoError(t, os.Mkdir(filepath.Join(srv.Root, "up"), 0o755))
	for _, extra := range [][]string{nil, {"--verify"}} {
		r = ftpc(append([]string{"put", "--json", local, base + "up/"}, extra...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var p jsonTransfer
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &p))
		assert.Equal(t, jsonTransfer{Op: "put", Remote: "up/f.bin", Local: local, Size: 12345, Bytes: 12345, Verified: p.Verified, Seconds: p.Seconds}, p)
		if extra != nil {
			assert.Equal(t, "size", p.Verified)
		}
	}

	// Standard output holds the file: no room for JSON.
	requireOneLineError(t, ftpc("get", "--json", base+"f.bin", "-"), exitUsage)
}

// TestJSONEscapesControls: JSON from a server's names has every control
// character escaped, C1 and DEL included.
func TestJSONEscapesControls(t *testing.T) {
	var b strings.Builder
	require.NoError(t, writeJSON(&b, jsonEntry{Name: "a\x1b[2J\u009b31m\x7f<b>", Type: "file"}))
	assert.Equal(t, `{"name":"a\u001b[2J\u009b31m\u007f<b>","type":"file","size":null,"modified":null}`+"\n", b.String())
	requireNoControls(t, b.String()[:b.Len()-1])
}
