// The two trees a mirror compares: the local one from the file system, the
// remote one from a walk, each bounded.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed362563c3/ftp"
)

// mirrorEntry is what a mirror knows of one item at one end.
type mirrorEntry struct {
	typ    ftp.EntryType
	size   int64     // -1 when unknown
	mtime  time.Time // zero when unknown
	exact  bool      // mtime is right to the second (MLSx modify, MDTM, local)
	remote bool      // on the server, not asked with MDTM yet
	// prec is how far mtime can be trusted when not exact: a LIST time
	// gives the minute, or only the day for older files (see precision).
	prec time.Duration
	mode fs.FileMode // the permission bits, 0 when unknown
}

// mirrorTree is one end of a mirror, keyed by slash-separated paths
// relative to the mirrored directory ("" is that directory).
type mirrorTree struct {
	entries map[string]*mirrorEntry
	// incomplete holds the directories whose contents are not all known:
	// listing errors, unparsed lines, refused or duplicate names.
	incomplete map[string]bool
}

func newMirrorTree() *mirrorTree {
	return &mirrorTree{entries: map[string]*mirrorEntry{}, incomplete: map[string]bool{}}
}

// file returns the entry at rel when it is a regular file.
func (t *mirrorTree) file(rel string) *mirrorEntry {
	if e := t.entries[rel]; e != nil && e.typ == ftp.EntryFile {
		return e
	}
	return nil
}

// parentRel returns the directory of a relative path ("" for the top).
func parentRel(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return ""
}

// partRel is where a file is received before it is complete: ".NAME.part"
// beside it, the name Upload's TempName uses.
func partRel(rel string) string {
	return joinRel(parentRel(rel), "."+rel[strings.LastIndexByte(rel, '/')+1:]+".part")
}

// partOf returns the file whose partial copy rel would be.
func partOf(rel string) (string, bool) {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	if len(base) <= len("..part") || base[0] != '.' || !strings.HasSuffix(base, ".part") {
		return "", false
	}
	return joinRel(parentRel(rel), base[1:len(base)-len(".part")]), true
}

// openLocal opens localDir as an os.Root (creating it when it is the
// destination) and walks it.
func (m *mirror) openLocal(ctx context.Context, source bool) (*mirrorTree, error) {
	if !source {
		if _, err := os.Stat(m.localDir); errors.Is(err, fs.ErrNotExist) {
			m.stats.Dirs++
			m.plan(Change{Op: MakeDir, Type: ftp.EntryDir, Size: -1})
			if m.opts.DryRun {
				return newMirrorTree(), nil
			}
			if err := os.MkdirAll(m.localDir, 0o755); err != nil {
				return nil, fmt.Errorf("ftp: mirror: %w", err)
			}
		}
	}
	root, err := os.OpenRoot(m.localDir)
	if err != nil {
		return nil, fmt.Errorf("ftp: mirror: %w", err)
	}
	m.root = root
	t, err := m.localTree(ctx, source)
	if err != nil {
		root.Close()
		m.root = nil
		return nil, err
	}
	return t, nil
}

