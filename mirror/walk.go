// Walking a remote tree in the manner of fs.WalkDir, on one connection or
// on several pooled ones at once, within Limits: bounded depth, path
// length, entries and pending work, and no directory walked twice.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"path"
	"sort"
	"sync"

	"github.com/seed362563c3/ftp"
)

// WalkFunc is the function Walk calls for each file and directory, in the
// manner of fs.WalkDirFunc. path is root joined with the names of the
// entries leading to the item (with path.Join); e describes it.
//
// The first call is for root itself, described by Stat (or, for "" and
// ".", by a made-up directory entry). If that Stat fails, fn is called
// with a nil e and the error, and the walk ends with what fn returns
// (fs.SkipDir and fs.SkipAll are taken as nil).
//
// For a directory fn is called before it is listed. Returning fs.SkipDir
// then skips its contents; returning fs.SkipDir for a file skips the
// remaining entries of the directory holding it. fs.SkipAll ends the walk
// without an error, and any other error ends it with that error. When the
// listing of a directory fails, fn is called a second time for it, with
// the error; if fn returns nil the walk goes on with whatever entries were
// understood (a *ListError comes with the entries that could be parsed).
//
// An entry whose name cannot be used as one path element (see
// UnsafeNameError) is never joined into a path: fn is called with the
// listed directory's path, a nil e and an *UnsafeNameError, and its answer
// is read as for a file of that directory. (Lines whose names hold NUL or
// CR are usually not understood by the listing parser at all, and come as
// a *ListError instead.)
//
// A walk is bounded (see Limits and WalkOptions). A directory at MaxDepth
// levels below root, or whose MLSD "unique" fact is that of a directory
// walked already (see RevisitError), is visited but not listed: fn is
// called a second time for it, as for a failed listing, with a
// *LimitError or a *RevisitError. An entry whose path would be longer than
// MaxPathLen, or whose name the listing repeats, is not visited: fn is
// called with the listed directory's path, a nil e and a *LimitError or
// *RevisitError, as for an unsafe name. A listing cut at MaxListEntries is
// a failed listing whose entries are those read until then. A walk that
// lists more than MaxEntries entries in all, or holds more than MaxPending,
// ends with a *LimitError, without calling fn for it.
//
// Symbolic links are reported (Type EntryLink) but never followed.
type WalkFunc func(path string, e *ftp.Entry, err error) error

// ErrRevisit is matched by a *RevisitError.
var ErrRevisit = errors.New("ftp: reached again in a walk")

// RevisitError reports an entry that a walk or RemoveAll does not visit
// again: a name listed twice in one directory (Path and First are the
// same, Unique is empty), or a directory whose MLSD "unique" fact is that
// of a directory walked already, which would be a cycle (a link the
// server shows as a directory, back to an ancestor) or the same directory
// reached by another path.
type RevisitError struct {
	Path   string // where the entry was found again
	First  string // where it was first found
	Unique string // the MLSD unique fact the two share, "" for a name listed twice
}

func (e *RevisitError) Error() string {
	if e.Unique == "" {
		return fmt.Sprintf("ftp: %s listed twice: the first kept", e.Path)
	}
	return fmt.Sprintf("ftp: %s is %s again (unique %q): not walked twice", e.Path, e.First, e.Unique)
}

// Unwrap lets errors.Is(err, ErrRevisit) match.
func (e *RevisitError) Unwrap() error { return ErrRevisit }

// WalkOptions configures Walk; nil means the zero value.
type WalkOptions struct {
	// Parallel is, for a walk on an *ftp.Pool, how many directories are
	// listed at once; 0 or 1 walks one directory at a time. A walk on an
	// *ftp.Conn always walks one
	// directory at a time.
	Parallel int
	// Limits bounds the walk; nil means the defaults (see Limits).
	Limits *Limits
}

func (o *WalkOptions) parallel() int {
	if o == nil {
		return 1
	}
	return o.Parallel
}

func (o *WalkOptions) limits() *Limits {
	if o == nil {
		return nil
	}
	return o.Limits
}

