package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersion: --version prints the module's version and path, the VCS
// revision with its time and whether the tree was modified, and the Go
// version, from the build information; --json as one object.
func TestVersion(t *testing.T) {
	old := readBuildInfo
	t.Cleanup(func() { readBuildInfo = old })
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/seed362563c3/ftp", Version: "v0.1.0"},
			Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				{Key: "vcs.time", Value: "2026-11-30T12:00:00Z"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, true
	}
	r := ftpc("--version")
	requireOK(t, r)
	platform := runtime.GOOS + "/" + runtime.GOARCH
	assert.Equal(t, "ftpc v0.1.0\n"+
		"module   github.com/seed362563c3/ftp\n"+
		"revision 0123456789abcdef0123456789abcdef01234567 2026-11-30T12:00:00Z (modified)\n"+
		"go       go1.26.8 "+platform+"\n", r.stdout)

	r = ftpc("--version", "--json")
	requireOK(t, r)
	var b buildInfo
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &b))
	assert.Equal(t, buildInfo{Version: "v0.1.0", Module: "github.com/seed362563c3/ftp",
		Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-11-30T12:00:00Z", Modified: true,
		Go: "go1.26.8", Platform: platform}, b)

	readBuildInfo = func() (*debug.BuildInfo, bool) { return nil, false }
	r = ftpc("--version")
	requireOK(t, r)
	assert.Contains(t, r.stdout, "ftpc (unknown)\n")
	assert.Contains(t, r.stdout, "revision not recorded")

	requireOneLineError(t, ftpc("--version", "ls", "ftp://h/"), exitUsage)
}

// TestVersionOfBinary: the built binary reports what the toolchain
// recorded: the Go version, the module, and, where the source is a git
// checkout, the revision it was built from.
func TestVersionOfBinary(t *testing.T) {
	bin := ftpcBinary(t)
	out, err := exec.Command(bin, "--version").Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, 4, string(out))
	assert.True(t, strings.HasPrefix(lines[0], "ftpc "), lines[0])
	assert.Equal(t, "module   github.com/seed362563c3/ftp", lines[1])
	assert.Equal(t, "go       "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH, lines[3])

	// The go command records the revision of a checkout whose .git is a
	// directory (not of a git worktree, whose .git is a file).
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		t.Logf("no .git directory at %s: the revision is not recorded (%s)", root, lines[2])
		return
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("git: %v", err)
	}
	assert.True(t, strings.HasPrefix(lines[2], "revision "+strings.TrimSpace(string(head))+" "), lines[2])
}
