// An io/fs view of a remote tree: fs.WalkDir, fs.Glob and http.FS work on a
// server through a Pool.

package ftp

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// FS is a read-only fs.FS over a remote directory, backed by a Pool. It
// implements fs.ReadDirFS and fs.StatFS; files opened from it stream
// through RETR and support Seek and ReadAt through REST, so
// http.FileServer(http.FS(fsys)) can serve ranges. It is safe for
// concurrent use. Operations use the context given to NewFS.
type FS struct {
	ctx  context.Context
	pool *Pool
	root string
}

var (
	_ fs.ReadDirFS = (*FS)(nil)
	_ fs.StatFS    = (*FS)(nil)
)

// NewFS returns a view of root (a remote path, "" for the login directory)
// through p. Cancelling ctx stops every operation of the view.
func NewFS(ctx context.Context, p *Pool, root string) *FS {
	return &FS{ctx: ctx, pool: p, root: root}
}

// remote maps an fs path to the server's path. As in a walk, a name of
// more than DefaultMaxDepth levels (a directory of DefaultMaxDepth levels
// for ReadDir) or longer than DefaultMaxPathLen bytes is refused with a
// *LimitError, so that fs.WalkDir over a server whose directories list
// themselves ends.
func (f *FS) remote(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if len(name) > DefaultMaxPathLen {
		return "", &fs.PathError{Op: op, Path: name, Err: &LimitError{Limit: "MaxPathLen", Max: DefaultMaxPathLen, Path: path.Dir(name), Name: path.Base(name)}}
	}
	depth := 0
	if name != "." {
		depth = strings.Count(name, "/") + 1
	}
	if depth > DefaultMaxDepth || op == "readdir" && depth == DefaultMaxDepth {
		return "", &fs.PathError{Op: op, Path: name, Err: &LimitError{Limit: "MaxDepth", Max: DefaultMaxDepth, Path: name}}
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
		return &fileInfo{e: &Entry{Name: ".", Type: EntryDir, Size: -1}}, nil
	}
	e, err := f.pool.Stat(f.ctx, p)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	e.Name = path.Base(name)
	return &fileInfo{e: e}, nil
}

// ReadDir lists name, hidden entries included as with os.ReadDir (see
// Conn.ListAll), sorted by file name as fs.ReadDir promises.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := f.remote("readdir", name)
	if err != nil {
		return nil, err
	}
	entries, err := f.pool.listRaw(f.ctx, p, true, DefaultMaxListEntries)
	var le *ListError
	if err != nil && !errors.As(err, &le) {
		return nil, pathErr("readdir", name, err)
	}
	out := make([]fs.DirEntry, 0, len(entries))
	var unsafe []error
	for _, e := range entries {
		if !safeEntryName(e.Name) {
			// Never handed out as a name: reported beside the others.
			unsafe = append(unsafe, &UnsafeNameError{Dir: p, Name: e.Name})
			continue
		}
		out = append(out, fs.FileInfoToDirEntry(&fileInfo{e: e}))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	if err = errors.Join(append(unsafe, err)...); err != nil {
		return out, pathErr("readdir", name, err)
	}
	return out, nil
}

// safeName reports whether a name from a listing may be used as one path
// element: no separators, no "..", no control characters that end lines.
func safeName(name string) bool {
	if name == "" || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '/', '\\', 0, '\r', '\n':
			return false
		}
	}
	return true
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

// fileInfo adapts an Entry to fs.FileInfo.
type fileInfo struct{ e *Entry }

func (i *fileInfo) Name() string       { return i.e.Name }
func (i *fileInfo) Size() int64        { return max(i.e.Size, 0) }
func (i *fileInfo) ModTime() time.Time { return i.e.ModTime }
func (i *fileInfo) IsDir() bool        { return i.e.Type == EntryDir }
func (i *fileInfo) Sys() any           { return i.e }
func (i *fileInfo) Mode() fs.FileMode {
	m := i.e.Mode.Perm()
	if m == 0 {
		m = 0o644
		if i.e.Type == EntryDir {
			m = 0o755
		}
	}
	switch i.e.Type {
	case EntryDir:
		m |= fs.ModeDir
	case EntryLink:
		m |= fs.ModeSymlink
	case EntryOther:
		m |= fs.ModeIrregular
	}
	return m
}

// Info returns the entry as an fs.FileInfo (Sys returns the *Entry).
func (e *Entry) Info() fs.FileInfo { return &fileInfo{e: e} }

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
		s, err := r.fsys.pool.RetrieveFrom(r.fsys.ctx, r.remote, r.offset)
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
	s, err := r.fsys.pool.RetrieveFrom(r.fsys.ctx, r.remote, off)
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
