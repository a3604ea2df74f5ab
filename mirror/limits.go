// Limits: how much a server's listings may make a walk, a mirror or
// RemoveAll hold or do, so that a hostile or broken server cannot exhaust
// memory or walk for ever.

package mirror

import "github.com/seed362563c3/ftp"

// Defaults used where a Limits field is zero. Real trees stay far below
// them; a server that goes past one ends the operation with a *LimitError.
const (
	DefaultMaxListEntries = ftp.DefaultMaxListEntries // lines of one listing
	DefaultMaxDepth       = 256                       // directory levels below a walk's root
	DefaultMaxPathLen     = 4096                      // bytes of a path built from listed names
	DefaultMaxEntries     = 10_000_000                // entries listed in one walk, mirror or RemoveAll
	DefaultMaxPending     = 1_000_000                 // entries a walk holds before it is done with them
)

// Limits bounds what the listings of a server can make a walk, a mirror or
// RemoveAll hold or do. A zero field means its default (the Default*
// constants); raise a field for a tree that needs it. Exceeding a limit
// gives a *LimitError naming the field and where it happened.
type Limits struct {
	// MaxListEntries bounds the lines of one listing, entries and lines not
	// understood alike: the listing is cut there (ABOR) and its directory
	// reported as a failed listing. 0 means DefaultMaxListEntries.
	MaxListEntries int
	// MaxDepth bounds the directory levels below the root: a directory
	// that deep is visited but not listed, and reported as a failed
	// listing. 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxPathLen bounds, in bytes, the path of every entry (the root joined
	// with the names leading to it): a longer one is refused, as an unsafe
	// name is. 0 means DefaultMaxPathLen.
	MaxPathLen int
	// MaxEntries bounds the entries listed in one walk, mirror (each tree a
	// mirror compares, which it holds in memory) or RemoveAll; going past
	// it ends the operation. 0 means DefaultMaxEntries.
	MaxEntries int64
	// MaxPending bounds the entries a walk holds before it is done with
	// them: the directories waiting to be listed, and in a walk one
	// directory at a time the entries of the directories along the current
	// path that are still to be visited; going past it ends the walk. A
	// listing is held whole, so a MaxPending below MaxListEntries also
	// bounds the listings a walk can take. 0 means DefaultMaxPending.
	MaxPending int
}

func (l *Limits) maxListEntries() int {
	if l == nil || l.MaxListEntries <= 0 {
		return DefaultMaxListEntries
	}
	return l.MaxListEntries
}

func (l *Limits) maxDepth() int {
	if l == nil || l.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return l.MaxDepth
}

func (l *Limits) maxPathLen() int {
	if l == nil || l.MaxPathLen <= 0 {
		return DefaultMaxPathLen
	}
	return l.MaxPathLen
}

func (l *Limits) maxEntries() int64 {
	if l == nil || l.MaxEntries <= 0 {
		return DefaultMaxEntries
	}
	return l.MaxEntries
}

func (l *Limits) maxPending() int {
	if l == nil || l.MaxPending <= 0 {
		return DefaultMaxPending
	}
	return l.MaxPending
}
