// Transfers that survive interruptions: reconnect, ask the server what it
// holds, continue with REST (or APPE), back off, verify.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path"
	"strings"
	"time"
)

// Connector opens logged-in connections for the helpers that reconnect
// after a failure. Endpoint is the simple one.
type Connector interface {
	Connect(ctx context.Context) (*Conn, error)
}

// Endpoint is a Connector that dials one server with one Config.
type Endpoint struct {
	Addr   string
	Config *Config
}

// Connect dials and logs in.
func (e Endpoint) Connect(ctx context.Context) (*Conn, error) { return Dial(ctx, e.Addr, e.Config) }

// ResumeOptions configures Upload, Download and their File forms. The zero
// value (and nil) retries 5 times with backoff from 500 ms to 30 s,
// verifies nothing beyond the size, and reports no progress.
type ResumeOptions struct {
	// Retries is how many further attempts follow a failed one; 0 means 5,
	// a negative value none.
	Retries int
	// Backoff is the first wait between attempts, doubled each time up to
	// MaxBackoff, with jitter. Zero means 500 ms and 30 s.
	Backoff, MaxBackoff time.Duration
	// Progress, when set, is called with the bytes the destination holds so
	// far (the resumed part counted), from the transferring goroutine.
	Progress func(done, total int64)
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
	// what the earlier ones sent. Without it a partial destination is taken
	// for an earlier interrupted transfer and continued.
	Fresh bool
}

func (o *ResumeOptions) retries() int {
	switch {
	case o == nil || o.Retries == 0:
		return 5
	case o.Retries < 0:
		return 0
	}
	return o.Retries
}

func (o *ResumeOptions) backoff(attempt int) time.Duration {
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

// TransferResult says what a resumable transfer did.
type TransferResult struct {
	Size     int64  // the file's size
	Sent     int64  // bytes moved over data connections, all attempts together
	Attempts int    // data transfers started (1 when nothing failed)
	Resumed  bool   // some attempt continued from an offset
	Verified string // "SHA-256" (or the algorithm used), or "size"
}

// ErrVerify is matched when a transfer's checksum or size does not match.
var ErrVerify = errors.New("ftp: verification failed")

// ErrRemoteLarger is matched when the destination already holds more
// bytes than the source: resuming would keep data that is not the
// source's, so nothing is sent.
var ErrRemoteLarger = errors.New("ftp: the destination is larger than the source")

// retryable reports whether an attempt that failed with err may succeed
// on a new connection: dropped connections, timeouts and the transient
// replies 421, 425, 426, 450 and 451.
func retryable(err error) bool {
	var fe *Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, new(*interruptedError)):
		return true
	case errors.As(err, &fe):
		switch fe.Code {
		case StatusNotAvailable, StatusCanNotOpenDataConnection, StatusTransferAborted,
			StatusFileActionIgnored, StatusActionAborted:
			return true
		}
		return false
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrNotSupported),
		errors.Is(err, ErrVerify), errors.Is(err, ErrRemoteLarger),
		errors.Is(err, ErrTLSRequired), errors.Is(err, ErrPipelinedTLS):
		return false
	}
	var se *SourceError
	var pe *ProtocolError
	var te *TLSError
	var dnsErr *net.DNSError
	if errors.As(err, &se) || errors.As(err, &pe) || errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	if errors.As(err, &te) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		var ne net.Error
		return errors.As(err, &ne) // a handshake cut by the network, not a bad certificate
	}
	return true
}

// session holds the connection of a resumable transfer across attempts.
type session struct {
	cn   Connector
	c    *Conn
	opts *ResumeOptions
}

func (s *session) conn(ctx context.Context) (*Conn, error) {
	if s.c != nil && s.c.usable() == nil {
		return s.c, nil
	}
	if s.c != nil {
		// What the old connection still carries must not race the new one.
		s.c.waitAbandoned(ctx)
		s.drop()
	}
	c, err := s.cn.Connect(ctx)
	if err != nil {
		return nil, err
	}
	s.c = c
	return c, nil
}

