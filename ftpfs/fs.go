// An io/fs view of a remote tree: fs.WalkDir, fs.Glob and http.FS work on a
// server through a Pool.

package ftpfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/seed362563c3/ftp"
)

// FS is a read-only fs.FS over a remote directory, backed by a Pool. It
// implements fs.ReadDirFS and fs.StatFS; files opened from it stream
// through RETR and support Seek and ReadAt through REST, so
// http.FileServer(http.FS(fsys)) can serve ranges. It is safe for
// concurrent use. Operations use the context given to New.
type FS struct {
	ctx  context.Context
	pool *ftp.Pool
	root string
}

var (
	_ fs.ReadDirFS = (*FS)(nil)
	_ fs.StatFS    = (*FS)(nil)
)

// New returns a view of root (a remote path, "" for the login directory)
// through p. Cancelling ctx stops every operation of the view.
func New(ctx context.Context, p *ftp.Pool, root string) *FS {
	return &FS{ctx: ctx, pool: p, root: root}
}

// Bounds of the paths FS takes, as mirror.maxDepth and
// mirror.maxPathLen bound a walk.
const (
	maxDepth   = 256
	maxPathLen = 4096
)

// remote maps an fs path to the server's path. As in a walk, a name of
// more than 256 levels (a directory of 256 levels for ReadDir) or longer
// than 4096 bytes is refused with an *ftp.LimitError, so that fs.WalkDir
// over a server whose directories list themselves ends.
func (f *FS) remote(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if len(name) > maxPathLen {
		return "", &fs.PathError{Op: op, Path: name, Err: &ftp.LimitError{Limit: "MaxPathLen", Max: maxPathLen, Path: path.Dir(name), Name: path.Base(name)}}
	}
	depth := 0
	if name != "." {
		depth = strings.Count(name, "/") + 1
	}
	if depth > maxDepth || op == "readdir" && depth == maxDepth {
		return "", &fs.PathError{Op: op, Path: name, Err: &ftp.LimitError{Limit: "MaxDepth", Max: maxDepth, Path: name}}
	}
	if name == "." {
		if f.root == "" {
			return ".", nil
		}
		return f.root, nil
	}
	if f.root == "" {
		return name, nil
	}
	return path.Join(f.root, name), nil
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// Stat describes name (MLST, or SIZE and MDTM, or the parent's listing).
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	p, err := f.remote("stat", name)
	if err != nil {
		return nil, err
	}
	if name == "." {
		return (&ftp.Entry{Name: ".", Type: ftp.EntryDir, Size: -1}).Info(), nil
	}
	e, err := f.pool.Stat(f.ctx, p)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	e.Name = path.Base(name)
	return e.Info(), nil
}

// ReadDir lists name, hidden entries included as with os.ReadDir (see
// Conn.ListAll), sorted by file name as fs.ReadDir promises.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := f.remote("readdir", name)
	if err != nil {
		return nil, err
	}
	// Unsafe names are never handed out: ListSeq reports them in their
	// place, and the listing goes on. The entries become DirEntries as
	// they are parsed; only those are held.
	var out []fs.DirEntry
	var errs []error
	for e, lerr := range f.pool.ListSeq(f.ctx, p, &ftp.ListOptions{Hidden: true}) {
		if lerr != nil {
			errs = append(errs, lerr)
			continue
		}
		out = append(out, fs.FileInfoToDirEntry(e.Info()))
	}
	err = errors.Join(errs...)
	if len(errs) == 1 {
		err = errs[0]
	}
	var le *ftp.ListError
	var ue *ftp.UnsafeNameError
	if err != nil && !errors.As(err, &le) && !errors.As(err, &ue) {
		return nil, pathErr("readdir", name, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	if err != nil {
		return out, pathErr("readdir", name, err)
	}
	return out, nil
}

// Open opens name. A directory gives an fs.ReadDirFile; a file streams on
// first Read.
func (f *FS) Open(name string) (fs.File, error) {
	info, err := f.Stat(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.Unwrap(err)}
	}
	p, _ := f.remote("open", name)
	if info.IsDir() {
		return &dirFile{fsys: f, name: name, info: info}, nil
	}
	return &remoteFile{fsys: f, name: name, remote: p, info: info}, nil
}

