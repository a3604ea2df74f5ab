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
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/resume"
)

// FilePair names a local file and the remote file it is copied to or
// from, for UploadFiles and DownloadFiles.
type FilePair struct {
	Local  string // local path
	Remote string // remote path
}

// FilesOptions configures UploadFiles and DownloadFiles; nil means the
// zero value.
type FilesOptions struct {
	// Parallel is how many files move at once; 0 means 4. Each transfer
	// has a connection of its own (see Pool.Connect).
	Parallel int
	// Resume configures each file's transfer as for UploadFile and
	// DownloadFile (retries, backoff, Verify, TempName, Fresh). Its
	// Progress is not used: see Progress.
	Resume *resume.Options
	// Progress, when set, is called as each file's destination grows, with
	// its remote path. It is called from the transferring goroutines, so
	// calls for different files are concurrent.
	Progress ftp.Progress
}

func (o *FilesOptions) parallel() int {
	if o == nil || o.Parallel <= 0 {
		return 4
	}
	return o.Parallel
}

// TransferError names the file of a failed transfer of UploadFiles,
// DownloadFiles or a mirror. Err is the transfer's error.
type TransferError struct {
	Op     string // "upload" or "download"
	Local  string // the local path
	Remote string // the remote path
	Err    error
}

func (e *TransferError) Error() string {
	if e.Op == "upload" {
		return fmt.Sprintf("ftp: upload %s to %s: %v", e.Local, e.Remote, e.Err)
	}
	return fmt.Sprintf("ftp: download %s to %s: %v", e.Remote, e.Local, e.Err)
}

func (e *TransferError) Unwrap() error { return e.Err }

// UploadFiles uploads each Local file to its Remote path with UploadFile,
// opts.Parallel at a time, each through the pool (as a Connector) with the
// retries and resumption UploadFile offers. Remote directories must exist
// (see MakeDirAll). A failed file does not stop the others: the error
// joins (errors.Join) a *TransferError for each file that failed, and the
// context's error if it ended the batch early. The results are in the
// order of files; a file that was never started has a nil result.
func UploadFiles(ctx context.Context, p *ftp.Pool, files []FilePair, opts *FilesOptions) ([]*resume.Result, error) {
	return transferFiles(ctx, p, "upload", files, opts)
}

// DownloadFiles downloads each Remote file to its Local path with
// DownloadFile, as UploadFiles uploads. Local directories must exist.
func DownloadFiles(ctx context.Context, p *ftp.Pool, files []FilePair, opts *FilesOptions) ([]*resume.Result, error) {
	return transferFiles(ctx, p, "download", files, opts)
}

func transferFiles(ctx context.Context, p *ftp.Pool, op string, files []FilePair, opts *FilesOptions) ([]*resume.Result, error) {
	results := make([]*resume.Result, len(files))
	errs := make([]error, len(files)+1)
	notStarted := forEach(ctx, len(files), opts.parallel(), func(i int) {
		f := files[i]
		ro := &resume.Options{}
		if opts != nil && opts.Resume != nil {
			*ro = *opts.Resume
		}
		ro.Progress = nil
		if opts != nil {
			ro.Progress = opts.Progress
		}
		var err error
		if op == "upload" {
			results[i], err = resume.UploadFile(ctx, p, f.Local, f.Remote, ro)
		} else {
			results[i], err = resume.DownloadFile(ctx, p, f.Remote, f.Local, ro)
		}
		if err != nil {
			errs[i] = &TransferError{Op: op, Local: f.Local, Remote: f.Remote, Err: err}
		}
	})
	if notStarted > 0 {
		errs[len(files)] = fmt.Errorf("ftp: %d of %d files not started: %w", notStarted, len(files), context.Cause(ctx))
	}
	return results, errors.Join(errs...)
}