// Remote is what Walk and RemoveAll need of a server: *ftp.Conn and
// *ftp.Pool have it.
type Remote interface {
	Stat(ctx context.Context, p string) (*ftp.Entry, error)
	ListWith(ctx context.Context, dir string, opts *ftp.ListOptions) ([]*ftp.Entry, error)
	Delete(ctx context.Context, file string) error
	RemoveDir(ctx context.Context, dir string) error
}

// Walk walks the remote tree rooted at root on r, calling fn for root and
// for each file and directory below it, hidden ones too (directories are
// listed as ftp.Conn.ListAll lists them), within opts.Limits. An empty
// root walks the working directory. Walk ends with the context's error
// once ctx is done.
//
// On an *ftp.Conn, or with opts.Parallel of 1 or less, it walks one
// directory at a time, in lexical order (see WalkFunc). On an *ftp.Pool
// with a Parallel above 1 it lists up to Parallel directories at once on
// pooled connections (the pool's MaxOpen limits them as well). Calls of fn
// are never concurrent: the walk makes them one at a time, so fn needs no
// locking. The order is then not lexical: a directory is visited before
// its entries, and the entries of one directory are visited in lexical
// order, but directories are interleaved. fs.SkipDir keeps its meaning
// (returned for a file, it skips the file's later siblings in lexical
// order). The directories waiting to be listed wait in one queue, bounded
// by Limits.MaxPending; Parallel goroutines list them.
func Walk(ctx context.Context, r Remote, root string, opts *WalkOptions, fn WalkFunc) error {
	list := func(ctx context.Context, dir string, max int) ([]*ftp.Entry, error) {
		return listRaw(ctx, r, dir, max)
	}
	parallel := opts.parallel()
	if _, pooled := r.(*ftp.Pool); !pooled {
		parallel = 1 // one connection lists one directory at a time
	}
	return startWalk(ctx, root, parallel, opts.limits(), r.Stat, list, adaptWalkFunc(fn))
}

// listRaw lists dir with its hidden entries, at most max lines, with the
// entries whose names the listing refused (an *ftp.UnsafeNameError carries
// each): a walk reports them in its own way, where they are. On a Remote
// that streams listings (*ftp.Conn and *ftp.Pool: ListSeq) the entries are
// gathered as they are parsed; raw, when set, is called with each.
func listRaw(ctx context.Context, r Remote, dir string, max int) ([]*ftp.Entry, error) {
	opts := &ftp.ListOptions{Hidden: true, MaxEntries: max}
	s, ok := r.(seqLister)
	if !ok {
		entries, err := r.ListWith(ctx, dir, opts)
		unsafe, rest := splitUnsafe(err)
		return append(entries, unsafe...), rest
	}
	var entries []*ftp.Entry
	var errs []error
	for e, err := range s.ListSeq(ctx, dir, opts) {
		var ue *ftp.UnsafeNameError
		switch {
		case err == nil:
			entries = append(entries, e)
		case errors.As(err, &ue) && ue.Entry != nil:
			entries = append(entries, ue.Entry)
		default:
			errs = append(errs, err)
		}
	}
	if len(errs) == 1 {
		return entries, errs[0]
	}
	return entries, errors.Join(errs...)
}

// seqLister is a Remote that streams listings.
type seqLister interface {
	ListSeq(ctx context.Context, dir string, opts *ftp.ListOptions) iter.Seq2[*ftp.Entry, error]
}

var (
	_ seqLister = (*ftp.Conn)(nil)
	_ seqLister = (*ftp.Pool)(nil)
)

// splitUnsafe takes the *ftp.UnsafeNameErrors with their entries out of
// a listing's error, and returns the entries and what else it held.
func splitUnsafe(err error) ([]*ftp.Entry, error) {
	var entries []*ftp.Entry
	var rest []error
	var walk func(error)
	walk = func(err error) {
		var ue *ftp.UnsafeNameError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &ue) && ue.Entry != nil {
				entries = append(entries, ue.Entry)
				return
			}
			rest = append(rest, err)
		}
	}
	walk(err)
	if len(rest) == 1 {
		return entries, rest[0]
	}
	return entries, errors.Join(rest...)
}

