// mirror --dry-run: the list of what a mirror would change, file by file.
//
// The library's mirror counts what a dry run would do (mirror.Stats) but
// does not say which files: until it reports its plan, ftpc makes the same
// comparison itself, by the rules mirror.Down and mirror.Up document (size,
// and time to the second where both ends know it, MDTM where LIST gave
// minutes; a ".NAME.part" continued when no longer than the source and not
// older; with Delete, what the source does not hold, inside directories it
// listed whole), from the same walks of both trees.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/mirror"
)

// planEntry is what the plan knows of one item at one end.
type planEntry struct {
	typ    ftp.EntryType
	size   int64
	mtime  time.Time
	exact  bool // mtime is right to the second
	remote bool // on the server, and not asked with MDTM yet
}

// planTree is one end, keyed by slash-separated paths relative to the
// mirrored directory.
type planTree struct {
	entries    map[string]*planEntry
	incomplete map[string]bool // directories not listed whole
	missing    bool            // a destination that is not there yet
}

func newPlanTree() *planTree {
	return &planTree{entries: map[string]*planEntry{}, incomplete: map[string]bool{}}
}

func (t *planTree) file(rel string) *planEntry {
	if e := t.entries[rel]; e != nil && e.typ == ftp.EntryFile {
		return e
	}
	return nil
}

// planAction is one change of a dry run.
type planAction struct {
	Action   string `json:"action"` // get, put, mkdir, rm, rmdir
	Path     string `json:"path"`   // relative to the mirrored directories
	Size     *int64 `json:"size,omitempty"`
	ResumeAt int64  `json:"resume_at,omitempty"` // where a partial copy would be continued
}

// planner compares the trees of one mirror.
type planner struct {
	pool      *ftp.Pool
	up        bool
	remoteDir string
	localDir  string
	opts      *mirror.Options
	stamp     bool // Up: the server takes times (MFMT)
}

// plan lists the changes a mirror would make, in the order it makes
// them: removals (deepest first), directories, then files.
func (p *planner) plan(ctx context.Context) ([]planAction, error) {
	var src, dst *planTree
	var err error
	if p.up {
		if src, err = p.localTree(); err != nil {
			return nil, err
		}
		if dst, err = p.remoteTree(ctx, false); err != nil {
			return nil, err
		}
		pc, err := p.pool.Conn(ctx)
		if err != nil {
			return nil, err
		}
		feats, err := pc.Features(ctx)
		pc.Close()
		if err != nil {
			return nil, err
		}
		p.stamp = feats.Has("MFMT")
	} else {
		if src, err = p.remoteTree(ctx, true); err != nil {
			return nil, err
		}
		if dst, err = p.localTree(); err != nil {
			return nil, err
		}
	}
	return p.compare(ctx, src, dst), nil
}

// compare follows the mirror's sync: what to replace, create, transfer
// and delete.
func (p *planner) compare(ctx context.Context, src, dst *planTree) []planAction {
	rels := make([]string, 0, len(src.entries))
	for rel := range src.entries {
		rels = append(rels, rel)
	}
	sort.Strings(rels) // parents before children
	blocked := map[string]bool{}
	isBlocked := func(rel string) bool {
		for {
			if blocked[rel] {
				return true
			}
			if rel == "" {
				return false
			}
			rel = parentOf(rel)
		}
	}
	replace := map[string]bool{}
	var dirs, files []planAction
	if dst.missing {
		dirs = append(dirs, planAction{Action: "mkdir", Path: "."})
	}
	for _, rel := range rels {
		if rel == "" || isBlocked(rel) {
			continue
		}
		s, d := src.entries[rel], dst.entries[rel]
		switch s.typ {
		case ftp.EntryLink, ftp.EntryOther:
			continue
		case ftp.EntryFile:
			if of, ok := partOf(rel); ok && src.file(of) != nil {
				continue // a transfer in progress at the source
			}
		}
		if d != nil && d.typ != s.typ {
			if !p.opts.Delete {
				blocked[rel] = true // a conflict, which the mirror reports
				continue
			}
			replace[rel] = true
			d = nil
		}
		if s.typ == ftp.EntryDir {
			if d == nil {
				dirs = append(dirs, planAction{Action: "mkdir", Path: rel})
			}
			continue
		}
		if d != nil && p.unchanged(ctx, rel, s, d) {
			continue
		}
		a := planAction{Action: "get", Path: rel}
		if p.up {
			a.Action = "put"
		}
		if s.size >= 0 {
			size := s.size
			a.Size = &size
		}
		if pt := dst.file(partRel(rel)); pt != nil && p.resumable(ctx, rel, s, pt) {
			a.ResumeAt = pt.size
		}
		files = append(files, a)
	}
	var plan []planAction
	if p.opts.Delete {
		plan = p.removals(src, dst, replace)
	}
	return append(append(plan, dirs...), files...)
}

