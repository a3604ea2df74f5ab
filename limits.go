// Listing bounds: how much one listing may make the client hold, so that a
// hostile or broken server cannot exhaust memory.

package ftp

// DefaultMaxListEntries bounds the lines of one listing (List, ListAll,
// NameList; ListOptions.MaxEntries raises it): a server that sends more is
// cut off (ABOR) with a *LimitError.
const DefaultMaxListEntries = 1_000_000

// unparsedSample is how many of the lines not understood a *ListError keeps.
const unparsedSample = 16
