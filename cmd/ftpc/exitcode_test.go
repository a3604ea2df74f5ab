package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	ftpserver "github.com/fclairamb/ftpserverlib"
	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/ftpproxy"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExitCodeMapping: the library's errors, found with errors.Is and
// errors.As, give the documented statuses.
func TestExitCodeMapping(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"usage", usagef("bad"), exitUsage},
		{"530 to PASS", &ftp.Error{Command: "PASS ****", Code: 530, Msg: "Login incorrect."}, exitLogin},
		{"530 later", &ftp.Error{Command: "CWD x", Code: 530, Msg: "Not logged in."}, exitLogin},
		{"501 to USER", &ftp.Error{Command: "USER x", Code: 501, Msg: "bad user"}, exitLogin},
		{"TLS wanted", &tlsWantedError{&ftp.Error{Command: "USER x", Code: 421, Msg: "TLS is required"}}, exitLogin},
		{"550 missing", &ftp.Error{Command: "RETR x", Code: 550, Msg: "No such file or directory"}, exitNotFound},
		{"550 any", &ftp.Error{Command: "SIZE x", Code: 550, Msg: "Could not get file size."}, exitNotFound},
		{"450 missing", &ftp.Error{Command: "RETR x", Code: 450, Msg: "x: not found"}, exitNotFound},
		{"local missing", &fs.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, exitNotFound},
		{"550 permission", &ftp.Error{Command: "DELE x", Code: 550, Msg: "Permission denied."}, exitPermission},
		{"553", &ftp.Error{Command: "STOR x", Code: 553, Msg: "Could not create file."}, exitPermission},
		{"532", &ftp.Error{Command: "STOR x", Code: 532, Msg: "Need account for storing files."}, exitPermission},
		{"local permission", &fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, exitPermission},
		{"MKD exists", &ftp.Error{Command: "MKD x", Code: 550, Msg: "Create directory operation failed."}, exitError},
		{"RMD not empty", &ftp.Error{Command: "RMD x", Code: 550, Msg: "Directory not empty"}, exitError},
		{"MKD no parent", &ftp.Error{Command: "MKD x/y", Code: 550, Msg: "x: No such file or directory"}, exitNotFound},
		{"AUTH refused", fmt.Errorf("%w: %w", ftp.ErrTLSRequired, &ftp.Error{Command: "AUTH TLS", Code: 500}), exitTLS},
		{"certificate", &ftp.TLSError{Op: "control", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, exitTLS},
		{"hostname", x509.HostnameError{}, exitTLS},
		{"handshake refused", &ftp.TLSError{Op: "data", Err: tls.AlertError(40)}, exitTLS},
		{"pipelined", ftp.ErrPipelinedTLS, exitTLS},
		{"handshake cut", &ftp.TLSError{Op: "data", Err: io.ErrUnexpectedEOF}, exitNetwork},
		{"refused", fmt.Errorf("ftp: dial: %w", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), exitNetwork},
		{"DNS", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, exitNetwork},
		{"reset", reset, exitNetwork},
		{"closed", fmt.Errorf("%w: %w", ftp.ErrClosed, reset), exitNetwork},
		{"deadline", context.DeadlineExceeded, exitNetwork},
		{"reply timeout", fmt.Errorf("ftp: CWD x: no reply in time: %w", os.ErrDeadlineExceeded), exitNetwork},
		{"data connection", fmt.Errorf("ftp: RETR x: %w: %w", ftp.ErrDataConnection, reset), exitNetwork},
		{"421", &ftp.Error{Command: "RETR x", Code: 421, Msg: "Timeout."}, exitNetwork},
		{"425", &ftp.Error{Command: "RETR x", Code: 425, Msg: "Can't open data connection."}, exitNetwork},
		{"426", &ftp.Error{Command: "RETR x", Code: 426, Msg: "Failure writing network stream."}, exitNetwork},
		{"proxy", &ftpproxy.Error{Proxy: "http://p", Target: "h:21", StatusCode: 407, Status: "407 Proxy Authentication Required"}, exitNetwork},
		{"EOF", fmt.Errorf("ftp: greeting: %w", io.ErrUnexpectedEOF), exitNetwork},
		{"verify", fmt.Errorf("%w: SHA-256 differs", ftp.ErrVerify), exitVerify},
		{"short", &ftp.LengthError{Command: "RETR x", Want: 10, Got: 5, Source: "expected size"}, exitVerify},
		{"long", &ftp.LengthError{Command: "RETR x", Want: 10, Got: 11, Source: "150 reply"}, exitVerify},
		{"interrupted", &interruptedError{what: "get x"}, exitInterrupted},
		{"cancelled", context.Canceled, exitError},
		{"not supported", &ftp.Error{Command: "MFMT x", Code: 502, Msg: "no"}, exitError},
		{"other", errors.New("something"), exitError},
		{"mirror, one kind", &multiError{what: "mirror", errs: []error{
			&ftp.Error{Command: "RETR a", Code: 550, Msg: "gone"}, &ftp.Error{Command: "RETR b", Code: 550, Msg: "gone"}}}, exitNotFound},
		{"mirror, two kinds", &multiError{what: "mirror", errs: []error{
			&ftp.Error{Command: "RETR a", Code: 550, Msg: "gone"}, reset}}, exitError},
	} {
		assert.Equal(t, tt.want, exitCode(tt.err), "%s: %v", tt.name, tt.err)
	}
}