// localTree walks localDir without following links. As the source, its
// names are checked as remote ones are: they will become remote names.
func (m *mirror) localTree(ctx context.Context, source bool) (*mirrorTree, error) {
	t := newMirrorTree()
	err := fs.WalkDir(m.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel := p
		if p == "." {
			rel = ""
		}
		if err != nil {
			if d == nil && rel == "" {
				return err
			}
			if d != nil && d.IsDir() {
				t.incomplete[rel] = true
			} else {
				t.incomplete[parentRel(rel)] = true
			}
			m.fail(fmt.Errorf("ftp: mirror: %s: %w", filepath.Join(m.localDir, filepath.FromSlash(rel)), err))
			return nil
		}
		if rel == "" {
			return nil
		}
		if d.IsDir() && m.filter.skipDir(rel) {
			m.excluded(t, source, rel)
			return fs.SkipDir
		}
		if source && !ftp.SafeName(d.Name()) {
			t.incomplete[parentRel(rel)] = true
			m.refuse(&ftp.UnsafeNameError{Dir: filepath.Join(m.localDir, filepath.FromSlash(parentRel(rel))), Name: d.Name()})
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			t.incomplete[parentRel(rel)] = true
			m.fail(fmt.Errorf("ftp: mirror: %w", err))
			return nil
		}
		if !d.IsDir() && m.filter.skipFile(rel, info.ModTime()) {
			m.excluded(t, source, rel)
			return nil
		}
		e := &mirrorEntry{size: info.Size(), mtime: info.ModTime(), exact: true, mode: info.Mode().Perm()}
		switch mode := info.Mode(); {
		case mode&fs.ModeSymlink != 0:
			e.typ = ftp.EntryLink
		case mode.IsDir():
			e.typ, e.size = ftp.EntryDir, -1
		case mode.IsRegular():
			e.typ = ftp.EntryFile
		default:
			e.typ = ftp.EntryOther
		}
		t.entries[rel] = e
		if max := m.opts.Limits.maxEntries(); int64(len(t.entries)) > max {
			return &ftp.LimitError{Limit: "MaxEntries", Max: max, Path: filepath.Join(m.localDir, filepath.FromSlash(parentRel(rel)))}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ftp: mirror: %w", err)
	}
	return t, nil
}

// remoteTree walks remoteDir. As the destination a missing remoteDir is
// created (when not in a dry run), and refused names are reported only
// when Delete needs to know the whole destination.
func (m *mirror) remoteTree(ctx context.Context, source bool) (*mirrorTree, error) {
	t := newMirrorTree()
	root, err := rootEntry(ctx, m.remoteDir, m.p.Stat)
	if !source && errors.Is(err, fs.ErrNotExist) {
		m.stats.Dirs++
		m.plan(Change{Op: MakeDir, Type: ftp.EntryDir, Size: -1})
		if !m.opts.DryRun {
			if err := m.p.MakeDirAll(ctx, m.remoteDir); err != nil {
				return nil, fmt.Errorf("ftp: mirror: %w", err)
			}
		}
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ftp: mirror: %w", err)
	}
	if root.Type != ftp.EntryDir {
		return nil, fmt.Errorf("ftp: mirror: %s is not a directory", m.remoteDir)
	}
	list := func(ctx context.Context, dir string, max int) ([]*ftp.Entry, error) {
		return listRaw(ctx, m.p, dir, max)
	}
	err = walkFrom(ctx, m.remoteDir, root, m.opts.Parallel, m.opts.Limits, list, func(p, rel string, e *ftp.Entry, err error) error {
		if err != nil {
			t.incomplete[rel] = true
			var ue *ftp.UnsafeNameError
			switch {
			case !errors.As(err, &ue):
				m.fail(fmt.Errorf("ftp: mirror: listing %s: %w", p, err))
			case source || m.opts.Delete:
				m.refuse(ue)
			}
			return nil
		}
		if rel == "" {
			return nil
		}
		if e.Type == ftp.EntryDir && m.filter.skipDir(rel) {
			m.excluded(t, source, rel)
			return fs.SkipDir // not listed
		}
		if e.Type != ftp.EntryDir && m.filter.skipFile(rel, e.ModTime) {
			m.excluded(t, source, rel)
			return nil
		}
		// A name listed twice comes once, the second time as a
		// *RevisitError for its directory.
		exact := e.Facts["modify"] != "" && !e.ModTime.IsZero()
		t.entries[rel] = &mirrorEntry{typ: e.Type, size: e.Size, mtime: e.ModTime, exact: exact, remote: !exact,
			prec: precision(e, exact), mode: e.Mode.Perm()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ftp: mirror: %w", err)
	}
	return t, nil
}

// excluded notes an entry the filter left out: counted in the source; in
// the destination, its directory is kept whole (nothing the filter hides
// is deleted, nor the directories holding it).
func (m *mirror) excluded(t *mirrorTree, source bool, rel string) {
	if source {
		m.count(func(st *Stats) { st.Excluded++ })
		return
	}
	t.incomplete[parentRel(rel)] = true
}

// precision is how far a listed time can be trusted: the second for MLSx,
// else the minute, or the day when the listing gave no time of day (ls
// shows the year instead for files older than six months, and those read
// as midnight).
func precision(e *ftp.Entry, exact bool) time.Duration {
	switch {
	case exact:
		return time.Second
	case e.ModTime.Hour() == 0 && e.ModTime.Minute() == 0:
		return 24 * time.Hour
	}
	return time.Minute
}

// sameWithin reports whether a and b are the same time as far as the
// coarser of precisions p and q tells: the same second, minute or day (the
// day in b's location, that of a listing's times).
func sameWithin(a, b time.Time, p, q time.Duration) bool {
	switch prec := max(p, q, time.Second); {
	case prec >= 24*time.Hour:
		ay, am, ad := a.In(b.Location()).Date()
		by, bm, bd := b.Date()
		return ay == by && am == bm && ad == bd
	default:
		return a.Truncate(prec).Equal(b.Truncate(prec))
	}
}

// laterWithin reports whether b is after a as far as the precisions tell
// (see sameWithin).
func laterWithin(a, b time.Time, p, q time.Duration) bool {
	if sameWithin(a, b, p, q) {
		return false
	}
	return b.After(a)
}
