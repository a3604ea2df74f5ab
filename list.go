// Listings: MLSD or LIST (-a) into entries, NLST into names, Stat (MLST,
// or SIZE, CWD and MDTM, or the parent's listing), and what a session
// learns of its server on the way (its working directory, LIST -a).

package ftp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed362563c3/ftp/listing"
)

// maxListLine bounds one line of a listing.
const maxListLine = 64 << 10

// List lists a directory: MLSD when the server advertises MLST (every RFC
// 3659 fact kept in Entry.Facts), LIST otherwise, parsed from Unix ls -l,
// DOS/IIS or EPLF lines. An empty dir lists the working directory. "." and
// ".." are left out. Lines that no format describes make the error a
// *ListError, returned beside the entries that were understood.
//
// A listed name is never a path: an entry whose name is not one harmless
// path element ("../x", "/etc/x", "a/b", `..\x`, see UnsafeNameError)
// is not returned; an *UnsafeNameError for each comes in the error,
// joined (errors.Join) with the *ListError if any, beside the entries.
//
// A listing is bounded: after DefaultMaxListEntries lines it is cut (ABOR)
// and a *LimitError joins the error, beside the entries read until then;
// ListWith takes another bound.
//
// Many servers hand LIST's argument to ls: with LIST, a dir holding
// whitespace or starting with '-' is listed from inside (PWD once a
// session, CWD dir, LIST, CWD back), as lftp does. The working directory
// is remembered for that; change it with ChangeDir or ChangeDirToParent,
// not with a CWD sent through Quote. A Conn that cannot change back is
// closed rather than left elsewhere.
func (c *Conn) List(ctx context.Context, dir string) ([]*Entry, error) {
	return c.ListWith(ctx, dir, nil)
}

// ListAll is List with hidden files: LIST -a where the server takes it,
// MLSD as is (it shows them). A server that refuses -a (500, 501, 502,
// 504), or fails LIST -a (450, 550) or answers it with nothing where a
// bare LIST lists entries (it read "-a" as a name), is listed with bare
// LIST, and from then on for the session. Walk, the mirrors, RemoveAll
// and FS list as ListAll does, as os.ReadDir shows dotfiles (and report
// unsafe names in their own way).
func (c *Conn) ListAll(ctx context.Context, dir string) ([]*Entry, error) {
	return c.ListWith(ctx, dir, &ListOptions{Hidden: true})
}

// ListAll lists a directory with its hidden entries on a pooled
// connection (see Conn.ListAll).
func (p *Pool) ListAll(ctx context.Context, dir string) ([]*Entry, error) {
	return p.ListWith(ctx, dir, &ListOptions{Hidden: true})
}

// ListOptions configures ListWith; nil means the zero value.
type ListOptions struct {
	// Hidden lists hidden entries too, as ListAll does.
	Hidden bool
	// MaxEntries bounds the lines of the listing, entries and lines not
	// understood alike: the listing is cut (ABOR) after that many, with a
	// *LimitError. 0 means DefaultMaxListEntries.
	MaxEntries int
}

func (o *ListOptions) hidden() bool { return o != nil && o.Hidden }

func (o *ListOptions) maxEntries() int {
	if o == nil {
		return DefaultMaxListEntries
	}
	if o.MaxEntries <= 0 {
		return DefaultMaxListEntries
	}
	return o.MaxEntries
}

// ListWith lists a directory as List does, or as ListAll with
// opts.Hidden, cut after opts.MaxEntries lines. It collects what ListSeq
// yields: the entries in the listing's order, and its errors joined
// (errors.Join) in the order they came, a single one as it is.
func (c *Conn) ListWith(ctx context.Context, dir string, opts *ListOptions) ([]*Entry, error) {
	return collectEntries(c.ListSeq(ctx, dir, opts))
}

// ListWith lists a directory on a pooled connection (see Conn.ListWith).
func (p *Pool) ListWith(ctx context.Context, dir string, opts *ListOptions) ([]*Entry, error) {
	return collectEntries(p.ListSeq(ctx, dir, opts))
}

