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
	"os"
	"path"
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

// UploadFile uploads the local file to remote, resuming across failures
// and across calls: a remote file shorter than the local one is taken as an
// earlier partial upload and continued (after checking its content with a
// range checksum where the server offers one).
func UploadFile(ctx context.Context, p *ftp.Pool, local, remote string, opts *Options) (*Result, error) {
	f, err := os.Open(local)
	if err != nil {
		return nil, fmt.Errorf("ftp: upload: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ftp: upload: %w", err)
	}
	return Upload(ctx, p, f, st.Size(), remote, opts)
}

// Upload uploads size bytes of src to remote as UploadFile does. An
// *os.File source is sent with sendfile(2).
func Upload(ctx context.Context, p *ftp.Pool, src io.ReaderAt, size int64, remote string, opts *Options) (*Result, error) {
	if size < 0 || remote == "" {
		return nil, fmt.Errorf("ftp: upload: %w: size %d, remote %q", ftp.ErrInvalidArgument, size, remote)
	}
	if opts == nil {
		opts = &Options{}
	}
	target := remote
	if opts.TempName {
		target = path.Join(path.Dir(remote), "."+path.Base(remote)+".part")
	}
	s := &session{p: p, opts: opts}
	defer s.close()
	res := &Result{Size: size}
	useAppend, checked, renaming := false, opts.continuing, false
	var record *resumeRecord // the source's, once written to the journal
	// Every step, verification and the rename included, runs inside the
	// retried loop: a connection lost after the data arrived costs one
	// more look, not the call.
	for attempt := 0; ; attempt++ {
		done, err := func() (bool, error) {
			c, err := s.conn(ctx)
			if err != nil {
				return false, err
			}
			if !checked && opts.RequireChecksum {
				if _, err := checksumAlgo(ctx, c, opts); err != nil {
					return false, err
				}
			}
			held, err := remoteSize(ctx, c, target, -1)
			if err != nil {
				return false, err
			}
			if renaming && held == 0 && target != remote {
				// The rename may have happened before the connection
				// was lost: the final name holds the file then.
				if n, err := remoteSize(ctx, c, remote, -1); err == nil && n == size {
					if res.Verified, err = verifyUpload(ctx, c, remote, src, size, n, opts); err != nil {
						return false, err
					}
					record.forget(opts)
					return true, nil
				}
			}
			if opts.Fresh && res.Attempts == 0 {
				held, checked = 0, true
			}
			if held > size {
				return false, fmt.Errorf("%w: %s holds %d bytes, the source %d", ErrRemoteLarger, target, held, size)
			}
			unknown := held < 0 // the server cannot say what it holds
			if unknown {
				held = 0
			}
			if held > 0 && !checked {
				// A part from an earlier call: continue it only if it
				// is known to be this source's.
				how, err := partIsSources(ctx, p, c, target, src, size, held, opts)
				if err != nil {
					return false, err
				}
				if how == "" {
					held = 0
				}
				res.ResumedFrom = how
			}
			checked = true
			if record == nil && opts.Journal != "" {
				// Before any byte moves: a later call must know what this
				// one was sending.
				if record, err = recordOf(p, target, src, size); err != nil {
					return false, err
				}
				if err := record.save(opts.Journal); err != nil {
					return false, err
				}
			}
			complete := func(held int64) (bool, error) {
				if res.Verified, err = verifyUpload(ctx, c, target, src, size, held, opts); err != nil {
					return false, err
				}
				if target != remote {
					renaming = true
					if err := renameOver(ctx, c, target, remote); err != nil {
						return false, err
					}
				}
				record.forget(opts)
				return true, nil
			}
			if held == size && !unknown && (size > 0 || res.Attempts > 0) {
				return complete(held)
			}
			res.Attempts++
			res.Resumed = res.Resumed || held > 0
			n, err := uploadPart(ctx, c, target, src, held, size, useAppend && held > 0, opts)
			res.Sent += n
			var fe *ftp.Error
			var ie *interruptedError
			switch {
			case err != nil && held > 0 && !useAppend && !errors.As(err, &ie) && errors.As(err, &fe) && fe.Code/100 == 5:
				// REST before STOR refused: APPE continues as well.
				useAppend = true
				return false, errRetryNow
			case err != nil:
				return false, err
			case unknown:
				// Confirmed, and the size cannot be asked: what checks
				// there are, are done now.
				return complete(-1)
			}
			// Confirmed by the server: a short file is continued, a
			// complete one verified and renamed.
			if held, err = remoteSize(ctx, c, target, -1); err != nil {
				return false, err
			}
			if held >= 0 && held < size {
				return false, errRetryNow
			}
			return complete(held)
		}()
		if done {
			return res, nil
		}
		if err == errRetryNow {
			if res.Attempts > s.opts.retries()+1 {
				return res, fmt.Errorf("%w: %s still short after %d attempts", ftp.ErrVerify, target, res.Attempts)
			}
			continue
		}
		if rerr := s.retry(ctx, attempt, err); rerr != nil {
			return res, rerr
		}
	}
}

