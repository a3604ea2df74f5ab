// Walks, mirrors and RemoveAll see hidden files on servers that list them
// only with LIST -a.

package mirror

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A backup walk must not lose .config: Walk lists with LIST -a.
func TestWalkSeesDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Listing("LIST -a", fakeftp.LsDir(".config"), fakeftp.LsFile("notes.txt", "3"))
		sc.Listing("LIST -a .config", fakeftp.LsFile("app.toml", "9"))
		sc.Quit()
	})
	c := testutil.DialFake(t, srv, nil)
	var paths []string
	require.NoError(t, Walk(fakeftp.Ctx(t), c, "", nil, func(p string, e *ftp.Entry, err error) error {
		paths = append(paths, p)
		return err
	}))
	assert.Equal(t, []string{"", ".config", ".config/app.toml", "notes.txt"}, paths)
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a\r\nEPSV\r\nLIST -a .config\r\nQUIT\r\n", srv.Transcript())
}

// RemoveAll must not leave a dotfile behind and then fail RMD.
func TestRemoveAllRemovesDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Expect("TYPE I\r\n")
		sc.Send("200 Type set to I.\r\n")
		sc.Expect("SIZE /d\r\n")
		sc.Send("550 /d: not a plain file.\r\n")
		sc.Listing("LIST -a /", fakeftp.LsDir("d"))
		sc.Listing("LIST -a /d", fakeftp.LsFile(".config", "4"))
		sc.Expect("DELE /d/.config\r\n")
		sc.Send("250 Deleted.\r\n")
		sc.Expect("RMD /d\r\n")
		sc.Send("250 Removed.\r\n")
		sc.Quit()
	})
	c := testutil.DialFake(t, srv, nil)
	require.NoError(t, RemoveAll(fakeftp.Ctx(t), c, "/d"))
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nTYPE I\r\nSIZE /d\r\nEPSV\r\nLIST -a /\r\nEPSV\r\nLIST -a /d\r\nDELE /d/.config\r\nRMD /d\r\nQUIT\r\n",
		srv.Transcript())
}

// The in-process server listing with LIST: a mirror down copies dotfiles
// and dot-directories.
func TestMirrorDownDotfilesWithLIST(t *testing.T) {
	srv := testutil.StartServer(t, embedded.Options{DisableMLSD: true, DisableMLST: true})
	src := filepath.Join(srv.Root, "home")
	for rel, body := range map[string]string{
		".bashrc": "alias ll='ls -l'\n", ".config/app/settings.toml": "x = 1\n", "notes.txt": "n\n", "dir/.keep": "",
	} {
		p := filepath.Join(src, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	ctx := testutil.Ctx(t)
	p := ftp.NewPool(srv.Addr, nil, &ftp.PoolOptions{MaxOpen: 2})
	defer p.Close()
	local := filepath.Join(t.TempDir(), "backup")
	st, err := Down(ctx, p, "/home", local, &Options{Parallel: 2})
	require.NoError(t, err)
	assert.Equal(t, 4, st.Files)
	assert.Equal(t, listTree(t, src), listTree(t, local))
	b, err := os.ReadFile(filepath.Join(local, ".config", "app", "settings.toml"))
	require.NoError(t, err)
	assert.Equal(t, "x = 1\n", string(b))
}

// Pool.Walk lists with ListAll on its pooled connections.
func TestPoolWalkSeesDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Listing("LIST -a", fakeftp.LsFile(".netrc", "20"), fakeftp.LsFile("a.txt", "1"))
		sc.Quit()
	})
	p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 1})
	var paths []string
	require.NoError(t, Walk(fakeftp.Ctx(t), p, "", &WalkOptions{Parallel: 1}, func(p string, e *ftp.Entry, err error) error {
		paths = append(paths, p)
		return err
	}))
	assert.Equal(t, []string{"", ".netrc", "a.txt"}, paths)
	require.NoError(t, p.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a\r\nQUIT\r\n", srv.Transcript())
}

// A mirror down of a LIST server sees the dotfiles it is to copy (a dry
// run: what would be transferred, without transfers).
func TestMirrorDownDryRunSeesDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Expect("TYPE I\r\n")
		sc.Send("200 Type set to I.\r\n")
		sc.Expect("SIZE /home\r\n")
		sc.Send("550 /home: not a plain file.\r\n")
		sc.Listing("LIST -a /", fakeftp.LsDir("home"))
		sc.Listing("LIST -a /home", fakeftp.LsFile(".bashrc", "17"), fakeftp.LsDir(".ssh"), fakeftp.LsFile("notes.txt", "2"))
		sc.Listing("LIST -a /home/.ssh", fakeftp.LsFile("config", "30"))
		sc.Quit()
	})
	p := ftp.NewPool(srv.Addr, testutil.FakeConfig(), &ftp.PoolOptions{MaxOpen: 1})
	local := filepath.Join(t.TempDir(), "backup")
	st, err := Down(fakeftp.Ctx(t), p, "/home", local, &Options{Parallel: 1, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, 3, st.Files, "%+v", *st)
	assert.Equal(t, int64(17+2+30), st.Bytes, "%+v", *st)
	require.NoError(t, p.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nTYPE I\r\nSIZE /home\r\nEPSV\r\nLIST -a /\r\nEPSV\r\nLIST -a /home\r\nEPSV\r\nLIST -a /home/.ssh\r\nQUIT\r\n",
		srv.Transcript())
}

func TestWalkDescendsWhenSizeAnswersForDirectories(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Expect("TYPE I\r\n")
		sc.Send("200 Type set to I.\r\n")
		sc.Expect("SIZE /pub\r\n")
		sc.Send("213 4096\r\n")
		sc.Expect("PWD\r\n")
		sc.Send("257 \"/\" is the current directory.\r\n")
		sc.Expect("CWD /pub\r\n")
		sc.Send("250 OK\r\n")
		sc.Expect("CWD /\r\n")
		sc.Send("250 OK\r\n")
		sc.Listing("LIST -a /pub", fakeftp.LsDir("sub"), fakeftp.LsFile(".profile", "7"))
		sc.Listing("LIST -a /pub/sub", fakeftp.LsFile("f.txt", "5"))
		sc.Quit()
	})
	c := testutil.DialFake(t, srv, nil)
	var paths []string
	var types []ftp.EntryType
	require.NoError(t, Walk(fakeftp.Ctx(t), c, "/pub", nil, func(p string, e *ftp.Entry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		types = append(types, e.Type)
		return nil
	}))
	assert.Equal(t, []string{"/pub", "/pub/.profile", "/pub/sub", "/pub/sub/f.txt"}, paths)
	assert.Equal(t, []ftp.EntryType{ftp.EntryDir, ftp.EntryFile, ftp.EntryDir, ftp.EntryFile}, types)
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nTYPE I\r\nSIZE /pub\r\nPWD\r\nCWD /pub\r\nCWD /\r\n"+
		"EPSV\r\nLIST -a /pub\r\nEPSV\r\nLIST -a /pub/sub\r\nQUIT\r\n", srv.Transcript())
}
