// Listings as text: the client hands listings over parsed, and the AT
// commands pass them on as the server's text.

package atbridge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/seed362563c3/ftp"
)

// listingText returns the listing of dir for verb (LIST, NLST or MLSD) as
// lines ending in CRLF. The client lists with MLSD when the server has it
// and LIST otherwise, and keeps each line in Entry.Raw: lines are passed on
// as received when the client used the command asked for. LIST on a server
// with MLSD gets lines formatted like ls -l from the entries; MLSD on a
// server without it is not supported. "." and "..", which the client leaves
// out, are missing; lines the client could not parse come last.
func listingText(ctx context.Context, conn *ftp.Conn, verb, dir string) ([]byte, error) {
	var lines []string
	if verb == "NLST" {
		names, err := conn.NameList(ctx, dir)
		if err != nil {
			return nil, err
		}
		lines = names
	} else {
		feats, err := conn.Features(ctx)
		if err != nil {
			return nil, err
		}
		mlsd := feats.Has("MLST")
		if verb == "MLSD" && !mlsd {
			return nil, fmt.Errorf("ftp: MLSD: %w", ftp.ErrNotSupported)
		}
		entries, err := conn.List(ctx, dir)
		var le *ftp.ListError
		if err != nil && !errors.As(err, &le) {
			return nil, err
		}
		for _, e := range entries {
			if (verb == "MLSD") == mlsd {
				lines = append(lines, e.Raw)
			} else {
				lines = append(lines, lsLine(e, time.Now()))
			}
		}
		if le != nil {
			lines = append(lines, le.Lines...)
		}
	}
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString(l)
		sb.WriteString("\r\n")
	}
	return []byte(sb.String()), nil
}

// lsLine formats an entry the way a Unix server's LIST does.
func lsLine(e *ftp.Entry, now time.Time) string {
	kind := byte('-')
	switch e.Type {
	case ftp.EntryDir:
		kind = 'd'
	case ftp.EntryLink:
		kind = 'l'
	case ftp.EntryOther:
		kind = '?'
	}
	perm := e.Mode.Perm()
	if perm == 0 {
		perm = 0o644
		if e.Type == ftp.EntryDir {
			perm = 0o755
		}
	}
	mode := string(kind) + fs.FileMode(perm).String()[1:]
	owner, group := e.Owner, e.Group
	if owner == "" {
		owner = "ftp"
	}
	if group == "" {
		group = "ftp"
	}
	size := max(e.Size, 0)
	t := e.ModTime
	if t.IsZero() {
		t = now
	}
	stamp := t.Format("Jan _2 15:04")
	if now.Sub(t) > 180*24*time.Hour || t.Sub(now) > 24*time.Hour {
		stamp = t.Format("Jan _2  2006")
	}
	name := e.Name
	if e.Type == ftp.EntryLink && e.Target != "" {
		name += " -> " + e.Target
	}
	return fmt.Sprintf("%s 1 %s %s %12d %s %s", mode, owner, group, size, stamp, name)
}
