// ftpc ls, size and mdtm: what the server says about its files, as text
// or JSON.

package main

import (
	"bufio"
	"bytes"
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

// sortBound is how many entries ls holds to sort them by name. A longer
// listing is printed in the server's order as it arrives, so that memory
// stays flat whatever its length (--sort holds and sorts them all).
const sortBound = 10000

func cmdList(ctx context.Context, s *session, args []string) error {
	t, c, err := s.connect(ctx, args[0])
	if err != nil {
		return err
	}
	defer release(ctx, c)
	out := bufio.NewWriterSize(s.stdout, 64<<10)
	p := &entryPrinter{w: out, json: s.opts.json, bound: sortBound, stderr: s.stderr}
	switch s.opts.sortMode {
	case "all":
		p.bound = -1
	case "none":
		p.bound = 0
	}
	var listErr error
	for e, err := range c.ListSeq(ctx, t.path, nil) {
		// Names that are not one path element are refused by the
		// library (nothing may build a path of them), but showing
		// them, escaped, is what a listing is for.
		var ue *ftp.UnsafeNameError
		switch {
		case err == nil:
			p.add(e, false)
		case errors.As(err, &ue) && ue.Entry != nil:
			p.add(ue.Entry, true)
		default:
			listErr = err
		}
	}
	if listErr != nil && p.count == 0 {
		// A URL naming a file: MLSD refuses a file (proftpd: 550 "not a
		// directory"), and a LIST may too. The file is shown as ls shows
		// one, under the path given.
		if e, ok := statFile(ctx, c, t.path, listErr); ok {
			p.add(e, false)
			listErr = nil
		}
	}
	p.finish()
	if err := out.Flush(); err != nil && listErr == nil {
		return err
	}
	var le *ftp.ListError
	if errors.As(listErr, &le) {
		for _, line := range le.Lines {
			fmt.Fprintf(s.stderr, "ftpc: listing line not understood: %q\n", escapeText(line))
		}
		if le.Count > len(le.Lines) {
			fmt.Fprintf(s.stderr, "ftpc: %d more listing lines not understood\n", le.Count-len(le.Lines))
		}
	}
	if listErr == nil {
		return p.err
	}
	return listErr
}

// entryPrinter prints a listing as ls shows it. It holds up to bound
// entries to print them sorted by name at the end; past the bound it
// prints what it holds and every later entry as it comes, in the server's
// order. A bound of 0 holds nothing; a negative one holds everything.
// What it holds is each entry's name and printed line in one buffer
// (about 100 bytes an entry, where an *ftp.Entry and its strings take
// about three times that), so that sorting costs little memory.
type entryPrinter struct {
	w      io.Writer
	stderr io.Writer
	json   bool
	bound  int

	arena     []byte     // the held entries: each one's name, then its line
	held      []heldLine // where they are in arena, in arrival order
	streaming bool       // past the bound: printing as entries come
	count     int        // entries seen
	line      []byte     // the line being printed when streaming, reused
	err       error      // the first error formatting or writing
}

// heldLine is one held entry: arena[off:off+nameLen] is its name and
// arena[off+nameLen:end] its line.
type heldLine struct{ off, nameLen, end int }

func (p *entryPrinter) add(e *ftp.Entry, unsafe bool) {
	p.count++
	if p.err != nil {
		return
	}
	if !p.streaming && (p.bound < 0 || len(p.held) < p.bound) {
		off := len(p.arena)
		p.arena = append(p.arena, e.Name...)
		p.arena, p.err = p.appendLine(p.arena, e, unsafe)
		p.held = append(p.held, heldLine{off, len(e.Name), len(p.arena)})
		return
	}
	if !p.streaming {
		p.streaming = true
		if p.bound > 0 {
			fmt.Fprintf(p.stderr, "ftpc: more than %d entries: shown in the server's order as they arrive (--sort sorts any number, holding them all)\n", p.bound)
		}
		p.flushHeld()
	}
	p.line, p.err = p.appendLine(p.line[:0], e, unsafe)
	if p.err == nil {
		_, p.err = p.w.Write(p.line)
	}
}

// finish prints the entries still held, sorted by name.
func (p *entryPrinter) finish() {
	name := func(h heldLine) []byte { return p.arena[h.off : h.off+h.nameLen] }
	sort.SliceStable(p.held, func(i, j int) bool { return bytes.Compare(name(p.held[i]), name(p.held[j])) < 0 })
	p.flushHeld()
}

// flushHeld prints the held entries in their order and lets them go.
func (p *entryPrinter) flushHeld() {
	for _, h := range p.held {
		if p.err == nil {
			_, p.err = p.w.Write(p.arena[h.off+h.nameLen : h.end])
		}
	}
	p.arena, p.held = nil, nil
}

func (p *entryPrinter) appendLine(b []byte, e *ftp.Entry, unsafe bool) ([]byte, error) {
	if p.json {
		return appendJSON(b, newJSONEntry(e, unsafe))
	}
	return appendEntry(b, e), nil
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

// appendEntry appends the line ls prints for e: type, size, time and
// name. Names and link targets are printed as ls -b prints them, with
// control characters escaped (escapeName): a name is the server's to
// choose, and must not drive the terminal. ls of a long listing formats
// every line into one reused buffer.
func appendEntry(b []byte, e *ftp.Entry) []byte {
	b = append(b, typeChar(e.Type), ' ')
	var num [20]byte
	size := num[:0]
	if e.Size >= 0 {
		size = strconv.AppendInt(size, e.Size, 10)
	} else {
		size = append(size, '-')
	}
	for range 12 - len(size) {
		b = append(b, ' ')
	}
	b = append(b, size...)
	b = append(b, ' ')
	start := len(b)
	if e.ModTime.IsZero() {
		b = append(b, '-')
	} else {
		b = e.ModTime.UTC().AppendFormat(b, time.RFC3339)
	}
	for len(b)-start < 20 {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	b = append(b, escapeName(e.Name)...)
	if e.Type == ftp.EntryLink && e.Target != "" {
		b = append(b, " -> "...)
		b = append(b, escapeName(e.Target)...)
	}
	return append(b, '\n')
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
