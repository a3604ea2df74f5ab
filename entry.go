// Entry describes one item of a directory listing or a Stat answer.

package ftp

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// EntryType is the kind of a directory entry.
type EntryType int

// The kinds of entry a listing can report.
const (
	EntryFile    EntryType = iota // a regular file
	EntryDir                      // a directory
	EntryLink                     // a symbolic link; Entry.Target names what it points to when known
	EntryOther                    // anything else (devices, sockets, pipes, unknown MLSx types)
	entryCurrent                  // MLSx "cdir": the listed directory itself, never returned
	entryParent                   // MLSx "pdir": its parent, never returned
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

// ErrUnparsedLine is matched by a *ListError: a listing held lines that no
// known format describes.
var ErrUnparsedLine = errors.New("ftp: listing line not understood")

// ListError reports the lines of a listing that could not be parsed. The
// entries that were parsed are still returned beside it, so a caller may
// choose to go on; nothing is dropped silently: Count says how many lines
// were not understood, and Lines keeps the first 16 of them as a sample (a
// listing of garbage costs no more memory than that).
type ListError struct {
	Command string   // LIST or MLSD with its argument
	Lines   []string // the first (at most 16) lines not understood, as received
	Count   int      // how many lines were not understood in all
}

func (e *ListError) Error() string {
	first := ""
	if len(e.Lines) > 0 {
		first = e.Lines[0]
		if len(first) > 80 {
			first = first[:80] + "..."
		}
	}
	return fmt.Sprintf("ftp: %s: %d listing line(s) not understood, first: %q", e.Command, max(e.Count, len(e.Lines)), first)
}

// Unwrap lets errors.Is(err, ErrUnparsedLine) match.
func (e *ListError) Unwrap() error { return ErrUnparsedLine }

// isDotName reports whether name is "." or "..", which listings never return.
func isDotName(name string) bool {
	return name == "." || name == ".." || strings.TrimSpace(name) == ""
}
