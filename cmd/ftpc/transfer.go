// ftpc get and put: one file each way, directly on a connection, through
// the library's resumable helpers (--retries, --verify) or over several
// connections (get --segments); what happened is said, and an interrupted
// transfer says how to continue.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/resume"
)

// transfer is one get or put under way: what it moves, and what the
// summary (--json) and the interruption report need.
type transfer struct {
	s      *session
	t      *target
	cfg    *ftp.Config
	remote string
	local  string
	name   string // the remote file's name, escaped, for messages
	prog   *progress
	label  string
	begin  time.Time
	sum    jsonTransfer
	total  atomic.Int64 // the file's size when known, else -1
	moved  atomic.Int64 // bytes moved by the direct paths so far
}

func newTransfer(s *session, op string, t *target, cfg *ftp.Config, remote, local string) *transfer {
	x := &transfer{s: s, t: t, cfg: cfg, remote: remote, local: local, name: escapeText(path.Base(remote)), begin: time.Now()}
	x.prog = newProgress(s.opts.progress, s.stderr)
	x.label = op + " " + x.name
	x.sum = jsonTransfer{Op: op, Remote: remote, Local: local, Size: -1}
	x.total.Store(-1)
	return x
}

// progress returns the callback the library's helpers report to: it
// records the total for the interruption report and feeds the display.
func (x *transfer) progress(tr *tracker) ftp.Progress {
	return func(_ string, done, total int64) {
		if total >= 0 {
			x.total.Store(total)
		}
		tr.update(done, total)
	}
}

// finish prints what the transfer did: with --json its summary, and with
// --verify what proved it.
func (x *transfer) finish() error {
	x.sum.Seconds = time.Since(x.begin).Seconds()
	if x.s.opts.json {
		return writeJSON(x.s.stdout, x.sum)
	}
	if x.s.opts.verify {
		fmt.Fprintf(x.s.stdout, "%s: %d bytes, verified by %s\n", escapeText(x.remote), x.sum.Size, escapeText(verifiedBy(x.sum.Verified)))
	}
	return nil
}

// say writes a line about the transfer to standard error.
func (x *transfer) say(format string, args ...any) {
	fmt.Fprintf(x.s.stderr, "ftpc: %s: %s\n", x.label, fmt.Sprintf(format, args...))
}

// resumedAt says where a transfer continued: "1000000 bytes (33%)".
func resumedAt(offset, total int64) string {
	if total > 0 {
		return fmt.Sprintf("%d bytes (%d%%)", offset, offset*100/total)
	}
	return fmt.Sprintf("%d bytes", offset)
}

// reportResumed says how a resumable helper's result continued an
// earlier part, at offset (-1 when not known).
func (x *transfer) reportResumed(res *resume.Result, before int64) {
	switch {
	case res.ResumedFrom != "":
		offset := before
		if offset < 0 && res.Attempts == 1 && res.Size >= 0 {
			offset = res.Size - res.Sent
		}
		x.sum.ResumedAt = offset
		how := ""
		switch res.ResumedFrom {
		case resume.ResumedByRangeChecksum:
			how = ", the earlier part proven by the server's range checksum"
		case resume.ResumedByJournal:
			how = ", the earlier part proven by the resume journal"
		}
		if offset >= 0 {
			x.say("resumed at %s%s", resumedAt(offset, res.Size), how)
		} else {
			x.say("resumed%s", how)
		}
	case before > 0:
		x.say("the %d bytes held before were not continued (not shown to be this file's): transferred from the start", before)
	}
}

func verifiedBy(v string) string {
	if v == "" {
		return "nothing: the server reports no size and no checksum"
	}
	return v
}

// localTarget is where get writes the remote file name: LOCAL itself,
// or, for a directory (an existing one, or any LOCAL ending in a
// separator), name inside it.
func localTarget(local, name string) (string, error) {
	trailing := strings.HasSuffix(local, "/") || strings.HasSuffix(local, string(filepath.Separator))
	fi, err := os.Stat(local)
	isDir := err == nil && fi.IsDir()
	switch {
	case !trailing && !isDir:
		return local, nil
	case trailing && err != nil:
		return "", fmt.Errorf("get: %w", err)
	case !isDir:
		return "", fmt.Errorf("get: %s is not a directory", local)
	case !ftp.SafeName(name):
		return "", usagef("get: the remote name %q cannot name a local file: give LOCAL", name)
	}
	return filepath.Join(local, name), nil
}

