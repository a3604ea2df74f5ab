// fs.WalkDir over a server whose directories list themselves ends.

package ftpfs

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFSWalkDirBounded: fs.WalkDir over the io/fs view of a directory that
// lists itself ends at maxDepth levels with a *LimitError.
func TestFSWalkDirBounded(t *testing.T) {
	srv := fakeftp.LoopServer(t, "x", 2*maxDepth, 1<<20)
	p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 2})
	defer p.Close()
	fsys := New(testutil.Ctx(t), p, "/loop")
	deepest := 0
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if depth := strings.Count(name, "/") + 1; depth > 2*maxDepth {
			return fakeftp.ErrUnbounded
		} else if err == nil {
			deepest = max(deepest, depth)
		}
		return err
	})
	var le *ftp.LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "MaxDepth", le.Limit)
	assert.Equal(t, maxDepth, deepest)
}
