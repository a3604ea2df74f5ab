// Many files at once, and mirroring a tree in either direction in the
// manner of lftp's mirror: only what changed, in parallel, resuming
// partial copies, keeping modification times.

package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/resume"
)

// Options configures Down and Up; nil means the zero
// value.
type Options struct {
	// Parallel is how many files move, and how many remote directories
	// are listed, at once; 0 means 4. Each takes a pooled connection, so
	// give the Pool as many (PoolOptions.MaxOpen).
	Parallel int
	// Delete removes what the destination holds and the source does not:
	// files, directories, links. It also lets a destination entry of
	// another type (a directory where the source has a file, a link where
	// it has a directory, ...) be replaced; without Delete such a conflict
	// is an error and the entry is left alone. Nothing is deleted in a
	// directory whose source listing failed, was only partly understood or
	// held refused names, nor a partial copy (".NAME.part") of a source
	// file.
	Delete bool
	// DryRun compares and counts without changing anything: the stats say
	// what a real run would do (Bytes counts the bytes that would move).
	DryRun bool
	// Resume configures the transfers: Retries, Backoff, MaxBackoff,
	// Verify and HashAlgorithm are used. Fresh is decided for each file,
	// temporary names are always used, and Progress is replaced by the
	// mirror's own.
	Resume *resume.Options
	// Progress, when set, is called with a file's path relative to the
	// mirrored directories (slash-separated) and the bytes its destination
	// holds so far. Calls for different files are concurrent.
	Progress ftp.Progress
	// Limits bounds the walks of the trees and what the mirror holds of
	// them; nil means the defaults (see Limits).
	Limits *Limits

	// Filter, when set, chooses the paths mirrored (globs, depth, times);
	// what it leaves out is neither listed below, sent nor deleted.
	Filter *Filter
	// NoPerms leaves permissions alone. Otherwise, as lftp's mirror does,
	// a copy is given its source's permission bits (never setuid, setgid
	// or sticky): Down from the listing (MLSD's UNIX.mode, or the ls mode),
	// where it gives them; Up with SITE CHMOD, where the server has it.
	// See Down and Up.
	NoPerms bool
	// Checksum compares files of the same size by checksum (HASH, or
	// XSHA256, XSHA1, XMD5, XCRC; the best the server offers) instead of
	// by time, as rclone's --checksum: a file whose content changed but
	// kept its size and time is sent, one that is the same but was
	// touched is not. It costs reading each such file at both ends. A
	// server with no checksum command leaves size and time to compare,
	// as Stats.Notes then says.
	Checksum bool
	// Plan, when set, is told of each change before it is made (or, with
	// DryRun, instead): removals first, deepest first, then directories,
	// then files and permissions. Calls are never concurrent.
	Plan func(Change)
}

// Stats counts what a mirror did (or, with DryRun, would do).
type Stats struct {
	Files     int   // files transferred
	Resumed   int   // of Files, those continued from a partial copy
	Bytes     int64 // bytes moved over data connections
	Unchanged int   // files skipped as unchanged
	Failed    int   // files whose transfer failed
	Dirs      int   // directories created
	Deleted   int   // files, links and directories removed (Delete)
	Symlinks  int   // symbolic links in the source, skipped (never followed)
	Other     int   // other non-regular source entries (devices, pipes, ...), skipped
	Refused   int   // names refused as unsafe (see UnsafeNameError)
	Excluded  int   // source entries Options.Filter left out (a directory once, with all it holds)
	Modes     int   // unchanged files and existing directories given their source's permissions
	// Notes says where the mirror did less than asked, and why: a server
	// without checksums or SITE CHMOD, for instance.
	Notes []string
}

