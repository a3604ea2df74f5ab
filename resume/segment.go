// Segmented downloads: one file over several connections, each reading its
// own range with REST, like lftp's pget -n N.

package resume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed362563c3/ftp"
)

// DownloadSegmented downloads remote into the local file over n pooled
// connections at once, each fetching one range (REST, RETR, ABOR past its
// end) and splicing it into the file at its offset through a file handle
// of its own. A segment that fails is retried and resumed from where it
// stopped, as opts says; the size (and with opts.Verify the checksum) is
// checked at the end. The local file is created or truncated.
// opts.Progress is called from the segments' goroutines, possibly at once.
func DownloadSegmented(ctx context.Context, p *ftp.Pool, remote, local string, n int, opts *Options) (*Result, error) {
	if n < 1 || remote == "" {
		return nil, fmt.Errorf("ftp: segmented download: %w: %d segments of %q", ftp.ErrInvalidArgument, n, remote)
	}
	if opts == nil {
		opts = &Options{}
	}
	e, err := p.Stat(ctx, remote)
	if err != nil {
		return nil, err
	}
	size := e.Size
	if size < 0 {
		return nil, fmt.Errorf("ftp: segmented download: %s: %w: the server reports no size", remote, ftp.ErrNotSupported)
	}
	// Not extended to size ahead: a SIZE that lies (2^40) must not make a
	// terabyte of sparse file before any byte has come. Segments write at
	// their offsets as data arrives; the file's length is checked at the
	// end.
	f, err := os.OpenFile(local, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ftp: segmented download: %w", err)
	}
	defer f.Close()
	n = int(min(int64(n), max(size/(64<<10), 1))) // no segment under 64 KiB
	res := &Result{Size: size}
	var done, sent atomic.Int64
	var attempts atomic.Int32
	progress := func(delta int64) {
		d := done.Add(delta)
		if opts.Progress != nil {
			opts.Progress(remote, d, size)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := range n {
		start := size * int64(i) / int64(n)
		end := size * int64(i+1) / int64(n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &segment{p: p, remote: remote, local: local, start: start, end: end, last: i == n-1, opts: opts}
			errs[i] = s.run(ctx, progress, &sent, &attempts)
			if errs[i] != nil {
				cancel() // one segment out of retries dooms the file
			}
		}()
	}
	wg.Wait()
	res.Sent, res.Attempts, res.Resumed = sent.Load(), int(attempts.Load()), int(attempts.Load()) > n
	for i, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return res, fmt.Errorf("ftp: segment %d of %s: %w", i, remote, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	fi, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("ftp: segmented download: %w", err)
	}
	if fi.Size() != size || done.Load() != size {
		return res, fmt.Errorf("%w: %s: %d of %d bytes", ftp.ErrVerify, local, done.Load(), size)
	}
	res.Verified = "size"
	if opts.Verify {
		pc, err := p.Conn(ctx)
		if err != nil {
			return res, err
		}
		defer pc.Close()
		if res.Verified, err = verifyHash(ctx, pc.Conn, remote, io.NewSectionReader(f, 0, size), opts, "size"); err != nil {
			return res, err
		}
	}
	return res, nil
}

// segment is one range of a segmented download.
type segment struct {
	p          *ftp.Pool
	remote     string
	local      string
	start, end int64
	last       bool // reads to the end of the file, with no ABOR
	opts       *Options
}

func (s *segment) run(ctx context.Context, progress func(int64), sent *atomic.Int64, attempts *atomic.Int32) error {
	f, err := os.OpenFile(s.local, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	pos := s.start
	for attempt := 0; ; attempt++ {
		if pos >= s.end {
			return nil
		}
		attempts.Add(1)
		m, err := s.fetch(ctx, f, pos, progress)
		pos += m
		sent.Add(m)
		if err == nil && pos >= s.end {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("%w: segment ended at %d, want %d", io.ErrUnexpectedEOF, pos, s.end)
		}
		if attempt >= s.opts.retries() || !retryable(err) {
			return err
		}
		if werr := sleepCtx(ctx, s.opts.backoff(attempt)); werr != nil {
			return werr
		}
	}
}

// fetch reads [pos, end) on one pooled connection into f at pos,
// reporting bytes to progress as they arrive.
func (s *segment) fetch(ctx context.Context, f *os.File, pos int64, progress func(int64)) (int64, error) {
	pc, err := s.p.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer pc.Close()
	r, err := pc.RetrieveFrom(ctx, s.remote, pos)
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(pos, io.SeekStart); err != nil {
		r.Close()
		return 0, err
	}
	var reported int64 // of this fetch; the Reader counts from the file's start
	r.SetProgress(func(_ string, done, _ int64) {
		progress(done - pos - reported)
		reported = done - pos
	})
	var m int64
	if s.last {
		// The last segment reads to the end of the file, which must come
		// where the size said: no byte is written past it.
		r.ExpectSize(s.end - pos)
		m, err = r.WriteTo(f)
	} else {
		m, err = r.WriteToN(f, s.end-pos)
	}
	if m > reported {
		progress(m - reported)
	}
	if cerr := r.Close(); err == nil && s.last {
		err = cerr
	}
	return m, err
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
