// RemoveAll: a tree removed depth first, trusting each listing only whole.

package mirror

import (
	"context"
	"errors"
	"io/fs"

	"github.com/seed362563c3/ftp"
)

// RemoveAll removes p and, if it is a directory, everything below it, like
// os.RemoveAll: files with DELE, directories depth first with RMD, hidden
// entries too (listed as ListAll lists them). Symbolic links are deleted,
// not followed. A p that does not exist is not an error.
//
// A listing is trusted only whole: nothing of a directory is removed when
// its listing holds an unsafe name (*UnsafeNameError), a directory too
// deep or a path too long (*LimitError), or a directory whose MLSD unique
// fact was met already, a cycle (*RevisitError). RemoveAll is bounded by
// the default Limits: it ends with a *LimitError past
// DefaultMaxListEntries lines in a listing, DefaultMaxEntries entries in
// all or DefaultMaxPending held at once.
func RemoveAll(ctx context.Context, c Remote, p string) error {
	e, err := c.Stat(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if e.Type != ftp.EntryDir {
		return c.Delete(ctx, p)
	}
	b := newWalkBounds(nil)
	if err := b.enter(p, e, 0); err != nil {
		return err
	}
	return removeDir(ctx, c, p, 0, b)
}

// removeDir removes the directory p, depth levels below where RemoveAll
// started, once everything in it is removed.
func removeDir(ctx context.Context, c Remote, p string, depth int, b *walkBounds) error {
	entries, err := c.ListWith(ctx, p, &ftp.ListOptions{Hidden: true, MaxEntries: b.lim.maxListEntries()})
	if err != nil {
		// An unsafe name, a cut listing, lines not understood: nothing
		// of this directory is removed.
		return err
	}
	if err := b.listed(p, len(entries)); err != nil {
		return err
	}
	defer b.release(len(entries))
	// The whole listing is checked before anything is removed: a hostile
	// "../x" must not turn a removal into one elsewhere, nor a cycle into
	// an endless one.
	paths := make([]string, len(entries))
	seen := make(map[string]bool, len(entries))
	for i, child := range entries {
		if seen[child.Name] {
			continue // listed twice: removed once
		}
		seen[child.Name] = true
		cp, err := b.child(p, child.Name, nil)
		if err != nil {
			return err
		}
		if child.Type == ftp.EntryDir {
			if err := b.enter(cp, child, depth+1); err != nil {
				return err
			}
		}
		paths[i] = cp
	}
	for i, child := range entries {
		if paths[i] == "" {
			continue
		}
		if child.Type == ftp.EntryDir {
			err = removeDir(ctx, c, paths[i], depth+1, b)
		} else {
			err = c.Delete(ctx, paths[i])
		}
		if err != nil {
			return err
		}
	}
	return c.RemoveDir(ctx, p)
}
