// Entry describes one item of a directory listing or a Stat answer.

package listing

import (
	"errors"
	"io/fs"
	"strings"
	"time"
)

// EntryType is the kind of a directory entry.
type EntryType int

// The kinds of entry a listing can report.
const (
	EntryFile       EntryType = iota // a regular file
	EntryDir                         // a directory
	EntryLink                        // a symbolic link; Entry.Target names what it points to when known
	EntryOther                       // anything else (devices, sockets, pipes, unknown MLSx types)
	EntryCurrentDir                  // MLSx "cdir": the listed directory itself (ftp.List leaves it out)
	EntryParentDir                   // MLSx "pdir": its parent (ftp.List leaves it out)
)

// String returns "file", "dir", "link" or "other".
func (t EntryType) String() string {
	switch t {
	case EntryFile:
		return "file"
	case EntryDir:
		return "dir"
	case EntryLink:
		return "link"
	default:
		return "other"
	}
}

// Entry is one item of a listing (MLSD, LIST) or the answer of Stat (MLST).
// Fields a server did not report are left at their zero value: a zero ModTime
// means "unknown", as does a Size of -1.
type Entry struct {
	Name    string      // the name as the server sent it, never a path for listings
	Type    EntryType   // file, dir, link or other
	Size    int64       // size in bytes, -1 when unknown
	ModTime time.Time   // modification time; UTC for MLSx, server-local clock for LIST
	Mode    fs.FileMode // permission bits (from unix.mode or the ls mode string), 0 when unknown
	Target  string      // for a symbolic link listed by LIST, the link's target
	Owner   string      // owner name or id when reported
	Group   string      // group name or id when reported
	// Facts holds every MLSx fact, keys lower-cased (RFC 3659 7.5), or nil for LIST.
	Facts map[string]string
	// Raw is the line the entry was parsed from, for callers that need more.
	Raw string
}

// IsDotName reports whether name is ".", ".." or blank, which ftp.List
// never returns.
func IsDotName(name string) bool {
	return name == "." || name == ".." || strings.TrimSpace(name) == ""
}

// fileInfo adapts an Entry to fs.FileInfo.
type fileInfo struct{ e *Entry }

func (i *fileInfo) Name() string { return i.e.Name }

func (i *fileInfo) Size() int64 { return max(i.e.Size, 0) }

func (i *fileInfo) ModTime() time.Time { return i.e.ModTime }

func (i *fileInfo) IsDir() bool { return i.e.Type == EntryDir }

func (i *fileInfo) Sys() any { return i.e }

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

// ErrUnparsedLine is matched by the errors of ParseLIST and ParseMLSx for
// a line that no format describes, and by an ftp.ListError.
var ErrUnparsedLine = errors.New("ftp: listing line not understood")
