// Hidden files and awkward paths in listings on servers without MLSD:
// ListAll's LIST -a and its fallbacks, listing inside a directory whose
// path has spaces, and the walkers that use ListAll (transcript tests); a
// mirror of dotfiles from the in-process server listing with LIST; and the
// notes a Conn keeps of its server.

package ftp

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// featNoMLST is the FEAT answer of a server with SIZE and MDTM but without
// MLST, MFMT or UTF8, like Twisted's.
const featNoMLST = "211-Features:\r\n MDTM\r\n PASV\r\n SIZE\r\n TYPE A;I\r\n211 End\r\n"

// listingSteps scripts a passive listing command (cmd without CRLF) that
// sends lines and succeeds.
func listingSteps(sc *fakeftp.Script, cmd string, lines ...string) {
	sc.Expect("EPSV\r\n")
	sc.EPSV()
	sc.Expect(cmd + "\r\n")
	sc.AcceptData()
	sc.Send("150 Here comes the directory listing.\r\n")
	if len(lines) > 0 {
		sc.WriteData([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	}
	sc.CloseData()
	sc.Send("226 Directory send OK.\r\n")
}

// refusedListingSteps scripts a passive listing command answered with reply
// before any data moves.
func refusedListingSteps(sc *fakeftp.Script, cmd, reply string) {
	sc.Expect("EPSV\r\n")
	sc.EPSV()
	sc.Expect(cmd + "\r\n")
	sc.Send(reply)
}

// lsDir and lsFile are ls -l lines for a directory and a file.
func lsDir(name string) string {
	return "drwxr-xr-x    2 u        u            4096 Jan 02  2020 " + name
}

func lsFile(name string, size string) string {
	return "-rw-r--r--    1 u        u        " + size + " Jan 02  2020 " + name
}

// featMLST is the FEAT answer of a server with MLST.
const featMLST = "211-Features:\r\n MDTM\r\n MLST type*;size*;modify*;\r\n SIZE\r\n211 End\r\n"

func entryNames(entries []*Entry) []string {
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	return names
}

func TestListAllShowsDotfiles(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featNoMLST)
		listingSteps(sc, "LIST -a /home/u", lsDir(".config"), lsFile(".bashrc", "12"), lsFile("notes.txt", "3"))
		listingSteps(sc, "LIST -a", lsFile(".x", "1"))
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	entries, err := c.ListAll(ctx, "/home/u")
	require.NoError(t, err)
	assert.Equal(t, []string{".config", ".bashrc", "notes.txt"}, entryNames(entries))
	assert.Equal(t, EntryDir, entries[0].Type)
	entries, err = c.ListAll(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, []string{".x"}, entryNames(entries))
	require.NoError(t, c.Close())
	assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a /home/u\r\nEPSV\r\nLIST -a\r\nQUIT\r\n", srv.Transcript())
}

// A backup walk must not lose .config: Walk lists with LIST -a.
func TestWalkSeesDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featNoMLST)
		listingSteps(sc, "LIST -a", lsDir(".config"), lsFile("notes.txt", "3"))
		listingSteps(sc, "LIST -a .config", lsFile("app.toml", "9"))
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	var paths []string
	require.NoError(t, c.Walk(fakeftp.Ctx(t), "", nil, func(p string, e *Entry, err error) error {
		paths = append(paths, p)
		return err
	}))
	assert.Equal(t, []string{"", ".config", ".config/app.toml", "notes.txt"}, paths)
	require.NoError(t, c.Close())
	assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a\r\nEPSV\r\nLIST -a .config\r\nQUIT\r\n", srv.Transcript())
}

