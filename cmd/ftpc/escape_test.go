package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile retitles the terminal, rings its bell and clears its screen.
const hostile = "\x1b]0;pwned\x07\x1b[2J"

// hostileEscaped is hostile as ftpc prints it.
const hostileEscaped = `\x1b]0;pwned\a\x1b[2J`

// requireNoControls fails when out holds a control character other than
// the line feeds that end its lines: C0, DEL, C1 (as UTF-8, or as a byte
// that is not UTF-8).
func requireNoControls(t *testing.T, out string) {
	t.Helper()
	require.True(t, utf8.ValidString(out), "bytes that are not UTF-8 reached the terminal: %q", out)
	for _, r := range out {
		if 0x80 <= r && r < 0xa0 {
			require.Failf(t, "a C1 control character reached the terminal", "%U in %q", r, out)
		}
	}
	for _, b := range []byte(strings.ReplaceAll(out, "\n", "")) {
		if b < 0x20 || b == 0x7f {
			require.Failf(t, "a control character reached the terminal", "byte %#x in %q", b, out)
		}
	}
}

// TestListEscapesNames: names from a listing are printed with control
// characters escaped (as ls -b would), while ordinary names, spaces and
// UTF-8 included, are printed as they are.
func TestListEscapesNames(t *testing.T) {
	srv, base := startServer(t)
	evil := "evil" + hostile + ".txt"
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, evil), []byte("x"), 0o644))
	writeFile(t, filepath.Join(srv.Root, "plain name ü€.txt"), []byte("y"))
	writeFile(t, filepath.Join(srv.Root, `back\slash`), []byte("z"))

	r := ftpc("ls", base)
	requireOK(t, r)
	requireNoControls(t, r.stdout)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3, r.stdout)
	assert.Regexp(t, `^- +1 \S+ +back\\\\slash$`, lines[0], "a backslash is doubled, so that escapes are unambiguous")
	assert.True(t, strings.HasSuffix(lines[1], " evil"+hostileEscaped+".txt"), "%q", lines[1])
	assert.True(t, strings.HasSuffix(lines[2], " plain name ü€.txt"), "%q", lines[2])
}

// TestRepliesEscaped: reply texts in error messages and in the --debug
// log, and the greeting, reach the terminal with their control characters
// escaped.
func TestRepliesEscaped(t *testing.T) {
	srv := startScripted(t, "220 welcome"+hostile, loginAnswers(func(verb, arg string) string {
		switch verb {
		case "SIZE", "MDTM", "DELE", "RMD", "MKD":
			return "550 " + hostile + " gone\x9b31m \u009b32m" // 8-bit CSI, as a byte and as UTF-8
		case "EPSV", "PASV":
			return "500 " + hostile
		}
		return ""
	}))
	url := "ftp://" + srv.addr + "/f"
	for _, args := range [][]string{
		{"size", url}, {"mdtm", url}, {"rm", url}, {"rmdir", url}, {"mkdir", url},
		{"ls", url}, {"get", url, filepath.Join(t.TempDir(), "f")},
		{"--debug", "size", url},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := ftpc(args...)
			// 550 is "not found" (4), except to MKD, whose text says
			// nothing is missing; EPSV and PASV refused is 1.
			require.Contains(t, []int{exitError, exitNotFound}, r.code, r.stderr)
			requireNoControls(t, r.stderr)
			requireNoControls(t, r.stdout)
			assert.Contains(t, r.stderr, "pwned")
		})
	}
	r := ftpc("size", url)
	assert.Equal(t, "ftpc: ftp: SIZE f: 550 "+hostileEscaped+` gone\x9b31m \u009b32m`+"\n", r.stderr)
}

// TestMirrorEscapesNames: a mirror prints remote names in its progress
// lines and its errors with control characters escaped.
func TestMirrorEscapesNames(t *testing.T) {
	srv, base := startServer(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "evil"+hostile), []byte("x"), 0o644))
	writeFile(t, filepath.Join(srv.Root, "good"), []byte("y"))
	r := ftpc("mirror", "--progress", base, t.TempDir())
	requireNoControls(t, r.stderr)
	requireNoControls(t, r.stdout)
	assert.Contains(t, r.stderr+r.stdout, "good")
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain.txt":             "plain.txt",
		"with space ü € 日本.txt": "with space ü € 日本.txt",
		"tab\there":             `tab\there`,
		"nl\nend\r":             `nl\nend\r`,
		"nul\x00del\x7f":        `nul\x00del\x7f`,
		"c1\u0085\u009b":        `c1\u0085\u009b`,
		"bidi\u202egnp.exe":     `bidi\u202egnp.exe`,
		"bad\xffutf8":           `bad\xffutf8`,
		hostile:                 hostileEscaped,
	} {
		assert.Equal(t, want, escapeText(in), "%q", in)
		assert.Equal(t, want, escapeName(in), "%q", in)
	}
	assert.Equal(t, `C:\dir\file`, escapeText(`C:\dir\file`), "messages keep backslashes")
	assert.Equal(t, `a\\x1b`, escapeName(`a\x1b`), "names double them")
}
