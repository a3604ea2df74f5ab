// Package ftptest provides an FTP server for end-to-end tests, as
// net/http/httptest does for HTTP.
//
// NewServer starts a server on 127.0.0.1 for one test, serving a fresh
// temporary directory, and closes it when the test ends; Start does the same
// without a testing.TB, for runnable examples. Put files under Server.Root,
// point the code under test at Server.Addr with the credentials and TLS
// settings of Server.Config, and read what it stored back from disk.
//
//	srv := ftptest.NewServer(t, &ftptest.Options{TLS: ftptest.TLSExplicit})
//	c, err := ftp.Dial(ctx, srv.Addr, srv.Config())
//
// The server runs inside the test's process: it is
// github.com/fclairamb/ftpserverlib over the directory. It offers passive
// (EPSV, PASV) and active (EPRT, PORT) data connections, MLSD and MLST, SIZE,
// MDTM and MFMT, REST STREAM, APPE, explicit (AUTH TLS, RFC 4217) and
// implicit TLS with a self-signed certificate made for each server, and on
// request HASH (draft-bryan-ftpext-hash) with XCRC, XMD5 and XSHA*.
//
// It is a well-behaved server, not a survey of the servers in the field, so
// a test that passes here may still fail against one of those. In
// particular: it has one account and no permissions (files belong to the
// test process); LIST lines are in the "ls -l" style with owner and group
// "ftp"; STOU, CCC and HOST are answered with 502; and the passive data
// ports listen on every interface, though they accept only the control
// connection's peer. Options.WrapFS makes a server that misbehaves on
// purpose.
package ftptest
