// What a mirror costs per file, in commands: a fresh file is one attempt
// on one connection with nothing asked twice, and an unchanged one costs
// no command at all, also where LIST gives times to the minute only.

package mirror

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verbCounter is a slog.Handler that counts the commands a Conn sends.
type verbCounter struct {
	mu    sync.Mutex
	verbs map[string]int
}

func (v *verbCounter) Enabled(context.Context, slog.Level) bool { return true }
func (v *verbCounter) WithAttrs([]slog.Attr) slog.Handler       { return v }
func (v *verbCounter) WithGroup(string) slog.Handler            { return v }
func (v *verbCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "ftp command" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "send" {
			verb, _, _ := strings.Cut(a.Value.String(), " ")
			v.mu.Lock()
			v.verbs[verb]++
			v.mu.Unlock()
		}
		return true
	})
	return nil
}

// take returns the counts so far and starts again.
func (v *verbCounter) take() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := v.verbs
	v.verbs = map[string]int{}
	return out
}

// TestMirrorCommandsPerFile: on a server that lists with LIST alone, a
// mirror down sends RETR and MDTM (for the exact time) per file and no
// SIZE, since the listing gave the size; up sends STOR, SIZE (the check of
// what arrived), RNFR and RNTO, and nothing before STOR. A second mirror
// in either direction, with nothing changed, sends no command per file: no
// MDTM to make LIST's minutes exact, no SIZE.
func TestMirrorCommandsPerFile(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{DisableMLSD: true, DisableMLST: true})
	const files = 24
	rels := makeMirrorTree(t, filepath.Join(srv.Root, "src"), 10, files)
	// Half of the files are recent: LIST shows their minute; the others
	// show their day (and year).
	recent := time.Now().Add(-time.Hour).Truncate(time.Second).Add(17 * time.Second)
	for i, rel := range rels {
		if i%2 == 0 {
			p := filepath.Join(srv.Root, "src", filepath.FromSlash(rel))
			require.NoError(t, os.Chtimes(p, recent, recent))
		}
	}
	ctx := testutil.Ctx(t)
	counter := &verbCounter{verbs: map[string]int{}}
	p := ftp.NewPool(srv.Addr, &ftp.Config{Logger: slog.New(counter)}, &ftp.PoolOptions{MaxOpen: 2})
	defer p.Close()
	local := filepath.Join(t.TempDir(), "down")

	st, err := Down(ctx, p, "/src", local, &Options{Parallel: 2})
	require.NoError(t, err)
	require.Equal(t, files, st.Files)
	assertSameTree(t, filepath.Join(srv.Root, "src"), local, rels)
	got := counter.take()
	assert.Equal(t, files, got["RETR"], "RETR per file: %v", got)
	assert.Equal(t, files, got["MDTM"], "MDTM per file, for the exact time: %v", got)
	assert.LessOrEqual(t, got["SIZE"], 1, "no SIZE per file, the listing gave it (one for the root's Stat): %v", got)

	st, err = Down(ctx, p, "/src", local, &Options{Parallel: 2})
	require.NoError(t, err)
	assert.Equal(t, Stats{Unchanged: files}, *st)
	got = counter.take()
	assert.Zero(t, got["MDTM"]+got["RETR"], "nothing per unchanged file: %v", got)
	assert.LessOrEqual(t, got["SIZE"], 1, "the root's Stat only: %v", got)

	st, err = Up(ctx, p, local, "/up", &Options{Parallel: 2})
	require.NoError(t, err)
	require.Equal(t, files, st.Files)
	assertSameTree(t, local, filepath.Join(srv.Root, "up"), rels)
	got = counter.take()
	assert.Equal(t, files, got["STOR"], "%v", got)
	assert.Equal(t, files, got["SIZE"]-1, "one SIZE per file, after STOR (and one for the root's Stat): %v", got)
	assert.Equal(t, files, got["RNFR"], "%v", got)
	assert.Equal(t, files, got["RNTO"], "%v", got)
	// This server makes new files 0755: each needs its source's 0644 (the
	// first upload's directory listed once to learn that).
	assert.Equal(t, files, got["SITE"], "SITE CHMOD per file: %v", got)

	st, err = Up(ctx, p, local, "/up", &Options{Parallel: 2})
	require.NoError(t, err)
	assert.Equal(t, Stats{Unchanged: files}, *st)
	got = counter.take()
	assert.Zero(t, got["MDTM"]+got["STOR"]+got["MFMT"]+got["SITE"], "nothing per unchanged file: %v", got)
	assert.LessOrEqual(t, got["SIZE"], 1, "the root's Stat only: %v", got)
}
