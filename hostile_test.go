// Transcript tests of hostile and odd servers: unsolicited replies, odd
// EPSV answers, NLST of nothing, deadlines around ABOR and handshakes.

package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTranscriptQueuedRepliesAfterRefusedAUTH: AUTH TLS is refused with
// more replies queued behind the refusal. The client must not take the
// queued "331" as the answer to USER: no credentials are sent, the
// session fails with the pipelining error.
func TestTranscriptQueuedRepliesAfterRefusedAUTH(t *testing.T) {
	for _, mode := range []TLSMode{TLSExplicit, TLSExplicitIfAvailable} {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Send("220 ready\r\n")
			sc.Expect("AUTH TLS\r\n")
			sc.Send("500 AUTH not understood\r\n331 Password required\r\n230 Logged in\r\n")
			sc.ExpectEOF()
		})
		cfg := fakeConfig()
		cfg.TLS = mode
		_, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrPipelinedTLS)
		assert.ErrorIs(t, err, ErrUnsolicitedReply)
		srv.Wait()
		assert.NotContains(t, srv.Transcript(), "USER", "credentials after queued replies")
	}
}

// TestTranscriptUnsolicitedReply: a reply that arrives with no command
// outstanding is a protocol error, not the answer to the next command.
func TestTranscriptUnsolicitedReply(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("NOOP\r\n")
		sc.Send("200 ok\r\n250 injected\r\n")
		sc.ExpectEOF()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	err := c.NoOp(ctx)
	assert.ErrorIs(t, err, ErrUnsolicitedReply)
	var pe *ProtocolError
	assert.True(t, errors.As(err, &pe))
	assert.ErrorIs(t, c.NoOp(ctx), ErrClosed)
	srv.Wait()
}

// TestTranscriptEPSVOddReply: EPSV answered with a code that is neither
// 229 nor 5xx falls back to PASV (and stays there), as in curl.
func TestTranscriptEPSVOddReply(t *testing.T) {
	for _, odd := range []string{"314 what is this\r\n", "200 EPSV ok\r\n", "450 try later\r\n"} {
		content := []byte("via PASV")
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("EPSV\r\n")
			sc.Send(odd)
			sc.Expect("PASV\r\n")
			sc.PASV()
			sc.Expect("RETR f\r\n")
			sc.AcceptData()
			sc.Send("150 ok\r\n")
			sc.WriteData(content)
			sc.CloseData()
			sc.Send("226 done\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		got := retrieveAll(t, fakeftp.Ctx(t), c, "f")
		assert.Equal(t, content, got)
		require.NoError(t, c.Close())
		srv.Wait()
	}
}

// TestTranscriptNLSTNoFiles: "450 No files found" (wu-ftpd, IIS) and a 550
// saying the same are an empty listing; a 550 for a missing directory
// stays an error.
func TestTranscriptNLSTNoFiles(t *testing.T) {
	for _, tc := range []struct {
		reply   string
		wantErr bool
	}{
		{"450 No files found\r\n", false},
		{"450 No files found.\r\n", false},
		{"550 No files found\r\n", false},
		{"550 d: No such file or directory\r\n", true},
		{"450 d: Permission denied\r\n", true},
	} {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("EPSV\r\n")
			sc.EPSV()
			sc.Expect("NLST d\r\n")
			sc.Send(tc.reply)
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		names, err := c.NameList(fakeftp.Ctx(t), "d")
		if tc.wantErr {
			assert.Error(t, err, tc.reply)
		} else {
			assert.NoError(t, err, tc.reply)
			assert.Empty(t, names)
		}
		require.NoError(t, c.Close())
		srv.Wait()
	}
}

// within runs f and fails the test unless it returns within limit.
func within(t *testing.T, limit time.Duration, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit + 10*time.Second):
		t.Fatalf("still running after %v", limit+10*time.Second)
	}
	took := time.Since(start)
	assert.Less(t, took, limit, "took %v", took)
	return took
}

// TestSilentImplicitTLSServer: a server that accepts and never answers
// the handshake is given up after ReplyTimeout.
func TestSilentImplicitTLSServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
		}
	}()
	cfg := &Config{TLS: TLSImplicit, ReplyTimeout: 500 * time.Millisecond}
	within(t, 2*time.Second, func() {
		_, err = Dial(context.Background(), l.Addr().String(), cfg)
	})
	var te *TLSError
	assert.True(t, errors.As(err, &te), "got %v", err)
}

// TestSilentDataHandshake: under PROT P, a data connection whose peer
// never answers the handshake is given up after DataTimeout, and Close
// from another goroutine ends the wait at once.
func TestSilentDataHandshake(t *testing.T) {
	f := startTLSFake(t, func(f *tlsFake) {
		f.silent = true
		f.files["f"] = []byte("never")
	})
	cfg := f.config(tls.VersionTLS13)
	cfg.DataTimeout = 500 * time.Millisecond
	c, err := Dial(testCtx(t), f.Addr, cfg)
	require.NoError(t, err)
	defer c.Close()
	within(t, 3*time.Second, func() { _, err = c.Retrieve(context.Background(), "f") })
	assert.ErrorIs(t, err, ErrDataConnection)

	cfg.DataTimeout = time.Minute
	c2, err := Dial(testCtx(t), f.Addr, cfg)
	require.NoError(t, err)
	go func() {
		time.Sleep(300 * time.Millisecond)
		c2.Close()
	}()
	within(t, 2*time.Second, func() { _, err = c2.Retrieve(context.Background(), "f") })
	assert.Error(t, err)
}