// Down makes localDir a copy of the remote directory remoteDir, as
// lftp's mirror does: the remote tree is walked (with ListAll, hidden
// entries too, opts.Parallel listings at once), then what is missing or
// changed is downloaded, opts.Parallel files at once, and directories are
// created as needed (localDir too).
//
// A file is unchanged when its size and its modification time are the
// same at both ends, as far as the coarser end tells: to the second with
// MLSD, to the minute with LIST (to the day for the files ls shows with
// their year), so that an unchanged file costs no command; a file changed
// within that minute that kept its size is taken as unchanged, as lftp
// takes it. Where a time is unknown, equal sizes mean unchanged. A
// downloaded file gets the remote modification time to the second (MDTM,
// where the listing gave less). Directories' times are not kept.
//
// A file is received into ".NAME.part" beside it, which is given the
// remote time and renamed over NAME once complete and verified: NAME is
// never seen half written, and a ".NAME.part" left by an interrupted run
// is what a later run resumes (REST). It is resumed only when it is no
// longer than the source and not older than it (written after the
// source last changed); otherwise it is replaced from the start. A source
// entry ".NAME.part" beside a source file NAME is such a transfer in
// progress, and is not copied.
//
// All directories are created before the first file moves, and the files
// are queued for opts.Parallel connections, each of which takes the next
// file as soon as it is done. A fresh file takes one attempt on one
// pooled connection, with what the listing told (its size, that no part
// is there) taken as known: RETR alone, its length checked against the
// listed size. When that fails in a way worth retrying (a dropped
// connection, a 4xx reply), the resumable Download takes over with
// opts.Resume's retries and backoff, continuing from what arrived.
//
// Local names are built only from remote names that are single, harmless
// path elements: others are refused (UnsafeNameError), and every local
// file is opened through an os.Root on localDir, so that neither a name
// nor a symbolic link in localDir can lead outside it. Symbolic links and
// other special entries of the source are skipped and counted; a local
// link where the source has a file or directory is a conflict (see
// Options.Delete), never written through.
//
// The mirror compares whole trees: it holds both in memory (a few hundred
// bytes an entry) before it changes anything. opts.Limits bounds them: a
// tree of more than MaxEntries entries (DefaultMaxEntries, ten million)
// ends the mirror with a *LimitError before any file moves; the
// remote walk is bounded as Walk's (see Limits), and what it does not
// enter (too deep, a path too long, a directory met again, see
// RevisitError) is reported as a listing error and leaves its directory
// incomplete: nothing is deleted there.
//
// Errors do not stop the mirror: the returned error joins every failure
// (*TransferError for a file, *UnsafeNameError for a refused name, listing
// and conflict errors). The stats are always returned.
func Down(ctx context.Context, p *ftp.Pool, remoteDir, localDir string, opts *Options) (*Stats, error) {
	m := newMirror(p, false, remoteDir, localDir, opts)
	return m.run(ctx)
}

// Up makes the remote directory remoteDir a copy of localDir, as
// Down does in the other direction; remote directories are created
// as needed (remoteDir too). Files are uploaded to ".NAME.part" and
// renamed (RNFR, RNTO) once complete and verified; an interrupted upload
// is resumed from there (after comparing a range checksum where the
// server offers one). Each uploaded file gets the local modification time
// with MFMT; on a server without MFMT, a remote file of the same size
// that is newer than the local one counts as unchanged, since it was
// written after the local file last changed. Local names that are not
// single, harmless path elements (with CR, LF or '\\', ...) are refused;
// local symbolic links are skipped, never followed. With Delete, refused
// names in the remote destination are reported as errors and kept.
func Up(ctx context.Context, p *ftp.Pool, localDir, remoteDir string, opts *Options) (*Stats, error) {
	m := newMirror(p, true, remoteDir, localDir, opts)
	return m.run(ctx)
}

type mirrorJob struct {
	rel  string
	src  *mirrorEntry
	dst  *mirrorEntry // nil when absent (or replaced)
	part *mirrorEntry // the destination's ".NAME.part", nil when none
}

type mirror struct {
	p         *ftp.Pool
	up        bool
	remoteDir string
	localDir  string
	opts      Options
	root      *os.Root // localDir; nil in a dry run whose localDir is missing
	stamp     atomic.Bool
	filter    *filter     // Options.Filter, checked
	noChmod   atomic.Bool // the server has no SITE CHMOD
	sums      checksums   // Options.Checksum's algorithm, once chosen
	newModes  newModes    // the modes the server gives new entries
	planMu    sync.Mutex  // serialises Options.Plan

	mu      sync.Mutex
	stats   Stats
	errs    []error
	blocked map[string]bool // paths not to touch any more
}

func newMirror(p *ftp.Pool, up bool, remoteDir, localDir string, opts *Options) *mirror {
	m := &mirror{p: p, up: up, remoteDir: remoteDir, localDir: localDir, blocked: map[string]bool{}}
	if opts != nil {
		m.opts = *opts
	}
	if m.opts.Parallel <= 0 {
		m.opts.Parallel = 4
	}
	m.stamp.Store(true)
	return m
}

func (m *mirror) fail(err error) {
	m.mu.Lock()
	m.errs = append(m.errs, err)
	m.mu.Unlock()
}