// ListSeq lists a directory as ListWith does, one entry at a time, parsed
// as the data arrives: memory stays the same whatever the length of the
// listing (a buffer of 32 KiB and the line at hand), where ListWith holds
// every entry. Each range over the sequence runs the listing anew (MLSD,
// or LIST, LIST -a as ListAll; the same commands as ListWith).
//
// Entries come with a nil error, in the listing's order (not sorted). An
// entry whose name is not one harmless path element comes in its place as
// (nil, *UnsafeNameError), whose Entry holds it, and the listing goes on.
// Any other error ends the sequence: it is the last pair, after every
// entry, and joins (errors.Join) what the end of the listing tells, in
// this order: a *ListError for the lines no format describes (known only
// at the end: a sample of 16 and the count), a *LimitError when the
// listing was cut (ABOR) after opts.MaxEntries lines, and the error of the
// command or the data connection (a refusal is the only pair when nothing
// was listed).
//
// Breaking out of the loop ends the listing: the data connection is
// closed and ABOR sent (and, for a directory listed from inside, CWD
// back), after which the Conn is usable again. The Conn is busy while
// the loop runs: the loop's body must not issue commands on it (ErrBusy).
//
// Entries are pointers, as List returns them: each is the caller's to keep
// or to drop, and one that is dropped is garbage at once, so a loop that
// keeps nothing holds nothing. (An Entry by value would copy its 150 bytes
// at each step and still allocate its strings, and the entries of an
// *UnsafeNameError and of the walkers are pointers already.)
func (c *Conn) ListSeq(ctx context.Context, dir string, opts *ListOptions) iter.Seq2[*Entry, error] {
	all, max := opts.hidden(), opts.maxEntries()
	return func(yield func(*Entry, error) bool) {
		open := true // the caller still wants pairs
		err := c.listEach(ctx, dir, all, max, func(e *Entry) bool {
			if SafeName(e.Name) {
				open = yield(e, nil)
			} else {
				open = yield(nil, &UnsafeNameError{Dir: dir, Name: e.Name, Entry: e})
			}
			return open
		})
		if err != nil && open {
			yield(nil, err)
		}
	}
}

// ListSeq lists a directory on a connection checked out of the pool for
// the length of the loop (see Conn.ListSeq); it goes back when the loop
// ends, however it ends.
func (p *Pool) ListSeq(ctx context.Context, dir string, opts *ListOptions) iter.Seq2[*Entry, error] {
	return func(yield func(*Entry, error) bool) {
		pc, err := p.Conn(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		defer pc.Close()
		for e, err := range pc.ListSeq(ctx, dir, opts) {
			if !yield(e, err) {
				return
			}
		}
	}
}

// collectEntries gathers a listing's entries, and its errors joined (one
// alone as it is).
func collectEntries(seq iter.Seq2[*Entry, error]) ([]*Entry, error) {
	var entries []*Entry
	var errs []error
	for e, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, e)
	}
	if len(errs) == 1 {
		return entries, errs[0]
	}
	return entries, errors.Join(errs...)
}

// errListStopped is what a listing returns when its consumer stopped it.
var errListStopped = errors.New("ftp: listing stopped by its reader")

// listEach lists dir as ListSeq does and calls fn with each entry as it is
// parsed, the entries whose names are unsafe too (the walkers report them
// in their place); fn returns false to end the listing (ABOR), and then
// listEach returns nil.
func (c *Conn) listEach(ctx context.Context, dir string, all bool, max int, fn func(*Entry) bool) error {
	if err := validateArg("LIST", dir); err != nil {
		return err
	}
	feats, err := c.Features(ctx)
	if err != nil {
		return err
	}
	l := listBound{dir: dir, max: max, fn: fn}
	if feats.Has("MLST") && !c.cfg.DisableMLSD {
		_, err := c.readEntries(ctx, "MLSD", dir, l)
		return stoppedIsNil(err)
	}
	if !strings.ContainsAny(dir, " \t") && !strings.HasPrefix(dir, "-") {
		return stoppedIsNil(c.listLIST(ctx, dir, all, l))
	}
	// GNU inetutils and netkit ftpd split "LIST my dir" at the space, and
	// ls reads "-x" as options: list from inside.
	back, err := c.workDir(ctx)
	if err != nil {
		return err
	}
	if err := c.pathCmd(ctx, "CWD", dir, 2); err != nil {
		return err
	}
	err = c.listLIST(ctx, "", all, l)
	if rerr := c.returnTo(ctx, back); rerr != nil && (err == nil || err == errListStopped) {
		return rerr
	}
	return stoppedIsNil(err)
}