func (s *session) close() {
	if s.c != nil {
		s.drop()
	}
}

// drop gives the connection back to its Connector when it takes them
// back (a Pool: kept if healthy), or closes it.
func (s *session) drop() {
	if r, ok := s.cn.(Releaser); ok {
		r.Release(s.c)
	} else {
		s.c.Close()
	}
	s.c = nil
}

// retry waits before attempt+1, or reports why not.
func (s *session) retry(ctx context.Context, attempt int, err error) error {
	if attempt >= s.opts.retries() || !retryable(err) {
		return err
	}
	if s.c != nil && s.c.usable() != nil {
		s.c.waitAbandoned(ctx)
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

// remoteSize asks how many bytes the server holds: 0 when the file does
// not exist.
func remoteSize(ctx context.Context, c *Conn, p string) (int64, error) {
	n, err := c.Size(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	return n, err
}

// UploadFile uploads the local file to remote, resuming across failures
// and across calls: a remote file shorter than the local one is taken as an
// earlier partial upload and continued (after checking its content with a
// range checksum where the server offers one).
func UploadFile(ctx context.Context, cn Connector, local, remote string, opts *ResumeOptions) (*TransferResult, error) {
	f, err := os.Open(local)
	if err != nil {
		return nil, fmt.Errorf("ftp: upload: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ftp: upload: %w", err)
	}
	return Upload(ctx, cn, f, st.Size(), remote, opts)
}

// Upload uploads size bytes of src to remote as UploadFile does. An
// *os.File source is sent with sendfile(2).
func Upload(ctx context.Context, cn Connector, src io.ReaderAt, size int64, remote string, opts *ResumeOptions) (*TransferResult, error) {
	if size < 0 || remote == "" {
		return nil, fmt.Errorf("ftp: upload: %w: size %d, remote %q", ErrInvalidArgument, size, remote)
	}
	if opts == nil {
		opts = &ResumeOptions{}
	}
	target := remote
	if opts.TempName {
		target = path.Join(path.Dir(remote), "."+path.Base(remote)+".part")
	}
	s := &session{cn: cn, opts: opts}
	defer s.close()
	res := &TransferResult{Size: size}
	useAppend, checked, renaming := false, false, false
	// Every step, verification and the rename included, runs inside the
	// retried loop: a connection lost after the data arrived costs one
	// more look, not the call.
	for attempt := 0; ; attempt++ {
		done, err := func() (bool, error) {
			c, err := s.conn(ctx)
			if err != nil {
				return false, err
			}
			held, err := remoteSize(ctx, c, target)
			if err != nil {
				return false, err
			}
			if renaming && held == 0 && target != remote {
				// The rename may have happened before the connection
				// was lost: the final name holds the file then.
				if n, err := remoteSize(ctx, c, remote); err == nil && n == size {
					if res.Verified, err = verifyUpload(ctx, c, remote, src, size, opts); err != nil {
						return false, err
					}
					return true, nil
				}
			}
			if opts.Fresh && res.Attempts == 0 {
				held, checked = 0, true
			}
			if held > size {
				return false, fmt.Errorf("%w: %s holds %d bytes, the source %d", ErrRemoteLarger, target, held, size)
			}
			if held > 0 && !checked {
				// A part from an earlier call: make sure it is ours.
				same, err := samePrefix(ctx, c, target, src, held)
				if err != nil {
					return false, err
				}
				if !same {
					held = 0
				}
			}
			checked = true
			if held == size {
				if res.Verified, err = verifyUpload(ctx, c, target, src, size, opts); err != nil {
					return false, err
				}
				if target != remote {
					renaming = true
					if err := c.Rename(ctx, target, remote); err != nil {
						return false, err
					}
				}
				return true, nil
			}
			res.Attempts++
			res.Resumed = res.Resumed || held > 0
			n, err := uploadPart(ctx, c, target, src, held, size, useAppend && held > 0, opts)
			res.Sent += n
			var fe *Error
			var ie *interruptedError
			if err != nil && held > 0 && !useAppend && !errors.As(err, &ie) && errors.As(err, &fe) && fe.Code/100 == 5 {
				// REST before STOR refused: APPE continues as well.
				useAppend = true
				return false, errRetryNow
			}
			if err == nil {
				// Confirmed by the server: the next turn of the loop
				// checks its size, verifies and renames.
				return false, errRetryNow
			}
			return false, err
		}()
		if done {
			return res, nil
		}
		if err == errRetryNow {
			if res.Attempts > s.opts.retries()+1 {
				return res, fmt.Errorf("%w: %s still short after %d attempts", ErrVerify, target, res.Attempts)
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
	var se *SourceError
	var fe *Error
	if err == nil || errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ErrVerify) ||
		errors.As(err, &fe) && (fe.Code == StatusExceededStorage || fe.Code == StatusInsufficientStorage || fe.Code == StatusBadFileName) {
		return err
	}
	return &interruptedError{err}
}

// uploadPart sends src[held:size] with REST + STOR (or APPE).
func uploadPart(ctx context.Context, c *Conn, target string, src io.ReaderAt, held, size int64, useAppend bool, opts *ResumeOptions) (int64, error) {
	var w *Writer
	var err error
	if useAppend {
		w, err = c.AppendWriter(ctx, target)
	} else {
		w, err = c.StoreWriter(ctx, target, held)
	}
	if err != nil {
		return 0, err
	}
	if opts.Progress != nil {
		w.SetProgress(func(n int64) { opts.Progress(held+n, size) })
	}
	var r io.Reader
	if f, ok := src.(*os.File); ok {
		// A seek and a LimitedReader keep sendfile(2); a SectionReader would not.
		if _, err := f.Seek(held, io.SeekStart); err != nil {
			w.Abort()
			return 0, &SourceError{Command: w.t.line, Err: err}
		}
		r = io.LimitReader(f, size-held)
	} else {
		r = io.NewSectionReader(src, held, size-held)
	}
	n, err := w.send(r)
	if err == nil && n != size-held {
		err = &SourceError{Command: w.t.line, Err: fmt.Errorf("source ended after %d of %d bytes", held+n, size)}
	}
	return n, interrupted(err)
}

// samePrefix checks, where the server can hash a range, that the first n
// bytes it holds are src's. Without a range hash it trusts the size.
func samePrefix(ctx context.Context, c *Conn, remote string, src io.ReaderAt, n int64) (bool, error) {
	algos, err := c.HashAlgorithms(ctx)
	if err != nil || len(algos) == 0 {
		return true, err
	}
	var remoteSum string
	var algo string
	for _, a := range algos {
		if c.features.Has(xHashCommand[a]) {
			algo = a
			break
		}
	}
	if algo == "" {
		return true, nil
	}
	remoteSum, err = c.HashRange(ctx, remote, algo, 0, n)
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) || errors.Is(err, ErrNotSupported) {
			return true, nil
		}
		return false, err
	}
	localSum, err := localHash(io.NewSectionReader(src, 0, n), algo)
	if err != nil {
		return false, err
	}
	return sameHash(algo, localSum, remoteSum), nil
}

func localHash(r io.Reader, algo string) (string, error) {
	h, err := NewHash(algo)
	if err != nil {
		return "", err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	if _, err := io.CopyBuffer(h, readerOnly{r}, *bp); err != nil {
		return "", fmt.Errorf("ftp: hashing the local copy: %w", err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// sameHash compares hex checksums; CRC32 servers may drop leading zeros.
func sameHash(algo, a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if algo == HashCRC32 {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	}
	return a == b
}

// verifyUpload checks the remote size and, when asked, a checksum.
func verifyUpload(ctx context.Context, c *Conn, remote string, src io.ReaderAt, size int64, opts *ResumeOptions) (string, error) {
	held, err := c.Size(ctx, remote)
	if err != nil {
		return "", err
	}
	if held != size {
		return "", fmt.Errorf("%w: %s holds %d bytes, want %d", ErrVerify, remote, held, size)
	}
	if !opts.Verify {
		return "size", nil
	}
	return verifyHash(ctx, c, remote, io.NewSectionReader(src, 0, size), opts)
}

// verifyHash compares the server's checksum of remote with local's.
func verifyHash(ctx context.Context, c *Conn, remote string, local io.Reader, opts *ResumeOptions) (string, error) {
	algo := opts.HashAlgorithm
	if algo == "" {
		algos, err := c.HashAlgorithms(ctx)
		if err != nil {
			return "", err
		}
		if len(algos) == 0 {
			return "size", nil
		}
		algo = algos[0]
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
		return "", fmt.Errorf("%w: %s %s of %s is %s, the local copy's %s", ErrVerify, algo, "checksum", remote, remoteSum, localSum)
	}
	return algo, nil
}

// DownloadFile downloads remote into the local file, resuming across
// failures and across calls: a local file shorter than the remote one is
// continued from its size (REST + RETR), spliced straight into the file.
func DownloadFile(ctx context.Context, cn Connector, remote, local string, opts *ResumeOptions) (*TransferResult, error) {
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
	res, err := Download(ctx, cn, remote, f, opts)
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
func Download(ctx context.Context, cn Connector, remote string, dst io.WriterAt, opts *ResumeOptions) (*TransferResult, error) {
	if remote == "" {
		return nil, fmt.Errorf("ftp: download: %w: empty remote path", ErrInvalidArgument)
	}
	if opts == nil {
		opts = &ResumeOptions{}
	}
	var held int64
	if st, ok := dst.(sizer); ok && !opts.Fresh {
		fi, err := st.Stat()
		if err != nil {
			return nil, fmt.Errorf("ftp: download: %w", err)
		}
		held = fi.Size()
	}
	ra, canVerify := dst.(io.ReaderAt)
	if opts.Verify && !canVerify {
		return nil, fmt.Errorf("ftp: download: %w: verification needs a destination that can be read back", ErrInvalidArgument)
	}
	s := &session{cn: cn, opts: opts}
	defer s.close()
	res := &TransferResult{Size: -1}
	for attempt := 0; ; attempt++ {
		done, err := func() (bool, error) {
			c, err := s.conn(ctx)
			if err != nil {
				return false, err
			}
			size, err := c.Size(ctx, remote)
			if err != nil {
				return false, err
			}
			res.Size = size
			if held > size {
				return false, fmt.Errorf("%w: the local copy holds %d bytes, %s %d", ErrRemoteLarger, held, remote, size)
			}
			if held < size {
				res.Attempts++
				res.Resumed = res.Resumed || held > 0
				n, err := downloadPart(ctx, c, remote, dst, held, size, opts)
				res.Sent += n
				held += n
				if err != nil {
					return false, err
				}
			}
			res.Verified = "size"
			if opts.Verify {
				if res.Verified, err = verifyHash(ctx, c, remote, io.NewSectionReader(ra, 0, size), opts); err != nil {
					return false, err
				}
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
// written, which count even when the transfer then fails.
func downloadPart(ctx context.Context, c *Conn, remote string, dst io.WriterAt, held, size int64, opts *ResumeOptions) (int64, error) {
	r, err := c.RetrieveFrom(ctx, remote, held)
	if err != nil {
		return 0, err
	}
	r.ExpectSize(size - held) // never more than the server said it holds
	if opts.Progress != nil {
		r.SetProgress(func(n int64) { opts.Progress(held+n, size) })
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
	if err == nil && held+n != size {
		// Confirmed by the server yet short: the next attempt resumes.
		err = fmt.Errorf("ftp: %s: received %d of %d bytes: %w", remote, held+n, size, io.ErrUnexpectedEOF)
	}
	return n, interrupted(err)
}
