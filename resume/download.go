// Resumable downloads: DownloadFile and Download.

package resume

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/seed362563c3/ftp"
)

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
