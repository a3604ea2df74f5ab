// SetModTime on servers with MFMT, with MDTM taking a time (vsftpd's
// mdtm_write), with SITE UTIME (proftpd's mod_site_misc, pure-ftpd) and
// with none of them: transcript tests.

package ftp

import (
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modTimeWant is the time the tests set, given in another zone: it goes on
// the wire in UTC, as 20200102030405.
var modTimeWant = time.Date(2020, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600))

const modTimeStamp = "20200102030405"

// vsftpd's FEAT: MDTM and SIZE, no MFMT.
const featVsftpd = "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"

func TestSetModTimeMFMT(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send("211-Features:\r\n MDTM\r\n MFMT\r\n SIZE\r\n211 End\r\n")
		sc.Expect("MFMT " + modTimeStamp + " a.txt\r\n")
		sc.Send("213 Modify=" + modTimeStamp + "; a.txt\r\n")
		sc.Expect("MFMT " + modTimeStamp + " b c.txt\r\n")
		sc.Send("213 Modify=" + modTimeStamp + "; b c.txt\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	require.NoError(t, c.SetModTime(ctx, "a.txt", modTimeWant))
	require.NoError(t, c.SetModTime(ctx, "b c.txt", modTimeWant))
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nMFMT "+modTimeStamp+" a.txt\r\nMFMT "+modTimeStamp+" b c.txt\r\nQUIT\r\n", srv.Transcript())
}

// vsftpd with mdtm_write=YES: the first success is proven by reading the
// time back; later calls trust the 213.
func TestSetModTimeMDTMWithTime(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featVsftpd)
		sc.Expect("MDTM " + modTimeStamp + " a.txt\r\n")
		sc.Send("213 File modification time set.\r\n")
		sc.Expect("MDTM a.txt\r\n")
		sc.Send("213 " + modTimeStamp + "\r\n")
		sc.Expect("MDTM " + modTimeStamp + " b.txt\r\n")
		sc.Send("213 File modification time set.\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	require.NoError(t, c.SetModTime(ctx, "a.txt", modTimeWant))
	require.NoError(t, c.SetModTime(ctx, "b.txt", modTimeWant))
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nMDTM "+modTimeStamp+" a.txt\r\nMDTM a.txt\r\nMDTM "+modTimeStamp+" b.txt\r\nQUIT\r\n",
		srv.Transcript())
}

// vsftpd without mdtm_write reads "MDTM 20200102030405 a.txt" as the name
// of a file; proftpd with mod_site_misc takes SITE UTIME.
func TestSetModTimeSiteUTIME(t *testing.T) {
	t.Run("after a MDTM that was read as a file name", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featVsftpd)
			sc.Expect("MDTM " + modTimeStamp + " a.txt\r\n")
			sc.Send("550 Could not get file modification time.\r\n")
			sc.Expect("MDTM a.txt\r\n")
			sc.Send("213 20240506070809\r\n") // a.txt exists: the MDTM form is not taken
			sc.Expect("SITE UTIME a.txt " + modTimeStamp + " " + modTimeStamp + " " + modTimeStamp + " UTC\r\n")
			sc.Send("200 SITE UTIME command successful\r\n")
			sc.Expect("SITE UTIME b.txt " + modTimeStamp + " " + modTimeStamp + " " + modTimeStamp + " UTC\r\n")
			sc.Send("200 SITE UTIME command successful\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		require.NoError(t, c.SetModTime(ctx, "a.txt", modTimeWant))
		require.NoError(t, c.SetModTime(ctx, "b.txt", modTimeWant))
		require.NoError(t, c.Close())
		utime := " " + modTimeStamp + " " + modTimeStamp + " " + modTimeStamp + " UTC\r\n"
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nMDTM "+modTimeStamp+" a.txt\r\nMDTM a.txt\r\n"+
			"SITE UTIME a.txt"+utime+"SITE UTIME b.txt"+utime+"QUIT\r\n", srv.Transcript())
	})

	t.Run("a 213 giving a time is a read, not a set", func(t *testing.T) {
		// A file named "20200102030405 a.txt" exists: the server answered
		// with its time.
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featVsftpd)
			sc.Expect("MDTM " + modTimeStamp + " a.txt\r\n")
			sc.Send("213 20110101000000\r\n")
			sc.Expect("SITE UTIME a.txt " + modTimeStamp + " " + modTimeStamp + " " + modTimeStamp + " UTC\r\n")
			sc.Send("200 SITE UTIME command successful\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		require.NoError(t, c.SetModTime(fakeftp.Ctx(t), "a.txt", modTimeWant))
		require.NoError(t, c.Close())
		srv.Wait()
	})

	t.Run("the older proftpd form", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send("211-Features:\r\n SIZE\r\n SITE UTIME\r\n211 End\r\n")
			sc.Expect("SITE UTIME a.txt " + modTimeStamp + " " + modTimeStamp + " " + modTimeStamp + " UTC\r\n")
			sc.Send("500 UTIME: Invalid argument\r\n")
			sc.Expect("SITE UTIME " + modTimeStamp + " a.txt\r\n")
			sc.Send("200 SITE UTIME command successful\r\n")
			sc.Expect("SITE UTIME " + modTimeStamp + " b.txt\r\n")
			sc.Send("200 SITE UTIME command successful\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		require.NoError(t, c.SetModTime(ctx, "a.txt", modTimeWant))
		require.NoError(t, c.SetModTime(ctx, "b.txt", modTimeWant))
		require.NoError(t, c.Close())
		srv.Wait()
	})
}