func cmdGet(ctx context.Context, s *session, args []string) error {
	t, err := parseURL(args[0])
	if err != nil {
		return err
	}
	remote, err := needPath(t, "file")
	if err != nil {
		return err
	}
	if strings.HasSuffix(remote, "/") {
		return usagef("get: %q names a directory", remote)
	}
	name := path.Base(remote)
	local := name
	if len(args) > 1 {
		local = args[1]
	} else if !ftp.SafeName(name) {
		return usagef("get: the remote name %q cannot name a local file: give LOCAL", name)
	}
	if local != "-" {
		if local, err = localTarget(local, name); err != nil {
			return err
		}
	}
	switch {
	case local == "-" && s.opts.resume:
		return usagef("get: --resume needs a local file, not standard output")
	case local == "-" && s.opts.json:
		return usagef("get: --json needs a local file: standard output holds the file")
	case s.opts.segments < 0:
		return usagef("get: --segments must be at least 1")
	case s.opts.segments > 0 && local == "-":
		return usagef("get: --segments needs a local file, not standard output")
	case s.opts.segments > 0 && s.opts.resume:
		return usagef("get: --segments and --resume do not mix: a segmented download starts afresh")
	}
	cfg, err := s.config(t)
	if err != nil {
		return err
	}
	x := newTransfer(s, "get", t, cfg, remote, local)
	defer x.prog.wait()
	switch {
	case s.opts.segments > 0:
		err = x.getSegmented(ctx)
	case local != "-" && (s.opts.retries > 0 || s.opts.verify):
		err = x.getResumable(ctx)
	default:
		err = x.getDirect(ctx)
	}
	if err != nil {
		if interrupted(ctx) {
			return x.getInterrupted()
		}
		return err
	}
	return x.finish()
}

// getInterrupted reports what an interrupted download left: the partial
// file, kept for --resume (a segmented download's, which has gaps, is
// removed).
func (x *transfer) getInterrupted() error {
	total := x.total.Load()
	switch {
	case x.local == "-":
		return &interruptedError{what: fmt.Sprintf("get %s: %s written to standard output", x.name, percentOf(x.moved.Load(), total))}
	case x.s.opts.segments > 0:
		os.Remove(x.local)
		return &interruptedError{what: fmt.Sprintf("get %s: a segmented download cannot be resumed (its ranges leave gaps): %s removed; run the command again", x.name, x.local)}
	}
	resume := rerunCommand(x.s.args, "get", "--resume")
	fi, err := os.Stat(x.local)
	if err != nil || fi.Size() == 0 {
		return &interruptedError{what: fmt.Sprintf("get %s: nothing of it is in %s yet", x.name, x.local), resume: resume}
	}
	return &interruptedError{what: fmt.Sprintf("get %s: %s are in %s", x.name, percentOf(fi.Size(), total), x.local), resume: resume}
}

// getResumable downloads through resume.DownloadFile (--retries, --verify).
func (x *transfer) getResumable(ctx context.Context) error {
	before := int64(-1)
	if x.s.opts.resume {
		if fi, err := os.Stat(x.local); err == nil {
			before = fi.Size()
		}
	}
	ro := x.s.resumeOptions()
	tr := x.prog.start(x.label, -1, -1, false)
	ro.Progress = x.progress(tr)
	pool := ftp.NewPool(x.t.addr, x.cfg, &ftp.PoolOptions{MaxOpen: 1})
	defer release(ctx, pool)
	res, err := resume.DownloadFile(ctx, pool, x.remote, x.local, ro)
	tr.finish(err)
	if err != nil {
		return err
	}
	x.sum.Size, x.sum.Bytes, x.sum.Verified = res.Size, res.Sent, res.Verified
	x.reportResumed(res, before)
	return nil
}

// getSegmented downloads over --segments pooled connections.
func (x *transfer) getSegmented(ctx context.Context) error {
	pool := ftp.NewPool(x.t.addr, x.cfg, &ftp.PoolOptions{MaxOpen: x.s.opts.segments})
	defer release(ctx, pool)
	ro := x.s.resumeOptions()
	tr := x.prog.start(x.label, -1, -1, false)
	ro.Progress = x.progress(tr)
	res, err := resume.DownloadSegmented(ctx, pool, x.remote, x.local, x.s.opts.segments, ro)
	tr.finish(err)
	x.s.debugPool(pool)
	if err != nil {
		return err
	}
	x.sum.Size, x.sum.Bytes, x.sum.Verified = res.Size, res.Sent, res.Verified
	return nil
}