// walkVisit is the walkers' callback: WalkFunc's, with the item's path
// relative to root ("" for root, slash-separated) beside it.
type walkVisit func(p, rel string, e *ftp.Entry, err error) error

// lister lists a directory for a walk, at most max lines: every entry,
// those with unsafe names too, which the walk reports in their place.
type lister func(ctx context.Context, dir string, max int) ([]*ftp.Entry, error)

func adaptWalkFunc(fn WalkFunc) walkVisit {
	return func(p, _ string, e *ftp.Entry, err error) error { return fn(p, e, err) }
}

// startWalk describes root and walks from there.
func startWalk(ctx context.Context, root string, parallel int, lim *Limits, stat func(context.Context, string) (*ftp.Entry, error), list lister, fn walkVisit) error {
	e, err := rootEntry(ctx, root, stat)
	if err != nil {
		err = fn(root, "", nil, err)
		if err == fs.SkipDir || err == fs.SkipAll {
			return nil
		}
		return err
	}
	return walkFrom(ctx, root, e, parallel, lim, list, fn)
}

// rootEntry describes root: "" and "." are the working directory, which
// needs no question (and which servers without MLST cannot describe).
func rootEntry(ctx context.Context, root string, stat func(context.Context, string) (*ftp.Entry, error)) (*ftp.Entry, error) {
	if root == "" || root == "." {
		return &ftp.Entry{Name: ".", Type: ftp.EntryDir, Size: -1}, nil
	}
	return stat(ctx, root)
}

