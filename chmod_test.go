// SITE CHMOD: the mode on the server's disk, refused modes, and a server
// without the command.

package ftp

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChmodOnDisk(t *testing.T) {
	c, srv := dialServer(t, nil)
	p := filepath.Join(srv.Root, "script.sh")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o644))
	for _, mode := range []fs.FileMode{0o750, 0o600, 0o644} {
		require.NoError(t, c.Chmod(testCtx(t), "script.sh", mode))
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, mode, fi.Mode().Perm())
	}
	for _, bad := range []fs.FileMode{0o4755, 0o2755, 0o1777, fs.ModeDir | 0o755} {
		assert.ErrorIs(t, c.Chmod(testCtx(t), "script.sh", bad), ErrInvalidArgument, "%v", bad)
	}
	assert.ErrorIs(t, c.Chmod(testCtx(t), "a\r\nDELE b", 0o644), ErrInvalidArgument)
	assert.ErrorIs(t, c.Chmod(testCtx(t), "missing", 0o644), fs.ErrNotExist)
}

func TestTranscriptChmodNotSupported(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("SITE CHMOD 640 f\r\n")
		sc.Send("500 Unknown SITE command.\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	assert.ErrorIs(t, c.Chmod(fakeftp.Ctx(t), "f", 0o640), ErrNotSupported)
	// Known now: not asked again.
	assert.ErrorIs(t, c.Chmod(fakeftp.Ctx(t), "g", 0o640), ErrNotSupported)
	require.NoError(t, c.Close())
	srv.Wait()
}
