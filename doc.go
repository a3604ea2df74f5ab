// Package ftp is an FTP client (RFC 959) with the extensions real servers
// speak: EPSV and EPRT (RFC 2428), FEAT and OPTS (RFC 2389), SIZE, MDTM,
// REST STREAM and MLST/MLSD (RFC 3659), FTPS with AUTH TLS, PBSZ, PROT and
// CCC (RFC 4217) or implicit TLS, HOST (RFC 7151), UTF-8 paths (RFC 2640),
// MFMT (draft-somers-ftp-mfxx), HASH (draft-bryan-ftpext-hash) and RANG
// (draft-bryan-ftp-range).
//
// # Connections
//
// A Conn is one control connection, for one goroutine at a time. Dial
// connects and logs in (NewConn does it over a net.Conn of your own);
// every operation takes a context.Context whose cancellation stops blocked
// I/O, and Close from another goroutine stops everything. A Pool keeps
// connections to one server with one Config for concurrent use, in the
// manner of database/sql: Pool.Conn checks one out.
//
// # Transfers
//
// Transfers are streams. Retrieve and RetrieveFrom (REST) return a Reader,
// Store, StoreFrom, Append and StoreUnique a Writer; io.Copy between them
// and an *os.File reaches splice(2) and sendfile(2) on plain connections,
// and TLS streams through large pooled buffers. Writer.Send uploads a
// source and returns the server's verdict; Reader.WriteToN copies a range
// and leaves the transfer to be aborted. A Reader returns io.EOF only
// after the server confirmed the transfer, and never returns more, or
// fewer, bytes than its 150 reply announced or ExpectSize declared
// (*LengthError). REST goes right before RETR or STOR, as RFC 959 asks.
//
// # Listings
//
// List, ListAll (hidden files, LIST -a) and ListWith parse MLSD or LIST
// (Unix ls -l, DOS/IIS, EPLF) into Entry values, bounded in size; names
// that are not one path element are refused (*UnsafeNameError). ListSeq
// yields the same entries one at a time as the data arrives, in memory
// that does not grow with the listing; the others collect it. Stat uses
// MLST, or SIZE, CWD and MDTM, or the parent's listing. RawList passes a
// listing on as the server sent it.
//
// # Errors
//
// A refusal comes back as *Error, with the command and the reply code;
// errors.Is(err, fs.ErrNotExist) holds for a missing file and
// errors.Is(err, ErrNotSupported) for a command the server lacks. Other
// failures are typed too (*ProtocolError, *TLSError, *LengthError,
// *SourceError, sentinels in errors.go), and Retryable tells those worth
// another attempt.
//
// # Security
//
// Defaults are strict: certificates are verified, a refused AUTH TLS sends
// no credentials, the address in a PASV reply is not trusted (the control
// connection's peer is used), active-mode connections from other hosts are
// refused, arguments with CR, LF or NUL are rejected before anything is
// sent, replies that nobody asked for close the connection, every wait has
// a deadline, and passwords never reach a log.
//
// # Built on this package
//
// The packages beside it use only its exported API: resume (transfers that
// survive interruptions, resumed with proof, and segmented downloads),
// mirror (parallel walks, mirrors both ways, file batches, RemoveAll),
// ftpfs (an io/fs view), ftpproxy (SOCKS5 and HTTP CONNECT) and ftptest
// (an in-process server for tests, on which every example runs).
package ftp