func stoppedIsNil(err error) error {
	if err == errListStopped {
		return nil
	}
	return err
}

// listBound is what readEntries needs beside the command: the directory
// listed (for errors), the bound on its lines, and where entries go.
type listBound struct {
	dir string
	max int
	fn  func(*Entry) bool
}

// listLIST lists dir with LIST, with -a when all asks for hidden entries
// and the server has not shown that it cannot take it. A fallback to bare
// LIST is taken only while nothing has been handed on.
func (c *Conn) listLIST(ctx context.Context, dir string, all bool, l listBound) error {
	s := c.notes()
	if !all || s.listA == listANo {
		_, err := c.readEntries(ctx, "LIST", dir, l)
		return err
	}
	arg := "-a"
	if dir != "" {
		arg += " " + dir
	}
	lines, err := c.readEntries(ctx, "LIST", arg, l)
	var fe *Error
	switch {
	case lines == 0 && errors.As(err, &fe) && (fe.Code == StatusFileActionIgnored || fe.Code/100 == 5):
		// "-a" is no option here, or dir cannot be listed at all: the
		// bare LIST tells which.
		plain, perr := c.readEntries(ctx, "LIST", dir, l)
		if refusesSyntax(fe.Code) || listed(plain, perr) {
			s.listA = listANo
		}
		return perr
	case listed(lines, err):
		s.listA = listAYes
		return err
	case err != nil || s.listA == listAYes:
		return err
	}
	// Nothing listed before LIST -a ever listed anything: a server that
	// read "-a dir" as one name may answer so. The bare LIST tells.
	plain, perr := c.readEntries(ctx, "LIST", dir, l)
	if listed(plain, perr) {
		s.listA = listANo
	}
	return perr
}

// listed reports whether a listing of that many lines (entries and
// lines not understood), which ended with err, succeeded with at least
// one.
func listed(lines int, err error) bool {
	var le *ListError
	return lines > 0 && (err == nil || errors.As(err, &le))
}

// readEntries runs MLSD or LIST with arg and parses the lines as they
// arrive, at most l.max of them, handing each entry to l.fn; of the lines
// not understood it keeps a sample. It returns the number of entries and
// lines not understood, and errListStopped when l.fn asked to stop.
func (c *Conn) readEntries(ctx context.Context, verb, arg string, l listBound) (int, error) {
	mlsd := verb == "MLSD"
	var bad []string
	unparsed, n, got := 0, 0, 0
	now := time.Now()
	loc := c.cfg.location()
	err := c.readListing(ctx, verb, arg, func(line string) error {
		if n >= l.max {
			return &LimitError{Limit: "MaxListEntries", Max: int64(l.max), Path: l.dir}
		}
		n++
		var e *Entry
		var perr error
		if mlsd {
			e, perr = listing.ParseMLSx(line)
			if e != nil && (e.Type == listing.EntryCurrentDir || e.Type == listing.EntryParentDir || listing.IsDotName(e.Name)) {
				e = nil
			}
		} else {
			e, perr = listing.ParseLIST(line, now, loc)
		}
		switch {
		case perr != nil:
			unparsed++
			if len(bad) < unparsedSample {
				bad = append(bad, line)
			}
		case e != nil:
			got++
			if !l.fn(e) {
				return errListStopped
			}
		}
		return nil
	})
	got += unparsed
	if errors.Is(err, errListStopped) {
		return got, errListStopped
	}
	if err != nil && !errors.Is(err, ErrLimit) || unparsed == 0 {
		return got, err
	}
	le := &ListError{Command: logLine(verb, arg), Lines: bad, Count: unparsed}
	if err == nil {
		return got, le
	}
	return got, errors.Join(le, err)
}

