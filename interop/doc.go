// Package interop is the interoperability suite of the ftp client: its tests
// start vsftpd, proftpd (with mod_tls) and pure-ftpd, as Debian packages
// them, on loopback from temporary config directories, and run the same
// session against each in every TLS mode the server has, in passive and
// active mode, over 127.0.0.1 and ::1.
//
// The servers come from .ci/install-servers.sh (vsftpd installed with
// apt-get, the others unpacked under /opt/ftp-interop, or $FTP_INTEROP_ROOT)
// and are started by internal/realservers, which the benchmark driver
// (bench/driver) shares. The tests need root: the servers switch to a local
// user, which the suite creates. Without a server the tests skip, naming
// what is missing, unless CI=true, where a missing server fails. At the end
// the suite prints the matrix as a table.
package interop
