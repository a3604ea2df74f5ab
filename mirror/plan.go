// Change: what Options.Plan is told before each change a mirror makes.

package mirror

import (
	"io/fs"

	"github.com/seed362563c3/ftp"
)

// ChangeOp is the kind of a Change.
type ChangeOp int

const (
	Transfer ChangeOp = iota // a file is sent (Up) or received (Down)
	MakeDir                  // a directory is created
	Delete                   // an entry is removed (Options.Delete)
	Chmod                    // permissions are set on an entry that did not move
)

func (op ChangeOp) String() string {
	switch op {
	case Transfer:
		return "transfer"
	case MakeDir:
		return "mkdir"
	case Delete:
		return "delete"
	case Chmod:
		return "chmod"
	}
	return "ChangeOp(?)"
}

// Change is one change of a mirror, as Options.Plan is told of it.
type Change struct {
	Op ChangeOp
	// Path is relative to the mirrored directories, slash-separated; ""
	// is the destination directory itself.
	Path string
	Type ftp.EntryType // what the entry is (for Delete, what is removed)
	// Size is the source's size for a Transfer (the removed entry's for
	// a Delete), -1 when unknown.
	Size int64
	// Offset is where a Transfer continues a partial copy (.NAME.part),
	// 0 when it starts from the beginning.
	Offset int64
	// Replace says a Delete makes way for an entry of another type.
	Replace bool
	// Mode is the permission bits a Chmod sets.
	Mode fs.FileMode
}

// plan tells Options.Plan of c, one call at a time.
func (m *mirror) plan(c Change) {
	if m.opts.Plan == nil {
		return
	}
	m.planMu.Lock()
	defer m.planMu.Unlock()
	m.opts.Plan(c)
}
