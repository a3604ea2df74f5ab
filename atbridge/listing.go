// Listings as text: the AT commands pass a listing on as the server sent
// it, through the client's raw listing stream; a server without MLSD gets
// its MLSD lines built from the parsed LIST.

package atbridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/seed362563c3/ftp"
)

// maxListingText bounds a listing held for an AT command: the modules'
// own buffers are far smaller.
const maxListingText = 64 << 20

// listingText returns the listing of dir for verb (LIST, NLST or MLSD) as
// the server sends it (ftp.Conn.RawList), lines ending in CRLF. A server
// without MLSD, one whose FEAT lists features but not MLST, or one that
// refuses MLSD as a command it does not know (500, 502, 504), gets MLSD
// lines made from its parsed LIST (mlsdFromList), as a module's own client
// would answer AT+QFTPMLSD.
func listingText(ctx context.Context, conn *ftp.Conn, verb, dir string) ([]byte, error) {
	if verb == "MLSD" {
		feats, err := conn.Features(ctx)
		if err != nil {
			return nil, err
		}
		if len(feats) > 0 && !feats.Has("MLST") {
			return mlsdFromList(ctx, conn, dir)
		}
	}
	text, err := rawListing(ctx, conn, verb, dir)
	if verb == "MLSD" && isReply(err) && errors.Is(err, ftp.ErrNotSupported) && conn.Err() == nil {
		return mlsdFromList(ctx, conn, dir)
	}
	return text, err
}

// rawListing reads a listing command's data whole, bounded.
func rawListing(ctx context.Context, conn *ftp.Conn, verb, dir string) ([]byte, error) {
	r, err := conn.RawList(ctx, verb, dir)
	if err != nil {
		return nil, err
	}
	text, err := io.ReadAll(io.LimitReader(r, maxListingText+1))
	if err == nil && len(text) > maxListingText {
		err = fmt.Errorf("ftp: %s %s: %w: a listing of more than %d bytes", verb, dir, ftp.ErrLimit, maxListingText)
	}
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return text, nil
}

// mlsdFromList lists dir with LIST, hidden entries too as MLSD shows them
// (ftp.Conn.ListAll), and writes an MLSD line for each entry. Lines the
// client could not parse have no facts to give and are left out; names
// that are not one path element are passed on as a server's MLSD would
// pass them, unless they hold CR, LF or NUL, which would break the lines.
func mlsdFromList(ctx context.Context, conn *ftp.Conn, dir string) ([]byte, error) {
	entries, err := conn.ListAll(ctx, dir)
	for _, e := range flatten(err) {
		var ue *ftp.UnsafeNameError
		var le *ftp.ListError
		switch {
		case errors.As(e, &ue):
			if ue.Entry != nil && !strings.ContainsAny(ue.Entry.Name, "\r\n\x00") {
				entries = append(entries, ue.Entry)
			}
		case errors.As(e, &le):
		default:
			return nil, err
		}
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(mlsdLine(e))
		b.WriteString("\r\n")
		if b.Len() > maxListingText {
			return nil, fmt.Errorf("ftp: LIST %s: %w: a listing of more than %d bytes", dir, ftp.ErrLimit, maxListingText)
		}
	}
	return []byte(b.String()), nil
}

// flatten lists the errors joined (errors.Join) in err.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var all []error
	for _, e := range j.Unwrap() {
		all = append(all, flatten(e)...)
	}
	return all
}

// mlsdLine formats an entry of a LIST as an MLSD line (RFC 3659 7.2):
// "type=file;size=N;modify=YYYYMMDDHHMMSS;perm=...; name", with the facts
// the listing gave. A link is "OS.unix=symlink", as proftpd writes it; an
// entry of another kind has no type fact. Sizes are given for files and
// links, not for directories. The time is the listing's (to the minute, or
// the day for older files), in UTC. perm is made of the owner's mode bits:
// LIST says what the owner may do, not whether the session is the owner.
func mlsdLine(e *ftp.Entry) string {
	var b strings.Builder
	switch e.Type {
	case ftp.EntryFile:
		b.WriteString("type=file;")
	case ftp.EntryDir:
		b.WriteString("type=dir;")
	case ftp.EntryLink:
		b.WriteString("type=OS.unix=symlink;")
	}
	if e.Size >= 0 && e.Type != ftp.EntryDir {
		b.WriteString("size=" + strconv.FormatInt(e.Size, 10) + ";")
	}
	if !e.ModTime.IsZero() {
		b.WriteString("modify=" + e.ModTime.UTC().Format("20060102150405") + ";")
	}
	if p := mlsdPerm(e); p != "" {
		b.WriteString("perm=" + p + ";")
	}
	b.WriteString(" ")
	b.WriteString(e.Name)
	return b.String()
}

// mlsdPerm turns the owner's permission bits into an RFC 3659 perm fact:
// for a file r (read) and adfw (append, delete, rename, write) when it is
// writable; for a directory e (enter) when searchable, l (list) when
// readable, cdfmp (create, delete, rename, mkdir, purge) when writable.
// "" when the listing gave no mode, or for a link, whose mode says nothing.
func mlsdPerm(e *ftp.Entry) string {
	mode := e.Mode.Perm()
	if mode == 0 || e.Type == ftp.EntryLink {
		return ""
	}
	read, write, exec := mode&0o400 != 0, mode&0o200 != 0, mode&0o100 != 0
	var p []string
	switch e.Type {
	case ftp.EntryFile:
		if write {
			p = append(p, "a", "d", "f")
		}
		if read {
			p = append(p, "r")
		}
		if write {
			p = append(p, "w")
		}
	case ftp.EntryDir:
		if write {
			p = append(p, "c", "d")
		}
		if exec {
			p = append(p, "e")
		}
		if write {
			p = append(p, "f")
		}
		if read {
			p = append(p, "l")
		}
		if write {
			p = append(p, "m", "p")
		}
	}
	return strings.Join(p, "")
}
