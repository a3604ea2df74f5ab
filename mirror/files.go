// Many files at once: UploadFiles and DownloadFiles, each file with the
// retries and resumption of package resume.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/resume"
)

// FilePair names a local file and the remote file it is copied to or
// from, for UploadFiles and DownloadFiles.
type FilePair struct {
	Local  string // local path
	Remote string // remote path
}

// FilesOptions configures UploadFiles and DownloadFiles; nil means the
// zero value.
type FilesOptions struct {
	// Parallel is how many files move at once; 0 means 4. Each transfer
	// has a connection of its own from the pool.
	Parallel int
	// Resume configures each file's transfer as for resume.UploadFile and
	// resume.DownloadFile (retries, backoff, Verify, TempName, Fresh). Its
	// Progress is not used: see Progress.
	Resume *resume.Options
	// Progress, when set, is called as each file's destination grows, with
	// its remote path. It is called from the transferring goroutines, so
	// calls for different files are concurrent.
	Progress ftp.Progress
}

func (o *FilesOptions) parallel() int {
	if o == nil || o.Parallel <= 0 {
		return 4
	}
	return o.Parallel
}

// TransferError names the file of a failed transfer of UploadFiles,
// DownloadFiles or a mirror. Err is the transfer's error.
type TransferError struct {
	Op     string // "upload" or "download"
	Local  string // the local path
	Remote string // the remote path
	Err    error
}

func (e *TransferError) Error() string {
	if e.Op == "upload" {
		return fmt.Sprintf("ftp: upload %s to %s: %v", e.Local, e.Remote, e.Err)
	}
	return fmt.Sprintf("ftp: download %s to %s: %v", e.Remote, e.Local, e.Err)
}

func (e *TransferError) Unwrap() error { return e.Err }

// UploadFiles uploads each Local file to its Remote path with resume.UploadFile,
// opts.Parallel at a time, each on connections from the pool, with the
// retries and resumption resume.UploadFile offers. Remote directories must exist
// (see ftp.Pool.MakeDirAll). A failed file does not stop the others: the error
// joins (errors.Join) a *TransferError for each file that failed, and the
// context's error if it ended the batch early. The results are in the
// order of files; a file that was never started has a nil result.
func UploadFiles(ctx context.Context, p *ftp.Pool, files []FilePair, opts *FilesOptions) ([]*resume.Result, error) {
	return transferFiles(ctx, p, "upload", files, opts)
}

// DownloadFiles downloads each Remote file to its Local path with
// resume.DownloadFile, as UploadFiles uploads. Local directories must exist.
func DownloadFiles(ctx context.Context, p *ftp.Pool, files []FilePair, opts *FilesOptions) ([]*resume.Result, error) {
	return transferFiles(ctx, p, "download", files, opts)
}

func transferFiles(ctx context.Context, p *ftp.Pool, op string, files []FilePair, opts *FilesOptions) ([]*resume.Result, error) {
	results := make([]*resume.Result, len(files))
	errs := make([]error, len(files)+1)
	notStarted := forEach(ctx, len(files), opts.parallel(), func(i int) {
		f := files[i]
		ro := &resume.Options{}
		if opts != nil && opts.Resume != nil {
			*ro = *opts.Resume
		}
		ro.Progress = nil
		if opts != nil {
			ro.Progress = opts.Progress
		}
		var err error
		if op == "upload" {
			results[i], err = resume.UploadFile(ctx, p, f.Local, f.Remote, ro)
		} else {
			results[i], err = resume.DownloadFile(ctx, p, f.Remote, f.Local, ro)
		}
		if err != nil {
			errs[i] = &TransferError{Op: op, Local: f.Local, Remote: f.Remote, Err: err}
		}
	})
	if notStarted > 0 {
		errs[len(files)] = fmt.Errorf("ftp: %d of %d files not started: %w", notStarted, len(files), context.Cause(ctx))
	}
	return results, errors.Join(errs...)
}

// forEach runs fn(0) to fn(n-1) on up to parallel goroutines, starting
// no more once ctx is done, and returns how many were not started.
func forEach(ctx context.Context, n, parallel int, fn func(i int)) int {
	var next atomic.Int64
	var skipped atomic.Int64
	var wg sync.WaitGroup
	for range min(parallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if ctx.Err() != nil {
					skipped.Add(1)
					continue
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return int(skipped.Load())
}
