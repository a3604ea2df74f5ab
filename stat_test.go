// Stat, MakeDirAll and Walk on servers without MLST whose SIZE answers 213
// for a directory (Twisted's FTP server says "213 4096"): transcript tests.

package ftp

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatWithoutMLSTSizeOfDirectory(t *testing.T) {
	t.Run("directory answered 213, then a file", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(fakeftp.FeatNoMLST)
			sc.Expect("TYPE I\r\n")
			sc.Send("200 Type set to I.\r\n")
			sc.Expect("SIZE /pub\r\n")
			sc.Send("213 4096\r\n")
			sc.Expect("PWD\r\n")
			sc.Send("257 \"/home/u\" is the current directory.\r\n")
			sc.Expect("CWD /pub\r\n")
			sc.Send("250 Requested File Action Completed OK\r\n")
			sc.Expect("CWD /home/u\r\n")
			sc.Send("250 Requested File Action Completed OK\r\n")
			// The second Stat knows the working directory: no PWD.
			sc.StatFile("/pub/f.txt", "5", "20200102030405")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		e, err := c.Stat(ctx, "/pub")
		require.NoError(t, err)
		assert.Equal(t, EntryDir, e.Type, "a 213 to SIZE does not make a directory a file")
		assert.Equal(t, "pub", e.Name)
		assert.Equal(t, int64(-1), e.Size, "a directory's SIZE answer is not its size")

		e, err = c.Stat(ctx, "/pub/f.txt")
		require.NoError(t, err)
		assert.Equal(t, EntryFile, e.Type)
		assert.Equal(t, "f.txt", e.Name)
		assert.Equal(t, int64(5), e.Size)
		assert.True(t, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC).Equal(e.ModTime), "%v", e.ModTime)
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nTYPE I\r\nSIZE /pub\r\nPWD\r\nCWD /pub\r\nCWD /home/u\r\n"+
			"SIZE /pub/f.txt\r\nCWD /pub/f.txt\r\nMDTM /pub/f.txt\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("ChangeDir forgets the working directory", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(fakeftp.FeatNoMLST)
			sc.Expect("TYPE I\r\n")
			sc.Send("200 Type set to I.\r\n")
			sc.Expect("SIZE d\r\n")
			sc.Send("213 4096\r\n")
			sc.Expect("PWD\r\n")
			sc.Send("257 \"/\" is the current directory.\r\n")
			sc.Expect("CWD d\r\n")
			sc.Send("250 OK\r\n")
			sc.Expect("CWD /\r\n")
			sc.Send("250 OK\r\n")
			sc.Expect("CWD /pub\r\n")
			sc.Send("250 OK\r\n")
			sc.Expect("SIZE d\r\n")
			sc.Send("213 4096\r\n")
			sc.Expect("PWD\r\n")
			sc.Send("257 \"/pub\" is the current directory.\r\n")
			sc.Expect("CWD d\r\n")
			sc.Send("250 OK\r\n")
			sc.Expect("CWD /pub\r\n")
			sc.Send("250 OK\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		e, err := c.Stat(ctx, "d")
		require.NoError(t, err)
		assert.Equal(t, EntryDir, e.Type)
		require.NoError(t, c.ChangeDir(ctx, "/pub"))
		e, err = c.Stat(ctx, "d")
		require.NoError(t, err)
		assert.Equal(t, EntryDir, e.Type)
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nTYPE I\r\nSIZE d\r\nPWD\r\nCWD d\r\nCWD /\r\n"+
			"CWD /pub\r\nSIZE d\r\nPWD\r\nCWD d\r\nCWD /pub\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("missing", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(fakeftp.FeatNoMLST)
			sc.Expect("TYPE I\r\n")
			sc.Send("200 Type set to I.\r\n")
			sc.Expect("SIZE /pub/nope\r\n")
			sc.Send("550 /pub/nope: No such file or directory.\r\n")
			sc.Listing("LIST -a /pub", fakeftp.LsFile("other", "3"))
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		_, err := c.Stat(fakeftp.Ctx(t), "/pub/nope")
		assert.ErrorIs(t, err, fs.ErrNotExist)
		var fe *Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, StatusFileUnavailable, fe.Code)
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nTYPE I\r\nSIZE /pub/nope\r\nEPSV\r\nLIST -a /pub\r\nQUIT\r\n", srv.Transcript())
	})

	t.Run("cannot return", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(fakeftp.FeatNoMLST)
			sc.Expect("TYPE I\r\n")
			sc.Send("200 Type set to I.\r\n")
			sc.Expect("SIZE /pub\r\n")
			sc.Send("213 4096\r\n")
			sc.Expect("PWD\r\n")
			sc.Send("257 \"/gone\" is the current directory.\r\n")
			sc.Expect("CWD /pub\r\n")
			sc.Send("250 OK\r\n")
			sc.Expect("CWD /gone\r\n")
			sc.Send("550 /gone: No such file or directory.\r\n")
			sc.ExpectEOF()
		})
		c := dialFake(t, srv, nil)
		_, err := c.Stat(fakeftp.Ctx(t), "/pub")
		var fe *Error
		require.ErrorAs(t, err, &fe, "a working directory that could not be restored is an error")
		assert.Equal(t, "CWD /gone", fe.Command)
		// Left in /pub, the Conn would run every relative path there: it
		// is closed instead.
		assert.ErrorIs(t, c.Err(), ErrClosed)
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nTYPE I\r\nSIZE /pub\r\nPWD\r\nCWD /pub\r\nCWD /gone\r\n", srv.Transcript())
	})
}

func TestMakeDirAllExistingDirectorySizeAnswered(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("MKD /pub\r\n")
		sc.Send("550 /pub: File exists.\r\n")
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
		sc.Expect("MKD /pub/new\r\n")
		sc.Send("257 \"/pub/new\" created.\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	require.NoError(t, c.MakeDirAll(fakeftp.Ctx(t), "/pub/new"), "an existing directory is not an error")
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"MKD /pub\r\nFEAT\r\nTYPE I\r\nSIZE /pub\r\nPWD\r\nCWD /pub\r\nCWD /\r\nMKD /pub/new\r\nQUIT\r\n",
		srv.Transcript())
}

// The error of a failed Stat keeps the reply of the command that failed.
func TestStatWithoutMLSTConnectionError(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(fakeftp.FeatNoMLST)
		sc.Expect("TYPE I\r\n")
		sc.Send("200 Type set to I.\r\n")
		sc.Expect("SIZE /pub\r\n")
		sc.Send("213 4096\r\n")
		sc.Expect("PWD\r\n")
		sc.Send("421 Timeout.\r\n")
	})
	c := dialFake(t, srv, nil)
	_, err := c.Stat(fakeftp.Ctx(t), "/pub")
	var fe *Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, StatusNotAvailable, fe.Code)
	assert.True(t, errors.Is(c.Err(), ErrClosed))
	srv.Wait()
}
