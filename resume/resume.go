// Transfers that survive interruptions: reconnect, ask the server what it
// holds, continue with REST (or APPE), back off, verify.

package resume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/seed362563c3/ftp"
)

// Options configures Upload, Download and their File forms. The zero
// value (and nil) retries 5 times with backoff from 500 ms to 30 s,
// verifies nothing beyond the size, and reports no progress.
type Options struct {
	// Retries is how many further attempts follow a failed one; 0 means 5,
	// a negative value none.
	Retries int
	// Backoff is the first wait between attempts, doubled each time up to
	// MaxBackoff, with jitter. Zero means 500 ms and 30 s.
	Backoff, MaxBackoff time.Duration
	// Progress, when set, is called as the destination grows, with the
	// remote path, the bytes the destination holds so far (the resumed
	// part counted) and the file's size (-1 when unknown), from the
	// transferring goroutine.
	Progress ftp.Progress
	// Verify compares a checksum after the transfer: HASH or an X command
	// with the best algorithm the server offers (or HashAlgorithm), falling
	// back to comparing sizes, which is always done. A mismatch is an
	// error: the transfer is not reported as done.
	Verify bool
	// HashAlgorithm picks the checksum (HashSHA256, ...); "" picks the best.
	HashAlgorithm string
	// TempName uploads to a hidden ".NAME.part" beside the target and
	// renames it when complete and verified, so readers never see half a
	// file. The partial file is what a later call resumes.
	TempName bool
	// Fresh starts from zero whatever the destination holds when the call
	// begins (it is replaced); later attempts of the same call still resume
	// what the earlier ones sent. Without it a partial destination left by
	// an earlier call is continued when it is known to come from the same
	// source (see Journal), and replaced otherwise.
	Fresh bool
	// Journal, when set, is a directory where Upload keeps a small record
	// of the source it is sending to each remote file, written before the
	// first byte moves and removed when the upload is complete: for a file,
	// its size, modification time and a SHA-256 of its first and last MiB;
	// for another source, its size and SHA-256 (which reads all of it). A later call
	// continues a partial remote file only when the server can show with
	// a range checksum that it holds the source's first bytes (HASH with
	// RANG, or XSHA256/XSHA1/XMD5/XCRC with offsets), or when the record
	// says it came from the same source; otherwise it starts from zero, so
	// that half of one file is never completed with half of another.
	// Downloads resume a local partial file unless a range checksum shows
	// it differs from the remote file's start.
	Journal string
	// RequireChecksum fails before any byte moves, with an error matching
	// ErrNotSupported, when the server offers no checksum (HASH or an X
	// command), and verifies the result with one; it implies Verify.
	RequireChecksum bool

	// continuing: the destination's part was sent by the caller in this
	// same operation (a mirror handing a failed upload over), so it needs
	// no proof.
	continuing bool
}

func (o *Options) retries() int {
	switch {
	case o == nil || o.Retries == 0:
		return 5
	case o.Retries < 0:
		return 0
	}
	return o.Retries
}

func (o *Options) backoff(attempt int) time.Duration {
	first, most := 500*time.Millisecond, 30*time.Second
	if o != nil && o.Backoff > 0 {
		first = o.Backoff
	}
	if o != nil && o.MaxBackoff > 0 {
		most = o.MaxBackoff
	}
	d := first << min(attempt, 20)
	if d <= 0 || d > most {
		d = most
	}
	// Up to a quarter less, so that many clients do not retry in step.
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// Result says what a resumable transfer did.
type Result struct {
	Size     int64 // the file's size, -1 when the server reports none
	Sent     int64 // bytes moved over data connections, all attempts together
	Attempts int   // data transfers started (1 when nothing failed)
	Resumed  bool  // some attempt continued from an offset
	// Verified says what proved the result: the checksum algorithm whose
	// values matched ("SHA-256", ...), "size" when the sizes on both sides
	// matched and no checksum was asked for or offered, or "" when nothing
	// could be compared (the server reports no size).
	Verified string
	// ResumedFrom says how a partial destination that existed when the
	// call began was found to hold the source's first bytes before it was
	// continued: "range checksum" (the server's checksum of the part
	// matched), "journal" (Options.Journal's record of the source
	// matched), or "local file" (a download continuing a local file that
	// no range checksum could check). Empty when the call continued
	// nothing of an earlier one.
	ResumedFrom string
}

// Values of Result.ResumedFrom.
const (
	ResumedByRangeChecksum = "range checksum"
	ResumedByJournal       = "journal"
	ResumedLocalFile       = "local file"
)

// ErrRemoteLarger is matched when the destination already holds more
// bytes than the source: resuming would keep data that is not the
// source's, so nothing is sent.
var ErrRemoteLarger = errors.New("ftp: the destination is larger than the source")

// retryable reports whether an attempt that failed with err may succeed
// on a new connection: what ftp.Retryable says, and any failure of a
// transfer that had started (see interrupted), but never a destination
// larger than the source.
func retryable(err error) bool {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrRemoteLarger):
		return false
	case errors.As(err, new(*interruptedError)):
		return true
	}
	return ftp.Retryable(err)
}

// session holds the pooled connection of a resumable transfer across
// attempts.
type session struct {
	p    *ftp.Pool
	pc   *ftp.PoolConn
	opts *Options
}

func (s *session) conn(ctx context.Context) (*ftp.Conn, error) {
	if s.pc != nil && s.pc.Err() == nil {
		return s.pc.Conn, nil
	}
	if s.pc != nil {
		// What the old connection still carries must not race the new one.
		s.pc.WaitClosed(ctx)
		s.drop()
	}
	pc, err := s.p.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s.pc = pc
	return pc.Conn, nil
}

