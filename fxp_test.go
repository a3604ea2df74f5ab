// FXP: server-to-server copies between two in-process servers, refusals
// by either side, and the command order in a scripted transcript.

package ftp

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dialFrom logs in to srv from the local IP from, so that the servers see
// the client at an address other than the one they see each other at.
func dialFrom(t *testing.T, srv *embedded.Server, from string) *Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	cfg := &Config{User: "u", Password: "p"}
	cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	c, err := Dial(testCtx(t), srv.Addr, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestFXPCopiesBetweenServers(t *testing.T) {
	data := randomBytes(t, 5<<20+17)
	a := startServer(t, embedded.Options{User: "u", Password: "p", ForeignData: true})
	b := startServer(t, embedded.Options{User: "u", Password: "p", ForeignData: true})
	require.NoError(t, os.WriteFile(filepath.Join(a.Root, "src.bin"), data, 0o644))
	src, dst := dialFrom(t, a, "127.0.0.5"), dialFrom(t, b, "127.0.0.5")

	n, err := FXP(testCtx(t), dst, "copy.bin", src, "src.bin")
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	got, err := os.ReadFile(filepath.Join(b.Root, "copy.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "the destination's disk holds the source's bytes")

	// Both connections go on working.
	require.NoError(t, src.NoOp(testCtx(t)))
	require.NoError(t, dst.NoOp(testCtx(t)))
}

func TestFXPRefused(t *testing.T) {
	data := randomBytes(t, 1<<20)
	cases := []struct {
		name         string
		srcOK, dstOK bool
		side, hint   string
	}{
		{"source refuses a foreign PORT", false, true, "source", "port_promiscuous=YES"},
		{"destination refuses a foreign peer", true, false, "destination", "pasv_promiscuous=YES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := startServer(t, embedded.Options{User: "u", Password: "p", ForeignData: tc.srcOK})
			b := startServer(t, embedded.Options{User: "u", Password: "p", ForeignData: tc.dstOK})
			require.NoError(t, os.WriteFile(filepath.Join(a.Root, "src.bin"), data, 0o644))
			src, dst := dialFrom(t, a, "127.0.0.5"), dialFrom(t, b, "127.0.0.5")

			_, err := FXP(testCtx(t), dst, "copy.bin", src, "src.bin")
			require.ErrorIs(t, err, ErrFXPRefused)
			var fe *FXPError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.side, fe.Side)
			assert.Contains(t, err.Error(), tc.hint)
			require.NoError(t, src.NoOp(testCtx(t)), "the source connection is usable after the refusal")
			require.NoError(t, dst.NoOp(testCtx(t)), "the destination connection is usable after the refusal")
		})
	}
}

func TestFXPBadArguments(t *testing.T) {
	a := startServer(t, embedded.Options{User: "u", Password: "p", ForeignData: true})
	src := dialFrom(t, a, "127.0.0.1")
	dst := dialFrom(t, a, "127.0.0.1")
	ctx := testCtx(t)
	_, err := FXP(ctx, src, "x", src, "y")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = FXP(ctx, dst, "x\r\nDELE y", src, "y")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = FXP(ctx, dst, "x", src, "missing")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, ErrFXPRefused)
}

// TestTranscriptFXP pins the dialogue: the destination listens (EPSV),
// the source is pointed at it (EPRT with the destination's address), STOR
// goes out before RETR, and the copy is checked with SIZE on both sides.
// A size that differs is a LengthError, never a success.
func TestTranscriptFXP(t *testing.T) {
	for _, dstSize := range []string{"1000", "999"} {
		t.Run("dst size "+dstSize, func(t *testing.T) {
			dst := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("TYPE I\r\n")
				sc.Send("200 ok\r\n")
				sc.Expect("EPSV\r\n")
				sc.Send("229 Entering Extended Passive Mode (|||40000|)\r\n")
				sc.Expect("STOR b\r\n")
				sc.Send("150 ok\r\n")
				sc.Send("226 stored\r\n")
				sc.Expect("SIZE b\r\n")
				sc.Send("213 " + dstSize + "\r\n")
				sc.Quit()
			})
			src := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("TYPE I\r\n")
				sc.Send("200 ok\r\n")
				sc.Expect("SIZE a\r\n")
				sc.Send("213 1000\r\n")
				sc.Expect("EPRT |1|127.0.0.1|40000|\r\n")
				sc.Send("200 ok\r\n")
				sc.Expect("RETR a\r\n")
				sc.Send("150 sending\r\n")
				sc.Send("226 sent\r\n")
				sc.Quit()
			})
			cd, cs := dialFake(t, dst, nil), dialFake(t, src, nil)
			n, err := FXP(testCtx(t), cd, "b", cs, "a")
			if dstSize == "1000" {
				require.NoError(t, err)
				assert.Equal(t, int64(1000), n)
			} else {
				var le *LengthError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, int64(1000), le.Want)
				assert.Equal(t, int64(999), le.Got)
			}
			require.NoError(t, cd.Close())
			require.NoError(t, cs.Close())
			dst.Wait()
			src.Wait()
		})
	}
}

// A source that cannot reach the destination (425) aborts the STOR the
// destination is waiting on, so both sessions stay in step.
func TestTranscriptFXPSourceCannotConnect(t *testing.T) {
	dst := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("PASV\r\n")
		sc.Send("227 Entering Passive Mode (10,1,2,3,156,64)\r\n")
		sc.Expect("STOR b\r\n")
		sc.Expect("ABOR\r\n")
		sc.Send("426 aborted\r\n")
		sc.Send("226 abort done\r\n")
		sc.Quit()
	})
	src := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("SIZE a\r\n")
		sc.Send("213 10\r\n")
		sc.Expect("EPRT |1|127.0.0.1|40000|\r\n")
		sc.Send("500 EPRT not understood\r\n")
		sc.Expect("PORT 127,0,0,1,156,64\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("RETR a\r\n")
		sc.Send("425 Failed to establish connection.\r\n")
		sc.Quit()
	})
	cfg := fakeConfig()
	cfg.DisableEPSV = true
	cd := dialFake(t, dst, cfg)
	cs := dialFake(t, src, nil)
	_, err := FXP(testCtx(t), cd, "b", cs, "a")
	require.ErrorIs(t, err, ErrFXPRefused)
	var fe *FXPError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "source", fe.Side)
	assert.True(t, strings.Contains(err.Error(), "425"), "%v", err)
	require.NoError(t, cd.Close())
	require.NoError(t, cs.Close())
	dst.Wait()
	src.Wait()
	assert.False(t, errors.Is(err, fs.ErrNotExist))
}
