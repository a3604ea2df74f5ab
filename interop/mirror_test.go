// Mirrors both ways against each server: a small tree with a dotfile, a
// subdirectory, a name with a space and an empty file goes up, is compared
// on the server's disk, comes back down into a fresh directory, is
// compared again, and a second mirror each way must move nothing.

package interop

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/mirror"
)

// mirrorTree is what the mirror steps send up and expect back.
func mirrorTree(data []byte) *tree {
	return &tree{
		files: map[string][]byte{
			"a.txt":            []byte("alpha\n"),
			".config":          []byte("hidden = yes\n"),
			"with space.txt":   []byte("a name with a space\n"),
			"empty.txt":        {},
			"sub/b.bin":        data[:100<<10],
			"sub/deeper/c.txt": []byte("three levels down\n"),
		},
		dirs: map[string]bool{"sub": true, "sub/deeper": true},
	}
}

// writeTree makes want's files and directories under root.
func writeTree(root string, want *tree) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	for _, d := range sortedKeys(want.dirs) {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), 0o755); err != nil {
			return err
		}
	}
	for name, b := range want.files {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// mirrorState is what the mirror steps of one cell share.
type mirrorState struct {
	want               *tree
	local, down        string // the tree sent up; the fresh copy brought down
	remote             string // the remote directory
	upFailed, dnFailed bool
}

// mirrorPool returns the pool the mirror steps share, as one program's
// mirrors would: the later ones reuse its idle connections. run closes it.
func (c *cell) mirrorPool() *ftp.Pool {
	if c.pool == nil {
		c.pool = ftp.NewPool(c.addr, c.cfg, &ftp.PoolOptions{MaxOpen: 4})
	}
	return c.pool
}

func (c *cell) mirrorUp() error {
	m := &mirrorState{
		want:   mirrorTree(c.e.data),
		local:  filepath.Join(c.tmp, "mirror-up"),
		down:   filepath.Join(c.tmp, "mirror-down"),
		remote: c.base + "/mirror",
	}
	c.mirror = m
	m.upFailed = true
	if err := writeTree(m.local, m.want); err != nil {
		return err
	}
	pool := c.mirrorPool()
	st, err := mirror.Up(c.ctx, pool, m.local, m.remote, nil)
	if err != nil {
		return fmt.Errorf("%w (stats %+v)", err, *st)
	}
	if err := sameTree("the server's copy", c.onDisk(m.remote), m.want); err != nil {
		return fmt.Errorf("%w (MirrorUp reported no error, stats %+v)", err, *st)
	}
	if st.Files != len(m.want.files) || st.Failed != 0 {
		return fmt.Errorf("MirrorUp stats %+v: want %d files sent, none failed", *st, len(m.want.files))
	}
	m.upFailed = false
	return nil
}

func (c *cell) mirrorDown() error {
	m := c.mirror
	m.dnFailed = true
	if m.upFailed {
		// MirrorDown gets its own chance: the tree is put on the server's
		// disk by hand, as the user's.
		if err := c.putTreeOnDisk(m.remote, m.want); err != nil {
			return fmt.Errorf("putting the tree on the server's disk: %w", err)
		}
		c.note("MirrorDown from a tree put on disk")
	}
	pool := c.mirrorPool()
	st, err := mirror.Down(c.ctx, pool, m.remote, m.down, nil)
	if err != nil {
		return fmt.Errorf("%w (stats %+v)", err, *st)
	}
	if err := sameTree("the local copy", m.down, m.want); err != nil {
		return fmt.Errorf("%w (MirrorDown reported no error, stats %+v)", err, *st)
	}
	if st.Files != len(m.want.files) || st.Failed != 0 {
		return fmt.Errorf("MirrorDown stats %+v: want %d files received, none failed", *st, len(m.want.files))
	}
	m.dnFailed = false
	return nil
}

// remirror runs a mirror again over an unchanged tree: nothing may move,
// and every file counts as unchanged.
func (c *cell) remirror(up bool) error {
	m := c.mirror
	dir := "down"
	if up {
		dir = "up"
	}
	if (up && m.upFailed) || (!up && m.dnFailed) {
		c.note("re-mirror " + dir + " skipped (the first mirror failed)")
		return nil
	}
	pool := c.mirrorPool()
	var st *mirror.Stats
	var err error
	if up {
		st, err = mirror.Up(c.ctx, pool, m.local, m.remote, nil)
	} else {
		st, err = mirror.Down(c.ctx, pool, m.remote, m.down, nil)
	}
	if err != nil {
		return fmt.Errorf("%w (stats %+v)", err, *st)
	}
	if st.Files != 0 || st.Bytes != 0 || st.Dirs != 0 || st.Failed != 0 || st.Unchanged != len(m.want.files) {
		return fmt.Errorf("an unchanged tree moved: stats %+v, want no file, byte or directory, %d unchanged", *st, len(m.want.files))
	}
	// And both copies are still what they were.
	if err := sameTree("the server's copy", c.onDisk(m.remote), m.want); err != nil {
		return err
	}
	if !up {
		return sameTree("the local copy", m.down, m.want)
	}
	return nil
}

func (c *cell) remirrorUp() error   { return c.remirror(true) }
func (c *cell) remirrorDown() error { return c.remirror(false) }

// putTreeOnDisk replaces the server's directory rel with want, owned by
// the server's user.
func (c *cell) putTreeOnDisk(rel string, want *tree) error {
	root := c.onDisk(rel)
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	if err := writeTree(root, want); err != nil {
		return err
	}
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, c.e.UID, c.e.GID)
	})
}
