package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startServerWith starts an embedded server for testUser with opts and
// returns it with its base URL.
func startServerWith(t *testing.T, opts embedded.Options) (*embedded.Server, string) {
	t.Helper()
	opts.User, opts.Password, opts.Root = testUser, testPassword, t.TempDir()
	srv, err := embedded.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return srv, "ftp://" + testUser + ":" + "s3cr%23t%20p%40ss" + "@" + srv.Addr + "/"
}

func TestCopyServerToServer(t *testing.T) {
	a, baseA := startServerWith(t, embedded.Options{ForeignData: true})
	b, baseB := startServerWith(t, embedded.Options{ForeignData: true})
	data := randomBytes(2<<20+3, 7)
	writeFile(t, filepath.Join(a.Root, "db.dump"), data)
	require.NoError(t, os.Mkdir(filepath.Join(b.Root, "backups"), 0o755))

	r := ftpc("cp", baseA+"db.dump", baseB+"backups/")
	requireOK(t, r)
	assert.Contains(t, r.stdout, "server to server (FXP)")
	assert.Equal(t, data, readFile(t, filepath.Join(b.Root, "backups", "db.dump")))
}

func TestCopyThroughThisMachineWhenFXPIsRefused(t *testing.T) {
	// A source that refuses PORT cannot send to the other server.
	a, baseA := startServerWith(t, embedded.Options{DisableActive: true})
	b, baseB := startServerWith(t, embedded.Options{})
	data := randomBytes(1<<20+11, 8)
	writeFile(t, filepath.Join(a.Root, "x.bin"), data)

	r := ftpc("cp", "--json", baseA+"x.bin", baseB+"y.bin")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "refused to exchange data with the other server")
	assert.Contains(t, r.stderr, "copying through this machine")
	var out jsonCopy
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	assert.Equal(t, "relay", out.Method)
	assert.Equal(t, int64(len(data)), out.Size)
	assert.Equal(t, data, readFile(t, filepath.Join(b.Root, "y.bin")))

	// --fxp-only: the refusal is the result, nothing is copied.
	r = ftpc("cp", "--fxp-only", baseA+"x.bin", baseB+"z.bin")
	requireOneLineError(t, r, exitError)
	assert.Contains(t, r.stderr, "FXP")
	assert.NoFileExists(t, filepath.Join(b.Root, "z.bin"))
}

func TestCopyUsage(t *testing.T) {
	_, base := startServer(t)
	requireOneLineError(t, ftpc("cp", base+"dir/", base+"x"), exitUsage)
	requireOneLineError(t, ftpc("cp", base+"x"), exitUsage)
}

func TestLimitRate(t *testing.T) {
	srv, base := startServer(t)
	data := randomBytes(100<<10, 9)
	writeFile(t, filepath.Join(srv.Root, "f.bin"), data)
	out := filepath.Join(t.TempDir(), "f.bin")

	requireOK(t, ftpc("get", "--limit-rate", "512K", base+"f.bin", out))
	assert.Equal(t, data, readFile(t, out))
	requireOK(t, ftpc("put", "--limit-rate", "1M", out, base+"g.bin"))
	assert.Equal(t, data, readFile(t, filepath.Join(srv.Root, "g.bin")))

	for _, bad := range []string{"0", "-5", "10X", "fast"} {
		r := ftpc("get", "--limit-rate", bad, base+"f.bin", out)
		assert.Equal(t, exitUsage, r.code, "--limit-rate %s: %s", bad, r.stderr)
	}
	r := ftpc("ls", "--limit-rate", "1M", base)
	assert.Equal(t, exitUsage, r.code)
	assert.True(t, strings.Contains(r.stderr, "limit-rate"), r.stderr)

	// One limiter for every connection of the command.
	var opts options
	require.NoError(t, opts.limitRate.Set("10M"))
	s := &session{opts: opts}
	c1, err := s.config(&target{addr: srv.Addr})
	require.NoError(t, err)
	c2, err := s.config(&target{addr: srv.Addr})
	require.NoError(t, err)
	require.NotNil(t, c1.RateLimiter)
	assert.Same(t, c1.RateLimiter, c2.RateLimiter)
	assert.Equal(t, int64(10<<20), c1.RateLimiter.Rate())
}
