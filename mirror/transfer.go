// One file of a mirror: whether it changed, whether its part may be
// continued, and its transfer through package resume.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// unchanged reports whether a file both ends hold needs no transfer.
func (m *mirror) unchanged(ctx context.Context, j *mirrorJob) bool {
	s, d := j.src, j.dst
	if s.size < 0 || d.size != s.size {
		return false
	}
	if !m.exactTime(ctx, s, j.rel) || !m.exactTime(ctx, d, j.rel) {
		return true // the size is all there is to compare
	}
	st, dt := s.mtime.Truncate(time.Second), d.mtime.Truncate(time.Second)
	// Without MFMT the server cannot take the source's time: a copy
	// written after the source last changed is as good.
	return st.Equal(dt) || m.up && !m.stamp.Load() && dt.After(st)
}

// resumable reports whether the destination's ".NAME.part" may be
// continued: no longer than the source, and not older (written after the
// source last changed), as far as times tell. It is a candidate only:
// resume.Download continues a local part unless a range checksum shows it
// differs, resume.Upload a remote one only where a range checksum or the
// journal shows it is the source's.
func (m *mirror) resumable(ctx context.Context, j *mirrorJob) bool {
	pt := j.part
	if pt == nil || j.src.size < 0 || pt.size > j.src.size || pt.size <= 0 {
		return false
	}
	if !m.exactTime(ctx, j.src, j.rel) || !m.exactTime(ctx, pt, partRel(j.rel)) {
		return true
	}
	return !pt.mtime.Truncate(time.Second).Before(j.src.mtime.Truncate(time.Second))
}

// file brings one file across, unless it is unchanged.
func (m *mirror) file(ctx context.Context, j *mirrorJob) {
	if j.dst != nil && m.unchanged(ctx, j) {
		m.count(func(st *Stats) { st.Unchanged++ })
		return
	}
	partOK := m.resumable(ctx, j)
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
	f, err := m.root.OpenFile(part, flags, 0o644)
	if err != nil {
		return nil, nil, err
	}
	res, err = resume.Download(ctx, m.p, m.remotePath(j.rel), f, ro)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if errors.Is(err, ftp.ErrVerify) {
		m.root.Remove(part) // not a prefix to build on
	}
	if err != nil {
		return res, nil, err
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

// upload sends one file through ".NAME.part", which resume.Upload renames
// over NAME once complete and verified, and sets its time.
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
	if res, err = resume.Upload(ctx, m.p, f, fi.Size(), remote, ro); err != nil || !m.stamp.Load() {
		return res, nil, err
	}
	after = with(ctx, m.p, func(c *ftp.Conn) error { return c.SetModTime(ctx, remote, fi.ModTime()) })
	var fe *ftp.Error
	if errors.Is(after, ftp.ErrNotSupported) || errors.As(after, &fe) && fe.Code == ftp.StatusBadCommand {
		m.stamp.Store(false) // the server cannot set times after all
		after = nil
	}
	return res, after, nil
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