// getDirect downloads on one connection: RETR, or REST and RETR for
// --resume, checking the length against what SIZE said.
func (x *transfer) getDirect(ctx context.Context) error {
	s := x.s
	c, err := ftp.Dial(ctx, x.t.addr, x.cfg)
	if err != nil {
		return err
	}
	defer release(ctx, c)

	var offset int64
	size := int64(-1) // for progress and the length check
	if s.opts.resume {
		fi, err := os.Stat(x.local)
		switch {
		case err == nil:
			offset = fi.Size()
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		if offset > 0 {
			n, err := c.Size(ctx, x.remote)
			var fe *ftp.Error
			switch {
			case err == nil && offset == n:
				x.total.Store(n)
				x.sum.Size, x.sum.ResumedAt, x.sum.Verified = n, n, "size"
				x.say("already complete (%d bytes)", n)
				return nil
			case err == nil && offset > n:
				return fmt.Errorf("get --resume: %s holds %d bytes, more than the %d of %s", x.local, offset, n, x.remote)
			case err == nil:
				size = n
			case !errors.As(err, &fe):
				return err
			}
			// A refused SIZE is not fatal: REST and RETR have the last word.
		}
	}
	if size < 0 && offset == 0 {
		// The size the download must reach: a short or overlong stream
		// is an error even when the server says 226. A server without
		// SIZE may still announce it in its 150 reply, which the Reader
		// checks too.
		if n, err := c.Size(ctx, x.remote); err == nil {
			size = n
		}
	}
	x.total.Store(size)

	// The download starts before the local file is touched, so a missing
	// remote file leaves the local one alone.
	r, err := c.RetrieveFrom(ctx, x.remote, offset)
	if err != nil {
		return err
	}
	if offset > 0 {
		x.say("resuming at %s", resumedAt(offset, size))
		x.sum.ResumedAt = offset
	}
	if size >= offset {
		r.ExpectSize(size - offset)
	}
	tr := x.prog.start(x.label, size, offset, false)
	r.SetProgress(func(_ string, done, _ int64) { // keeps splice
		x.moved.Store(done - offset)
		tr.update(done, -1)
	})
	done := func(err error) error {
		tr.finish(err)
		x.moved.Store(r.N())
		x.sum.Bytes = r.N()
		if err == nil {
			x.sum.Size = offset + r.N()
			if size >= 0 {
				x.sum.Verified = "size"
			}
		}
		return err
	}
	if x.local == "-" {
		_, err = io.Copy(s.stdout, r)
		return done(firstErr(err, r.Close()))
	}
	flags := os.O_WRONLY | os.O_CREATE
	if !s.opts.resume {
		flags |= os.O_TRUNC
	}
	// No O_APPEND: an append-mode file would keep io.Copy from splicing.
	f, err := os.OpenFile(x.local, flags, 0o644)
	if err != nil {
		r.Close()
		return done(err)
	}
	if s.opts.resume {
		end, err := f.Seek(0, io.SeekEnd)
		if err == nil && end != offset {
			err = fmt.Errorf("get --resume: %s changed size (%d, then %d bytes)", x.local, offset, end)
		}
		if err != nil {
			r.Close()
			f.Close()
			return done(err)
		}
	}
	_, err = io.Copy(f, r) // Reader.WriteTo → (*os.File).ReadFrom: splice
	return done(firstErr(err, r.Close(), f.Close()))
}

// debugPool reports, with --debug, how a pool's connections were used.
func (s *session) debugPool(p *ftp.Pool) {
	if !s.opts.debug {
		return
	}
	st := p.Stats()
	fmt.Fprintf(s.stderr, "ftpc: pool: %d connections dialled, %d reuses, %d discarded, at most %d open at once\n",
		st.Dials, st.Reused, st.Discarded, st.MaxOpenSeen)
}

func cmdPut(ctx context.Context, s *session, args []string) error {
	local := args[0]
	if local == "-" {
		return usagef("put: reading standard input is not supported; name a file")
	}
	t, err := parseURL(args[1])
	if err != nil {
		return err
	}
	remote := t.path
	if remote == "" || strings.HasSuffix(remote, "/") {
		remote += filepath.Base(local)
	}
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("put: %s is not a regular file", local)
	}
	cfg, err := s.config(t)
	if err != nil {
		return err
	}
	x := newTransfer(s, "put", t, cfg, remote, local)
	defer x.prog.wait()
	x.total.Store(fi.Size())
	var c *ftp.Conn
	if s.opts.retries > 0 || s.opts.verify {
		err = x.putResumable(ctx)
	} else {
		c, err = ftp.Dial(ctx, t.addr, cfg)
		if err == nil {
			defer release(ctx, c)
			err = x.putDirect(ctx, c, f, fi.Size())
		}
	}
	if err != nil {
		if interrupted(ctx) {
			return x.putInterrupted(ctx, c)
		}
		return err
	}
	return x.finish()
}

