// The io/fs view against a hostile server.

package ftpfs

import (
	"io/fs"
	"testing"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFSReadDirReportsUnsafeNames: the io/fs view hands out only safe
// names and reports the others.
func TestFSReadDirReportsUnsafeNames(t *testing.T) {
	srv := fakeftp.StartHostile(t, true)
	p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{})
	defer p.Close()
	fsys := New(testutil.Ctx(t), p, "/pub")
	entries, err := fs.ReadDir(fsys, "sub")
	require.ErrorIs(t, err, ftp.ErrUnsafeName)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"ok2.txt"}, names)
}