func (s *session) close() {
	if s.pc != nil {
		s.drop()
	}
}

// drop gives the connection back to the pool, which keeps it if healthy.
func (s *session) drop() {
	s.pc.Close()
	s.pc = nil
}

// retry waits before attempt+1, or reports why not.
func (s *session) retry(ctx context.Context, attempt int, err error) error {
	if attempt >= s.opts.retries() || !retryable(err) {
		return err
	}
	if s.pc != nil && s.pc.Err() != nil {
		s.pc.WaitClosed(ctx)
		s.drop()
	}
	t := time.NewTimer(s.opts.backoff(attempt))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w (while waiting to retry after: %w)", ctx.Err(), err)
	case <-t.C:
		return nil
	}
}

// remoteSize asks how many bytes the server holds (see sizeOf): 0 when
// the file does not exist, -1 when the server cannot tell.
func remoteSize(ctx context.Context, c *ftp.Conn, p string, known int64) (int64, error) {
	n, err := sizeOf(ctx, c, p, known)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	return n, err
}

// sizeOf returns the size of the file p: SIZE's answer or, from a server
// without SIZE (500, 501, 502, 504: aioftp), known when the caller has it
// from a listing (known >= 0), else Stat's (MLST, or the parent's
// listing); -1 when nothing tells. A p that is not a file is an error
// matching fs.ErrNotExist.
func sizeOf(ctx context.Context, c *ftp.Conn, p string, known int64) (int64, error) {
	n, err := c.Size(ctx, p)
	var fe *ftp.Error
	if err == nil || !errors.As(err, &fe) || !errors.Is(err, ftp.ErrNotSupported) {
		return n, err
	}
	if known >= 0 {
		return known, nil
	}
	e, err := c.Stat(ctx, p)
	if err != nil {
		return -1, err
	}
	if e.Type == ftp.EntryDir {
		return -1, fmt.Errorf("ftp: SIZE %s: %w: a directory, not a file", p, ftp.ErrInvalidArgument)
	}
	return e.Size, nil
}

// interruptedError marks the failure of a transfer that had started (the
// server answered 1xx): whatever the final reply's code, the next attempt
// continues from what arrived, unless the server says it is out of space.
type interruptedError struct{ err error }

func (e *interruptedError) Error() string { return e.err.Error() }
func (e *interruptedError) Unwrap() error { return e.err }

// interrupted marks err from a started transfer as worth a retry.
func interrupted(err error) error {
	var se *ftp.SourceError
	var fe *ftp.Error
	if err == nil || errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ftp.ErrVerify) ||
		errors.As(err, &fe) && (fe.Code == ftp.StatusExceededStorage || fe.Code == ftp.StatusInsufficientStorage || fe.Code == ftp.StatusBadFileName) {
		return err
	}
	return &interruptedError{err}
}

// checksumAlgo returns the algorithm to verify with: opts.HashAlgorithm,
// or the best the server offers. With none, it is "" unless
// RequireChecksum asks for one: then the error matches ErrNotSupported.
func checksumAlgo(ctx context.Context, c *ftp.Conn, opts *Options) (string, error) {
	algos, err := c.HashAlgorithms(ctx)
	if err != nil {
		return "", err
	}
	if want := strings.ToUpper(opts.HashAlgorithm); want != "" {
		if _, err := ftp.NewHash(want); err != nil {
			return "", err
		}
		if slices.Contains(algos, want) || !opts.RequireChecksum {
			return want, nil
		}
		return "", fmt.Errorf("ftp: verification: %w: the server offers no %s checksum (it has %q)", ftp.ErrNotSupported, want, algos)
	}
	if len(algos) == 0 {
		if opts.RequireChecksum {
			return "", fmt.Errorf("ftp: verification: %w: the server offers no checksum (HASH, XSHA256, XSHA1, XMD5 or XCRC)", ftp.ErrNotSupported)
		}
		return "", nil
	}
	return algos[0], nil
}

func localHash(r io.Reader, algo string) (string, error) {
	h, err := ftp.NewHash(algo)
	if err != nil {
		return "", err
	}
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{r}, make([]byte, 256<<10)); err != nil {
		return "", fmt.Errorf("ftp: hashing the local copy: %w", err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// sameHash compares hex checksums; CRC32 servers may drop leading zeros.
func sameHash(algo, a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if algo == ftp.HashCRC32 {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	}
	return a == b
}

// verifyHash compares the server's checksum of remote with local's when
// opts asks for it (Verify, RequireChecksum) and the server has one, and
// returns the algorithm; otherwise it returns verified, what was checked
// before.
func verifyHash(ctx context.Context, c *ftp.Conn, remote string, local io.Reader, opts *Options, verified string) (string, error) {
	if !opts.Verify && !opts.RequireChecksum {
		return verified, nil
	}
	algo, err := checksumAlgo(ctx, c, opts)
	if err != nil || algo == "" {
		return verified, err
	}
	remoteSum, err := c.Hash(ctx, remote, algo)
	if err != nil {
		return "", err
	}
	localSum, err := localHash(local, algo)
	if err != nil {
		return "", err
	}
	if !sameHash(algo, localSum, remoteSum) {
		return "", fmt.Errorf("%w: %s %s of %s is %s, the local copy's %s", ftp.ErrVerify, algo, "checksum", remote, remoteSum, localSum)
	}
	return algo, nil
}