// putInterrupted reports what an interrupted upload left on the server,
// asking it with SIZE (on c when it is still usable, else on a new
// connection, for 5 seconds at most).
func (x *transfer) putInterrupted(ctx context.Context, c *ftp.Conn) error {
	ask, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	held, err := int64(-1), error(nil)
	if c != nil && c.Err() == nil {
		held, err = c.Size(ask, x.remote)
	}
	if c == nil || c.Err() != nil || err != nil && !errors.Is(err, fs.ErrNotExist) {
		var c2 *ftp.Conn
		if c2, err = ftp.Dial(ask, x.t.addr, x.cfg); err == nil {
			held, err = c2.Size(ask, x.remote)
			c2.Close()
		}
	}
	what := ""
	switch {
	case err == nil:
		what = fmt.Sprintf("put %s: the server holds %s", x.name, percentOf(held, x.total.Load()))
	case errors.Is(err, fs.ErrNotExist):
		what = fmt.Sprintf("put %s: the server holds nothing of it", x.name)
	default:
		what = fmt.Sprintf("put %s: %d bytes were sent; what the server holds is not known (%v)", x.name, x.moved.Load(), err)
	}
	return &interruptedError{what: what, resume: rerunCommand(x.s.args, "put", "--resume")}
}

// putResumable uploads through resume.UploadFile (--retries, --verify).
func (x *transfer) putResumable(ctx context.Context) error {
	ro := x.s.resumeOptions()
	tr := x.prog.start(x.label, x.total.Load(), -1, false)
	ro.Progress = x.progress(tr)
	pool := ftp.NewPool(x.t.addr, x.cfg, &ftp.PoolOptions{MaxOpen: 1})
	defer release(ctx, pool)
	res, err := resume.UploadFile(ctx, pool, x.local, x.remote, ro)
	tr.finish(err)
	if err != nil {
		return err
	}
	x.sum.Size, x.sum.Bytes, x.sum.Verified = res.Size, res.Sent, res.Verified
	x.reportResumed(res, -1)
	return nil
}

// putDirect uploads on c: STOR, or for --resume the rest after what the
// server holds (REST and STOR, or APPE where REST is refused).
func (x *transfer) putDirect(ctx context.Context, c *ftp.Conn, f *os.File, size int64) error {
	done := func(tr *tracker, n int64, err error) error {
		tr.finish(err)
		x.sum.Bytes = n
		if err == nil {
			x.sum.Size = size
		}
		return err
	}
	if !x.s.opts.resume {
		tr := x.prog.start(x.label, size, 0, false)
		var n int64
		w, err := c.Store(ctx, x.remote)
		if err == nil {
			n, err = x.sendFile(w, f, 0, 0, tr)
		}
		return done(tr, n, err)
	}
	held, err := c.Size(ctx, x.remote)
	if errors.Is(err, fs.ErrNotExist) {
		held, err = 0, nil
	}
	if err != nil {
		return err
	}
	switch {
	case held == size:
		x.sum.Size, x.sum.ResumedAt = size, held
		x.say("already complete (%d bytes)", size)
		return nil
	case held > size:
		return fmt.Errorf("put --resume: %s holds %d bytes, more than the %d of %s", x.remote, held, size, x.local)
	}
	if _, err := f.Seek(held, io.SeekStart); err != nil {
		return err
	}
	if held > 0 {
		x.say("resuming at %s", resumedAt(held, size))
		x.sum.ResumedAt = held
	}
	tr := x.prog.start(x.label, size, held, false)
	var n int64
	w, err := c.StoreFrom(ctx, x.remote, held)
	if err == nil {
		n, err = x.sendFile(w, f, held, 0, tr)
	}
	var fe *ftp.Error
	if err != nil && held > 0 && n == 0 && errors.As(err, &fe) && fe.Code/100 == 5 {
		// REST+STOR refused: APPE reaches the same end on most servers.
		if _, serr := f.Seek(held, io.SeekStart); serr != nil {
			return done(tr, n, serr)
		}
		w, err = c.Append(ctx, x.remote)
		if err == nil {
			n, err = x.sendFile(w, f, held, held, tr)
		}
	}
	return done(tr, n, err)
}

// sendFile sends the rest of f through w (Writer.Send: the upload is
// aborted when reading f fails, and closed, reading the server's verdict,
// otherwise), reporting progress, which keeps the Writer's sendfile path
// (in 1 MiB steps). base is what the server held before; add is what the
// Writer's counts leave out (APPE counts from 0, REST from its offset).
func (x *transfer) sendFile(w *ftp.Writer, f *os.File, base, add int64, tr *tracker) (int64, error) {
	w.SetProgress(func(_ string, done, _ int64) {
		x.moved.Store(done + add - base)
		tr.update(done+add, -1)
	})
	return w.Send(f)
}