func TestListAllFallsBackToBareLIST(t *testing.T) {
	for _, code := range []string{"500", "501", "502", "504"} {
		t.Run(code+" refusal is remembered", func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("FEAT\r\n")
				sc.Send(featNoMLST)
				refusedListingSteps(sc, "LIST -a /d", code+" Unknown option -a.\r\n")
				listingSteps(sc, "LIST /d", lsFile("a", "1"))
				// The next listing on this Conn goes straight to LIST.
				listingSteps(sc, "LIST /e", lsFile("b", "2"))
				sc.Quit()
			})
			c := dialFake(t, srv, nil)
			ctx := fakeftp.Ctx(t)
			entries, err := c.ListAll(ctx, "/d")
			require.NoError(t, err)
			assert.Equal(t, []string{"a"}, entryNames(entries))
			entries, err = c.ListAll(ctx, "/e")
			require.NoError(t, err)
			assert.Equal(t, []string{"b"}, entryNames(entries))
			require.NoError(t, c.Close())
			assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a /d\r\nEPSV\r\nLIST /d\r\nEPSV\r\nLIST /e\r\nQUIT\r\n", srv.Transcript())
		})
	}

	t.Run("-a taken as a file name", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featNoMLST)
			refusedListingSteps(sc, "LIST -a /d", "550 -a /d: No such file or directory.\r\n")
			listingSteps(sc, "LIST /d", lsFile("a", "1"))
			listingSteps(sc, "LIST /e", lsFile("b", "2"))
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		entries, err := c.ListAll(ctx, "/d")
		require.NoError(t, err)
		assert.Equal(t, []string{"a"}, entryNames(entries))
		entries, err = c.ListAll(ctx, "/e")
		require.NoError(t, err)
		assert.Equal(t, []string{"b"}, entryNames(entries))
		require.NoError(t, c.Close())
		assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a /d\r\nEPSV\r\nLIST /d\r\nEPSV\r\nLIST /e\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("missing directory is not a refusal", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featNoMLST)
			refusedListingSteps(sc, "LIST -a /nope", "550 /nope: No such file or directory.\r\n")
			refusedListingSteps(sc, "LIST /nope", "550 /nope: No such file or directory.\r\n")
			listingSteps(sc, "LIST -a /d", lsFile(".a", "1"))
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		_, err := c.ListAll(ctx, "/nope")
		assert.ErrorIs(t, err, fs.ErrNotExist)
		var fe *Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "LIST /nope", fe.Command)
		entries, err := c.ListAll(ctx, "/d")
		require.NoError(t, err)
		assert.Equal(t, []string{".a"}, entryNames(entries))
		require.NoError(t, c.Close())
		assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a /nope\r\nEPSV\r\nLIST /nope\r\nEPSV\r\nLIST -a /d\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("empty answer to -a checked once", func(t *testing.T) {
		// A server that reads "-a /d" as one name may answer with an empty
		// listing: an empty answer is checked with a bare LIST until LIST -a
		// has shown an entry.
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featNoMLST)
			listingSteps(sc, "LIST -a /empty")
			listingSteps(sc, "LIST /empty")
			listingSteps(sc, "LIST -a /d", lsFile("a", "1"))
			listingSteps(sc, "LIST -a /empty")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		entries, err := c.ListAll(ctx, "/empty")
		require.NoError(t, err)
		assert.Empty(t, entries)
		entries, err = c.ListAll(ctx, "/d")
		require.NoError(t, err)
		assert.Equal(t, []string{"a"}, entryNames(entries))
		entries, err = c.ListAll(ctx, "/empty")
		require.NoError(t, err)
		assert.Empty(t, entries)
		require.NoError(t, c.Close())
		assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a /empty\r\nEPSV\r\nLIST /empty\r\n"+
			"EPSV\r\nLIST -a /d\r\nEPSV\r\nLIST -a /empty\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("empty answer to -a, entries without", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featNoMLST)
			listingSteps(sc, "LIST -a /d")
			listingSteps(sc, "LIST /d", lsFile("b", "2"))
			listingSteps(sc, "LIST /e", lsFile("c", "3"))
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		entries, err := c.ListAll(ctx, "/d")
		require.NoError(t, err)
		assert.Equal(t, []string{"b"}, entryNames(entries))
		entries, err = c.ListAll(ctx, "/e")
		require.NoError(t, err)
		assert.Equal(t, []string{"c"}, entryNames(entries))
		require.NoError(t, c.Close())
		assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a /d\r\nEPSV\r\nLIST /d\r\nEPSV\r\nLIST /e\r\nQUIT\r\n", srv.Transcript())
	})
}