// forEach runs fn(0) to fn(n-1) on up to parallel goroutines, starting
// no more once ctx is done, and returns how many were not started.
func forEach(ctx context.Context, n, parallel int, fn func(i int)) int {
	var next atomic.Int64
	var skipped atomic.Int64
	var wg sync.WaitGroup
	for range min(parallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if ctx.Err() != nil {
					skipped.Add(1)
					continue
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return int(skipped.Load())
}

// Options configures MirrorDown and MirrorUp; nil means the zero
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
}

// MirrorDown makes localDir a copy of the remote directory remoteDir, as
// lftp's mirror does: the remote tree is walked (with ListAll, hidden
// entries too, opts.Parallel listings at once), then what is missing or
// changed is downloaded, opts.Parallel files at once, and directories are
// created as needed (localDir too).
//
// A file is unchanged when its size and its modification time, to the
// second, are the same at both ends. Times come from MLSD; a server
// without MLSD (LIST gives minutes at best) is asked with MDTM for the
// files where the time decides; where it is still unknown, equal sizes
// mean unchanged. A downloaded file gets the remote modification time.
// Directories' times are not kept.
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
// Each transfer first runs on a pooled connection; when that fails in a
// way worth retrying (a dropped connection, a 4xx reply), the resumable
// Download takes over with opts.Resume's retries and backoff, continuing
// from what arrived.
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
// remote walk is bounded as Pool.Walk's (see Limits), and what it does not
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

// MirrorUp makes the remote directory remoteDir a copy of localDir, as
// MirrorDown does in the other direction; remote directories are created
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

// mirrorEntry is what a mirror knows of one item at one end.
type mirrorEntry struct {
	typ    ftp.EntryType
	size   int64     // -1 when unknown
	mtime  time.Time // zero when unknown
	exact  bool      // mtime is right to the second (MLSx modify, MDTM, local)
	remote bool      // on the server, not asked with MDTM yet
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

func (m *mirror) result() (*Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats
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

// openLocal opens localDir as an os.Root (creating it when it is the
// destination) and walks it.
func (m *mirror) openLocal(ctx context.Context, source bool) (*mirrorTree, error) {
	if !source {
		if _, err := os.Stat(m.localDir); errors.Is(err, fs.ErrNotExist) {
			m.stats.Dirs++
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
		e := &mirrorEntry{size: info.Size(), mtime: info.ModTime(), exact: true}
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
		// A name listed twice comes once, the second time as a
		// *RevisitError for its directory.
		exact := e.Facts["modify"] != "" && !e.ModTime.IsZero()
		t.entries[rel] = &mirrorEntry{typ: e.Type, size: e.Size, mtime: e.ModTime, exact: exact, remote: !exact}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ftp: mirror: %w", err)
	}
	return t, nil
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
	for _, rel := range dirs {
		if ctx.Err() != nil {
			return
		}
		if m.isBlocked(rel) {
			continue
		}
		created, err := m.mkdir(ctx, rel)
		if err != nil {
			m.fail(err)
			m.block(rel)
			continue
		}
		if created {
			m.stats.Dirs++
		}
	}
	forEach(ctx, len(jobs), m.opts.Parallel, func(i int) {
		if !m.isBlocked(jobs[i].rel) {
			m.file(ctx, jobs[i])
		}
	})
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

// exactTime makes a remote entry's time exact with MDTM when the listing
// did not give seconds (LIST). It reports whether the time is known.
func (m *mirror) exactTime(ctx context.Context, e *mirrorEntry, rel string) bool {
	if !e.remote {
		return e.exact
	}
	e.remote = false // asked once
	var t time.Time
	err := with(ctx, m.p, func(c *ftp.Conn) (err error) { t, err = c.ModTime(ctx, m.remotePath(rel)); return err })
	if err == nil && !t.IsZero() {
		e.mtime, e.exact = t, true
	}
	return e.exact
}

// unchanged reports whether a file both ends hold needs no transfer.
func (m *mirror) unchanged(ctx context.Context, j *mirrorJob) bool {
	s, d := j.src, j.dst
	if s.size < 0 || d.size != s.size {
		return false
	}
	if !m.exactTime(ctx, s, j.rel) || !m.exactTime(ctx, d, j.rel) {
		return true // the size is all there is to compare
	}
	st, dt := s.mtime.Truncate(time.Second), d.mtime.Truncate(time.Second)
	// Without MFMT the server cannot take the source's time: a copy
	// written after the source last changed is as good.
	return st.Equal(dt) || m.up && !m.stamp.Load() && dt.After(st)
}

// resumable reports whether the destination's ".NAME.part" may be
// continued: no longer than the source, and not older (written after the
// source last changed), as far as times tell. It is a candidate only:
// resume.Download continues a local part unless a range checksum shows it
// differs, resume.Upload a remote one only where a range checksum or the
// journal shows it is the source's.
func (m *mirror) resumable(ctx context.Context, j *mirrorJob) bool {
	pt := j.part
	if pt == nil || j.src.size < 0 || pt.size > j.src.size || pt.size <= 0 {
		return false
	}
	if !m.exactTime(ctx, j.src, j.rel) || !m.exactTime(ctx, pt, partRel(j.rel)) {
		return true
	}
	return !pt.mtime.Truncate(time.Second).Before(j.src.mtime.Truncate(time.Second))
}

// file brings one file across, unless it is unchanged.
func (m *mirror) file(ctx context.Context, j *mirrorJob) {
	if j.dst != nil && m.unchanged(ctx, j) {
		m.count(func(st *Stats) { st.Unchanged++ })
		return
	}
	partOK := m.resumable(ctx, j)
	if m.opts.DryRun {
		m.count(func(st *Stats) {
			st.Files++
			n := max(j.src.size, 0)
			if partOK {
				st.Resumed++
				n -= j.part.size
			}
			st.Bytes += n
		})
		return
	}
	ro := &resume.Options{}
	if m.opts.Resume != nil {
		*ro = *m.opts.Resume
	}
	ro.Fresh, ro.TempName, ro.Progress = !partOK, false, nil
	if m.opts.Progress != nil {
		rel := j.rel
		ro.Progress = func(_ string, done, total int64) { m.opts.Progress(rel, done, total) }
	}
	op := "download"
	transfer := m.download
	if m.up {
		op, transfer = "upload", m.upload
	}
	res, after, err := transfer(ctx, j, ro)
	m.mu.Lock()
	defer m.mu.Unlock()
	if res != nil {
		m.stats.Bytes += res.Sent
	}
	te := &TransferError{Op: op, Local: filepath.Join(m.localDir, filepath.FromSlash(j.rel)), Remote: m.remotePath(j.rel)}
	if err != nil {
		m.stats.Failed++
		te.Err = err
		m.errs = append(m.errs, te)
		return
	}
	m.stats.Files++
	if res.Resumed {
		m.stats.Resumed++
	}
	if after != nil {
		te.Err = after
		m.errs = append(m.errs, te)
	}
}

// download receives one file into ".NAME.part" (continuing it unless
// ro.Fresh) and, once complete, gives it the remote time and renames it
// over NAME. after is an error that came once the data was in place
// (setting the time).
func (m *mirror) download(ctx context.Context, j *mirrorJob, ro *resume.Options) (res *resume.Result, after, err error) {
	name, err := m.localName(j.rel)
	if err != nil {
		return nil, nil, err
	}
	part, err := m.localName(partRel(j.rel))
	if err != nil {
		return nil, nil, err
	}
	flags := os.O_RDWR | os.O_CREATE
	if ro.Fresh {
		flags |= os.O_TRUNC
	}
	f, err := m.root.OpenFile(part, flags, 0o644)
	if err != nil {
		return nil, nil, err
	}
	res, err = resume.Download(ctx, m.p, m.remotePath(j.rel), f, ro)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if errors.Is(err, ftp.ErrVerify) {
		m.root.Remove(part) // not a prefix to build on
	}
	if err != nil {
		return res, nil, err
	}
	m.exactTime(ctx, j.src, j.rel)
	if t := j.src.mtime; !t.IsZero() {
		after = m.root.Chtimes(part, t, t)
	}
	if err := m.root.Rename(part, name); err != nil {
		return res, nil, err
	}
	return res, after, nil
}

// upload sends one file through ".NAME.part", which resume.Upload renames
// over NAME once complete and verified, and sets its time.
func (m *mirror) upload(ctx context.Context, j *mirrorJob, ro *resume.Options) (res *resume.Result, after, err error) {
	name, err := m.localName(j.rel)
	if err != nil {
		return nil, nil, err
	}
	f, err := m.root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%w: not a regular file any more", ftp.ErrInvalidArgument)
	}
	remote := m.remotePath(j.rel)
	ro.TempName = true
	if res, err = resume.Upload(ctx, m.p, f, fi.Size(), remote, ro); err != nil || !m.stamp.Load() {
		return res, nil, err
	}
	after = with(ctx, m.p, func(c *ftp.Conn) error { return c.SetModTime(ctx, remote, fi.ModTime()) })
	var fe *ftp.Error
	if errors.Is(after, ftp.ErrNotSupported) || errors.As(after, &fe) && fe.Code == ftp.StatusBadCommand {
		m.stamp.Store(false) // the server cannot set times after all
		after = nil
	}
	return res, after, nil
}

// with runs fn on a connection checked out of p.
func with(ctx context.Context, p *ftp.Pool, fn func(c *ftp.Conn) error) error {
	pc, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	defer pc.Close()
	return fn(pc.Conn)
}
