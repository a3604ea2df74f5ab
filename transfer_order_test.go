// Transcript tests of the order of a transfer's commands (REST right before
// the transfer command) and of which error wins when the server refuses a
// command whose data connection failed too.

package ftp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedPort returns a loopback port that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// wantCommands asserts the command lines of a transcript after the login.
func wantCommands(t *testing.T, srv *fakeftp.Server, want ...string) {
	t.Helper()
	lines := fakeftp.Lines(srv.Transcript())
	require.GreaterOrEqual(t, len(lines), 2, "transcript %q", srv.Transcript())
	assert.Equal(t, want, lines[2:], "commands after USER and PASS")
}

// TestTranscriptRestImmediatelyBeforeTransfer: REST must be "immediately
// followed by" the transfer command (RFC 959): BSD-derived servers forget
// the restart point on EPSV, PASV, EPRT or PORT, and would send the whole
// file to be appended, or overwrite an upload's first part.
func TestTranscriptRestImmediatelyBeforeTransfer(t *testing.T) {
	content := []byte("the second half")
	t.Run("RETR over EPSV", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("EPSV\r\n")
			sc.EPSV()
			sc.Expect("REST 100\r\n")
			sc.Send("350 restarting at 100\r\n")
			sc.Expect("RETR f\r\n")
			sc.AcceptData()
			sc.Send("150 ok\r\n")
			sc.WriteData(content)
			sc.CloseData()
			sc.Send("226 done\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		r, err := c.RetrieveFrom(fakeftp.Ctx(t), "f", 100)
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, content, got)
		require.NoError(t, c.Close())
		srv.Wait()
		wantCommands(t, srv, "TYPE I", "EPSV", "REST 100", "RETR f", "QUIT")
	})
	t.Run("STOR over PASV after a refused EPSV", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("EPSV\r\n")
			sc.Send("500 unknown command\r\n")
			sc.Expect("PASV\r\n")
			sc.PASV()
			sc.Expect("REST 7\r\n")
			sc.Send("350 restarting at 7\r\n")
			sc.Expect("STOR f\r\n")
			sc.AcceptData()
			sc.Send("150 ok\r\n")
			sc.ReadDataAll()
			sc.Send("226 done\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		n, err := send(c.StoreFrom(fakeftp.Ctx(t), "f", 7))(bytes.NewReader(content))
		require.NoError(t, err)
		assert.Equal(t, int64(len(content)), n)
		require.NoError(t, c.Close())
		srv.Wait()
		assert.Equal(t, content, srv.Upload(0))
		wantCommands(t, srv, "TYPE I", "EPSV", "PASV", "REST 7", "STOR f", "QUIT")
	})
	t.Run("RETR in active mode", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.ExpectActive("EPRT", "200 ok\r\n")
			sc.Expect("REST 100\r\n")
			sc.Send("350 restarting at 100\r\n")
			sc.Expect("RETR f\r\n")
			sc.ConnectData()
			sc.Send("150 ok\r\n")
			sc.WriteData(content)
			sc.CloseData()
			sc.Send("226 done\r\n")
			sc.Quit()
		})
		cfg := fakeConfig()
		cfg.Active = &ActiveConfig{}
		c := dialFake(t, srv, cfg)
		r, err := c.RetrieveFrom(fakeftp.Ctx(t), "f", 100)
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, content, got)
		require.NoError(t, c.Close())
		srv.Wait()
		lines := fakeftp.Lines(srv.Transcript())
		require.Len(t, lines, 7)
		assert.True(t, strings.HasPrefix(lines[3], "EPRT |1|127.0.0.1|"), lines[3])
		assert.Equal(t, []string{"REST 100", "RETR f", "QUIT"}, lines[4:])
	})
	t.Run("REST sent again after the fall back to PASV", func(t *testing.T) {
		port := closedPort(t)
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("EPSV\r\n")
			sc.Send("229 Entering Extended Passive Mode (|||" + itoa64(int64(port)) + "|)\r\n")
			sc.Expect("REST 100\r\n")
			sc.Send("350 restarting at 100\r\n")
			sc.Expect("RETR f\r\n")
			sc.Expect("ABOR\r\n")
			sc.Send("425 no data connection\r\n225 ABOR ok\r\n")
			sc.Expect("PASV\r\n")
			sc.PASV()
			sc.Expect("REST 100\r\n")
			sc.Send("350 restarting at 100\r\n")
			sc.Expect("RETR f\r\n")
			sc.AcceptData()
			sc.Send("150 ok\r\n")
			sc.WriteData(content)
			sc.CloseData()
			sc.Send("226 done\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		r, err := c.RetrieveFrom(fakeftp.Ctx(t), "f", 100)
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, content, got)
		require.NoError(t, c.Close())
		srv.Wait()
		wantCommands(t, srv, "TYPE I", "EPSV", "REST 100", "RETR f", "ABOR", "PASV", "REST 100", "RETR f", "QUIT")
	})
}

// TestTranscriptRefusalWinsOverDataConnection: a server that refuses RETR
// closes its passive port, so the client's data connection fails too. The
// refusal (550: errors.Is fs.ErrNotExist) is the answer, not "connection
// refused", and it says nothing about EPSV: the session keeps it.
func TestTranscriptRefusalWinsOverDataConnection(t *testing.T) {
	port := closedPort(t)
	content := []byte("still EPSV")
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.Send("229 Entering Extended Passive Mode (|||" + itoa64(int64(port)) + "|)\r\n")
		sc.Expect("RETR missing\r\n")
		sc.Send("550 missing: No such file or directory\r\n")
		// The client sends ABOR when it saw its dial fail before the 550
		// arrived; either way the next command is EPSV.
		sc.ExpectFunc("ABOR or EPSV", func(s *fakeftp.Session, line string) error {
			if line == "ABOR\r\n" {
				if err := s.WriteCtl([]byte("225 no transfer to abort\r\n")); err != nil {
					return err
				}
				var err error
				if line, err = s.ReadLine(); err != nil {
					return err
				}
			}
			if line != "EPSV\r\n" {
				return fmt.Errorf("client sent %q, want EPSV", line)
			}
			port, err := s.ListenData()
			if err != nil {
				return err
			}
			return s.WriteCtl(fmt.Appendf(nil, "229 Entering Extended Passive Mode (|||%d|)\r\n", port))
		})
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 ok\r\n")
		sc.WriteData(content)
		sc.CloseData()
		sc.Send("226 done\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	_, err := c.Retrieve(ctx, "missing")
	require.Error(t, err)
	assert.True(t, errors.Is(err, fs.ErrNotExist), "error %v does not match fs.ErrNotExist", err)
	var fe *Error
	require.True(t, errors.As(err, &fe), "error %v is not an *Error", err)
	assert.Equal(t, StatusFileUnavailable, fe.Code)
	assert.Equal(t, "RETR missing", fe.Command)
	assert.False(t, errors.Is(err, ErrDataConnection), "the refusal is not a data connection failure: %v", err)

	r, err := c.Retrieve(ctx, "f")
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.Equal(t, content, got)
	require.NoError(t, c.Close())
	srv.Wait()
	lines := fakeftp.Lines(srv.Transcript())
	if len(lines) > 5 && lines[5] == "ABOR" {
		lines = append(lines[:5], lines[6:]...)
	}
	assert.Equal(t, []string{"TYPE I", "EPSV", "RETR missing", "EPSV", "RETR f", "QUIT"}, lines[min(2, len(lines)):])
}