// dirFile is an opened directory.
type dirFile struct {
	fsys    *FS
	name    string
	info    fs.FileInfo
	entries []fs.DirEntry
	read    bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *dirFile) Close() error { return nil }

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		entries, err := d.fsys.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.read = entries, true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n]
	d.entries = d.entries[n:]
	return out, nil
}

// remoteFile is an opened file: a RETR stream from the current offset,
// reopened with REST after a Seek.
type remoteFile struct {
	fsys   *FS
	name   string
	remote string
	info   fs.FileInfo
	offset int64
	stream io.ReadCloser // open at streamAt, nil when none
	at     int64
	closed bool
}

var (
	_ io.ReadSeeker = (*remoteFile)(nil)
	_ io.ReaderAt   = (*remoteFile)(nil)
)

func (r *remoteFile) Stat() (fs.FileInfo, error) { return r.info, nil }

func (r *remoteFile) Read(p []byte) (int, error) {
	if r.closed {
		return 0, &fs.PathError{Op: "read", Path: r.name, Err: fs.ErrClosed}
	}
	if r.offset >= r.info.Size() {
		return 0, io.EOF
	}
	if r.stream != nil && r.at != r.offset {
		r.stream.Close()
		r.stream = nil
	}
	if r.stream == nil {
		s, err := r.fsys.retrieve(r.remote, r.offset)
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: r.name, Err: err}
		}
		r.stream, r.at = s, r.offset
	}
	n, err := r.stream.Read(p)
	r.offset += int64(n)
	r.at += int64(n)
	if err == io.EOF {
		r.stream.Close()
		r.stream = nil
	}
	return n, err
}

// Seek moves the offset; the next Read reopens the stream there (REST).
func (r *remoteFile) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, &fs.PathError{Op: "seek", Path: r.name, Err: fs.ErrClosed}
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.offset
	case io.SeekEnd:
		offset += r.info.Size()
	default:
		return 0, &fs.PathError{Op: "seek", Path: r.name, Err: fs.ErrInvalid}
	}
	if offset < 0 {
		return 0, &fs.PathError{Op: "seek", Path: r.name, Err: fs.ErrInvalid}
	}
	r.offset = offset
	return offset, nil
}

// ReadAt reads len(p) bytes at off on a connection of its own (REST +
// RETR, then ABOR), leaving the file's offset alone.
func (r *remoteFile) ReadAt(p []byte, off int64) (int, error) {
	if r.closed {
		return 0, &fs.PathError{Op: "read", Path: r.name, Err: fs.ErrClosed}
	}
	if off >= r.info.Size() {
		return 0, io.EOF
	}
	s, err := r.fsys.retrieve(r.remote, off)
	if err != nil {
		return 0, &fs.PathError{Op: "read", Path: r.name, Err: err}
	}
	defer s.Close()
	n, err := io.ReadFull(s, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// retrieve opens remote from offset on a pooled connection, which goes
// back to the pool when the stream is closed.
func (f *FS) retrieve(remote string, offset int64) (io.ReadCloser, error) {
	pc, err := f.pool.Conn(f.ctx)
	if err != nil {
		return nil, err
	}
	r, err := pc.RetrieveFrom(f.ctx, remote, offset)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return &pooledReader{Reader: r, pc: pc}, nil
}

// pooledReader gives its connection back on Close. It keeps WriteTo, so
// io.Copy into a file still splices.
type pooledReader struct {
	*ftp.Reader
	pc *ftp.PoolConn
}

func (r *pooledReader) Close() error {
	err := r.Reader.Close()
	r.pc.Close()
	return err
}

func (r *remoteFile) Close() error {
	if r.closed {
		return &fs.PathError{Op: "close", Path: r.name, Err: fs.ErrClosed}
	}
	r.closed = true
	if r.stream != nil {
		return r.stream.Close()
	}
	return nil
}
