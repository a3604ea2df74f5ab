// ftpc ls, size and mdtm: what the server says about its files, as text
// or JSON.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	ftp "github.com/seed362563c3/ftp"
)

func cmdList(ctx context.Context, s *session, args []string) error {
	t, c, err := s.connect(ctx, args[0])
	if err != nil {
		return err
	}
	defer release(ctx, c)
	entries, err := c.List(ctx, t.path)
	if err != nil && len(entries) == 0 {
		// A URL naming a file: MLSD refuses a file (proftpd: 550 "not a
		// directory"), and a LIST may too. The file is shown as ls shows
		// one, under the path given.
		if e, ok := statFile(ctx, c, t.path, err); ok {
			entries, err = []*ftp.Entry{e}, nil
		}
	}
	// Names that are not one path element are refused by the library
	// (nothing may build a path of them), but showing them, escaped, is
	// what a listing is for.
	shown, err := takeUnsafe(err)
	if s.opts.json {
		for _, e := range sortEntries(entries) {
			if werr := writeJSON(s.stdout, newJSONEntry(e, false)); werr != nil {
				return werr
			}
		}
		for _, e := range sortEntries(shown) {
			if werr := writeJSON(s.stdout, newJSONEntry(e, true)); werr != nil {
				return werr
			}
		}
	} else {
		printEntries(s.stdout, append(entries, shown...))
	}
	var le *ftp.ListError
	if errors.As(err, &le) {
		for _, line := range le.Lines {
			fmt.Fprintf(s.stderr, "ftpc: listing line not understood: %q\n", escapeText(line))
		}
		if le.Count > len(le.Lines) {
			fmt.Fprintf(s.stderr, "ftpc: %d more listing lines not understood\n", le.Count-len(le.Lines))
		}
	}
	return err
}

// statFile describes p when a listing of it was refused because it is a
// file, with the name p as given; ok is false when p is not a file or
// Stat fails, and the listing's error stands.
func statFile(ctx context.Context, c *ftp.Conn, p string, listErr error) (*ftp.Entry, bool) {
	var fe *ftp.Error
	if p == "" || strings.HasSuffix(p, "/") || !errors.As(listErr, &fe) || fe.Code/100 < 4 || c.Err() != nil {
		return nil, false
	}
	e, err := c.Stat(ctx, p)
	if err != nil || e.Type == ftp.EntryDir {
		return nil, false
	}
	shown := *e
	shown.Name = p
	return &shown, true
}

// takeUnsafe takes the *UnsafeNameErrors out of a listing's error and
// returns their entries, with what else the error held.
func takeUnsafe(err error) ([]*ftp.Entry, error) {
	var entries []*ftp.Entry
	var rest []error
	for _, e := range flattenErrors(err) {
		var ue *ftp.UnsafeNameError
		if errors.As(e, &ue) && ue.Entry != nil {
			entries = append(entries, ue.Entry)
			continue
		}
		rest = append(rest, e)
	}
	return entries, errors.Join(rest...)
}

// sortEntries sorts entries by name and returns them.
func sortEntries(entries []*ftp.Entry) []*ftp.Entry {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries
}

// printEntries writes one line per entry, sorted by name: type, size, time
// and name. Names and link targets are printed as ls -b prints them, with
// control characters escaped (escapeName): a name is the server's to
// choose, and must not drive the terminal.
func printEntries(w io.Writer, entries []*ftp.Entry) {
	for _, e := range sortEntries(entries) {
		size := "-"
		if e.Size >= 0 {
			size = strconv.FormatInt(e.Size, 10)
		}
		mod := "-"
		if !e.ModTime.IsZero() {
			mod = e.ModTime.UTC().Format(time.RFC3339)
		}
		name := escapeName(e.Name)
		if e.Type == ftp.EntryLink && e.Target != "" {
			name += " -> " + escapeName(e.Target)
		}
		fmt.Fprintf(w, "%c %12s %-20s %s\n", typeChar(e.Type), size, mod, name)
	}
}

func typeChar(t ftp.EntryType) byte {
	switch t {
	case ftp.EntryDir:
		return 'd'
	case ftp.EntryFile:
		return '-'
	case ftp.EntryLink:
		return 'l'
	}
	return '?'
}

func cmdSize(ctx context.Context, s *session, args []string) error {
	return withPath(ctx, s, args[0], "file", func(c *ftp.Conn, p string) error {
		n, err := c.Size(ctx, p)
		switch {
		case err != nil:
			return err
		case s.opts.json:
			return writeJSON(s.stdout, struct {
				Path string `json:"path"`
				Size int64  `json:"size"`
			}{p, n})
		}
		fmt.Fprintln(s.stdout, n)
		return nil
	})
}

func cmdModTime(ctx context.Context, s *session, args []string) error {
	return withPath(ctx, s, args[0], "file", func(c *ftp.Conn, p string) error {
		mt, err := c.ModTime(ctx, p)
		switch {
		case err != nil:
			return err
		case s.opts.json:
			return writeJSON(s.stdout, struct {
				Path     string `json:"path"`
				Modified string `json:"modified"`
			}{p, mt.UTC().Format(time.RFC3339)})
		}
		fmt.Fprintln(s.stdout, mt.UTC().Format(time.RFC3339))
		return nil
	})
}
