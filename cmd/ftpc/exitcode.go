// Exit statuses scripts can branch on, found in an error with errors.Is
// and errors.As, and the hint a login refused for want of TLS gets.

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/ftpproxy"
)

// Exit statuses.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitLogin       = 3
	exitNotFound    = 4
	exitPermission  = 5
	exitTLS         = 6
	exitNetwork     = 7
	exitVerify      = 8
	exitInterrupted = 130
)

// exitCodes documents the statuses, for the help and the README (a test
// keeps the README's table equal to this one).
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success"},
	{exitError, "any other error"},
	{exitUsage, "usage: a bad flag, argument or URL"},
	{exitLogin, "login refused (530, a refused USER, PASS or ACCT; or a server that wants TLS)"},
	{exitNotFound, "not found: the remote file or directory (550), or a local one"},
	{exitPermission, "permission denied (550 or 553 saying so, 532), remote or local"},
	{exitTLS, "TLS failure: refused AUTH TLS, a certificate not trusted, a failed handshake"},
	{exitNetwork, "network or timeout: connection refused or cut, name not resolved, no answer in time, 421, 425, 426"},
	{exitVerify, "verification failed: checksum or size mismatch, a download shorter or longer than announced"},
	{exitInterrupted, "interrupted (Ctrl-C); partial files are kept and the resuming command printed"},
}

// exitCode maps an error to its exit status. Several errors (a mirror's)
// give their common status, or 1 when they differ.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var me *multiError
	if errors.As(err, &me) && len(me.errs) > 0 {
		code := exitCode(me.errs[0])
		for _, e := range me.errs[1:] {
			if exitCode(e) != code {
				return exitError
			}
		}
		return code
	}
	var ue *usageError
	var ie *interruptedError
	var tw *tlsWantedError
	var fe *ftp.Error
	var le *ftp.LengthError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, ftp.ErrFXPRefused):
		// The server's policy, whatever code it answered with (a 421
		// from some): not a network failure.
		return exitError
	case errors.As(err, &ie), errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.As(err, &tw):
		return exitLogin
	case errors.As(err, &fe) && loginRefused(fe):
		return exitLogin
	case isTLSFailure(err):
		return exitTLS
	case errors.As(err, &le), errors.Is(err, ftp.ErrVerify):
		return exitVerify
	case errors.As(err, &fe) && fe.Code == ftp.StatusBadFileName,
		errors.Is(err, fs.ErrPermission):
		return exitPermission
	case errors.Is(err, fs.ErrNotExist) && !createRefused(err):
		return exitNotFound
	case isNetworkFailure(err):
		return exitNetwork
	}
	return exitError
}

// loginRefused reports whether a reply refused the login: 530 or 430 to
// any command, or a permanent refusal of USER, PASS or ACCT.
func loginRefused(fe *ftp.Error) bool {
	if fe.Code == ftp.StatusNotLoggedIn || fe.Code == ftp.StatusInvalidCredentials {
		return true
	}
	switch commandVerb(fe) {
	case "USER", "PASS", "ACCT":
		return fe.Code/100 == 5
	}
	return false
}

// commandVerb is the upper-case verb of the command a reply answered.
func commandVerb(fe *ftp.Error) string {
	verb, _, _ := strings.Cut(fe.Command, " ")
	return strings.ToUpper(verb)
}

// createRefused reports a refusal the library takes for a missing file
// (it matches fs.ErrNotExist for any 550 that does not speak of
// permission) whose text says otherwise ("directory not empty", "file
// exists"), or that answers a command creating something (MKD, STOR,
// APPE, STOU, RNTO) without saying that something is missing.
func createRefused(err error) bool {
	var fe *ftp.Error
	if !errors.As(err, &fe) {
		return false
	}
	m := strings.ToLower(fe.Msg)
	if strings.Contains(m, "no such") || strings.Contains(m, "not found") || strings.Contains(m, "not exist") {
		return false
	}
	if strings.Contains(m, "not empty") || strings.Contains(m, "exists") || strings.Contains(m, "already") {
		return true
	}
	switch commandVerb(fe) {
	case "MKD", "STOR", "APPE", "STOU", "RNTO":
		return true
	}
	return false
}

func isTLSFailure(err error) bool {
	var te *ftp.TLSError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var ae tls.AlertError
	var rh tls.RecordHeaderError
	switch {
	case errors.Is(err, ftp.ErrTLSRequired), errors.Is(err, ftp.ErrPipelinedTLS),
		errors.As(err, &cv), errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci),
		errors.As(err, &ae), errors.As(err, &rh):
		return true
	case errors.As(err, &te):
		// A handshake the network cut is a network failure.
		return !isNetworkFailure(te.Err)
	}
	return false
}

func isNetworkFailure(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	var pe *ftpproxy.Error
	var fe *ftp.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &oe), errors.As(err, &de), errors.As(err, &pe),
		errors.Is(err, ftp.ErrDataConnection), errors.Is(err, ftp.ErrForeignDataConnection),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	case errors.As(err, &ne):
		return ne.Timeout()
	case errors.As(err, &fe):
		switch fe.Code {
		case ftp.StatusNotAvailable, ftp.StatusCanNotOpenDataConnection, ftp.StatusTransferAborted:
			return true
		}
	}
	return false
}

// tlsWantedError is a login refused because the session was not
// protected, as vsftpd's "530 Non-anonymous sessions must use encryption",
// proftpd's "550 SSL/TLS required on the control channel", pure-ftpd's
// "421 Sorry, cleartext sessions ... are not accepted" and "534" say.
type tlsWantedError struct{ err error }

func (e *tlsWantedError) Error() string {
	return e.err.Error() + " (the server wants TLS: use ftpes:// or --tls, or ftps:// for implicit TLS)"
}

func (e *tlsWantedError) Unwrap() error { return e.err }

// mentionsTLS matches reply texts that ask for a protected session.
var mentionsTLS = regexp.MustCompile(`(?i)\b(tls|ssl|encrypt\w*|cleartext)\b`)

// withTLSHint wraps err in a *tlsWantedError when it is a refusal of the
// login (USER, PASS, ACCT) that asks for TLS.
func withTLSHint(err error) error {
	var fe *ftp.Error
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	switch commandVerb(fe) {
	case "USER", "PASS", "ACCT":
	default:
		return err
	}
	if fe.Code == ftp.StatusPolicyRequiresSSL || fe.Code/100 >= 4 && mentionsTLS.MatchString(fe.Msg) {
		return &tlsWantedError{err}
	}
	return err
}