// GNU inetutils and netkit ftpd hand "LIST my dir" to ls split at spaces:
// such a directory, and one whose path starts with '-', is listed from
// inside, and the working directory is restored.
func TestListInsideAwkwardDirectory(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featNoMLST)
		sc.Expect("PWD\r\n")
		sc.Send("257 \"/home/u\" is the current directory.\r\n")
		sc.Expect("CWD /pub/my dir\r\n")
		sc.Send("250 OK\r\n")
		listingSteps(sc, "LIST -a", lsFile(".hidden", "1"), lsFile("a b.txt", "2"))
		sc.Expect("CWD /home/u\r\n")
		sc.Send("250 OK\r\n")
		// The working directory is known now: no PWD.
		sc.Expect("CWD -rf\r\n")
		sc.Send("250 OK\r\n")
		listingSteps(sc, "LIST", lsFile("x", "1"))
		sc.Expect("CWD /home/u\r\n")
		sc.Send("250 OK\r\n")
		// A missing one: the CWD's error, nothing listed.
		sc.Expect("CWD no such\r\n")
		sc.Send("550 no such: No such file or directory.\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	entries, err := c.ListAll(ctx, "/pub/my dir")
	require.NoError(t, err)
	assert.Equal(t, []string{".hidden", "a b.txt"}, entryNames(entries))
	entries, err = c.List(ctx, "-rf")
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, entryNames(entries))
	_, err = c.ListAll(ctx, "no such")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, c.Close())
	assert.Equal(t, loginLines+"FEAT\r\nPWD\r\nCWD /pub/my dir\r\nEPSV\r\nLIST -a\r\nCWD /home/u\r\n"+
		"CWD -rf\r\nEPSV\r\nLIST\r\nCWD /home/u\r\nCWD no such\r\nQUIT\r\n", srv.Transcript())
}

// A failed listing inside the directory still returns to the working
// directory before its error is returned.
func TestListInsideReturnsAfterFailure(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featNoMLST)
		sc.Expect("PWD\r\n")
		sc.Send("257 \"/\" is the current directory.\r\n")
		sc.Expect("CWD my dir\r\n")
		sc.Send("250 OK\r\n")
		refusedListingSteps(sc, "LIST -a", "450 Cannot read the directory.\r\n")
		refusedListingSteps(sc, "LIST", "450 Cannot read the directory.\r\n")
		sc.Expect("CWD /\r\n")
		sc.Send("250 OK\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	_, err := c.ListAll(fakeftp.Ctx(t), "my dir")
	var fe *Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 450, fe.Code)
	require.NoError(t, c.Close())
	assert.Equal(t, loginLines+"FEAT\r\nPWD\r\nCWD my dir\r\nEPSV\r\nLIST -a\r\nEPSV\r\nLIST\r\nCWD /\r\nQUIT\r\n", srv.Transcript())
}

// MLSD shows hidden entries and takes any path: nothing changes on servers
// with MLST.
func TestListAllWithMLSDUnchanged(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featMLST)
		listingSteps(sc, "MLSD /pub/my dir", "type=cdir; /pub/my dir", "type=file;size=1; .hidden", "type=dir; -sub")
		listingSteps(sc, "MLSD -x", "type=file;size=2; y")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	entries, err := c.ListAll(ctx, "/pub/my dir")
	require.NoError(t, err)
	assert.Equal(t, []string{".hidden", "-sub"}, entryNames(entries))
	entries, err = c.List(ctx, "-x")
	require.NoError(t, err)
	assert.Equal(t, []string{"y"}, entryNames(entries))
	require.NoError(t, c.Close())
	assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nMLSD /pub/my dir\r\nEPSV\r\nMLSD -x\r\nQUIT\r\n", srv.Transcript())
}

// RemoveAll must not leave a dotfile behind and then fail RMD.
func TestRemoveAllRemovesDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featNoMLST)
		sc.Expect("TYPE I\r\n")
		sc.Send("200 Type set to I.\r\n")
		sc.Expect("SIZE /d\r\n")
		sc.Send("550 /d: not a plain file.\r\n")
		listingSteps(sc, "LIST -a /", lsDir("d"))
		listingSteps(sc, "LIST -a /d", lsFile(".config", "4"))
		sc.Expect("DELE /d/.config\r\n")
		sc.Send("250 Deleted.\r\n")
		sc.Expect("RMD /d\r\n")
		sc.Send("250 Removed.\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	require.NoError(t, c.RemoveAll(fakeftp.Ctx(t), "/d"))
	require.NoError(t, c.Close())
	assert.Equal(t, loginLines+"FEAT\r\nTYPE I\r\nSIZE /d\r\nEPSV\r\nLIST -a /\r\nEPSV\r\nLIST -a /d\r\nDELE /d/.config\r\nRMD /d\r\nQUIT\r\n",
		srv.Transcript())
}

