// ftpc mirror: a directory tree in either direction, in the manner of
// lftp's mirror, through the library's mirror.Down and mirror.Up.

package main

import (
	"context"
	"fmt"
	"strings"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/mirror"
)

func cmdMirror(ctx context.Context, s *session, args []string) error {
	rawURL, dir := args[0], args[1]
	if s.opts.reverse {
		dir, rawURL = args[0], args[1]
	} else if !strings.Contains(args[0], "://") && strings.Contains(args[1], "://") {
		return usagef("mirror: to upload %s, give --reverse: ftpc mirror --reverse DIR URL", args[0])
	}
	if s.opts.parallel < 1 {
		return usagef("mirror: --parallel must be at least 1")
	}
	if dir == "" {
		return usagef("mirror: empty local directory")
	}
	t, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	cfg, err := s.config(t)
	if err != nil {
		return err
	}
	remoteDir := dirPath(t.path)

	pool := ftp.NewPool(t.addr, cfg, &ftp.PoolOptions{MaxOpen: s.opts.parallel})
	defer release(ctx, pool)
	opts := &mirror.Options{
		Parallel: s.opts.parallel,
		Delete:   s.opts.delete,
		DryRun:   s.opts.dryRun,
		Resume:   s.resumeOptions(),
		Filter:   s.opts.filter(),
		NoPerms:  s.opts.noPerms,
		Checksum: s.opts.checksum,
	}
	op := "get"
	if s.opts.reverse {
		op = "put"
	}
	plan := &planRecorder{op: op}
	if s.opts.dryRun {
		opts.Plan = plan.add
	}
	prog := newProgress(s.opts.progress, s.stderr)
	mp := newMirrorProgress(prog, op)
	opts.Progress = mp.callback()
	var st *mirror.Stats
	if s.opts.reverse {
		st, err = mirror.Up(ctx, pool, dir, remoteDir, opts)
	} else {
		st, err = mirror.Down(ctx, pool, remoteDir, dir, opts)
	}
	mp.end()
	prog.wait()
	s.debugPool(pool)
	if s.opts.dryRun {
		// Each change first, then the counts.
		if werr := writePlan(s.stdout, plan.actions(), s.opts.json); werr != nil && err == nil {
			err = werr
		}
	}
	if st != nil {
		for _, n := range st.Notes {
			fmt.Fprintf(s.stderr, "ftpc: mirror: %s\n", n)
		}
		if s.opts.json {
			if werr := writeJSON(s.stdout, newJSONMirror(st, op, s.opts.dryRun)); werr != nil && err == nil {
				err = werr
			}
		} else {
			fmt.Fprintln(s.stdout, mirrorSummary(st, s.opts.dryRun))
		}
	}
	if err != nil && interrupted(ctx) {
		files := 0
		if st != nil {
			files = st.Files
		}
		return &interruptedError{
			what:   fmt.Sprintf("mirror: %d files transferred; partial files (.NAME.part) are kept and resumed by the same command", files),
			resume: rerunCommand(s.args, "mirror", ""),
		}
	}
	return mirrorError(err)
}

// jsonMirror is a mirror's summary with --json.
type jsonMirror struct {
	Op        string `json:"op"`        // mirror
	Direction string `json:"direction"` // get (down) or put (up, --reverse)
	DryRun    bool   `json:"dry_run"`
	Files     int    `json:"files"` // transferred, or to transfer
	Resumed   int    `json:"resumed"`
	Bytes     int64  `json:"bytes"`
	Unchanged int    `json:"unchanged"`
	Failed    int    `json:"failed"`
	Dirs      int    `json:"dirs"`
	Deleted   int    `json:"deleted"`
	Symlinks  int    `json:"symlinks"`
	Other     int    `json:"other"`
	Refused   int    `json:"refused"`
}

func newJSONMirror(st *mirror.Stats, op string, dryRun bool) jsonMirror {
	return jsonMirror{Op: "mirror", Direction: op, DryRun: dryRun, Files: st.Files, Resumed: st.Resumed, Bytes: st.Bytes,
		Unchanged: st.Unchanged, Failed: st.Failed, Dirs: st.Dirs, Deleted: st.Deleted, Symlinks: st.Symlinks, Other: st.Other, Refused: st.Refused}
}

// mirrorSummary is the line that says what a mirror did (or would do).
func mirrorSummary(st *mirror.Stats, dryRun bool) string {
	if dryRun {
		return fmt.Sprintf("mirror --dry-run: %d files to transfer (%d to resume, %d bytes), %d unchanged, %d dirs to create, %d to delete, %d symlinks and %d others skipped, %d names refused",
			st.Files, st.Resumed, st.Bytes, st.Unchanged, st.Dirs, st.Deleted, st.Symlinks, st.Other, st.Refused)
	}
	return fmt.Sprintf("mirror: %d files transferred (%d resumed, %d bytes), %d unchanged, %d failed, %d dirs created, %d deleted, %d symlinks and %d others skipped, %d names refused",
		st.Files, st.Resumed, st.Bytes, st.Unchanged, st.Failed, st.Dirs, st.Deleted, st.Symlinks, st.Other, st.Refused)
}

// mirrorError turns the joined errors of a mirror into a *multiError,
// which report prints a line at a time; a single error stays as it is.
func mirrorError(err error) error {
	errs := flattenErrors(err)
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &multiError{what: "mirror", errs: errs}
}

// flattenErrors lists the errors joined (errors.Join) in err, at any depth.
func flattenErrors(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var all []error
	for _, e := range j.Unwrap() {
		all = append(all, flattenErrors(e)...)
	}
	return all
}