func (m *mirror) refuse(err *ftp.UnsafeNameError) {
	m.mu.Lock()
	m.stats.Refused++
	m.errs = append(m.errs, err)
	m.mu.Unlock()
}

func (m *mirror) count(f func(st *Stats)) {
	m.mu.Lock()
	f(&m.stats)
	m.mu.Unlock()
}

// note adds a line to Stats.Notes, once.
func (m *mirror) note(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.stats.Notes {
		if n == s {
			return
		}
	}
	m.stats.Notes = append(m.stats.Notes, s)
}

func (m *mirror) result() (*Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats
	st.Notes = append([]string(nil), m.stats.Notes...)
	return &st, errors.Join(m.errs...)
}

func (m *mirror) failed(err error) (*Stats, error) {
	m.fail(err)
	return m.result()
}

// isBlocked reports whether rel or a directory above it is blocked.
func (m *mirror) isBlocked(rel string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		if m.blocked[rel] {
			return true
		}
		if rel == "" {
			return false
		}
		rel = parentRel(rel)
	}
}

func (m *mirror) block(rel string) {
	m.mu.Lock()
	m.blocked[rel] = true
	m.mu.Unlock()
}

func (m *mirror) remotePath(rel string) string {
	if rel == "" {
		if m.remoteDir == "" {
			return "."
		}
		return m.remoteDir
	}
	return path.Join(m.remoteDir, rel)
}

// localName turns a relative path made of safe names into a name for the
// os.Root on localDir, checking once more that it stays inside.
func (m *mirror) localName(rel string) (string, error) {
	name := filepath.FromSlash(rel)
	full := filepath.Join(m.localDir, name)
	r, err := filepath.Rel(m.localDir, full)
	if rel == "" || err != nil || !filepath.IsLocal(name) || !filepath.IsLocal(r) {
		return "", &ftp.UnsafeNameError{Dir: m.localDir, Name: rel}
	}
	return r, nil
}

func (m *mirror) run(ctx context.Context) (*Stats, error) {
	var src, dst *mirrorTree
	var err error
	if m.filter, err = m.opts.Filter.compile(); err != nil {
		return m.failed(err)
	}
	if m.up {
		if src, err = m.openLocal(ctx, true); err != nil {
			return m.failed(err)
		}
		defer m.root.Close()
		if dst, err = m.remoteTree(ctx, false); err != nil {
			return m.failed(err)
		}
		var feats ftp.Features
		err = with(ctx, m.p, func(c *ftp.Conn) (err error) { feats, err = c.Features(ctx); return err })
		if err != nil {
			return m.failed(err)
		}
		m.stamp.Store(feats.Has("MFMT"))
	} else {
		if src, err = m.remoteTree(ctx, true); err != nil {
			return m.failed(err)
		}
		if dst, err = m.openLocal(ctx, false); err != nil {
			return m.failed(err)
		}
		if m.root != nil {
			defer m.root.Close()
		}
	}
	m.sync(ctx, src, dst)
	if err := ctx.Err(); err != nil {
		m.fail(err)
	}
	return m.result()
}

// sync compares the trees and brings the destination in line: removals
// first (so that replaced entries make way), then directories, then the
// files in parallel.
func (m *mirror) sync(ctx context.Context, src, dst *mirrorTree) {
	rels := make([]string, 0, len(src.entries))
	for rel := range src.entries {
		rels = append(rels, rel)
	}
	sort.Strings(rels) // parents before children
	replace := map[string]bool{}
	var dirs []string
	var jobs []*mirrorJob
	for _, rel := range rels {
		if m.isBlocked(rel) {
			continue
		}
		s, d := src.entries[rel], dst.entries[rel]
		switch s.typ {
		case ftp.EntryLink:
			m.stats.Symlinks++
			continue
		case ftp.EntryOther:
			m.stats.Other++
			continue
		case ftp.EntryFile:
			if of, ok := partOf(rel); ok && src.file(of) != nil {
				continue // a transfer in progress at the source
			}
		}
		if d != nil && d.typ != s.typ {
			if !m.opts.Delete {
				m.fail(fmt.Errorf("ftp: mirror: %s is a %s in the source and a %s in the destination: left alone (Delete replaces it)", rel, s.typ, d.typ))
				m.block(rel)
				continue
			}
			replace[rel] = true
			d = nil
		}
		if s.typ == ftp.EntryDir {
			if d == nil {
				dirs = append(dirs, rel)
			}
			continue
		}
		jobs = append(jobs, &mirrorJob{rel: rel, src: s, dst: d, part: dst.file(partRel(rel))})
	}
	if m.opts.Delete {
		m.remove(ctx, src, dst, replace)
	}
	m.mkdirs(ctx, dirs)
	forEach(ctx, len(jobs), m.opts.Parallel, func(i int) {
		if !m.isBlocked(jobs[i].rel) {
			m.file(ctx, jobs[i])
		}
	})
	m.dirModes(ctx, rels, src, dst)
}

