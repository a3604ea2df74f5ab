// Resumable uploads: UploadFile and Upload, the proof that a remote part
// is the source's, and the verification at the end.

package resume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/seed362563c3/ftp"
)

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
