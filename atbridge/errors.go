// The one table that turns the client's errors into Quectel <err> and
// <protocol_error> and Luat error codes. doc.go prints the same table, and
// errors_test.go checks that they agree.

package atbridge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/seed362563c3/ftp"
)

// phase says what the bridge was doing when an error happened; it picks
// the codes for failures the client reports without a type of their own.
type phase int

const (
	phaseCommand    phase = iota // connecting, logging in, a command on the control connection
	phaseOpenPasv                // opening a passive data connection (EPSV/PASV and the dial)
	phaseOpenActive              // opening an active data connection (EPRT/PORT and the accept)
	phaseDownload                // data flowing from the server
	phaseUpload                  // data flowing to the server
)

// codes is the outcome of an operation in both dialects.
type codes struct {
	quectel  int // Quectel <err>: 0, or 601-631
	protocol int // Quectel <protocol_error>: the FTP reply code, or 0
	luat     int // Luat <error>: 0, or 61-86
}

// Local errors of the bridge itself.
var (
	errLocalNotFound = errors.New("atbridge: local file not found")
	errLocalPosition = errors.New("atbridge: start position beyond the local file")
	errLocalFile     = errors.New("atbridge: local file error")
	errNoBearer      = errors.New("atbridge: the bearer is not active")
	errIdle          = errors.New("atbridge: no data within the response timeout")
)

// errorRule is one row of the table. The first row whose match holds gives
// the codes; a zero quectel or luat field means the row computes it.
type errorRule struct {
	name    string // the row's name in the package documentation
	match   func(err error, ph phase) bool
	quectel int
	luat    int
	compute func(err error, ph phase) codes // for rows whose codes depend on the reply
	// earlier marks the row whose error is about an earlier command: a
	// reply it carries was not this command's, so <protocol_error> is 0.
	earlier bool
}

