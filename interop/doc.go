// Package interop is the interoperability suite of the ftp client: its tests
// start vsftpd, proftpd (with mod_tls), pure-ftpd, pyftpdlib, GNU inetutils
// ftpd, busybox ftpd, Twisted's FTP server and aioftp, as Debian packages
// them, on loopback from temporary config directories, and run the same
// session against each in every TLS mode the server has, in passive and
// active mode, over 127.0.0.1 and ::1, where the server can.
//
// Every transfer is checked byte for byte: uploads on the server's disk
// (its directory is read directly), downloads in the local file. The
// session covers the library's resumable helpers (DownloadFile and
// UploadFile continuing a partial copy, resume.DownloadSegmented) and
// mirrors both ways, which a second, unchanged mirror must leave alone.
//
// The servers come from .ci/install-servers.sh (vsftpd and the Python
// servers installed with apt-get, proftpd, pure-ftpd and inetutils ftpd
// unpacked under /opt/ftp-interop, or $FTP_INTEROP_ROOT, busybox built
// there from Debian's source) and are started by internal/realservers,
// which the benchmark driver (bench/driver) shares. The tests need root:
// the servers switch to a local user, which the suite creates. Without a
// server the tests skip, naming what is missing, unless CI=true, where a
// missing server fails. At the end the suite prints the matrix as a table:
// each cell's first failed step with its error, and the other steps that
// failed; a failed step does not stop the cell.
package interop
