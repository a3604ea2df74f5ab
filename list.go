// Listings: MLSD or LIST into entries, NLST into names, and Stat (MLST, or
// SIZE and MDTM, or the parent's listing).

package ftp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"path"
	"strings"
	"time"
)

// maxListLine bounds one line of a listing.
const maxListLine = 64 << 10

func newControlReader(nc net.Conn) *bufio.Reader { return bufio.NewReaderSize(nc, 4096) }

// List lists a directory: MLSD when the server advertises MLST (every RFC
// 3659 fact kept in Entry.Facts), LIST otherwise, parsed from Unix ls -l,
// DOS/IIS or EPLF lines. An empty dir lists the working directory. "." and
// ".." are left out. Lines that no format describes make the error a
// *ListError, returned beside the entries that were understood.
func (c *Conn) List(ctx context.Context, dir string) ([]*Entry, error) {
	if err := validateArg("LIST", dir); err != nil {
		return nil, err
	}
	feats, err := c.Features(ctx)
	if err != nil {
		return nil, err
	}
	mlsd := feats.Has("MLST") && !c.cfg.DisableMLSD
	verb := "LIST"
	if mlsd {
		verb = "MLSD"
	}
	var entries []*Entry
	var bad []string
	now := time.Now()
	loc := c.cfg.location()
	err = c.readListing(ctx, verb, dir, func(line string) {
		var e *Entry
		var perr error
		if mlsd {
			e, perr = parseMLSxLine(line)
			if e != nil && (e.Type == entryCurrent || e.Type == entryParent || isDotName(e.Name)) {
				e = nil
			}
		} else {
			e, perr = parseListLine(line, now, loc)
		}
		switch {
		case perr != nil:
			bad = append(bad, line)
		case e != nil:
			entries = append(entries, e)
		}
	})
	if err != nil {
		return entries, err
	}
	if len(bad) > 0 {
		return entries, &ListError{Command: logLine(verb, dir), Lines: bad}
	}
	return entries, nil
}

// NameList returns the names in a directory (NLST). Servers differ on
// whether the names carry the directory's path.
func (c *Conn) NameList(ctx context.Context, dir string) ([]string, error) {
	var names []string
	err := c.readListing(ctx, "NLST", dir, func(line string) {
		if line != "" {
			names = append(names, line)
		}
	})
	return names, err
}

// readListing runs a listing command and hands each line to fn.
func (c *Conn) readListing(ctx context.Context, verb, dir string, fn func(string)) error {
	t, err := c.openData(ctx, verb, dir, 0, false)
	if err != nil {
		return err
	}
	r := newReader(t, false)
	br := bufio.NewReaderSize(r, 32<<10)
	for {
		line, err := readListLine(br)
		if err == io.EOF {
			return r.Close()
		}
		if err != nil {
			if r.eof {
				// The final reply was read: its error is the answer.
				return err
			}
			r.Close()
			return err
		}
		fn(line)
	}
}

// readListLine reads one line of a listing without its CRLF or LF.
func readListLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxListLine {
			return "", &ProtocolError{Reason: fmt.Sprintf("listing line longer than %d bytes", maxListLine), Line: shorten(string(buf))}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				return strings.TrimRight(string(buf), "\r"), nil
			}
			return "", err
		}
		return strings.TrimRight(string(buf[:len(buf)-1]), "\r"), nil
	}
}

// Stat describes one file or directory: with MLST when the server has it,
// otherwise SIZE and MDTM for a file and the parent's listing for anything
// else. A missing p gives an error that matches fs.ErrNotExist.
func (c *Conn) Stat(ctx context.Context, p string) (*Entry, error) {
	if p == "" {
		return nil, fmt.Errorf("ftp: MLST: %w: empty path", ErrInvalidArgument)
	}
	if err := validateArg("MLST", p); err != nil {
		return nil, err
	}
	feats, err := c.Features(ctx)
	if err != nil {
		return nil, err
	}
	if feats.Has("MLST") {
		r, err := c.cmd(ctx, "MLST", p, StatusRequestedFileActionOK)
		if err != nil {
			return nil, err
		}
		lines := r.Lines()
		for _, line := range lines[1:max(1, len(lines)-1)] {
			if strings.TrimSpace(line) == "" {
				continue
			}
			e, perr := parseMLSxLine(strings.TrimPrefix(line, " "))
			if perr != nil {
				return nil, &ProtocolError{Command: "MLST " + p, Reason: perr.Error(), Line: shorten(line)}
			}
			e.Name = path.Base(e.Name)
			if e.Type == entryCurrent || e.Type == entryParent {
				e.Type = EntryDir
			}
			return e, nil
		}
		return nil, &ProtocolError{Command: "MLST " + p, Reason: "250 reply without facts", Line: shorten(r.Message)}
	}
	return c.statWithoutMLST(ctx, p)
}

func (c *Conn) statWithoutMLST(ctx context.Context, p string) (*Entry, error) {
	size, err := c.Size(ctx, p)
	if err == nil {
		e := &Entry{Name: path.Base(p), Type: EntryFile, Size: size}
		if t, err := c.ModTime(ctx, p); err == nil {
			e.ModTime = t
		}
		return e, nil
	}
	var fe *Error
	if !errors.As(err, &fe) {
		return nil, err
	}
	// SIZE fails for directories and on servers without it: look in the
	// parent's listing.
	clean := strings.TrimRight(p, "/")
	if clean == "" {
		return &Entry{Name: "/", Type: EntryDir, Size: -1}, nil
	}
	parent, name := path.Split(clean)
	if parent != "/" {
		parent = strings.TrimRight(parent, "/")
	}
	entries, lerr := c.List(ctx, parent)
	for _, e := range entries {
		if e.Name == name {
			return e, nil
		}
	}
	if lerr != nil {
		var le *ListError
		if !errors.As(lerr, &le) {
			return nil, lerr
		}
	}
	return nil, &Error{Command: "STAT " + p, Code: StatusFileUnavailable, Msg: fs.ErrNotExist.Error()}
}
