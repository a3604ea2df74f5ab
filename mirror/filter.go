// Filter: which paths a mirror or walk takes, by glob, depth and time,
// decided before anything below an excluded directory is listed.

package mirror

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Filter chooses the paths a mirror takes. Paths are relative to the
// mirrored directories, with "/" between elements. A file is taken when
// it matches no Exclude pattern, matches an Include pattern (when there
// are any), lies no deeper than MaxDepth and was modified within the
// NewerThan/OlderThan window. A directory that an Exclude pattern
// matches is not listed at all, on either side, so nothing below it is
// read, sent or deleted.
//
// Patterns are globs, as rclone's --exclude and lftp's --exclude-glob:
// "*" and "?" match within one path element, "[a-z]" a class, and "**"
// any number of whole elements. A pattern that starts with "/" is
// anchored at the top of the tree; any other is matched against the end
// of the path, whole elements only: "*.tmp" takes "a/b/x.tmp", and
// "cache/**" everything in any directory named cache, which is then not
// listed.
//
// Excluded paths are left alone in the destination: Delete removes only
// paths the filter takes.
type Filter struct {
	Include []string
	Exclude []string
	// MaxDepth, when positive, is how deep the mirror goes: 1 takes the
	// files of the top directory only, 2 those of its subdirectories too.
	MaxDepth int
	// NewerThan and OlderThan, when not zero, take only files modified
	// after, or before, that time. A file whose time the server does not
	// give is taken: the filter does not drop what it cannot judge.
	NewerThan, OlderThan time.Time
}

// filter is a Filter with its patterns checked and split.
type filter struct {
	include, exclude []pattern
	maxDepth         int
	newer, older     time.Time
}

// pattern is a glob split into path elements; anchored ones match from
// the top of the tree, others at the end of a path.
type pattern struct {
	src      string
	elems    []string
	anchored bool
}

// compile checks f's patterns; a nil Filter takes everything.
func (f *Filter) compile() (*filter, error) {
	if f == nil {
		return nil, nil
	}
	if f.MaxDepth < 0 {
		return nil, fmt.Errorf("mirror: filter: MaxDepth %d is negative", f.MaxDepth)
	}
	if !f.NewerThan.IsZero() && !f.OlderThan.IsZero() && !f.NewerThan.Before(f.OlderThan) {
		return nil, fmt.Errorf("mirror: filter: NewerThan %v is not before OlderThan %v: nothing could match", f.NewerThan, f.OlderThan)
	}
	c := &filter{maxDepth: f.MaxDepth, newer: f.NewerThan, older: f.OlderThan}
	for _, set := range []struct {
		src []string
		dst *[]pattern
	}{{f.Include, &c.include}, {f.Exclude, &c.exclude}} {
		for _, s := range set.src {
			p, err := compilePattern(s)
			if err != nil {
				return nil, err
			}
			*set.dst = append(*set.dst, p)
		}
	}
	return c, nil
}

func compilePattern(s string) (pattern, error) {
	p := pattern{src: s}
	rest := s
	if strings.HasPrefix(rest, "/") {
		p.anchored = true
		rest = strings.TrimLeft(rest, "/")
	}
	rest = strings.TrimRight(rest, "/")
	if rest == "" {
		return p, fmt.Errorf("mirror: filter: pattern %q matches nothing", s)
	}
	for _, e := range strings.Split(rest, "/") {
		if e == "" {
			continue
		}
		if e != "**" {
			if strings.Contains(e, "**") {
				return p, fmt.Errorf("mirror: filter: pattern %q: ** must be a whole path element", s)
			}
			if _, err := path.Match(e, ""); err != nil {
				return p, fmt.Errorf("mirror: filter: pattern %q: %w", s, err)
			}
		}
		p.elems = append(p.elems, e)
	}
	return p, nil
}

// matches reports whether the pattern matches the path elements.
func (p pattern) matches(elems []string) bool {
	if p.anchored {
		return matchElems(p.elems, elems)
	}
	for start := range elems {
		if matchElems(p.elems, elems[start:]) {
			return true
		}
	}
	return false
}

// matchElems matches pattern elements against path elements, "**"
// standing for any number of them.
func matchElems(pat, elems []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// Collapse runs of ** and try every split.
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := range len(elems) + 1 {
				if matchElems(pat, elems[i:]) {
					return true
				}
			}
			return false
		}
		if len(elems) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], elems[0]); !ok {
			return false
		}
		pat, elems = pat[1:], elems[1:]
	}
	return len(elems) == 0
}

// coversDir reports whether the pattern takes everything below dir: it
// matches dir itself, or it is dir followed by "**".
func (p pattern) coversDir(elems []string) bool {
	if p.matches(elems) {
		return true
	}
	if n := len(p.elems); n > 1 && p.elems[n-1] == "**" {
		q := pattern{src: p.src, elems: p.elems[:n-1], anchored: p.anchored}
		return q.matches(elems)
	}
	return false
}

// depth is the number of elements of rel.
func depth(rel string) int { return strings.Count(rel, "/") + 1 }

// skipDir reports whether the directory rel is left out with all it
// holds: excluded, or deeper than MaxDepth allows.
func (f *filter) skipDir(rel string) bool {
	if f == nil || rel == "" || rel == "." {
		return false
	}
	if f.maxDepth > 0 && depth(rel) >= f.maxDepth {
		return true // its entries would lie deeper than MaxDepth
	}
	elems := strings.Split(rel, "/")
	for _, p := range f.exclude {
		if p.coversDir(elems) {
			return true
		}
	}
	return false
}

// skipFile reports whether the file (or link) rel, modified at mod (zero
// when unknown), is left out.
func (f *filter) skipFile(rel string, mod time.Time) bool {
	if f == nil {
		return false
	}
	if f.maxDepth > 0 && depth(rel) > f.maxDepth {
		return true
	}
	elems := strings.Split(rel, "/")
	for _, p := range f.exclude {
		if p.matches(elems) {
			return true
		}
	}
	if len(f.include) > 0 {
		taken := false
		for _, p := range f.include {
			if p.matches(elems) {
				taken = true
				break
			}
		}
		if !taken {
			return true
		}
	}
	if !mod.IsZero() {
		if !f.newer.IsZero() && !mod.After(f.newer) {
			return true
		}
		if !f.older.IsZero() && !mod.Before(f.older) {
			return true
		}
	}
	return false
}