// mkdirs creates the destination directories a level at a time (parents
// before children), each level's on Parallel connections at once: all of
// them before the first file moves.
func (m *mirror) mkdirs(ctx context.Context, dirs []string) {
	var levels [][]string
	for _, rel := range dirs {
		d := strings.Count(rel, "/")
		for len(levels) <= d {
			levels = append(levels, nil)
		}
		levels[d] = append(levels[d], rel)
	}
	for _, level := range levels {
		forEach(ctx, len(level), m.opts.Parallel, func(i int) {
			rel := level[i]
			if m.isBlocked(rel) {
				return
			}
			m.plan(Change{Op: MakeDir, Path: rel, Type: ftp.EntryDir, Size: -1})
			created, err := m.mkdir(ctx, rel)
			if err != nil {
				m.fail(err)
				m.block(rel)
				return
			}
			if created {
				m.count(func(st *Stats) { st.Dirs++ })
			}
		})
	}
}

// remove deletes, deepest first, what the destination holds and the
// source does not, and the entries to be replaced by another type.
func (m *mirror) remove(ctx context.Context, src, dst *mirrorTree, replace map[string]bool) {
	memo := map[string]bool{}
	var doomed func(rel string) bool
	doomed = func(rel string) bool {
		if v, ok := memo[rel]; ok {
			return v
		}
		v := replace[rel]
		if !v && src.entries[rel] == nil {
			// Extraneous when its directory is fully known in the source,
			// or is going itself; but not a partial copy of a source file.
			par := parentRel(rel)
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
		if doomed(rel) {
			gone = append(gone, rel)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(gone))) // children first
	kept := map[string]bool{}
	for _, rel := range gone {
		if ctx.Err() != nil {
			return
		}
		d := dst.entries[rel]
		if kept[rel] || d.typ == ftp.EntryDir && dst.incomplete[rel] {
			// Something inside stays: so does the directory.
			kept[parentRel(rel)] = true
			if replace[rel] {
				m.block(rel)
			}
			continue
		}
		m.plan(Change{Op: Delete, Path: rel, Type: d.typ, Size: d.size, Replace: replace[rel]})
		if err := m.removeOne(ctx, rel, d); err != nil {
			m.fail(err)
			kept[parentRel(rel)] = true
			m.block(rel)
			continue
		}
		m.stats.Deleted++
	}
}

func (m *mirror) removeOne(ctx context.Context, rel string, d *mirrorEntry) error {
	if m.opts.DryRun {
		return nil
	}
	if m.up {
		p := m.remotePath(rel)
		return with(ctx, m.p, func(c *ftp.Conn) error {
			if d.typ == ftp.EntryDir {
				return c.RemoveDir(ctx, p)
			}
			return c.Delete(ctx, p)
		})
	}
	name, err := m.localName(rel)
	if err != nil {
		return err
	}
	if err := m.root.Remove(name); err != nil {
		return fmt.Errorf("ftp: mirror: %w", err)
	}
	return nil
}

// mkdir creates a destination directory; one that exists already (a
// listing that failed did not show it) is not an error.
func (m *mirror) mkdir(ctx context.Context, rel string) (bool, error) {
	if m.opts.DryRun {
		return true, nil
	}
	if m.up {
		p := m.remotePath(rel)
		created := true
		err := with(ctx, m.p, func(c *ftp.Conn) error {
			_, err := c.MakeDir(ctx, p)
			var fe *ftp.Error
			if err != nil && errors.As(err, &fe) {
				if e, serr := c.Stat(ctx, p); serr == nil && e.Type == ftp.EntryDir {
					created, err = false, nil
				}
			}
			return err
		})
		return created, err
	}
	name, err := m.localName(rel)
	if err != nil {
		return false, err
	}
	err = m.root.Mkdir(name, 0o755)
	if errors.Is(err, fs.ErrExist) {
		if fi, serr := m.root.Lstat(name); serr == nil && fi.IsDir() {
			return false, nil
		}
	}
	if err != nil {
		return false, fmt.Errorf("ftp: mirror: %w", err)
	}
	return true, nil
}