// removals lists, deepest first, what the destination holds and the
// source does not, and what is replaced by an entry of another type.
func (p *planner) removals(src, dst *planTree, replace map[string]bool) []planAction {
	memo := map[string]bool{}
	var doomed func(rel string) bool
	doomed = func(rel string) bool {
		if v, ok := memo[rel]; ok {
			return v
		}
		v := replace[rel]
		if !v && src.entries[rel] == nil {
			par := parentOf(rel)
			if par == "" {
				v = !src.incomplete[""]
			} else {
				ps := src.entries[par]
				v = doomed(par) || ps != nil && ps.typ == ftp.EntryDir && !src.incomplete[par]
			}
			if of, ok := partOf(rel); ok && src.file(of) != nil {
				v = false
			}
		}
		memo[rel] = v
		return v
	}
	var gone []string
	for rel := range dst.entries {
		if rel != "" && doomed(rel) {
			gone = append(gone, rel)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(gone))) // children first
	kept := map[string]bool{}
	var plan []planAction
	for _, rel := range gone {
		d := dst.entries[rel]
		if kept[rel] || d.typ == ftp.EntryDir && dst.incomplete[rel] {
			kept[parentOf(rel)] = true
			continue
		}
		a := planAction{Action: "rm", Path: rel}
		if d.typ == ftp.EntryDir {
			a.Action = "rmdir"
		}
		plan = append(plan, a)
	}
	return plan
}

// exactTime asks MDTM for a remote entry whose listing gave no seconds,
// once; it reports whether the time is known to the second.
func (p *planner) exactTime(ctx context.Context, e *planEntry, rel string) bool {
	if !e.remote {
		return e.exact
	}
	e.remote = false
	pc, err := p.pool.Conn(ctx)
	if err != nil {
		return false
	}
	defer pc.Close()
	if t, err := pc.ModTime(ctx, p.remotePath(rel)); err == nil && !t.IsZero() {
		e.mtime, e.exact = t, true
	}
	return e.exact
}

// unchanged is the mirror's test: equal sizes and times to the second
// (equal sizes alone where a time is not known); on a server that cannot
// take times, a newer copy of the same size is as good.
func (p *planner) unchanged(ctx context.Context, rel string, s, d *planEntry) bool {
	if s.size < 0 || d.size != s.size {
		return false
	}
	if !p.exactTime(ctx, s, rel) || !p.exactTime(ctx, d, rel) {
		return true
	}
	st, dt := s.mtime.Truncate(time.Second), d.mtime.Truncate(time.Second)
	return st.Equal(dt) || p.up && !p.stamp && dt.After(st)
}

// resumable is the mirror's test for a ".NAME.part": no longer than the
// source, not empty, and not older than it where both times are known.
func (p *planner) resumable(ctx context.Context, rel string, s, pt *planEntry) bool {
	if s.size < 0 || pt.size > s.size || pt.size <= 0 {
		return false
	}
	if !p.exactTime(ctx, s, rel) || !p.exactTime(ctx, pt, partRel(rel)) {
		return true
	}
	return !pt.mtime.Truncate(time.Second).Before(s.mtime.Truncate(time.Second))
}

func (p *planner) remotePath(rel string) string {
	if p.remoteDir == "" {
		return rel
	}
	return path.Join(p.remoteDir, rel)
}

