// Checks on what the server really holds: files read straight from its
// directory (Server.Root) and compared byte for byte, never taken on the
// word of a reply code, a nil error or the client's own read-back.

package interop

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// onDisk returns where the remote path rel (relative to the login
// directory, which every server here maps to its Root) is on disk.
func (c *cell) onDisk(rel string) string {
	return filepath.Join(c.inst.Root, filepath.FromSlash(rel))
}

// checkDisk compares the server's copy of rel with want, byte for byte.
func (c *cell) checkDisk(rel string, want []byte) error {
	got, err := os.ReadFile(c.onDisk(rel))
	if err != nil {
		return fmt.Errorf("on the server's disk: %w", err)
	}
	return sameBytes("on the server's disk, "+rel, got, want)
}

// checkDiskAbsent makes sure rel is gone from the server's disk.
func (c *cell) checkDiskAbsent(rel string) error {
	if _, err := os.Lstat(c.onDisk(rel)); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("on the server's disk, %s is still there (%v)", rel, err)
	}
	return nil
}

// checkDiskDir makes sure rel is a directory on the server's disk.
func (c *cell) checkDiskDir(rel string) error {
	fi, err := os.Stat(c.onDisk(rel))
	if err != nil {
		return fmt.Errorf("on the server's disk: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("on the server's disk, %s is a %v, not a directory", rel, fi.Mode().Type())
	}
	return nil
}

// putOnDisk writes data as the server's file rel, owned by the server's
// user as if uploaded: a partial file for a resumed upload to continue.
func (c *cell) putOnDisk(rel string, data []byte) error {
	p := c.onDisk(rel)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	return os.Chown(p, c.e.UID, c.e.GID)
}

// sameBytes compares got with want and says how they differ: the lengths,
// the first differing byte, and the two patterns that mean a lost offset
// (the data's start where a later part belongs) or a cut (a prefix).
func sameBytes(what string, got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	d := 0
	for d < len(got) && d < len(want) && got[d] == want[d] {
		d++
	}
	msg := fmt.Sprintf("%s: %d bytes, want %d", what, len(got), len(want))
	switch {
	case d == len(got):
		msg += fmt.Sprintf("; it is the first %d bytes only (truncated)", len(got))
	case d == len(want):
		msg += fmt.Sprintf("; the right %d bytes, then %d more", len(want), len(got)-len(want))
	default:
		msg += fmt.Sprintf("; first difference at byte %d", d)
		if startsAt(got, want, d) {
			msg += " (from there it holds the data's start: an offset was ignored)"
		}
	}
	return errors.New(msg)
}

// startsAt reports whether got holds the start of want at offset at.
func startsAt(got, want []byte, at int) bool {
	n := min(4096, len(want), len(got)-at)
	return n > 0 && bytes.Equal(got[at:at+n], want[:n])
}

// tree is a directory's content: files (slash-separated relative path to
// bytes) and directories.
type tree struct {
	files map[string][]byte
	dirs  map[string]bool
}

// readTree reads every file and directory below root.
func readTree(root string) (*tree, error) {
	t := &tree{files: map[string][]byte{}, dirs: map[string]bool{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			t.dirs[rel] = true
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			t.files[rel] = b
		default:
			t.files[rel] = []byte("(not a regular file: " + d.Type().String() + ")")
		}
		return nil
	})
	return t, err
}

// sameTree compares the tree at root with want: every file byte for byte,
// nothing missing, nothing extra (a leftover ".NAME.part" counts).
func sameTree(what, root string, want *tree) error {
	got, err := readTree(root)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var problems []string
	for _, name := range sortedKeys(want.files) {
		b, ok := got.files[name]
		if !ok {
			problems = append(problems, "missing "+name)
			continue
		}
		if err := sameBytes(name, b, want.files[name]); err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, name := range sortedKeys(got.files) {
		if _, ok := want.files[name]; !ok {
			problems = append(problems, "extra file "+name)
		}
	}
	for _, name := range sortedKeys(want.dirs) {
		if !got.dirs[name] {
			problems = append(problems, "missing directory "+name)
		}
	}
	for _, name := range sortedKeys(got.dirs) {
		if !want.dirs[name] {
			problems = append(problems, "extra directory "+name)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", what, strings.Join(problems, "; "))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
