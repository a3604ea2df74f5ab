// Entries of listings: the types of package listing, which parses them.

package ftp

import "github.com/seed362563c3/ftp/listing"

// Entry is one item of a listing (MLSD, LIST) or the answer of Stat
// (MLST); see listing.Entry.
type Entry = listing.Entry

// EntryType is the kind of an Entry; see listing.EntryType.
type EntryType = listing.EntryType

// The kinds of entry a listing reports.
const (
	EntryFile  = listing.EntryFile  // a regular file
	EntryDir   = listing.EntryDir   // a directory
	EntryLink  = listing.EntryLink  // a symbolic link
	EntryOther = listing.EntryOther // anything else
)
