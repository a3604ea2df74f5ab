// Segmented downloads against the in-process server.

package resume

import (
	"bytes"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDownloadSegmented(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{EnableHASH: true})
	data := testutil.RandomBytes(t, 5<<20+12345)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "big"), data, 0o644))
	for _, n := range []int{1, 2, 4, 8} {
		p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: n})
		local := filepath.Join(t.TempDir(), "out")
		var last atomic.Int64
		res, err := DownloadSegmented(testutil.Ctx(t), p, "big", local, n, &Options{Verify: true,
			Progress: func(_ string, done, total int64) { last.Store(done) }})
		require.NoError(t, err, "n=%d", n)
		assert.Equal(t, ftp.HashSHA256, res.Verified)
		assert.Equal(t, int64(len(data)), last.Load())
		assert.Equal(t, n, res.Attempts)
		got, err := os.ReadFile(local)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got), "n=%d", n)
		assert.LessOrEqual(t, p.Stats().MaxOpenSeen, n)
		p.Close()
	}
}

func TestDownloadSegmentedRetriesCutSegments(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{})
	data := testutil.RandomBytes(t, 4<<20)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "big"), data, 0o644))
	dial, cut := testutil.CuttingDialer(srv.Addr, 3, 200<<10)
	p := ftp.NewPool(srv.Addr, &ftp.Config{DialContext: dial}, &ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()
	local := filepath.Join(t.TempDir(), "out")
	res, err := DownloadSegmented(testutil.Ctx(t), p, "big", local, 4, fastRetries())
	require.NoError(t, err)
	assert.Equal(t, int32(3), cut.Load())
	assert.Equal(t, 7, res.Attempts, "three segments needed a second attempt")
	assert.True(t, res.Resumed)
	got, err := os.ReadFile(local)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
}