// NameList returns the names in a directory (NLST), without the
// directory: many servers answer NLST dir with "dir/name" (or with the
// last elements of dir, relative to their working directory), and that
// prefix is taken off. What is left must be one harmless path element: a
// name that is not ("../x", "/tmp/x", "other/y", `..\x`, see
// UnsafeNameError) is not returned, and an *UnsafeNameError for each
// comes in the error (errors.Join), beside the names. A NLST of a file
// rather than a directory therefore gives no name but a refusal. As List,
// NameList is cut (ABOR) after DefaultMaxListEntries lines, with a
// *LimitError.
//
// An empty directory is an empty listing, also from the servers (wu-ftpd,
// IIS and others) that answer NLST of nothing with "450 No files found"
// or a 550 that says so; any other 450 or 550 is the error it says (a
// directory missing or unreadable). LIST and MLSD take no such answer:
// their 450 and 550 are errors, since their servers list an empty
// directory as an empty success.
func (c *Conn) NameList(ctx context.Context, dir string) ([]string, error) {
	var names []string
	var refused []error
	n := 0
	err := c.readListing(ctx, "NLST", dir, func(line string) error {
		if n >= DefaultMaxListEntries {
			return &LimitError{Limit: "MaxListEntries", Max: DefaultMaxListEntries, Path: dir}
		}
		n++
		if line == "" {
			return nil
		}
		if name, ok := nlstName(dir, line); ok {
			names = append(names, name)
		} else {
			refused = append(refused, &UnsafeNameError{Dir: dir, Name: line})
		}
		return nil
	})
	if noFiles(err) && len(names) == 0 && len(refused) == 0 {
		return nil, nil
	}
	if len(refused) > 0 {
		err = errors.Join(append(refused, err)...)
	}
	return names, err
}

// noFiles reports whether a refusal of NLST means there was nothing to
// list: 450 (RFC 959's "file unavailable", which NLST servers use for "no
// files"), or a 550 whose text says that no files were found.
func noFiles(err error) bool {
	var fe *Error
	if !errors.As(err, &fe) {
		return false
	}
	m := strings.ToLower(fe.Msg)
	none := strings.Contains(m, "no files") || strings.Contains(m, "no such files") || strings.Contains(m, "file not found") && strings.Contains(m, "no ")
	return fe.Code == StatusFileActionIgnored && !mentionsPermission(fe.Msg) && (none || !mentionsMissing(fe.Msg)) ||
		fe.Code == StatusFileUnavailable && none
}

// nlstName returns the name a NLST of dir answered with line, without the
// directory a server may have put before it: dir itself, as asked or
// cleaned, or its last elements. It reports whether the name is one
// harmless path element.
func nlstName(dir, line string) (string, bool) {
	i := strings.LastIndexByte(line, '/')
	if i < 0 {
		return line, SafeName(line)
	}
	prefix, name := path.Clean(line[:i+1]), line[i+1:]
	d := path.Clean(dir)
	if prefix != d && (path.IsAbs(prefix) || prefix == "." || !strings.HasSuffix(d, "/"+prefix)) {
		return "", false
	}
	return name, SafeName(name)
}

// RawList starts a listing command, LIST, NLST or MLSD, with arg (a
// directory or a pattern, with options such as "-a" where the server takes
// them; "" for none), and returns its data as the server sends it, for a
// program that relays or shows listings rather than parsing them (List,
// ListAll, ListWith and NameList parse, and check names). Read it to its
// end and Close it, as any Reader; the Conn is busy until then.
func (c *Conn) RawList(ctx context.Context, command, arg string) (*Reader, error) {
	switch command {
	case "LIST", "NLST", "MLSD":
	default:
		return nil, fmt.Errorf("ftp: %s: %w: not a listing command", command, ErrInvalidArgument)
	}
	t, err := c.openData(ctx, command, arg, 0, false)
	if err != nil {
		return nil, err
	}
	return newReader(t, false), nil
}

