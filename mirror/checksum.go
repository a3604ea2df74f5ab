// Options.Checksum: files of the same size compared by the server's
// checksum and a local one, instead of by time.

package mirror

import (
	"context"
	"encoding/hex"
	"io"
	"strings"
	"sync"

	"github.com/seed362563c3/ftp"
)

// checksums is the algorithm a mirror compares with, chosen once.
type checksums struct {
	once sync.Once
	algo string // "" when the server offers none
}

// algorithm returns the best algorithm the server offers, or "" (noted
// in Stats.Notes) when it has none.
func (m *mirror) algorithm(ctx context.Context) string {
	m.sums.once.Do(func() {
		var algos []string
		err := with(ctx, m.p, func(c *ftp.Conn) (err error) { algos, err = c.HashAlgorithms(ctx); return err })
		if err == nil && len(algos) > 0 {
			m.sums.algo = algos[0]
			return
		}
		m.note("the server offers no checksum (HASH, XSHA256, XSHA1, XMD5, XCRC): files were compared by size and time")
	})
	return m.sums.algo
}

// sameContent reports whether the file both ends hold is the same, by
// checksum; known is false when that could not be told (no algorithm,
// the server or the local file failed), and size and time decide.
func (m *mirror) sameContent(ctx context.Context, j *mirrorJob) (same, known bool) {
	if j.src.size < 0 || j.dst.size != j.src.size {
		return false, j.src.size >= 0 && j.dst.size >= 0
	}
	algo := m.algorithm(ctx)
	if algo == "" {
		return false, false
	}
	var remote string
	err := with(ctx, m.p, func(c *ftp.Conn) (err error) { remote, err = c.Hash(ctx, m.remotePath(j.rel), algo); return err })
	if err != nil {
		return false, false
	}
	local, err := m.localSum(j.rel, algo)
	if err != nil {
		return false, false
	}
	return strings.EqualFold(strings.TrimLeft(remote, "0"), strings.TrimLeft(local, "0")), true
}

// localSum is the checksum of the local file rel.
func (m *mirror) localSum(rel, algo string) (string, error) {
	name, err := m.localName(rel)
	if err != nil {
		return "", err
	}
	f, err := m.root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h, err := ftp.NewHash(algo)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