var errRetryNow = errors.New("retry at once")

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

// uploadPart sends src[held:size] with REST + STOR (or APPE).
func uploadPart(ctx context.Context, c *ftp.Conn, target string, src io.ReaderAt, held, size int64, useAppend bool, opts *Options) (int64, error) {
	var w *ftp.Writer
	var err error
	if useAppend {
		w, err = c.Append(ctx, target)
	} else {
		w, err = c.StoreFrom(ctx, target, held)
	}
	if err != nil {
		return 0, err
	}
	if opts.Progress != nil {
		// The Writer counts from the start of the file already.
		w.SetProgress(func(name string, done, _ int64) { opts.Progress(name, done, size) })
	}
	var r io.Reader
	if f, ok := src.(*os.File); ok {
		// A seek and a LimitedReader keep sendfile(2); a SectionReader would not.
		if _, err := f.Seek(held, io.SeekStart); err != nil {
			w.Abort()
			return 0, &ftp.SourceError{Command: "STOR " + target, Err: err}
		}
		r = io.LimitReader(f, size-held)
	} else {
		r = io.NewSectionReader(src, held, size-held)
	}
	n, err := w.Send(r)
	if err == nil && n != size-held {
		err = &ftp.SourceError{Command: "STOR " + target, Err: fmt.Errorf("source ended after %d of %d bytes", held+n, size)}
	}
	return n, interrupted(err)
}

// partIsSources tells whether the first held bytes of the remote target
// are src's: by a range checksum where the server has one, else by the
// journal's record of what an earlier call was sending. It returns how it
// knows (a ResumedFrom value), or "" when it does not: the part is then
// replaced.
func partIsSources(ctx context.Context, p *ftp.Pool, c *ftp.Conn, target string, src io.ReaderAt, size, held int64, opts *Options) (string, error) {
	same, err := rangeMatches(ctx, c, target, src, held)
	switch {
	case err != nil:
		return "", err
	case same != nil && *same:
		return ResumedByRangeChecksum, nil
	case same != nil:
		return "", nil // the server's bytes are another file's
	case opts.Journal == "":
		return "", nil
	}
	r, err := recordOf(p, target, src, size)
	if err != nil {
		return "", err
	}
	ok, err := r.matches(opts.Journal)
	if err != nil || !ok {
		return "", err
	}
	return ResumedByJournal, nil
}