// readListing runs a listing command and hands each line to fn. An error
// from fn ends the listing (ABOR) and is returned.
func (c *Conn) readListing(ctx context.Context, verb, dir string, fn func(string) error) error {
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
		if err := fn(line); err != nil {
			if cerr := r.Close(); cerr != nil {
				return errors.Join(err, cerr)
			}
			return err
		}
	}
}

// readListLine reads one line of a listing without its CRLF or LF.
func readListLine(br *bufio.Reader) (string, error) {
	chunk, err := br.ReadSlice('\n')
	if err == nil {
		// The whole line is in the buffer: one copy, the string's.
		return string(bytes.TrimRight(chunk[:len(chunk)-1], "\r")), nil
	}
	buf := append([]byte(nil), chunk...)
	if err != bufio.ErrBufferFull {
		if err == io.EOF && len(buf) > 0 {
			return strings.TrimRight(string(buf), "\r"), nil
		}
		return "", err
	}
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
// otherwise SIZE, CWD and MDTM for a file (SIZE answered, CWD refused),
// SIZE and CWD for a directory whose SIZE was answered (CWD back after it;
// PWD once a session, see List), and the parent's listing (see ListAll)
// for anything else. A missing p gives an error that matches
// fs.ErrNotExist.
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
		return c.mlst(ctx, p)
	}
	return c.statWithoutMLST(ctx, p)
}

// mlst describes p with MLST.
func (c *Conn) mlst(ctx context.Context, p string) (*Entry, error) {
	r, err := c.cmd(ctx, "MLST", p, StatusRequestedFileActionOK)
	if err != nil {
		return nil, err
	}
	lines := r.Lines()
	for _, line := range lines[1:max(1, len(lines)-1)] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		e, perr := listing.ParseMLSx(strings.TrimPrefix(line, " "))
		if perr != nil {
			return nil, &ProtocolError{Command: "MLST " + p, Reason: perr.Error(), Line: shorten(line)}
		}
		e.Name = path.Base(e.Name)
		if e.Type == listing.EntryCurrentDir || e.Type == listing.EntryParentDir {
			e.Type = EntryDir
		}
		return e, nil
	}
	return nil, &ProtocolError{Command: "MLST " + p, Reason: "250 reply without facts", Line: shorten(r.Message)}
}

// statWithoutMLST describes p with SIZE, CWD and MDTM, or from its
// parent's listing.
func (c *Conn) statWithoutMLST(ctx context.Context, p string) (*Entry, error) {
	size, err := c.Size(ctx, p)
	var fe *Error
	if err != nil && !errors.As(err, &fe) {
		return nil, err
	}
	if err == nil {
		// Some servers answer SIZE for a directory too (Twisted's says
		// "213 4096"): a CWD into p decides. It costs one round trip for
		// a file (the CWD fails), where the parent's listing would cost
		// a data connection and the reading of a directory of any size;
		// a directory costs the CWD back, and PWD once a session.
		back, err := c.workDir(ctx)
		if err == nil {
			return c.fileOrDir(ctx, p, size, back)
		}
		if !errors.As(err, &fe) || c.usable() != nil {
			return nil, err
		}
		// No PWD: nowhere to come back to. The listing decides.
	}
	return c.statFromParent(ctx, p)
}

// fileOrDir describes p, whose SIZE answer was size, by a CWD into it: a
// file when the CWD fails, a directory when it succeeds (then CWD back to
// back).
func (c *Conn) fileOrDir(ctx context.Context, p string, size int64, back string) (*Entry, error) {
	err := c.pathCmd(ctx, "CWD", p, 2)
	var fe *Error
	switch {
	case err == nil:
		if err := c.returnTo(ctx, back); err != nil {
			return nil, err
		}
		return &Entry{Name: path.Base(p), Type: EntryDir, Size: -1}, nil
	case !errors.As(err, &fe) || c.usable() != nil:
		return nil, err
	}
	e := &Entry{Name: path.Base(p), Type: EntryFile, Size: size}
	if t, err := c.ModTime(ctx, p); err == nil {
		e.ModTime = t
	}
	return e, nil
}