// Nothing works: the error matches ErrNotSupported, and the next call sends
// nothing.
func TestSetModTimeNotSupported(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featVsftpd)
		sc.Expect("MDTM " + modTimeStamp + " a.txt\r\n")
		sc.Send("550 Could not get file modification time.\r\n")
		sc.Expect("MDTM a.txt\r\n")
		sc.Send("213 20240506070809\r\n")
		sc.Expect("SITE UTIME a.txt " + modTimeStamp + " " + modTimeStamp + " " + modTimeStamp + " UTC\r\n")
		sc.Send("500 Unknown SITE command.\r\n")
		sc.Expect("SITE UTIME " + modTimeStamp + " a.txt\r\n")
		sc.Send("500 Unknown SITE command.\r\n")
		sc.Expect("NOOP\r\n")
		sc.Send("200 NOOP ok.\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	err := c.SetModTime(ctx, "a.txt", modTimeWant)
	require.ErrorIs(t, err, ErrNotSupported)
	err = c.SetModTime(ctx, "b.txt", modTimeWant)
	require.ErrorIs(t, err, ErrNotSupported, "known for the session: nothing is sent")
	require.NoError(t, c.NoOp(ctx))
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nMDTM "+modTimeStamp+" a.txt\r\nMDTM a.txt\r\n"+
		"SITE UTIME a.txt "+modTimeStamp+" "+modTimeStamp+" "+modTimeStamp+" UTC\r\n"+
		"SITE UTIME "+modTimeStamp+" a.txt\r\nNOOP\r\nQUIT\r\n", srv.Transcript())
}

// A missing file on a server whose method is not known yet is the file's
// error, and decides nothing about the server.
func TestSetModTimeMissingFileWhileProbing(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featVsftpd)
		sc.Expect("MDTM " + modTimeStamp + " gone.txt\r\n")
		sc.Send("550 Could not set file modification time.\r\n")
		sc.Expect("MDTM gone.txt\r\n")
		sc.Send("550 Could not get file modification time.\r\n")
		sc.Expect("MDTM " + modTimeStamp + " a.txt\r\n")
		sc.Send("213 File modification time set.\r\n")
		sc.Expect("MDTM a.txt\r\n")
		sc.Send("213 " + modTimeStamp + "\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	err := c.SetModTime(ctx, "gone.txt", modTimeWant)
	var fe *Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, StatusFileUnavailable, fe.Code)
	assert.NotErrorIs(t, err, ErrNotSupported)
	require.NoError(t, c.SetModTime(ctx, "a.txt", modTimeWant))
	require.NoError(t, c.Close())
	srv.Wait()
}

// A set that the read-back contradicts is not trusted.
func TestSetModTimeMDTMReadBackDiffers(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send("211-Features:\r\n MDTM\r\n211 End\r\n")
		sc.Expect("MDTM " + modTimeStamp + " a.txt\r\n")
		sc.Send("213 OK\r\n")
		sc.Expect("MDTM a.txt\r\n")
		sc.Send("213 20240506070809\r\n")
		sc.Expect("SITE UTIME a.txt " + modTimeStamp + " " + modTimeStamp + " " + modTimeStamp + " UTC\r\n")
		sc.Send("502 SITE not implemented.\r\n")
		sc.Expect("SITE UTIME " + modTimeStamp + " a.txt\r\n")
		sc.Send("502 SITE not implemented.\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	err := c.SetModTime(fakeftp.Ctx(t), "a.txt", modTimeWant)
	require.ErrorIs(t, err, ErrNotSupported)
	require.NoError(t, c.Close())
	srv.Wait()
}
