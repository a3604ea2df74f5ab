// Permissions: a copy gets its source's permission bits (Options.NoPerms
// turns this off): chmod locally, SITE CHMOD on the server.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"sync"

	"github.com/seed362563c3/ftp"
)

// perms reports whether the mirror sets permissions, and the bits to give
// a copy of src: its permission bits alone, never setuid, setgid or
// sticky. ok is false when the source's mode is unknown.
func (m *mirror) perms(src *mirrorEntry) (mode fs.FileMode, ok bool) {
	if m.opts.NoPerms || src.mode == 0 {
		return 0, false
	}
	if m.up && m.noChmod.Load() {
		return 0, false
	}
	return src.mode & fs.ModePerm, true
}

// dirMode is the mode a copied directory gets: the source's, with the
// owner's rwx kept, so that a later mirror can still write in it.
func dirMode(mode fs.FileMode) fs.FileMode { return mode | 0o700 }

// chmodAt sets the mode of the destination entry rel: os.Root.Chmod
// locally, SITE CHMOD on the server (on c when given, else on a pooled
// connection). A server without SITE CHMOD is noted once and not asked
// again; the data is in place either way.
func (m *mirror) chmodAt(ctx context.Context, c *ftp.Conn, rel string, mode fs.FileMode) error {
	if m.up && m.noChmod.Load() {
		return nil
	}
	m.plan(Change{Op: Chmod, Path: rel, Size: -1, Mode: mode})
	if m.opts.DryRun {
		return nil
	}
	var err error
	if m.up {
		if m.noChmod.Load() {
			return nil
		}
		p := m.remotePath(rel)
		if c != nil {
			err = c.Chmod(ctx, p, mode)
		} else {
			err = with(ctx, m.p, func(c *ftp.Conn) error { return c.Chmod(ctx, p, mode) })
		}
		if errors.Is(err, ftp.ErrNotSupported) {
			m.noChmod.Store(true)
			m.note("the server has no SITE CHMOD: permissions were not set (NoPerms stops asking)")
			return nil
		}
	} else {
		name := ""
		if name, err = m.localName(rel); err == nil {
			err = m.root.Chmod(name, mode)
		}
	}
	if err != nil {
		return fmt.Errorf("ftp: mirror: setting the permissions of %s: %w", rel, err)
	}
	return nil
}

// learnMode returns the mode of the remote entry rel from its
// directory's listing (Stat may answer with SIZE and MDTM, which say
// nothing of modes). known is false when it could not be read, to try
// again with the next entry.
func (m *mirror) learnMode(ctx context.Context, c *ftp.Conn, rel string) (known bool, mode fs.FileMode) {
	p := m.remotePath(rel)
	entries, err := c.List(ctx, path.Dir(p))
	if err != nil {
		return false, 0
	}
	for _, e := range entries {
		if e.Name == path.Base(p) {
			return true, e.Mode.Perm()
		}
	}
	return false, 0
}

// newModes is what a mirror up learns of the modes the server gives new
// files and directories (its umask), so that a copy already given its
// source's mode costs no SITE CHMOD.
type newModes struct {
	mu    sync.Mutex
	known [2]bool        // [file, directory]: learned (or not to be)
	mode  [2]fs.FileMode // the mode learned; 0 when the server shows none
}

// setNew gives the remote entry rel, just created (a file uploaded, a
// directory made) on c, the mode want, unless the server gives new
// entries that mode anyway: the first of each kind is looked at (Stat) to
// learn it.
func (m *mirror) setNew(ctx context.Context, c *ftp.Conn, rel string, dir bool, want fs.FileMode) error {
	k := 0
	if dir {
		k = 1
	}
	if m.opts.DryRun {
		return nil // what the server would give is not known
	}
	nm := &m.newModes
	nm.mu.Lock() // held while the first is looked at: one listing, not one per connection
	if !nm.known[k] {
		nm.known[k], nm.mode[k] = m.learnMode(ctx, c, rel)
	}
	def := nm.mode[k]
	nm.mu.Unlock()
	if def != 0 && def == want {
		return nil
	}
	return m.chmodAt(ctx, c, rel, want)
}

// fixMode gives the destination entry rel its source's permissions,
// unless have (the destination's mode; exists says there is one) equals
// them already. An existing remote entry whose listing gave no mode is
// left alone: asking every run would cost a command for each file. A
// change to an entry that was there before (not fresh) counts in
// Stats.Modes.
func (m *mirror) fixMode(ctx context.Context, rel string, src *mirrorEntry, have fs.FileMode, exists, fresh bool) {
	want, ok := m.perms(src)
	if !ok {
		return
	}
	if src.typ == ftp.EntryDir {
		want = dirMode(want)
	}
	if exists && (have == want || m.up && have == 0) {
		return
	}
	var err error
	switch {
	case exists:
		if err = m.chmodAt(ctx, nil, rel, want); err == nil && !fresh && !m.noChmod.Load() {
			m.count(func(st *Stats) { st.Modes++ })
		}
	case m.up:
		err = with(ctx, m.p, func(c *ftp.Conn) error { return m.setNew(ctx, c, rel, true, want) })
	default:
		err = m.chmodAt(ctx, nil, rel, want)
	}
	if err != nil {
		m.fail(err)
	}
}

// dirModes gives the destination's directories their source's modes,
// once their files are in (a directory the source keeps read-only is
// given the owner's write back: see dirMode). New directories are set
// too, since where they were created says nothing of the source.
func (m *mirror) dirModes(ctx context.Context, rels []string, src, dst *mirrorTree) {
	if m.opts.NoPerms {
		return
	}
	var dirs []string
	for _, rel := range rels {
		if s := src.entries[rel]; s != nil && s.typ == ftp.EntryDir && s.mode != 0 && !m.isBlocked(rel) {
			dirs = append(dirs, rel)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs))) // children first
	for _, rel := range dirs {
		if ctx.Err() != nil {
			return
		}
		switch d := dst.entries[rel]; {
		case d != nil && d.typ == ftp.EntryDir:
			m.fixMode(ctx, rel, src.entries[rel], d.mode, true, false)
		case !m.up:
			// Made here with 0755 (less, under a umask): only another
			// mode needs setting.
			m.fixMode(ctx, rel, src.entries[rel], 0o755, true, true)
		default:
			m.fixMode(ctx, rel, src.entries[rel], 0, false, true)
		}
	}
}
