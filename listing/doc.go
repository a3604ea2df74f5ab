// Package listing parses FTP directory listings: the lines of MLSD and
// MLST replies (RFC 3659 facts, ParseMLSx), the lines of LIST in the
// formats servers use (Unix ls -l with its many date forms, DOS/IIS and
// EPLF, ParseLIST), and RFC 3659 time values (ParseTime). The ftp package
// lists with them; a program that relays listings as the server sent them
// (ftp.Conn.RawList) parses them with it. Lines are checked, never
// trusted: a line no format describes is an error matching
// ErrUnparsedLine, and a name is returned as the server sent it, which may
// be anything (see ftp.SafeName before building a path of it).
package listing