// rangeMatches compares the server's checksum of remote's first n bytes
// with src's, where the server can compute one for a range (HASH after
// RANG, or an X command with offsets). It returns nil when it cannot.
func rangeMatches(ctx context.Context, c *ftp.Conn, remote string, src io.ReaderAt, n int64) (*bool, error) {
	algos, err := c.HashAlgorithms(ctx)
	if err != nil {
		return nil, err
	}
	for _, algo := range algos {
		remoteSum, err := c.HashRange(ctx, remote, algo, 0, n)
		var fe *ftp.Error
		if errors.Is(err, ftp.ErrNotSupported) || errors.As(err, &fe) {
			continue // no ranges with this one: try the next
		}
		if err != nil {
			return nil, err
		}
		localSum, err := localHash(io.NewSectionReader(src, 0, n), algo)
		if err != nil {
			return nil, err
		}
		same := sameHash(algo, localSum, remoteSum)
		return &same, nil
	}
	return nil, nil
}

// renameOver renames from to to, deleting to first where the server will
// not rename over a file.
func renameOver(ctx context.Context, c *ftp.Conn, from, to string) error {
	err := c.Rename(ctx, from, to)
	var fe *ftp.Error
	if err == nil || !errors.As(err, &fe) || c.Delete(ctx, to) != nil {
		return err
	}
	return c.Rename(ctx, from, to)
}

