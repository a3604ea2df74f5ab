// Server-to-server copies (FXP) between real servers: vsftpd, proftpd
// and pure-ftpd configured to allow them copy a file to each other, and
// the bytes on the destination's disk are compared with the source's;
// with their default settings the copy is refused, with the setting to
// change named, and both sessions go on working.

package interop

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/realservers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientIP is the loopback address the client dials from in these tests,
// so that each server sees the other at an address that is not its
// client's, as FXP between two real hosts does.
const clientIP = "127.0.0.5"

// startFXP starts spec, plain, allowing FXP or not, on 127.0.0.1.
func startFXP(t *testing.T, spec *realservers.Spec, allow bool) *realservers.Server {
	t.Helper()
	if err := spec.Find(); err != nil {
		miss, _ := realservers.IsMissing(err)
		missing(t, miss)
	}
	e := getEnv(t)
	inst, err := spec.Start(e.Env, realservers.Options{TLS: realservers.Plain, AllowFXP: allow})
	require.NoError(t, err)
	t.Cleanup(inst.Stop)
	return inst
}

// dialFXP logs in to inst from clientIP.
func dialFXP(t *testing.T, inst *realservers.Server) *ftp.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}
	cfg := &ftp.Config{User: inst.User, Password: inst.Password, DialContext: d.DialContext}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := ftp.Dial(ctx, inst.Addr(), cfg)
	require.NoError(t, err, inst.LogTails())
	t.Cleanup(func() { c.Close() })
	return c
}

// placeFile puts data on inst's disk as name, owned by the login user.
func placeFile(t *testing.T, inst *realservers.Server, name string, data []byte) {
	t.Helper()
	p := filepath.Join(inst.Root, name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	e := getEnv(t)
	require.NoError(t, os.Chown(p, e.UID, e.GID))
}

func TestFXPBetweenRealServers(t *testing.T) {
	pairs := []struct{ src, dst *realservers.Spec }{
		{realservers.Vsftpd, realservers.Proftpd},
		{realservers.Proftpd, realservers.PureFTPd},
		{realservers.PureFTPd, realservers.Vsftpd},
	}
	for _, p := range pairs {
		t.Run(fmt.Sprintf("%s to %s", p.src.Name, p.dst.Name), func(t *testing.T) {
			data := getEnv(t).data
			a, b := startFXP(t, p.src, true), startFXP(t, p.dst, true)
			placeFile(t, a, "fxp-src.bin", data)
			src, dst := dialFXP(t, a), dialFXP(t, b)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()

			n, err := ftp.FXP(ctx, dst, "fxp-copy.bin", src, "fxp-src.bin")
			require.NoError(t, err, "%s\n%s", a.LogTails(), b.LogTails())
			assert.Equal(t, int64(len(data)), n)
			got, err := os.ReadFile(filepath.Join(b.Root, "fxp-copy.bin"))
			require.NoError(t, err)
			require.NoError(t, sameBytes("on the destination's disk", got, data))
			require.NoError(t, src.NoOp(ctx))
			require.NoError(t, dst.NoOp(ctx))
		})
	}
}

func TestFXPRefusedByDefault(t *testing.T) {
	cases := []struct {
		name               string
		srcAllow, dstAllow bool
		side, hint         string
	}{
		{"vsftpd source refuses a foreign PORT", false, true, "source", "port_promiscuous"},
		{"vsftpd destination refuses a foreign peer", true, false, "destination", "pasv_promiscuous"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srcSpec, dstSpec := realservers.Vsftpd, realservers.Proftpd
			if tc.side == "destination" {
				srcSpec, dstSpec = realservers.Proftpd, realservers.Vsftpd
			}
			a, b := startFXP(t, srcSpec, tc.srcAllow), startFXP(t, dstSpec, tc.dstAllow)
			placeFile(t, a, "fxp-src.bin", getEnv(t).data[:1<<20])
			src, dst := dialFXP(t, a), dialFXP(t, b)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()

			_, err := ftp.FXP(ctx, dst, "fxp-copy.bin", src, "fxp-src.bin")
			t.Log(err)
			require.ErrorIs(t, err, ftp.ErrFXPRefused)
			var fe *ftp.FXPError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.side, fe.Side, "%v", err)
			assert.True(t, strings.Contains(err.Error(), tc.hint), "%v", err)
			require.NoError(t, src.NoOp(ctx), "the source session survives")
			require.NoError(t, dst.NoOp(ctx), "the destination session survives")
		})
	}
}