// walkFrom walks from an already described root.
func walkFrom(ctx context.Context, root string, e *ftp.Entry, parallel int, lim *Limits, list lister, fn walkVisit) error {
	b := newWalkBounds(lim)
	var err error
	if parallel > 1 {
		err = walkParallel(ctx, root, e, parallel, b, list, fn)
	} else {
		w := &serialWalk{ctx: ctx, list: list, fn: fn, b: b}
		err = w.walk(root, "", e, 0)
	}
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

// sortEntries sorts a listing by name, as fs.ReadDir does; entries of the
// same name keep the listing's order.
func sortEntries(entries []*ftp.Entry) {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
}

// joinRel appends a name to a root-relative path.
func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

// walkBounds is what a walk or RemoveAll counts against its Limits. It is
// used by one goroutine at a time.
type walkBounds struct {
	lim     *Limits
	entries int64             // entries listed so far
	pending int               // entries held (see Limits.MaxPending)
	uniques map[string]string // the unique fact of each directory entered, and its path
}

func newWalkBounds(lim *Limits) *walkBounds {
	return &walkBounds{lim: lim, uniques: map[string]string{}}
}

// listed counts the n entries of the listing of dir, and holds them.
func (b *walkBounds) listed(dir string, n int) error {
	b.entries += int64(n)
	if max := b.lim.maxEntries(); b.entries > max {
		return &ftp.LimitError{Limit: "MaxEntries", Max: max, Path: dir}
	}
	return b.hold(dir, n)
}

// hold counts n more entries held, found in dir.
func (b *walkBounds) hold(dir string, n int) error {
	b.pending += n
	if max := b.lim.maxPending(); b.pending > max {
		return &ftp.LimitError{Limit: "MaxPending", Max: int64(max), Path: dir}
	}
	return nil
}

// release counts n entries held no more.
func (b *walkBounds) release(n int) { b.pending -= n }

// child returns the path of the entry name of the directory p, or the
// error that refuses it: an unsafe name, a name the listing repeats
// (prev is the entry before it in the sorted listing, nil for the first),
// or a path too long.
func (b *walkBounds) child(p, name string, prev *ftp.Entry) (string, error) {
	if !ftp.SafeName(name) {
		return "", &ftp.UnsafeNameError{Dir: p, Name: name}
	}
	cp := path.Join(p, name)
	if prev != nil && prev.Name == name {
		return "", &RevisitError{Path: cp, First: cp}
	}
	if max := b.lim.maxPathLen(); len(cp) > max {
		return "", &ftp.LimitError{Limit: "MaxPathLen", Max: int64(max), Path: p, Name: name}
	}
	return cp, nil
}

// enter reports why the directory e at p, depth levels below the root, is
// not to be listed: too deep, or walked already (its unique fact seen);
// nil when it is, and then its unique fact is remembered.
func (b *walkBounds) enter(p string, e *ftp.Entry, depth int) error {
	if max := b.lim.maxDepth(); depth >= max {
		return &ftp.LimitError{Limit: "MaxDepth", Max: int64(max), Path: p}
	}
	u := e.Facts["unique"]
	if u == "" {
		return nil
	}
	if first, ok := b.uniques[u]; ok {
		return &RevisitError{Path: p, First: first, Unique: u}
	}
	b.uniques[u] = p
	return nil
}

// serialWalk is fs.WalkDir's walk over the server: depth first, lexical.
type serialWalk struct {
	ctx  context.Context
	list lister
	fn   walkVisit
	b    *walkBounds
}

func (w *serialWalk) walk(p, rel string, e *ftp.Entry, depth int) error {
	if err := w.fn(p, rel, e, nil); err != nil || e.Type != ftp.EntryDir {
		if err == fs.SkipDir && e.Type == ftp.EntryDir {
			err = nil
		}
		return err
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if err := w.b.enter(p, e, depth); err != nil {
		if err := w.fn(p, rel, e, err); err != fs.SkipDir {
			return err
		}
		return nil
	}
	entries, err := w.list(w.ctx, p, w.b.lim.maxListEntries())
	if err != nil {
		if cerr := w.ctx.Err(); cerr != nil {
			return cerr
		}
		if err := w.fn(p, rel, e, err); err != nil {
			if err == fs.SkipDir {
				err = nil
			}
			return err
		}
	}
	held := len(entries)
	defer func() { w.b.release(held) }()
	if err := w.b.listed(p, len(entries)); err != nil {
		return err
	}
	sortEntries(entries)
	for i, child := range entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		w.b.release(1)
		held--
		var prev *ftp.Entry
		if i > 0 {
			prev = entries[i-1]
		}
		cp, err := w.b.child(p, child.Name, prev)
		if err != nil {
			err = w.fn(p, rel, nil, err)
		} else {
			err = w.walk(cp, joinRel(rel, child.Name), child, depth+1)
		}
		if err != nil {
			if err == fs.SkipDir {
				break
			}
			return err
		}
	}
	return nil
}

// walkDir is a directory waiting to be listed by a parallel walk.
type walkDir struct {
	p, rel string
	e      *ftp.Entry
	depth  int
}

// walkListed is the listing of a walkDir.
type walkListed struct {
	dir     walkDir
	entries []*ftp.Entry
	err     error
}

// parWalk is the state of a parallel walk. One goroutine, the caller's,
// holds the directories waiting to be listed (a stack, so that the walk
// goes deep first and holds little), hands them to parallel listing
// goroutines and visits what they list: fn is called from it alone.
// Stopping the walk (fs.SkipAll, an error) does not cancel the listings
// under way: they are bounded, and a listing cut short costs an ABOR and
// often the connection, where a finished one leaves it reusable.
type parWalk struct {
	ctx     context.Context
	fn      walkVisit
	b       *walkBounds
	waiting []walkDir
	stopped bool  // by fn (fs.SkipAll, an error) or a limit
	err     error // the error that stopped the walk
}

func walkParallel(ctx context.Context, root string, e *ftp.Entry, parallel int, b *walkBounds, list lister, fn walkVisit) error {
	w := &parWalk{ctx: ctx, fn: fn, b: b}
	if goOn, skip := w.call(root, "", e, nil); goOn && !skip && e.Type == ftp.EntryDir {
		w.queue(root, "", e, 0)
	}
	if len(w.waiting) > 0 {
		w.run(parallel, list)
	}
	if w.err != nil {
		return w.err
	}
	if !w.stopped {
		return ctx.Err() // the caller's cancellation, if any
	}
	return nil
}

// run lists the waiting directories on parallel goroutines until none is
// left, or the walk stops, and no listing is under way.
func (w *parWalk) run(parallel int, list lister) {
	todo := make(chan walkDir)
	done := make(chan walkListed)
	var wg sync.WaitGroup
	max := w.b.lim.maxListEntries()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range todo {
				entries, err := list(w.ctx, d.p, max)
				done <- walkListed{dir: d, entries: entries, err: err}
			}
		}()
	}
	busy := 0
	ctxDone := w.ctx.Done()
	for busy > 0 || len(w.waiting) > 0 && !w.stopped && w.ctx.Err() == nil {
		var next walkDir
		var send chan walkDir
		if len(w.waiting) > 0 && !w.stopped && busy < parallel {
			next, send = w.waiting[len(w.waiting)-1], todo
		}
		select {
		case send <- next:
			w.waiting[len(w.waiting)-1] = walkDir{}
			w.waiting = w.waiting[:len(w.waiting)-1]
			w.b.release(1)
			busy++
		case l := <-done:
			busy--
			w.visit(l)
		case <-ctxDone:
			// The listings under way end with the context's error.
			ctxDone, w.waiting = nil, nil
		}
	}
	close(todo)
	wg.Wait()
}