// TestTranscriptAborBoundedByContext: the data connection stalls and
// times out (DataTimeout) shortly before the caller's deadline; the server
// answers neither the transfer nor ABOR. Close returns at the caller's
// deadline, not after the abort's own limit (ReplyTimeout here).
func TestTranscriptAborBoundedByContext(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("RETR f\r\n")
		sc.AcceptData()
		sc.Send("150 ok\r\n")
		sc.Expect("ABOR\r\n")
		sc.ExpectEOF()
	})
	cfg := fakeConfig()
	cfg.ReplyTimeout = 4 * time.Second
	cfg.DataTimeout = 300 * time.Millisecond
	c := dialFake(t, srv, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	within(t, 1800*time.Millisecond, func() {
		r, err := c.Retrieve(ctx, "f")
		require.NoError(t, err)
		_, err = io.ReadAll(r)
		assert.ErrorIs(t, err, ErrDataConnection)
		assert.Error(t, r.Close(), "ABOR unanswered")
	})
	assert.ErrorIs(t, c.NoOp(context.Background()), ErrClosed)
	srv.Wait()
}

// TestTranscriptFinalReplyHonoursContext: the data of an upload arrived,
// the final reply never does: the caller's context ends the wait. And a
// server that sends 110 markers every 200 ms instead of a final reply is
// given up after ReplyTimeout in all, not per marker.
func TestTranscriptFinalReplyHonoursContext(t *testing.T) {
	upload := func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("STOR f\r\n")
		sc.AcceptData()
		sc.Send("150 ok\r\n")
		sc.ReadDataAll()
	}
	t.Run("no final reply", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			upload(sc)
			sc.ExpectEOF()
		})
		cfg := fakeConfig()
		cfg.ReplyTimeout = -1 // no limit of its own: only the context
		c := dialFake(t, srv, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
		defer cancel()
		var err error
		within(t, 2*time.Second, func() { _, err = send(c.Store(ctx, "f"))(strings.NewReader("data")) })
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		srv.Wait()
	})
	t.Run("110 markers for ever", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			upload(sc)
			for range 20 {
				sc.Add("110 marker", func(s *fakeftp.Session) error {
					time.Sleep(200 * time.Millisecond)
					s.WriteCtl([]byte("110 MARK 4 = 4\r\n"))
					return nil
				})
			}
		})
		cfg := fakeConfig()
		cfg.ReplyTimeout = 900 * time.Millisecond
		c := dialFake(t, srv, cfg)
		var err error
		within(t, 2*time.Second, func() { _, err = send(c.Store(context.Background(), "f"))(strings.NewReader("data")) })
		assert.Error(t, err, "no final reply is no success")
		assert.ErrorIs(t, c.NoOp(context.Background()), ErrClosed, "the dialogue is out of step: closed")
	})
}

// TestTranscriptActiveFinalReplyWhileWaiting: in active mode the server
// answers 150 and then, at once, 425 or 421, and never connects. The
// reply ends the wait for the data connection, not the accept timeout.
func TestTranscriptActiveFinalReplyWhileWaiting(t *testing.T) {
	for _, reply := range []string{"150 ok\r\n425 Can't open data connection\r\n", "150 ok\r\n421 Service shutting down\r\n", "425 Can't open data connection\r\n"} {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.ExpectActive("EPRT", "200 ok\r\n")
			sc.Expect("RETR f\r\n")
			sc.Send(reply)
			sc.Add("linger", func(s *fakeftp.Session) error {
				s.Ctl.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.Copy(io.Discard, s.BR)
				return nil
			})
		})
		cfg := fakeConfig()
		cfg.Active = &ActiveConfig{AcceptTimeout: 20 * time.Second}
		c := dialFake(t, srv, cfg)
		var err error
		within(t, 2*time.Second, func() { _, err = c.Retrieve(context.Background(), "f") })
		var fe *Error
		require.True(t, errors.As(err, &fe), "got %v", err)
		assert.Contains(t, []int{425, 421}, fe.Code)
	}
}

// TestTranscriptForeignConnectionFlood: 200 data connections from a
// foreign host are refused; the error counts them and names only a few.
func TestTranscriptForeignConnectionFlood(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.ExpectActive("EPRT", "200 EPRT ok\r\n")
		sc.Expect("RETR f\r\n")
		sc.Send("150 Opening data connection\r\n")
		sc.Add("flood", func(s *fakeftp.Session) error {
			d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
			for range 200 {
				nc, err := d.Dial("tcp", s.ActiveAddr)
				if err != nil {
					return err
				}
				nc.Close()
			}
			return nil
		})
		sc.Expect("ABOR\r\n")
		sc.Send("426 aborted\r\n226 ABOR ok\r\n")
		sc.Quit()
	})
	cfg := fakeConfig()
	cfg.Active = &ActiveConfig{AcceptTimeout: time.Second}
	c := dialFake(t, srv, cfg)
	_, err := c.Retrieve(fakeftp.Ctx(t), "f")
	require.ErrorIs(t, err, ErrForeignDataConnection)
	assert.Contains(t, err.Error(), "200 from 127.0.0.2:")
	assert.Contains(t, err.Error(), "and 197 more")
	assert.Less(t, len(err.Error()), 400, "the error names a few peers, not all: %d bytes", len(err.Error()))
	require.NoError(t, c.Close())
	srv.Wait()
}
