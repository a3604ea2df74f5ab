// Hidden files and awkward paths in listings on servers without MLSD:
// ListAll's LIST -a and its fallbacks, listing inside a directory whose
// path has spaces, and the walkers that use ListAll (transcript tests); a
// mirror of dotfiles from the in-process server listing with LIST; and the
// notes a Conn keeps of its server.

package ftp

import (
	"io/fs"
	"testing"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
		sc.Send(fakeftp.FeatNoMLST)
		sc.Listing("LIST -a /home/u", fakeftp.LsDir(".config"), fakeftp.LsFile(".bashrc", "12"), fakeftp.LsFile("notes.txt", "3"))
		sc.Listing("LIST -a", fakeftp.LsFile(".x", "1"))
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
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a /home/u\r\nEPSV\r\nLIST -a\r\nQUIT\r\n", srv.Transcript())
}

func TestListAllFallsBackToBareLIST(t *testing.T) {
	for _, code := range []string{"500", "501", "502", "504"} {
		t.Run(code+" refusal is remembered", func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("FEAT\r\n")
				sc.Send(fakeftp.FeatNoMLST)
				sc.RefusedListing("LIST -a /d", code+" Unknown option -a.\r\n")
				sc.Listing("LIST /d", fakeftp.LsFile("a", "1"))
				// The next listing on this Conn goes straight to LIST.
				sc.Listing("LIST /e", fakeftp.LsFile("b", "2"))
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
			assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a /d\r\nEPSV\r\nLIST /d\r\nEPSV\r\nLIST /e\r\nQUIT\r\n", srv.Transcript())
		})
	}

	t.Run("-a taken as a file name", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(fakeftp.FeatNoMLST)
			sc.RefusedListing("LIST -a /d", "550 -a /d: No such file or directory.\r\n")
			sc.Listing("LIST /d", fakeftp.LsFile("a", "1"))
			sc.Listing("LIST /e", fakeftp.LsFile("b", "2"))
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
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a /d\r\nEPSV\r\nLIST /d\r\nEPSV\r\nLIST /e\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("missing directory is not a refusal", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(fakeftp.FeatNoMLST)
			sc.RefusedListing("LIST -a /nope", "550 /nope: No such file or directory.\r\n")
			sc.RefusedListing("LIST /nope", "550 /nope: No such file or directory.\r\n")
			sc.Listing("LIST -a /d", fakeftp.LsFile(".a", "1"))
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
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a /nope\r\nEPSV\r\nLIST /nope\r\nEPSV\r\nLIST -a /d\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("empty answer to -a checked once", func(t *testing.T) {
		// A server that reads "-a /d" as one name may answer with an empty
		// listing: an empty answer is checked with a bare LIST until LIST -a
		// has shown an entry.
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(fakeftp.FeatNoMLST)
			sc.Listing("LIST -a /empty")
			sc.Listing("LIST /empty")
			sc.Listing("LIST -a /d", fakeftp.LsFile("a", "1"))
			sc.Listing("LIST -a /empty")
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
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a /empty\r\nEPSV\r\nLIST /empty\r\n"+
			"EPSV\r\nLIST -a /d\r\nEPSV\r\nLIST -a /empty\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("empty answer to -a, entries without", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(fakeftp.FeatNoMLST)
			sc.Listing("LIST -a /d")
			sc.Listing("LIST /d", fakeftp.LsFile("b", "2"))
			sc.Listing("LIST /e", fakeftp.LsFile("c", "3"))
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
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nLIST -a /d\r\nEPSV\r\nLIST /d\r\nEPSV\r\nLIST /e\r\nQUIT\r\n", srv.Transcript())
	})
}

// GNU inetutils and netkit ftpd hand "LIST my dir" to ls split at spaces:
// such a directory, and one whose path starts with '-', is listed from
// inside, and the working directory is restored.
func TestListInsideAwkwardDirectory(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Expect("PWD\r\n")
		sc.Send("257 \"/home/u\" is the current directory.\r\n")
		sc.Expect("CWD /pub/my dir\r\n")
		sc.Send("250 OK\r\n")
		sc.Listing("LIST -a", fakeftp.LsFile(".hidden", "1"), fakeftp.LsFile("a b.txt", "2"))
		sc.Expect("CWD /home/u\r\n")
		sc.Send("250 OK\r\n")
		// The working directory is known now: no PWD.
		sc.Expect("CWD -rf\r\n")
		sc.Send("250 OK\r\n")
		sc.Listing("LIST", fakeftp.LsFile("x", "1"))
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
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nPWD\r\nCWD /pub/my dir\r\nEPSV\r\nLIST -a\r\nCWD /home/u\r\n"+
		"CWD -rf\r\nEPSV\r\nLIST\r\nCWD /home/u\r\nCWD no such\r\nQUIT\r\n", srv.Transcript())
}

// A failed listing inside the directory still returns to the working
// directory before its error is returned.
func TestListInsideReturnsAfterFailure(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Expect("PWD\r\n")
		sc.Send("257 \"/\" is the current directory.\r\n")
		sc.Expect("CWD my dir\r\n")
		sc.Send("250 OK\r\n")
		sc.RefusedListing("LIST -a", "450 Cannot read the directory.\r\n")
		sc.RefusedListing("LIST", "450 Cannot read the directory.\r\n")
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
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nPWD\r\nCWD my dir\r\nEPSV\r\nLIST -a\r\nEPSV\r\nLIST\r\nCWD /\r\nQUIT\r\n", srv.Transcript())
}

// MLSD shows hidden entries and takes any path: nothing changes on servers
// with MLST.
func TestListAllWithMLSDUnchanged(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatMLST)
		sc.Listing("MLSD /pub/my dir", "type=cdir; /pub/my dir", "type=file;size=1; .hidden", "type=dir; -sub")
		sc.Listing("MLSD -x", "type=file;size=2; y")
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
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nEPSV\r\nMLSD /pub/my dir\r\nEPSV\r\nMLSD -x\r\nQUIT\r\n", srv.Transcript())
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
	assert.Equal(t, fakeftp.LoginLines+"QUIT\r\n", srv.Transcript())
}