// call runs fn unless the walk has stopped. It reports whether the walk
// goes on (not after fs.SkipAll or an error, which stop it) and whether fn
// asked to skip (fs.SkipDir).
func (w *parWalk) call(p, rel string, e *ftp.Entry, err error) (goOn, skip bool) {
	if w.stopped || w.ctx.Err() != nil {
		return false, false
	}
	r := w.fn(p, rel, e, err)
	switch {
	case r == nil || r == fs.SkipDir:
		return true, r == fs.SkipDir
	case r != fs.SkipAll:
		w.err = r
	}
	w.stopped = true
	return false, false
}

// fail stops the walk with err.
func (w *parWalk) fail(err error) {
	w.err, w.stopped = err, true
}

// queue adds a directory to those waiting to be listed, or reports to fn
// why it is not listed.
func (w *parWalk) queue(p, rel string, e *ftp.Entry, depth int) bool {
	if err := w.b.enter(p, e, depth); err != nil {
		goOn, _ := w.call(p, rel, e, err)
		return goOn
	}
	if err := w.b.hold(p, 1); err != nil {
		w.fail(err)
		return false
	}
	w.waiting = append(w.waiting, walkDir{p: p, rel: rel, e: e, depth: depth})
	return true
}

// visit visits the entries of one listing in lexical order and queues its
// subdirectories.
func (w *parWalk) visit(l walkListed) {
	if w.stopped || w.ctx.Err() != nil {
		return
	}
	d := l.dir
	if l.err != nil {
		if goOn, skip := w.call(d.p, d.rel, d.e, l.err); !goOn || skip {
			return
		}
	}
	if err := w.b.listed(d.p, len(l.entries)); err != nil {
		w.fail(err)
		return
	}
	w.b.release(len(l.entries)) // visited at once: only the subdirectories queued are held
	entries := l.entries
	sortEntries(entries)
	from := len(w.waiting)
	defer func() {
		// The first subdirectory is listed first.
		q := w.waiting[min(from, len(w.waiting)):]
		for i, j := 0, len(q)-1; i < j; i, j = i+1, j-1 {
			q[i], q[j] = q[j], q[i]
		}
	}()
	for i, child := range entries {
		var prev *ftp.Entry
		if i > 0 {
			prev = entries[i-1]
		}
		cp, err := w.b.child(d.p, child.Name, prev)
		if err != nil {
			if goOn, skip := w.call(d.p, d.rel, nil, err); !goOn || skip {
				return
			}
			continue
		}
		crel := joinRel(d.rel, child.Name)
		goOn, skip := w.call(cp, crel, child, nil)
		if !goOn {
			return
		}
		if child.Type != ftp.EntryDir {
			if skip {
				return
			}
			continue
		}
		if !skip && !w.queue(cp, crel, child, d.depth+1) {
			return
		}
	}
}
