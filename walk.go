// Walking a remote tree in the manner of fs.WalkDir, on one connection or
// on several pooled ones at once.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"sync"
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
// Symbolic links are reported (Type EntryLink) but never followed.
type WalkFunc func(path string, e *Entry, err error) error

// ErrUnsafeName is matched by an *UnsafeNameError.
var ErrUnsafeName = errors.New("ftp: unsafe name in a listing")

// UnsafeNameError reports an entry whose name is not a single, harmless
// path element: empty, ".", "..", absolute, or holding '/', '\\', NUL, CR
// or LF. A hostile or broken server could use such a name to make a
// client write outside the directory it mirrors into, so List, NameList,
// Walk, RemoveAll, FS and the mirrors refuse it before any path is built
// from it.
type UnsafeNameError struct {
	Dir  string // the directory whose listing held the name
	Name string // the name, as the server sent it
}

func (e *UnsafeNameError) Error() string {
	return fmt.Sprintf("ftp: %s: unsafe name %q refused", e.Dir, e.Name)
}

// Unwrap lets errors.Is(err, ErrUnsafeName) match.
func (e *UnsafeNameError) Unwrap() error { return ErrUnsafeName }

// safeEntryName reports whether a listed name may be joined into a path,
// locally as well as on the server: safeName, and not absolute or carrying
// a volume name on this system.
func safeEntryName(name string) bool {
	return safeName(name) && !filepath.IsAbs(name) && filepath.VolumeName(name) == "" && !path.IsAbs(name)
}

// Walk walks the remote tree rooted at root, calling fn for root and for
// each file and directory below it, hidden ones too (directories are
// listed as ListAll lists them), in lexical order, on this connection (see
// WalkFunc). An empty root walks the working directory. Walk ends with the
// context's error once ctx is done.
func (c *Conn) Walk(ctx context.Context, root string, fn WalkFunc) error {
	list := func(ctx context.Context, dir string) ([]*Entry, error) {
		return c.listRaw(ctx, dir, true, DefaultMaxListEntries)
	}
	return startWalk(ctx, root, 1, c.Stat, list, adaptWalkFunc(fn))
}

// Walk walks the remote tree rooted at root as Conn.Walk does, listing up
// to parallel directories at once on pooled connections (the pool's
// MaxOpen limits them as well). Calls of fn are never concurrent: the walk
// makes them one at a time, so fn needs no locking. With parallel above 1
// the order is not lexical: a directory is visited before its entries, and
// the entries of one directory are visited in lexical order, but
// directories are interleaved. fs.SkipDir keeps its meaning (returned for
// a file, it skips the file's later siblings in lexical order). A parallel
// of 1 or less walks exactly as Conn.Walk, one directory at a time.
func (p *Pool) Walk(ctx context.Context, root string, parallel int, fn WalkFunc) error {
	list := func(ctx context.Context, dir string) ([]*Entry, error) {
		return p.listRaw(ctx, dir, true, DefaultMaxListEntries)
	}
	return startWalk(ctx, root, parallel, p.Stat, list, adaptWalkFunc(fn))
}

// walkVisit is the walkers' callback: WalkFunc's, with the item's path
// relative to root ("" for root, slash-separated) beside it.
type walkVisit func(p, rel string, e *Entry, err error) error

// lister lists a directory for a walk: every entry, those with unsafe
// names too, which the walk reports in their place.
type lister func(ctx context.Context, dir string) ([]*Entry, error)

func adaptWalkFunc(fn WalkFunc) walkVisit {
	return func(p, _ string, e *Entry, err error) error { return fn(p, e, err) }
}

// startWalk describes root and walks from there.
func startWalk(ctx context.Context, root string, parallel int, stat func(context.Context, string) (*Entry, error), list lister, fn walkVisit) error {
	e, err := rootEntry(ctx, root, stat)
	if err != nil {
		err = fn(root, "", nil, err)
		if err == fs.SkipDir || err == fs.SkipAll {
			return nil
		}
		return err
	}
	return walkFrom(ctx, root, e, parallel, list, fn)
}

// rootEntry describes root: "" and "." are the working directory, which
// needs no question (and which servers without MLST cannot describe).
func rootEntry(ctx context.Context, root string, stat func(context.Context, string) (*Entry, error)) (*Entry, error) {
	if root == "" || root == "." {
		return &Entry{Name: ".", Type: EntryDir, Size: -1}, nil
	}
	return stat(ctx, root)
}

