package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// testDir is the tests' temporary directory, removed when they end.
var testDir string

// buildEnv is the environment the tests started with, for the go command
// that builds the binary (its caches live under the real home).
var buildEnv []string

// TestMain keeps the user's environment out of the tests: no netrc file,
// no proxy, no FTP_PASSWORD unless a test sets one, a cache directory of
// their own.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ftpc-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir, buildEnv = dir, os.Environ()
	os.Setenv("NETRC", filepath.Join(dir, "no-such-netrc"))
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache")) // resume records
	os.Setenv("HOME", dir)
	for _, name := range []string{
		"FTP_PASSWORD",
		"ftp_proxy", "FTP_PROXY", "ftps_proxy", "FTPS_PROXY",
		"all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY",
	} {
		os.Unsetenv(name)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
