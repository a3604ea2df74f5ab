// One file of a mirror: whether it changed, whether its part may be
// continued, and its transfer through package resume.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/resume"
)

// exactTime makes a remote entry's time exact with MDTM when the listing
// did not give seconds (LIST). It reports whether the time is known.
func (m *mirror) exactTime(ctx context.Context, e *mirrorEntry, rel string) bool {
	if !e.remote {
		return e.exact
	}
	e.remote = false // asked once
	var t time.Time
	err := with(ctx, m.p, func(c *ftp.Conn) (err error) { t, err = c.ModTime(ctx, m.remotePath(rel)); return err })
	if err == nil && !t.IsZero() {
		e.mtime, e.exact = t, true
	}
	return e.exact
}

// unchanged reports whether a file both ends hold needs no transfer: the
// same size, and the same time as far as the coarser end tells (the
// second, or a LIST time's minute or day), with no command sent. Without
// MFMT the server cannot take the source's time: a copy written after
// the source last changed is as good.
func (m *mirror) unchanged(j *mirrorJob) bool {
	s, d := j.src, j.dst
	if s.size < 0 || d.size != s.size {
		return false
	}
	if s.mtime.IsZero() || d.mtime.IsZero() {
		return true // the size is all there is to compare
	}
	return sameWithin(s.mtime, d.mtime, s.prec, d.prec) || m.up && !m.stamp.Load() && laterWithin(s.mtime, d.mtime, s.prec, d.prec)
}

// same reports whether a file both ends hold needs no transfer: by
// checksum with Options.Checksum where the server can tell, else by size
// and time (unchanged).
func (m *mirror) same(ctx context.Context, j *mirrorJob) bool {
	if m.opts.Checksum {
		if same, known := m.sameContent(ctx, j); known {
			return same
		}
	}
	return m.unchanged(j)
}

// resumable reports whether the destination's ".NAME.part" may be
// continued: no longer than the source, and not older (written after the
// source last changed), as far as the listed times tell. It is a
// candidate only: resume.Download continues a local part unless a range
// checksum shows it differs, resume.Upload a remote one only where a
// range checksum or the journal shows it is the source's.
func (m *mirror) resumable(j *mirrorJob) bool {
	pt := j.part
	if pt == nil || j.src.size < 0 || pt.size > j.src.size || pt.size <= 0 {
		return false
	}
	if j.src.mtime.IsZero() || pt.mtime.IsZero() {
		return true
	}
	return !laterWithin(pt.mtime, j.src.mtime, pt.prec, j.src.prec)
}

// file brings one file across, unless it is unchanged.
func (m *mirror) file(ctx context.Context, j *mirrorJob) {
	if j.dst != nil && m.same(ctx, j) {
		m.count(func(st *Stats) { st.Unchanged++ })
		m.fixMode(ctx, j.rel, j.src, j.dst.mode, true, false)
		return
	}
	partOK := m.resumable(j)
	c := Change{Op: Transfer, Path: j.rel, Type: ftp.EntryFile, Size: j.src.size}
	if partOK {
		c.Offset = j.part.size
	}
	m.plan(c)
	if m.opts.DryRun {
		m.count(func(st *Stats) {
			st.Files++
			n := max(j.src.size, 0)
			if partOK {
				st.Resumed++
				n -= j.part.size
			}
			st.Bytes += n
		})
		return
	}
	ro := &resume.Options{}
	if m.opts.Resume != nil {
		*ro = *m.opts.Resume
	}
	ro.Fresh, ro.TempName, ro.Progress = !partOK, false, nil
	if m.opts.Progress != nil {
		rel := j.rel
		ro.Progress = func(_ string, done, total int64) { m.opts.Progress(rel, done, total) }
	}
	op := "download"
	transfer := m.download
	if m.up {
		op, transfer = "upload", m.upload
	}
	res, after, err := transfer(ctx, j, ro)
	m.mu.Lock()
	defer m.mu.Unlock()
	if res != nil {
		m.stats.Bytes += res.Sent
	}
	te := &TransferError{Op: op, Local: filepath.Join(m.localDir, filepath.FromSlash(j.rel)), Remote: m.remotePath(j.rel)}
	if err != nil {
		m.stats.Failed++
		te.Err = err
		m.errs = append(m.errs, te)
		return
	}
	m.stats.Files++
	if res.Resumed {
		m.stats.Resumed++
	}
	if after != nil {
		te.Err = after
		m.errs = append(m.errs, te)
	}
}

