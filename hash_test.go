// Transcript tests of range checksums.

package ftp

import (
	"errors"
	"testing"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHashRangeWithRANG: where FEAT lists HASH and RANG, a range checksum
// is RANG (inclusive end) then HASH, whose reply must name that range.
func TestHashRangeWithRANG(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send("211-Features:\r\n HASH SHA-256*;MD5\r\n RANG STREAM\r\n211 End\r\n")
		sc.Expect("OPTS HASH SHA-256\r\n")
		sc.Send("200 SHA-256\r\n")
		sc.Expect("RANG 0 99\r\n")
		sc.Send("350 Restarting at 0. Ending byte set at 99\r\n")
		sc.Expect("HASH f\r\n")
		sc.Send("213 SHA-256 0-99 3ec2f0a1 f\r\n")
		sc.Expect("RANG 0 49\r\n")
		sc.Send("350 ok\r\n")
		sc.Expect("HASH f\r\n")
		sc.Send("213 SHA-256 0-99 3ec2f0a1 f\r\n") // the wrong range
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	sum, err := c.HashRange(ctx, "f", HashSHA256, 0, 100)
	require.NoError(t, err)
	assert.Equal(t, "3ec2f0a1", sum)
	_, err = c.HashRange(ctx, "f", HashSHA256, 0, 50)
	var pe *ProtocolError
	assert.True(t, errors.As(err, &pe), "got %v", err)
	require.NoError(t, c.Close())
	srv.Wait()
}