// os.ReadDir shows dotfiles, and so does the io/fs view.
func TestFSReadDirShowsDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featNoMLST)
		listingSteps(sc, "LIST -a /root/d", lsFile(".env", "4"), lsFile("main.go", "10"))
		sc.Quit()
	})
	p := NewPool(srv.Addr, fakeConfig(), PoolOptions{MaxOpen: 1})
	fsys := NewFS(fakeftp.Ctx(t), p, "/root")
	entries, err := fs.ReadDir(fsys, "d")
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{".env", "main.go"}, names)
	require.NoError(t, p.Close())
	assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a /root/d\r\nQUIT\r\n", srv.Transcript())
}

func TestListAllInvalidArgument(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	for _, bad := range []string{"a\rb", "a\nb", "a\x00b", "é\n", "my dir\r\nDELE x"} {
		_, err := c.ListAll(fakeftp.Ctx(t), bad)
		assert.ErrorIs(t, err, ErrInvalidArgument, "%q", bad)
	}
	require.NoError(t, c.Close())
	assert.Equal(t, loginLines+"QUIT\r\n", srv.Transcript())
}

// The in-process server listing with LIST: a mirror down copies dotfiles
// and dot-directories.
func TestMirrorDownDotfilesWithLIST(t *testing.T) {
	srv := startServer(t, embedded.Options{DisableMLSD: true, DisableMLST: true})
	src := filepath.Join(srv.Root, "home")
	for rel, body := range map[string]string{
		".bashrc": "alias ll='ls -l'\n", ".config/app/settings.toml": "x = 1\n", "notes.txt": "n\n", "dir/.keep": "",
	} {
		p := filepath.Join(src, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	ctx := testCtx(t)
	p := NewPool(srv.Addr, nil, PoolOptions{MaxOpen: 2})
	defer p.Close()
	local := filepath.Join(t.TempDir(), "backup")
	st, err := p.MirrorDown(ctx, "/home", local, &MirrorOptions{Parallel: 2})
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
		sc.Send(featNoMLST)
		listingSteps(sc, "LIST -a", lsFile(".netrc", "20"), lsFile("a.txt", "1"))
		sc.Quit()
	})
	p := NewPool(srv.Addr, fakeConfig(), PoolOptions{MaxOpen: 1})
	var paths []string
	require.NoError(t, p.Walk(fakeftp.Ctx(t), "", &WalkOptions{Parallel: 1}, func(p string, e *Entry, err error) error {
		paths = append(paths, p)
		return err
	}))
	assert.Equal(t, []string{"", ".netrc", "a.txt"}, paths)
	require.NoError(t, p.Close())
	assert.Equal(t, loginLines+"FEAT\r\nEPSV\r\nLIST -a\r\nQUIT\r\n", srv.Transcript())
}

// A mirror down of a LIST server sees the dotfiles it is to copy (a dry
// run: what would be transferred, without transfers).
func TestMirrorDownDryRunSeesDotfilesWithLIST(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featNoMLST)
		sc.Expect("TYPE I\r\n")
		sc.Send("200 Type set to I.\r\n")
		sc.Expect("SIZE /home\r\n")
		sc.Send("550 /home: not a plain file.\r\n")
		listingSteps(sc, "LIST -a /", lsDir("home"))
		listingSteps(sc, "LIST -a /home", lsFile(".bashrc", "17"), lsDir(".ssh"), lsFile("notes.txt", "2"))
		listingSteps(sc, "LIST -a /home/.ssh", lsFile("config", "30"))
		sc.Quit()
	})
	p := NewPool(srv.Addr, fakeConfig(), PoolOptions{MaxOpen: 1})
	local := filepath.Join(t.TempDir(), "backup")
	st, err := p.MirrorDown(fakeftp.Ctx(t), "/home", local, &MirrorOptions{Parallel: 1, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, 3, st.Files, "%+v", *st)
	assert.Equal(t, int64(17+2+30), st.Bytes, "%+v", *st)
	require.NoError(t, p.Close())
	assert.Equal(t, loginLines+"FEAT\r\nTYPE I\r\nSIZE /home\r\nEPSV\r\nLIST -a /\r\nEPSV\r\nLIST -a /home\r\nEPSV\r\nLIST -a /home/.ssh\r\nQUIT\r\n",
		srv.Transcript())
}