// download receives one file into ".NAME.part" (continuing it unless
// ro.Fresh) and, once complete, gives it the remote time and renames it
// over NAME. after is an error that came once the data was in place
// (setting the time).
//
// A fresh file whose size the listing gave is first fetched in one
// attempt of the mirror's own: RETR alone (EPSV before it), checked
// against the listed size (Reader.ExpectSize) and the size of the 150
// reply where there is one, since the listing has answered what SIZE
// would. When that attempt fails in a way worth retrying, resume.Download
// takes over, from what arrived (from zero when the length differed from
// the listing: the file changed since).
func (m *mirror) download(ctx context.Context, j *mirrorJob, ro *resume.Options) (res *resume.Result, after, err error) {
	name, err := m.localName(j.rel)
	if err != nil {
		return nil, nil, err
	}
	part, err := m.localName(partRel(j.rel))
	if err != nil {
		return nil, nil, err
	}
	flags := os.O_RDWR | os.O_CREATE
	if ro.Fresh {
		flags |= os.O_TRUNC
	}
	mode, setMode := m.perms(j.src)
	create := fs.FileMode(0o644)
	if setMode {
		create = 0o600 // no more open than the source until its mode is set
	}
	f, err := m.root.OpenFile(part, flags, create)
	if err != nil {
		return nil, nil, err
	}
	remote := m.remotePath(j.rel)
	if ro.Fresh && j.src.size >= 0 {
		res, err = m.fetchOnce(ctx, j, remote, f, ro.Progress)
		var le *ftp.LengthError
		switch {
		case err == nil:
		case errors.As(err, &le):
			res, err = nil, nil // changed since the listing: from zero
			if terr := f.Truncate(0); terr != nil {
				err = terr
			}
		case ftp.Retryable(err) && ro.Retries >= 0:
			res, err = nil, nil // continued from what arrived
			ro.Fresh = false
		}
	}
	if res == nil && err == nil {
		res, err = resume.Download(ctx, m.p, remote, f, ro)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if errors.Is(err, ftp.ErrVerify) {
		m.root.Remove(part) // not a prefix to build on
	}
	if err != nil {
		return res, nil, err
	}
	if setMode {
		if err := m.root.Chmod(part, mode); err != nil {
			return res, nil, err
		}
	}
	m.exactTime(ctx, j.src, j.rel)
	if t := j.src.mtime; !t.IsZero() {
		after = m.root.Chtimes(part, t, t)
	}
	if err := m.root.Rename(part, name); err != nil {
		return res, nil, err
	}
	return res, after, nil
}

// fetchOnce is download's first attempt: RETR into f, which must then
// hold exactly the listed size.
func (m *mirror) fetchOnce(ctx context.Context, j *mirrorJob, remote string, f *os.File, progress ftp.Progress) (*resume.Result, error) {
	var n int64
	err := with(ctx, m.p, func(c *ftp.Conn) error {
		r, err := c.Retrieve(ctx, remote)
		if err != nil {
			return err
		}
		r.ExpectSize(j.src.size)
		if progress != nil {
			r.SetProgress(progress)
		}
		n, err = io.Copy(f, r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &resume.Result{Size: j.src.size, Sent: n, Attempts: 1, Verified: "size"}, nil
}

// upload sends one file through ".NAME.part", which is renamed over NAME
// once complete and verified, and sets its time.
//
// A fresh file (no part at the destination worth continuing) is first
// sent in one attempt of the mirror's own, on one connection: STOR of the
// part (EPSV before it), SIZE to verify what the server holds, RNFR and
// RNTO, then MFMT where the server has it; the listing has shown that no
// part was there, which resume.Upload would ask SIZE for. When that
// attempt fails in a way worth retrying, resume.Upload takes over and
// sends it again. Verify and RequireChecksum go through resume.Upload at
// once, and so does a file of more than smallFile when a Journal is kept:
// the journal's record, written before the first byte, is what lets a
// later run continue a part; a smaller part is sent again rather than
// proven.
func (m *mirror) upload(ctx context.Context, j *mirrorJob, ro *resume.Options) (res *resume.Result, after, err error) {
	name, err := m.localName(j.rel)
	if err != nil {
		return nil, nil, err
	}
	f, err := m.root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%w: not a regular file any more", ftp.ErrInvalidArgument)
	}
	remote := m.remotePath(j.rel)
	ro.TempName = true
	if ro.Fresh && !ro.Verify && !ro.RequireChecksum && (ro.Journal == "" || fi.Size() <= smallFile) {
		res, after, err = m.sendOnce(ctx, f, fi, j.rel, j.src, ro.Progress)
		if err == nil || !ftp.Retryable(err) || ro.Retries < 0 {
			return res, after, err
		}
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			return nil, nil, serr
		}
	}
	if res, err = resume.Upload(ctx, m.p, f, fi.Size(), remote, ro); err != nil {
		return res, nil, err
	}
	mode, setMode := m.perms(j.src)
	if !m.stamp.Load() && !setMode {
		return res, nil, nil
	}
	after = with(ctx, m.p, func(c *ftp.Conn) error {
		var err error
		if m.stamp.Load() {
			err = m.stampTime(ctx, c, remote, fi.ModTime())
		}
		if setMode {
			err = errors.Join(err, m.setNew(ctx, c, j.rel, false, mode))
		}
		return err
	})
	return res, after, nil
}

// smallFile is the size up to which an upload does without the journal's
// record (see upload): its first and last MiB are the file.
const smallFile = 1 << 20

// sendOnce is upload's first attempt, on one connection.
func (m *mirror) sendOnce(ctx context.Context, f *os.File, fi os.FileInfo, rel string, src *mirrorEntry, progress ftp.Progress) (res *resume.Result, after, err error) {
	remote := m.remotePath(rel)
	size := fi.Size()
	part := path.Join(path.Dir(remote), "."+path.Base(remote)+".part")
	err = with(ctx, m.p, func(c *ftp.Conn) error {
		w, err := c.Store(ctx, part)
		if err != nil {
			return err
		}
		if progress != nil {
			w.SetProgress(func(name string, done, _ int64) { progress(name, done, size) })
		}
		n, err := w.Send(io.LimitReader(f, size))
		res = &resume.Result{Size: size, Sent: n, Attempts: 1}
		if err != nil {
			return err
		}
		held, err := c.Size(ctx, part)
		switch {
		case err != nil:
			return err
		case n != size || held != size:
			return fmt.Errorf("%w: %s holds %d bytes after %d sent, want %d", ftp.ErrVerify, part, held, n, size)
		}
		res.Verified = "size"
		if err := renameOver(ctx, c, part, remote); err != nil {
			return err
		}
		if m.stamp.Load() {
			after = m.stampTime(ctx, c, remote, fi.ModTime())
		}
		if mode, ok := m.perms(src); ok {
			after = errors.Join(after, m.setNew(ctx, c, rel, false, mode))
		}
		return nil
	})
	return res, after, err
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

// stampTime gives remote the local time t; a server that turns out not to
// set times (ErrNotSupported, 500) stops the mirror from trying again.
func (m *mirror) stampTime(ctx context.Context, c *ftp.Conn, remote string, t time.Time) error {
	err := c.SetModTime(ctx, remote, t)
	var fe *ftp.Error
	if errors.Is(err, ftp.ErrNotSupported) || errors.As(err, &fe) && fe.Code == ftp.StatusBadCommand {
		m.stamp.Store(false) // the server cannot set times after all
		return nil
	}
	return err
}

// with runs fn on a connection checked out of p.
func with(ctx context.Context, p *ftp.Pool, fn func(c *ftp.Conn) error) error {
	pc, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	defer pc.Close()
	return fn(pc.Conn)
}