// statFromParent describes p from its parent's listing, hidden entries
// included.
func (c *Conn) statFromParent(ctx context.Context, p string) (*Entry, error) {
	clean := strings.TrimRight(p, "/")
	if clean == "" {
		return &Entry{Name: "/", Type: EntryDir, Size: -1}, nil
	}
	parent, name := path.Split(clean)
	if parent != "/" {
		parent = strings.TrimRight(parent, "/")
	}
	var found *Entry
	lerr := c.listEach(ctx, parent, true, DefaultMaxListEntries, func(e *Entry) bool {
		if found == nil && e.Name == name {
			found = e
		}
		return true // read to the end: an ABOR may cost the connection
	})
	if found != nil {
		return found, nil
	}
	if lerr != nil {
		var le *ListError
		if !errors.As(lerr, &le) {
			return nil, lerr
		}
	}
	return nil, &Error{Command: "STAT " + p, Code: StatusFileUnavailable, Msg: fs.ErrNotExist.Error()}
}

// notes is what a Conn learns of its server as it goes, beyond FEAT, and
// keeps for the session.
type notes struct {
	cwd   string    // the working directory as PWD said it, "" when unknown
	listA listAMode // whether LIST takes -a
	// timeSet is the command that set a modification time, 0 until one
	// did; timeNo has a bit (1 << setter) for each one the server refused.
	timeSet timeSetter
	timeNo  uint8
	// noSize and noMDTM: the server refused SIZE or MDTM as commands it
	// does not have (aioftp): MLST answers instead, from then on.
	noSize, noMDTM bool
	// noChmod: the server has no SITE CHMOD (500, 502, 504).
	noChmod bool
}

// listAMode is what a session knows of LIST -a.
type listAMode uint8

const (
	listAUnknown listAMode = iota
	listAYes               // LIST -a listed entries
	listANo                // refused, or read as a name: bare LIST
)

// notes returns what c has learned of its server. Like the Conn, it is for
// one goroutine at a time.
func (c *Conn) notes() *notes { return &c.learned }

// workDir returns the working directory, asking PWD once a session: the
// answer is kept until ChangeDir or ChangeDirToParent moves elsewhere.
func (c *Conn) workDir(ctx context.Context) (string, error) {
	s := c.notes()
	if s.cwd != "" {
		return s.cwd, nil
	}
	dir, err := c.CurrentDir(ctx)
	if err != nil {
		return "", err
	}
	if dir == "" {
		return "", &ProtocolError{Command: "PWD", Reason: "257 reply with an empty path"}
	}
	s.cwd = dir
	return dir, nil
}

// returnTo changes back to the working directory dir (CWD) after a CWD
// elsewhere. A Conn that cannot is closed: left in another directory, it
// would run every later relative path there.
func (c *Conn) returnTo(ctx context.Context, dir string) error {
	if err := c.usable(); err != nil {
		return err
	}
	err := c.pathCmd(ctx, "CWD", dir, 2)
	if err != nil {
		c.abandon(fmt.Errorf("ftp: the working directory %s could not be restored: %w", dir, err))
	}
	return err
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

// SafeName reports whether a name from a listing is one harmless path
// element, which may be joined into a path locally as well as on the
// server: not empty, ".", or "..", without '/', '\\', NUL, CR or LF, not
// absolute and without a volume name on this system. List, ListAll,
// ListWith and NameList refuse other names (*UnsafeNameError); a program
// that builds paths from names it got otherwise checks them with it.
func SafeName(name string) bool {
	return safeName(name) && !filepath.IsAbs(name) && filepath.VolumeName(name) == "" && !path.IsAbs(name)
}
