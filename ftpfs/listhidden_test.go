// FS sees hidden files on servers that list them only with LIST -a.

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

// os.ReadDir shows dotfiles, and so does the io/fs view.
func TestFSReadDirShowsDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Listing("LIST -a /root/d", fakeftp.LsFile(".env", "4"), fakeftp.LsFile("main.go", "10"))
		sc.Quit()
	})
	p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 1})
	fsys := New(fakeftp.Ctx(t), p, "/root")
	entries, err := fs.ReadDir(fsys, "d")
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{".env", "main.go"}, names)
	require.NoError(t, p.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a /root/d\r\nQUIT\r\n", srv.Transcript())
}
