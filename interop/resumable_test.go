// The library's resumable helpers against each server: DownloadFile and
// UploadFile continuing a partial copy, and DownloadSegmented, with
// both ends compared byte for byte.

package interop

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/realservers"
	"github.com/seed362563c3/ftp/resume"
)

// resumeOpts keeps retries few and quick, so that a failing server costs
// seconds: a wrong result is wrong at any retry count.
func resumeOpts() *resume.Options {
	return &resume.Options{Retries: 2, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}
}

// onePool is a pool of one connection for a resumable transfer; the caller
// closes it (QUIT).
func (c *cell) onePool() *ftp.Pool {
	return ftp.NewPool(c.addr, c.cfg, &ftp.PoolOptions{MaxOpen: 1})
}

// withoutREST returns why the server has no REST, if it has none.
func (c *cell) withoutREST() (string, bool) {
	has, why := c.spec.Has(realservers.FeatureREST)
	return why, !has
}

// refusedIntact judges an operation on a server that lacks what it needs:
// it must fail and leave the destination as it was (before), or succeed
// with the right bytes (want). Anything else is data lost or corrupted
// behind an answer.
func (c *cell) refusedIntact(what string, opErr error, got, before, want []byte) error {
	if opErr == nil {
		return sameBytes(what+" (reported done)", got, want)
	}
	if err := sameBytes(what+" after a refusal ("+opErr.Error()+")", got, before); err != nil {
		return err
	}
	c.note(fmt.Sprintf("%s refused", what))
	return nil
}

// downloadFileResume continues a download from a local file that holds the
// first part of the data.
func (c *cell) downloadFileResume() error {
	const cut = 3<<20 + 4321
	local := filepath.Join(c.tmp, "resume-get.bin")
	if err := os.WriteFile(local, c.e.data[:cut], 0o644); err != nil {
		return err
	}
	p := c.onePool()
	res, err := resume.DownloadFile(c.ctx, p, c.path("file.bin"), local, resumeOpts())
	p.Close()
	got, rerr := os.ReadFile(local)
	if rerr != nil {
		return rerr
	}
	if why, lacks := c.withoutREST(); lacks {
		return c.refusedIntact("the local copy ("+why+")", err, got, c.e.data[:cut], c.e.data)
	}
	if err != nil {
		return withState(err, "the local copy", got, c.e.data[:cut], c.e.data)
	}
	if err := sameBytes("the local copy", got, c.e.data); err != nil {
		return fmt.Errorf("%w (DownloadFile reported %d bytes sent in %d attempts, resumed %v)", err, res.Sent, res.Attempts, res.Resumed)
	}
	// And the source is as it was.
	return c.checkDisk(c.path("file.bin"), c.e.data)
}

// withState adds to the error of a failed transfer what the destination
// holds now, when that is neither what it held before nor the whole data:
// a failure that left damage behind.
func withState(err error, what string, got, before, want []byte) error {
	if bytes.Equal(got, before) {
		return fmt.Errorf("%w (%s is as it was)", err, what)
	}
	if serr := sameBytes(what, got, want); serr != nil {
		return fmt.Errorf("%w; and %v", err, serr)
	}
	return err
}

// uploadFileResume continues an upload from a partial file that is put
// straight into the server's directory.
func (c *cell) uploadFileResume() error {
	const cut = 2<<20 + 999
	rel := c.path("resume-put.bin")
	if err := c.putOnDisk(rel, c.e.data[:cut]); err != nil {
		return err
	}
	p := c.onePool()
	res, err := resume.UploadFile(c.ctx, p, c.e.dataFile, rel, resumeOpts())
	p.Close()
	if err == nil && res.ResumedFrom != "" {
		c.note("UploadFile resumed by " + res.ResumedFrom)
	}
	got, rerr := os.ReadFile(c.onDisk(rel))
	if rerr != nil {
		return fmt.Errorf("on the server's disk: %w (UploadFile: %v)", rerr, err)
	}
	if why, lacks := c.withoutREST(); lacks {
		return c.refusedIntact("on the server's disk, "+rel+" ("+why+")", err, got, c.e.data[:cut], c.e.data)
	}
	if err != nil {
		return withState(err, "on the server's disk, "+rel, got, c.e.data[:cut], c.e.data)
	}
	if err := sameBytes("on the server's disk, "+rel, got, c.e.data); err != nil {
		return fmt.Errorf("%w (UploadFile reported %d bytes sent in %d attempts, resumed %v)", err, res.Sent, res.Attempts, res.Resumed)
	}
	// And as the client reads it back.
	back, err := c.readFrom("resume-put.bin", 0)
	if err != nil {
		return fmt.Errorf("reading resume-put.bin back: %w", err)
	}
	return sameBytes("resume-put.bin read back", back, c.e.data)
}

// segmented downloads the file over four connections at once. Each
// segment but the last ends with ABOR, whose answers the client waits for
// up to min(ReplyTimeout, 15 s): 5 s here, so that a server that answers
// ABOR in a way the client does not expect (pure-ftpd) costs seconds, not
// a quarter of a minute; the matrix notes the slow step.
func (c *cell) segmented() error {
	local := filepath.Join(c.tmp, "segmented.bin")
	cfg := c.cfg.Clone()
	cfg.ReplyTimeout = 5 * time.Second
	pool := ftp.NewPool(c.addr, cfg, &ftp.PoolOptions{MaxOpen: 4})
	defer pool.Close()
	res, err := resume.DownloadSegmented(c.ctx, pool, c.path("file.bin"), local, 4, resumeOpts())
	got, rerr := os.ReadFile(local)
	if why, lacks := c.withoutREST(); lacks {
		if err == nil && rerr != nil {
			return rerr
		}
		// Whatever a failed segmented download left is no copy.
		return c.refusedIntact("the segmented copy ("+why+")", err, got, got, c.e.data)
	}
	if err != nil {
		return err
	}
	if rerr != nil {
		return rerr
	}
	if err := sameBytes("the segmented copy", got, c.e.data); err != nil {
		return fmt.Errorf("%w (DownloadSegmented reported %d bytes sent in %d attempts)", err, res.Sent, res.Attempts)
	}
	return nil
}