// TestLoginWantsTLS: a server that refuses plain logins because it wants
// TLS gets a hint to use ftpes:// or --tls, and status 3, whichever way
// it says so.
func TestLoginWantsTLS(t *testing.T) {
	for _, tt := range []struct{ server, user, pass string }{
		{"vsftpd", "530 Non-anonymous sessions must use encryption.", ""},
		{"proftpd", "550 SSL/TLS required on the control channel", ""},
		{"pure-ftpd", "421 Sorry, cleartext sessions and weak ciphers are not accepted on this server.", ""},
		{"policy", "331 go on", "534 Policy requires SSL."},
	} {
		t.Run(tt.server, func(t *testing.T) {
			srv := startScripted(t, "220 ready", func(verb, _ string) string {
				switch verb {
				case "USER":
					return tt.user
				case "PASS":
					return tt.pass
				}
				return "502 no"
			})
			r := ftpc("ls", "ftp://bob:pw@"+srv.addr+"/")
			requireOneLineError(t, r, exitLogin)
			assert.Contains(t, r.stderr, "(the server wants TLS: use ftpes:// or --tls")
		})
	}
	// A plain wrong password gets no such hint.
	srv := startScripted(t, "220 ready", func(verb, _ string) string {
		if verb == "USER" {
			return "331 password"
		}
		return "530 Login incorrect."
	})
	r := ftpc("ls", "ftp://bob:pw@"+srv.addr+"/")
	requireOneLineError(t, r, exitLogin)
	assert.NotContains(t, r.stderr, "TLS")

	// The in-process server that requires TLS says "421 TLS is required".
	cert, err := embedded.NewCertificate()
	require.NoError(t, err)
	tlsSrv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(),
		TLS: cert.ServerConfig(), TLSRequired: ftpserver.MandatoryEncryption})
	require.NoError(t, err)
	t.Cleanup(func() { tlsSrv.Close() })
	r = ftpc("ls", "ftp://"+testUser+":x@"+tlsSrv.Addr+"/")
	requireOneLineError(t, r, exitLogin)
	assert.Contains(t, r.stderr, "421 TLS is required (the server wants TLS: use ftpes:// or --tls")
}

// TestExitCodesEndToEnd: a few statuses as a script sees them.
func TestExitCodesEndToEnd(t *testing.T) {
	srv := startScripted(t, "220 ready", loginAnswers(func(verb, _ string) string {
		switch verb {
		case "DELE":
			return "550 Permission denied."
		case "MKD":
			return "553 Could not create directory."
		case "SIZE":
			return "550 No such file or directory."
		}
		return ""
	}))
	base := "ftp://" + srv.addr + "/"
	requireOneLineError(t, ftpc("rm", base+"f"), exitPermission)
	requireOneLineError(t, ftpc("mkdir", base+"d"), exitPermission)
	requireOneLineError(t, ftpc("size", base+"f"), exitNotFound)
	requireOneLineError(t, ftpc("put", filepath.Join(t.TempDir(), "none"), base), exitNotFound)
	requireOneLineError(t, ftpc("get", base+"f", filepath.Join(t.TempDir(), "no", "dir")+"/"), exitNotFound)

	// The table of the help is the table of the code.
	help := ftpc("help").stdout
	for _, e := range exitCodes {
		assert.Contains(t, help, fmt.Sprintf("  %-6d%s", e.code, strings.Fields(e.meaning)[0]))
	}
}