// forget removes the journal's record once the upload is complete.
func (r *resumeRecord) forget(opts *Options) {
	if r != nil && opts.Journal != "" {
		r.remove(opts.Journal)
	}
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

// verifyUpload checks the size the server holds (held, -1 when it cannot
// tell) and, when asked, a checksum. It returns what was verified (see
// Result.Verified).
func verifyUpload(ctx context.Context, c *ftp.Conn, remote string, src io.ReaderAt, size, held int64, opts *Options) (string, error) {
	if held >= 0 && held != size {
		return "", fmt.Errorf("%w: %s holds %d bytes, want %d", ftp.ErrVerify, remote, held, size)
	}
	verified := "size"
	if held < 0 {
		verified = ""
	}
	return verifyHash(ctx, c, remote, io.NewSectionReader(src, 0, size), opts, verified)
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

// DownloadFile downloads remote into the local file, resuming across
// failures and across calls: a local file shorter than the remote one is
// continued from its size (REST + RETR), spliced straight into the file.
func DownloadFile(ctx context.Context, p *ftp.Pool, remote, local string, opts *Options) (*Result, error) {
	// Not O_APPEND: splice(2) refuses files opened for appending, so the
	// file is written at explicit offsets instead.
	flags := os.O_RDWR | os.O_CREATE
	if opts != nil && opts.Fresh {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(local, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ftp: download: %w", err)
	}
	res, err := Download(ctx, p, remote, f, opts)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("ftp: download: %w", cerr)
	}
	return res, err
}

// sizer is implemented by destinations that know how much they hold, such
// as *os.File; Download resumes from there.
type sizer interface{ Stat() (os.FileInfo, error) }

// Download downloads remote into dst as DownloadFile does. When dst is an
// *os.File its current size is the resume point and the data is spliced
// into it; any other io.WriterAt is written from offset 0.
func Download(ctx context.Context, p *ftp.Pool, remote string, dst io.WriterAt, opts *Options) (*Result, error) {
	return download(ctx, p, remote, dst, opts, -1)
}

// download is Download with the remote file's size when a listing gave it
// (known >= 0), for servers without SIZE.
func download(ctx context.Context, p *ftp.Pool, remote string, dst io.WriterAt, opts *Options, known int64) (*Result, error) {
	if remote == "" {
		return nil, fmt.Errorf("ftp: download: %w: empty remote path", ftp.ErrInvalidArgument)
	}
	if opts == nil {
		opts = &Options{}
	}
	var held int64
	if st, ok := dst.(sizer); ok && !opts.Fresh {
		fi, err := st.Stat()
		if err != nil {
			return nil, fmt.Errorf("ftp: download: %w", err)
		}
		held = fi.Size()
	}
	trunc, canTruncate := dst.(interface{ Truncate(int64) error })
	ra, canRead := dst.(io.ReaderAt)
	if (opts.Verify || opts.RequireChecksum) && !canRead {
		return nil, fmt.Errorf("ftp: download: %w: verification needs a destination that can be read back", ftp.ErrInvalidArgument)
	}
	restart := func() error {
		held = 0
		if canTruncate {
			if err := trunc.Truncate(0); err != nil {
				return fmt.Errorf("ftp: download: %w", err)
			}
		}
		return nil
	}
	s := &session{p: p, opts: opts}
	defer s.close()
	res := &Result{Size: -1}
	checked := held == 0 // a local part from before the call was looked at
	algoChecked := false
	for attempt := 0; ; attempt++ {
		done, err := func() (bool, error) {
			c, err := s.conn(ctx)
			if err != nil {
				return false, err
			}
			if !algoChecked && opts.RequireChecksum {
				if _, err := checksumAlgo(ctx, c, opts); err != nil {
					return false, err
				}
				algoChecked = true
			}
			size, err := sizeOf(ctx, c, remote, known)
			if err != nil {
				return false, err
			}
			res.Size = size
			if size >= 0 && held > size {
				return false, fmt.Errorf("%w: the local copy holds %d bytes, %s %d", ErrRemoteLarger, held, remote, size)
			}
			if held > 0 && size < 0 {
				// Nothing says how long the file is: a part cannot be
				// continued, nor shown complete.
				if err := restart(); err != nil {
					return false, err
				}
			}
			if held > 0 && !checked {
				res.ResumedFrom = ResumedLocalFile
				if canRead {
					same, err := rangeMatches(ctx, c, remote, ra, held)
					switch {
					case err != nil:
						return false, err
					case same != nil && *same:
						res.ResumedFrom = ResumedByRangeChecksum
					case same != nil:
						// The local part is not the remote file's start.
						res.ResumedFrom = ""
						if err := restart(); err != nil {
							return false, err
						}
					}
				}
			}
			checked = true
			if size < 0 || held < size {
				res.Attempts++
				res.Resumed = res.Resumed || held > 0
				n, err := downloadPart(ctx, c, remote, dst, held, size, opts)
				res.Sent += n
				held += n
				if err != nil {
					return false, err
				}
			}
			verified := "size"
			if size < 0 {
				verified = ""
				if canTruncate {
					// What the stream brought is the file: nothing of
					// an earlier, longer copy may stay behind it.
					if err := trunc.Truncate(held); err != nil {
						return false, fmt.Errorf("ftp: download: %w", err)
					}
				}
			}
			var local io.Reader
			if canRead {
				local = io.NewSectionReader(ra, 0, held)
			}
			if res.Verified, err = verifyHash(ctx, c, remote, local, opts, verified); err != nil {
				return false, err
			}
			return true, nil
		}()
		if done {
			return res, nil
		}
		if rerr := s.retry(ctx, attempt, err); rerr != nil {
			return res, rerr
		}
	}
}

// downloadPart receives remote[held:] into dst and returns the bytes
// written, which count even when the transfer then fails. size is the
// remote file's, -1 when unknown.
func downloadPart(ctx context.Context, c *ftp.Conn, remote string, dst io.WriterAt, held, size int64, opts *Options) (int64, error) {
	r, err := c.RetrieveFrom(ctx, remote, held)
	if err != nil {
		return 0, err
	}
	if size >= 0 {
		r.ExpectSize(size - held) // never more than the server said it holds
	}
	if opts.Progress != nil {
		r.SetProgress(func(name string, done, _ int64) { opts.Progress(name, done, size) })
	}
	var w io.Writer
	if f, ok := dst.(*os.File); ok {
		if _, err := f.Seek(held, io.SeekStart); err != nil {
			r.Close()
			return 0, fmt.Errorf("ftp: download: %w", err)
		}
		w = f
	} else {
		w = io.NewOffsetWriter(dst, held)
	}
	n, err := io.Copy(w, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && held+n != size {
		// Confirmed by the server yet short: the next attempt resumes.
		err = fmt.Errorf("ftp: %s: received %d of %d bytes: %w", remote, held+n, size, io.ErrUnexpectedEOF)
	}
	return n, interrupted(err)
}