// walkFrom walks from an already described root.
func walkFrom(ctx context.Context, root string, e *Entry, parallel int, list lister, fn walkVisit) error {
	var err error
	if parallel > 1 {
		err = walkParallel(ctx, root, e, parallel, list, fn)
	} else {
		err = walkSerial(ctx, root, "", e, list, fn)
	}
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

// sortEntries sorts a listing by name, as fs.ReadDir does.
func sortEntries(entries []*Entry) {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
}

// joinRel appends a name to a root-relative path.
func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

// walkSerial is fs.WalkDir's walk over the server: depth first, lexical.
func walkSerial(ctx context.Context, p, rel string, e *Entry, list lister, fn walkVisit) error {
	if err := fn(p, rel, e, nil); err != nil || e.Type != EntryDir {
		if err == fs.SkipDir && e.Type == EntryDir {
			err = nil
		}
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := list(ctx, p)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err := fn(p, rel, e, err); err != nil {
			if err == fs.SkipDir {
				err = nil
			}
			return err
		}
	}
	sortEntries(entries)
	for _, child := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if !safeEntryName(child.Name) {
			err = fn(p, rel, nil, &UnsafeNameError{Dir: p, Name: child.Name})
		} else {
			err = walkSerial(ctx, path.Join(p, child.Name), joinRel(rel, child.Name), child, list, fn)
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

// parWalk is the state of a parallel walk: one goroutine per directory
// waiting to be listed, at most cap(sem) listing at once, fn called under
// mu. Stopping the walk (fs.SkipAll, an error) does not cancel the
// listings under way: they are short, and a listing cut short costs an
// ABOR and often the connection, where a finished one leaves it reusable.
type parWalk struct {
	ctx  context.Context
	list lister
	fn   walkVisit
	sem  chan struct{}
	stop chan struct{} // closed when the walk stops
	wg   sync.WaitGroup

	mu      sync.Mutex
	stopped bool
	err     error
}

func walkParallel(ctx context.Context, root string, e *Entry, parallel int, list lister, fn walkVisit) error {
	w := &parWalk{ctx: ctx, list: list, fn: fn, sem: make(chan struct{}, parallel), stop: make(chan struct{})}
	if goOn, skip := w.call(root, "", e, nil); goOn && !skip && e.Type == EntryDir {
		w.wg.Add(1)
		go w.listDir(root, "", e)
	}
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if !w.stopped {
		return ctx.Err() // the caller's cancellation, if any
	}
	return nil
}

// call runs fn unless the walk has stopped. It reports whether the walk
// goes on (not after fs.SkipAll or an error, which stop it) and whether fn
// asked to skip (fs.SkipDir).
func (w *parWalk) call(p, rel string, e *Entry, err error) (goOn, skip bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
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
	close(w.stop)
	return false, false
}

// listDir lists one directory, visits its entries in lexical order and
// starts the listing of its subdirectories.
func (w *parWalk) listDir(p, rel string, e *Entry) {
	defer w.wg.Done()
	select {
	case w.sem <- struct{}{}:
	case <-w.ctx.Done():
		return
	case <-w.stop:
		return
	}
	select {
	case <-w.stop:
		<-w.sem
		return
	default:
	}
	entries, err := w.list(w.ctx, p)
	<-w.sem
	if w.ctx.Err() != nil {
		return
	}
	if err != nil {
		if goOn, skip := w.call(p, rel, e, err); !goOn || skip {
			return
		}
	}
	sortEntries(entries)
	for _, child := range entries {
		if !safeEntryName(child.Name) {
			if goOn, skip := w.call(p, rel, nil, &UnsafeNameError{Dir: p, Name: child.Name}); !goOn || skip {
				return
			}
			continue
		}
		cp, crel := path.Join(p, child.Name), joinRel(rel, child.Name)
		goOn, skip := w.call(cp, crel, child, nil)
		if !goOn {
			return
		}
		if child.Type != EntryDir {
			if skip {
				return
			}
			continue
		}
		if !skip {
			w.wg.Add(1)
			go w.listDir(cp, crel, child)
		}
	}
}
