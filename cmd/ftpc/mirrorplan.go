// The changes a mirror --dry-run lists, as the library's mirror.Options.Plan
// tells them, and the flags that choose what a mirror takes.

package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/mirror"
)

// planAction is one change of a dry run, as printed.
type planAction struct {
	Action   string `json:"action"` // get, put, mkdir, rm, rmdir, chmod
	Path     string `json:"path"`   // relative to the mirrored directories; "." is the destination itself
	Size     *int64 `json:"size,omitempty"`
	ResumeAt int64  `json:"resume_at,omitempty"` // where a partial copy would be continued
	Mode     string `json:"mode,omitempty"`      // chmod: the octal mode
}

// planRecorder collects the changes the mirror reports (mirror.Options.Plan).
type planRecorder struct {
	op      string // get or put
	mu      sync.Mutex
	changes []mirror.Change
}

func (p *planRecorder) add(c mirror.Change) {
	p.mu.Lock()
	p.changes = append(p.changes, c)
	p.mu.Unlock()
}

// actions returns the changes in the mirror's order: removals as they
// came (deepest first), then directories and files by path (the mirror
// makes them in parallel), then directories' modes.
func (p *planRecorder) actions() []planAction {
	p.mu.Lock()
	defer p.mu.Unlock()
	rank := func(c mirror.Change) int {
		switch c.Op {
		case mirror.Delete:
			return 0
		case mirror.MakeDir:
			return 1
		}
		return 2
	}
	cs := append([]mirror.Change(nil), p.changes...)
	sort.SliceStable(cs, func(i, j int) bool {
		ri, rj := rank(cs[i]), rank(cs[j])
		if ri != rj || ri == 0 {
			return ri < rj
		}
		return cs[i].Path < cs[j].Path
	})
	out := make([]planAction, 0, len(cs))
	for _, c := range cs {
		a := planAction{Path: c.Path}
		if a.Path == "" {
			a.Path = "."
		}
		switch c.Op {
		case mirror.Delete:
			a.Action = "rm"
			if c.Type == ftp.EntryDir {
				a.Action = "rmdir"
			}
		case mirror.MakeDir:
			a.Action = "mkdir"
		case mirror.Chmod:
			a.Action, a.Mode = "chmod", fmt.Sprintf("%04o", uint32(c.Mode))
		default:
			a.Action = p.op
			if c.Size >= 0 {
				size := c.Size
				a.Size, a.ResumeAt = &size, c.Offset
			}
		}
		out = append(out, a)
	}
	return out
}

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
		case a.Mode != "":
			line = a.Action + " " + a.Mode + " " + escapeName(a.Path)
		case a.Size != nil && a.ResumeAt > 0:
			line += fmt.Sprintf(" (resume at %d of %d bytes)", a.ResumeAt, *a.Size)
		case a.Size != nil:
			line += fmt.Sprintf(" (%d bytes)", *a.Size)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// listFlag is a flag that may be given many times (--exclude, --include).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// timeFlag is a point in time given as an age ("7d", "36h", "2w") or a
// date ("2026-11-01", RFC 3339), for --newer-than and --older-than.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(v string) error {
	t, err := parseTimeSpec(v, time.Now())
	if err != nil {
		return err
	}
	f.t = t
	return nil
}

// parseTimeSpec reads an age before now or a date.
func parseTimeSpec(v string, now time.Time) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if n := len(v); n > 1 {
		if u, ok := unit[v[n-1]]; ok {
			if k, err := strconv.ParseFloat(v[:n-1], 64); err == nil && k >= 0 {
				return now.Add(-time.Duration(k * float64(u))), nil
			}
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an age (7d, 36h, 2w) nor a date (2026-11-01, RFC 3339)", v)
}

// filter builds the mirror's Filter from the flags; nil when none is set.
func (o *options) filter() *mirror.Filter {
	if len(o.exclude) == 0 && len(o.include) == 0 && o.maxDepth == 0 && o.newerThan.t.IsZero() && o.olderThan.t.IsZero() {
		return nil
	}
	return &mirror.Filter{Include: o.include, Exclude: o.exclude, MaxDepth: o.maxDepth,
		NewerThan: o.newerThan.t, OlderThan: o.olderThan.t}
}