// errorTable is the mapping, in order. Keep doc.go in step (a test checks).
var errorTable = []errorRule{
	{name: "no error", match: func(err error, _ phase) bool { return err == nil }},
	{name: "the session was closed earlier (ftp.ErrClosed)", quectel: 606, luat: 61, earlier: true,
		match: func(err error, _ phase) bool { return errors.Is(err, ftp.ErrClosed) }},
	{name: "cancelled (AT+QFTPCLOSE, AT+FTPQUIT, the port closed)", quectel: 601, luat: 86,
		match: func(err error, _ phase) bool { return errors.Is(err, context.Canceled) }},
	{name: "TLS: the server refused AUTH TLS", quectel: 631, luat: 82,
		match: func(err error, _ phase) bool { return errors.Is(err, ftp.ErrTLSRequired) }},
	{name: "TLS: PBSZ or PROT refused", quectel: 631, luat: 83,
		match: func(err error, _ phase) bool {
			v := replyVerb(err)
			return v == "PBSZ" || v == "PROT"
		}},
	{name: "TLS: the server's certificate was not accepted", quectel: 631, luat: 81, match: isCertError},
	{name: "TLS: the handshake of a data connection failed", quectel: 631, luat: 84,
		match: func(err error, _ phase) bool {
			var te *ftp.TLSError
			return errors.As(err, &te) && te.Op == "data"
		}},
	{name: "TLS: any other handshake or TLS failure", quectel: 631, luat: 80, match: isTLSError},
	{name: "the data connection could not be opened", quectel: 615, compute: dataOpenCodes,
		match: func(err error, ph phase) bool {
			return (ph == phaseOpenPasv || ph == phaseOpenActive) && !isReply(err) && isDataConnError(err)
		}},
	{name: "DNS failure (*net.DNSError)", quectel: 604, luat: 62,
		match: func(err error, _ phase) bool {
			var de *net.DNSError
			return errors.As(err, &de)
		}},
	{name: "timeout (no reply, no data, deadline)", quectel: 609, luat: 64, match: isTimeout},
	{name: "an FTP reply the command did not expect (*ftp.Error)", compute: replyCodes,
		match: func(err error, _ phase) bool { return isReply(err) }},
	{name: "a reply that breaks the protocol (*ftp.ProtocolError)", quectel: 601, luat: 70,
		match: func(err error, _ phase) bool {
			var pe *ftp.ProtocolError
			return errors.As(err, &pe)
		}},
	{name: "connection refused", quectel: 605, luat: 63,
		match: func(err error, _ phase) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
	{name: "the data connection broke during the transfer", quectel: 607, compute: dataLostCodes,
		match: func(err error, ph phase) bool {
			return (ph == phaseDownload || ph == phaseUpload) && isNetError(err)
		}},
	{name: "connection reset by the peer", quectel: 608, luat: 61,
		match: func(err error, _ phase) bool {
			return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
		}},
	{name: "the server closed the control connection (EOF)", quectel: 606, luat: 61,
		match: func(err error, _ phase) bool {
			return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
		}},
	{name: "a transfer is in progress (ftp.ErrBusy)", quectel: 603, luat: 66,
		match: func(err error, _ phase) bool { return errors.Is(err, ftp.ErrBusy) }},
	{name: "invalid argument (ftp.ErrInvalidArgument)", quectel: 610, luat: 77,
		match: func(err error, _ phase) bool { return errors.Is(err, ftp.ErrInvalidArgument) }},
	{name: "not supported by the server (ftp.ErrNotSupported)", quectel: 622, luat: 77,
		match: func(err error, _ phase) bool { return errors.Is(err, ftp.ErrNotSupported) }},
	{name: "the bearer or PDP context is not active", quectel: 605, luat: 61,
		match: func(err error, _ phase) bool { return errors.Is(err, errNoBearer) }},
	{name: "local file not found", quectel: 611, luat: 85,
		match: func(err error, _ phase) bool { return errors.Is(err, errLocalNotFound) }},
	{name: "start position beyond the local file", quectel: 612, luat: 85,
		match: func(err error, _ phase) bool { return errors.Is(err, errLocalPosition) }},
	{name: "other local file error", quectel: 613, luat: 85,
		match: func(err error, _ phase) bool { return errors.Is(err, errLocalFile) }},
	{name: "other network error", quectel: 605, luat: 61,
		match: func(err error, _ phase) bool { return isNetError(err) }},
	{name: "anything else", quectel: 601, luat: 61,
		match: func(error, phase) bool { return true }},
}

// replyQuectel maps FTP reply codes to Quectel <err> (chapters 5 and 6 of
// the application note). 553 has no <err> of its own in the note's table,
// which skips 630: it shares 627 ("Requested action not taken") with 550.
var replyQuectel = map[int]int{
	421: 614, 425: 615, 426: 616, 450: 617, 451: 618, 452: 619,
	500: 620, 501: 621, 502: 622, 503: 623, 504: 624,
	530: 625, 532: 626, 550: 627, 551: 628, 552: 629, 553: 627,
}

// replyLuat maps the verb of the refused command to the Luat code.
var replyLuat = map[string]int{
	"USER": 71, "PASS": 72, "ACCT": 72,
	"TYPE": 73, "REST": 74,
	"EPSV": 75, "PASV": 75, "EPRT": 76, "PORT": 76,
	"STOR": 78, "APPE": 78, "STOU": 78,
	"RETR": 79, "LIST": 79, "NLST": 79, "MLSD": 79,
}

// classify maps err, which happened in phase ph, to both dialects' codes.
func classify(err error, ph phase) codes {
	for _, r := range errorTable {
		if !r.match(err, ph) {
			continue
		}
		if r.compute != nil {
			c := r.compute(err, ph)
			if r.quectel != 0 {
				c.quectel = r.quectel
			}
			return c
		}
		c := codes{quectel: r.quectel, luat: r.luat}
		if fe := replyError(err); fe != nil && !r.earlier {
			// A refusal inside another failure (AUTH TLS refused, a
			// reply with a timeout) still says what the server answered.
			c.protocol = fe.Code
		}
		return c
	}
	return codes{quectel: 601, luat: 61}
}

// replyCodes gives the codes of a refused command: Quectel by reply code,
// Luat by what was refused.
func replyCodes(err error, _ phase) codes {
	fe := replyError(err)
	c := codes{quectel: 601, protocol: fe.Code, luat: 77}
	if q, ok := replyQuectel[fe.Code]; ok {
		c.quectel = q
	}
	verb := replyVerb(err)
	switch {
	case fe.Code == ftp.StatusNotAvailable || verb == "GREETING":
		c.luat = 65
	case replyLuat[verb] == 71 || replyLuat[verb] == 72:
		c.luat = replyLuat[verb]
	case errors.Is(err, fs.ErrNotExist):
		c.luat = 85
	case replyLuat[verb] != 0:
		c.luat = replyLuat[verb]
	}
	return c
}

func dataOpenCodes(_ error, ph phase) codes {
	if ph == phaseOpenActive {
		return codes{luat: 76}
	}
	return codes{luat: 75}
}

func dataLostCodes(_ error, ph phase) codes {
	if ph == phaseUpload {
		return codes{luat: 78}
	}
	return codes{luat: 79}
}

func replyError(err error) *ftp.Error {
	var fe *ftp.Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

func isReply(err error) bool { return replyError(err) != nil }

// replyVerb returns the upper-case verb of the command a reply refused.
func replyVerb(err error) string {
	fe := replyError(err)
	if fe == nil {
		return ""
	}
	verb, _, _ := strings.Cut(fe.Command, " ")
	return strings.ToUpper(verb)
}

func isCertError(err error, _ phase) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

func isTLSError(err error, _ phase) bool {
	var te *ftp.TLSError
	var ae tls.AlertError
	var rh tls.RecordHeaderError
	return errors.As(err, &te) || errors.As(err, &ae) || errors.As(err, &rh) ||
		errors.Is(err, ftp.ErrPipelinedTLS)
}

func isTimeout(err error, _ phase) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errIdle) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var errno syscall.Errno
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.As(err, &errno)
}

// isDataConnError recognises a failure of a data connection.
func isDataConnError(err error) bool {
	return errors.Is(err, ftp.ErrDataConnection) || errors.Is(err, ftp.ErrForeignDataConnection)
}

// quectelErrText is the English text of each <err> (chapter 5), for
// AT+CMEE=2.
var quectelErrText = map[int]string{
	601: "Unknown error",
	602: "FTP(S) server blocked",
	603: "FTP(S) server busy",
	604: "DNS parse failed",
	605: "Network error",
	606: "Control connection closed.",
	607: "Data connection closed",
	608: "Socket closed by peer",
	609: "Timeout error",
	610: "Invalid parameter",
	611: "Failed to open file",
	612: "File position invalid",
	613: "File error",
	614: "Service not available, closing control connection",
	615: "Open data connection failed",
	616: "Connection closed; transfer aborted",
	617: "Requested file action not taken",
	618: "Requested action aborted: local error in processing",
	619: "Requested action not taken: insufficient system storage",
	620: "Syntax error, command unrecognized",
	621: "Syntax error in parameters or arguments",
	622: "Command not implemented",
	623: "Bad sequence of commands",
	624: "Command parameter not implemented",
	625: "Not logged in",
	626: "Need account for storing files",
	627: "Requested action not taken",
	628: "Requested action aborted: page type unknown",
	629: "Requested file action aborted",
	631: "SSL authentication failed",
}
