// Length invariants: a download succeeds only when its length agrees with
// what the server announced or the caller expected, and nothing is written
// past the expected length.

package ftp

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAnnouncedSize(t *testing.T) {
	for msg, want := range map[string]int64{
		"Opening BINARY mode data connection for file.bin (8388608 bytes).":      8388608,
		"Opening BINARY mode data connection for 'a (1) b' (12 bytes)":           12,
		"Opening BINARY connection for f (0 bytes)":                              0,
		"Accepted data connection\n8192.0 kbytes to download":                    -1,
		"File status okay. About to open data connection.":                       -1,
		"Opening data connection for x (12 Bytes)":                               12,
		"Opening for name (with parens) (77 bytes) ":                             77,
		"Opening (abc bytes)":                                                    -1,
		"Opening BINARY mode data connection for f (-5 bytes)":                   -1,
		"Opening BINARY mode data connection for f (99999999999999999999 bytes)": -1,
	} {
		assert.Equal(t, want, announcedSize(msg), msg)
	}
}

// shortScript serves RETR f with a 150 reply announcing announce bytes,
// then sends content and 226.
func shortScript(announce string, content []byte, rest string) func(sc *fakeftp.Script) {
	return func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		if rest != "" {
			sc.Expect("REST " + rest + "\r\n")
			sc.Send("350 ok\r\n")
		}
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 Opening BINARY mode data connection for f (" + announce + " bytes)\r\n")
		sc.WriteData(content)
		sc.CloseData()
		sc.Send("226 Transfer complete\r\n")
		sc.Quit()
	}
}

// TestDownloadShorterThanAnnounced: the server announces 10,000 bytes,
// sends 3,000 and says 226. That is not a complete download, by Read or by
// the zero-copy WriteTo into a file.
func TestDownloadShorterThanAnnounced(t *testing.T) {
	content := bytes.Repeat([]byte("x"), 3000)
	t.Run("Read", func(t *testing.T) {
		srv := fakeftp.Start(t, shortScript("10000", content, ""))
		c := dialFake(t, srv, nil)
		r, err := c.Retrieve(fakeftp.Ctx(t), "f")
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		assert.Len(t, got, 3000)
		var le *LengthError
		require.True(t, errors.As(err, &le), "want a *LengthError, got %v", err)
		assert.Equal(t, int64(10000), le.Want)
		assert.Equal(t, int64(3000), le.Got)
		assert.True(t, errors.Is(err, io.ErrUnexpectedEOF))
		assert.Error(t, r.Close(), "Close repeats the verdict")
	})
	t.Run("WriteTo a file", func(t *testing.T) {
		srv := fakeftp.Start(t, shortScript("10000", content, ""))
		c := dialFake(t, srv, nil)
		r, err := c.Retrieve(fakeftp.Ctx(t), "f")
		require.NoError(t, err)
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		require.NoError(t, err)
		defer f.Close()
		_, err = io.Copy(f, r)
		assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "got %v", err)
	})
	// Servers announce the whole file or the part after REST: both hold.
	for _, announce := range []string{"3100", "3000"} {
		t.Run("after REST 100, announced "+announce, func(t *testing.T) {
			srv := fakeftp.Start(t, shortScript(announce, content, "100"))
			c := dialFake(t, srv, nil)
			r, err := c.RetrieveFrom(fakeftp.Ctx(t), "f", 100)
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.Equal(t, content, got)
			require.NoError(t, r.Close())
		})
	}
	t.Run("ASCII is not counted", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE A\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("EPSV\r\n")
			sc.EPSV()
			sc.Expect("RETR f\r\n")
			sc.AcceptData()
			sc.Send("150 Opening ASCII mode data connection for f (12 bytes)\r\n")
			sc.WriteData([]byte("a\r\nb\r\nc\r\n"))
			sc.CloseData()
			sc.Send("226 done\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		require.NoError(t, c.SetType(TypeASCII))
		r, err := c.Retrieve(fakeftp.Ctx(t), "f")
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		assert.Equal(t, "a\nb\nc\n", string(got))
		require.NoError(t, r.Close())
	})
}

// TestExpectSizeStopsOverlongDownload: the caller expects 5 bytes and the
// server sends 64 KiB: no byte past the fifth is returned, the transfer is
// aborted and the error matches ErrVerify.
func TestExpectSizeStopsOverlongDownload(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 64<<10)
	script := func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 ok\r\n")
		sc.WriteData(big)
		sc.Expect("ABOR\r\n")
		sc.Send("426 aborted\r\n226 abort done\r\n")
		sc.Quit()
	}
	for _, how := range []string{"Read", "WriteTo"} {
		t.Run(how, func(t *testing.T) {
			srv := fakeftp.Start(t, script)
			c := dialFake(t, srv, nil)
			r, err := c.Retrieve(fakeftp.Ctx(t), "f")
			require.NoError(t, err)
			r.ExpectSize(5)
			var got []byte
			if how == "Read" {
				got, err = io.ReadAll(r)
			} else {
				var buf bytes.Buffer
				_, err = r.WriteTo(&buf)
				got = buf.Bytes()
			}
			assert.Equal(t, big[:5], got)
			assert.True(t, errors.Is(err, ErrVerify), "got %v", err)
			r.Close()
			require.NoError(t, c.Close())
			srv.Wait()
		})
	}
}

// TestDownloadLongerThanAnnounced: the 150 reply announces 10 bytes and the
// server sends 64 KiB: no byte past the tenth is returned.
func TestDownloadLongerThanAnnounced(t *testing.T) {
	big := bytes.Repeat([]byte("w"), 64<<10)
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 Opening BINARY mode data connection for f (10 bytes)\r\n")
		sc.WriteData(big)
		sc.Expect("ABOR\r\n")
		sc.Send("426 aborted\r\n226 abort done\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	r, err := c.Retrieve(fakeftp.Ctx(t), "f")
	require.NoError(t, err)
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	n, err := io.Copy(f, r)
	assert.Equal(t, int64(10), n)
	var le *LengthError
	require.True(t, errors.As(err, &le), "got %v", err)
	assert.Equal(t, "150 reply", le.Source)
	assert.True(t, errors.Is(err, ErrVerify))
	fi, err := f.Stat()
	require.NoError(t, err)
	assert.Equal(t, int64(10), fi.Size())
	r.Close()
	require.NoError(t, c.Close())
	srv.Wait()
}