// remoteTree walks the remote directory (mirror.Walk, hidden entries
// too). As the destination, a directory that is not there is empty.
func (p *planner) remoteTree(ctx context.Context, source bool) (*planTree, error) {
	t := newPlanTree()
	root := p.remoteDir
	base := path.Clean(root)
	rel := func(q string) string {
		if q == root || root == "" || root == "." {
			if q == root {
				return ""
			}
			return strings.TrimPrefix(q, "./")
		}
		return strings.TrimPrefix(strings.TrimPrefix(q, base), "/")
	}
	first, missing := true, false
	err := mirror.Walk(ctx, p.pool, root, &mirror.WalkOptions{Parallel: p.opts.Parallel, Limits: p.opts.Limits}, func(q string, e *ftp.Entry, err error) error {
		isRoot := first
		first = false
		switch {
		case err != nil && isRoot:
			if !source && errors.Is(err, fs.ErrNotExist) {
				missing = true
				return nil
			}
			return err
		case err != nil:
			t.incomplete[rel(q)] = true
			return nil
		case isRoot:
			if e.Type != ftp.EntryDir {
				return fmt.Errorf("mirror: %s is not a directory", root)
			}
			return nil
		}
		exact := e.Facts["modify"] != "" && !e.ModTime.IsZero()
		t.entries[rel(q)] = &planEntry{typ: e.Type, size: e.Size, mtime: e.ModTime, exact: exact, remote: !exact}
		return nil
	})
	if missing {
		t = newPlanTree()
		t.missing = true
		return t, nil
	}
	return t, err
}

// localTree walks the local directory without following links; names
// the mirror would refuse as remote names are left out, and their
// directory counts as incomplete. A missing destination is empty.
func (p *planner) localTree() (*planTree, error) {
	t := newPlanTree()
	source := p.up
	if _, err := os.Stat(p.localDir); !source && errors.Is(err, fs.ErrNotExist) {
		t.missing = true
		return t, nil
	}
	err := filepath.WalkDir(p.localDir, func(q string, d fs.DirEntry, err error) error {
		r, rerr := filepath.Rel(p.localDir, q)
		if rerr != nil {
			return rerr
		}
		rel := filepath.ToSlash(r)
		if rel == "." {
			rel = ""
		}
		if err != nil {
			if rel == "" {
				return err
			}
			if d != nil && d.IsDir() {
				t.incomplete[rel] = true
			} else {
				t.incomplete[parentOf(rel)] = true
			}
			return nil
		}
		if rel == "" {
			return nil
		}
		if source && !ftp.SafeName(d.Name()) {
			t.incomplete[parentOf(rel)] = true
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			t.incomplete[parentOf(rel)] = true
			return nil
		}
		e := &planEntry{size: info.Size(), mtime: info.ModTime(), exact: true}
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
		return nil
	})
	return t, err
}

// parentOf returns the directory of a relative path ("" for the top).
func parentOf(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return ""
}

// partRel is where the mirror receives a file: ".NAME.part" beside it.
func partRel(rel string) string {
	dir, name := parentOf(rel), rel[strings.LastIndexByte(rel, '/')+1:]
	if dir == "" {
		return "." + name + ".part"
	}
	return dir + "/." + name + ".part"
}

// partOf returns the file whose partial copy rel would be.
func partOf(rel string) (string, bool) {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	if len(base) <= len("..part") || base[0] != '.' || !strings.HasSuffix(base, ".part") {
		return "", false
	}
	name := base[1 : len(base)-len(".part")]
	if dir := parentOf(rel); dir != "" {
		return dir + "/" + name, true
	}
	return name, true
}

// writePlan prints each change, "get a/x.bin (12345 bytes)", or with
// --json one object each.
func writePlan(w io.Writer, plan []planAction, asJSON bool) error {
	for _, a := range plan {
		if asJSON {
			if err := writeJSON(w, a); err != nil {
				return err
			}
			continue
		}
		line := a.Action + " " + escapeName(a.Path)
		switch {
		case a.Size != nil && a.ResumeAt > 0:
			line += fmt.Sprintf(" (resume at %d of %d bytes)", a.ResumeAt, *a.Size)
		case a.Size != nil:
			line += fmt.Sprintf(" (%d bytes)", *a.Size)
		}
		fmt.Fprintln(w, line)
	}
	return nil
}
