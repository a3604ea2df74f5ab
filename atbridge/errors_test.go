package atbridge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/seed362563c3/ftp"
	"github.com/stretchr/testify/require"
)

// ruleIndex returns the row of the table that err falls in.
func ruleIndex(err error, ph phase) int {
	for i, r := range errorTable {
		if r.match(err, ph) {
			return i
		}
	}
	return -1
}

func TestClassify(t *testing.T) {
	dataDial := fmt.Errorf("ftp: data connection: %w: %w", ftp.ErrDataConnection, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	refused := fmt.Errorf("ftp: dial 127.0.0.1:1: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	certErr := &ftp.TLSError{Op: "control", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	cases := []struct {
		name string
		err  error
		ph   phase
		want codes
	}{
		{"nil", nil, phaseCommand, codes{0, 0, 0}},
		{"closed earlier", fmt.Errorf("%w: %w", ftp.ErrClosed, os.ErrDeadlineExceeded), phaseCommand, codes{606, 0, 61}},
		// The 421 answered an earlier command, not this one.
		{"closed earlier by a 421", fmt.Errorf("%w: %w", ftp.ErrClosed, &ftp.Error{Command: "NOOP", Code: 421}), phaseCommand, codes{606, 0, 61}},
		// A refusal inside another failure keeps its code.
		{"timeout with a reply", fmt.Errorf("%w: %w", &ftp.Error{Command: "RETR x", Code: 421, Msg: "Timeout"}, os.ErrDeadlineExceeded), phaseCommand, codes{609, 421, 64}},
		{"cancelled", fmt.Errorf("ftp: RETR x: %w", context.Canceled), phaseDownload, codes{601, 0, 86}},
		{"AUTH refused", fmt.Errorf("%w: %w", ftp.ErrTLSRequired, &ftp.Error{Command: "AUTH TLS", Code: 534}), phaseCommand, codes{631, 534, 82}},
		{"PBSZ refused", &ftp.Error{Command: "PBSZ 0", Code: 500}, phaseCommand, codes{631, 500, 83}},
		{"PROT refused", &ftp.Error{Command: "PROT P", Code: 536}, phaseCommand, codes{631, 536, 83}},
		{"certificate", certErr, phaseCommand, codes{631, 0, 81}},
		{"hostname", x509.HostnameError{}, phaseCommand, codes{631, 0, 81}},
		{"data TLS", &ftp.TLSError{Op: "data", Err: errors.New("tls: bad record MAC")}, phaseDownload, codes{631, 0, 84}},
		{"alert", tls.AlertError(40), phaseCommand, codes{631, 0, 80}},
		{"not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, phaseCommand, codes{631, 0, 80}},
		{"pipelined", ftp.ErrPipelinedTLS, phaseCommand, codes{631, 0, 80}},
		{"data dial passive", dataDial, phaseOpenPasv, codes{615, 0, 75}},
		{"data dial active", fmt.Errorf("ftp: active data connection: %w: %w", ftp.ErrDataConnection, os.ErrDeadlineExceeded), phaseOpenActive, codes{615, 0, 76}},
		{"foreign data connection", ftp.ErrForeignDataConnection, phaseOpenActive, codes{615, 0, 76}},
		{"DNS", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, phaseCommand, codes{604, 0, 62}},
		{"DNS timeout", &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}, phaseCommand, codes{604, 0, 62}},
		{"reply timeout", fmt.Errorf("ftp: CWD x: no reply in time: %w", os.ErrDeadlineExceeded), phaseCommand, codes{609, 0, 64}},
		{"deadline", context.DeadlineExceeded, phaseCommand, codes{609, 0, 64}},
		{"idle", errIdle, phaseDownload, codes{609, 0, 64}},
		{"PASS", &ftp.Error{Command: "PASS ****", Code: 530}, phaseCommand, codes{625, 530, 72}},
		{"USER", &ftp.Error{Command: "USER bob", Code: 530}, phaseCommand, codes{625, 530, 71}},
		{"ACCT", &ftp.Error{Command: "ACCT x", Code: 532}, phaseCommand, codes{626, 532, 72}},
		{"missing file RETR", &ftp.Error{Command: "RETR x", Code: 550, Msg: "No such file or directory"}, phaseOpenPasv, codes{627, 550, 85}},
		{"missing file SIZE", &ftp.Error{Command: "SIZE x", Code: 550, Msg: "Could not get file size"}, phaseCommand, codes{627, 550, 85}},
		{"permission", &ftp.Error{Command: "MKD x", Code: 550, Msg: "Permission denied"}, phaseCommand, codes{627, 550, 77}},
		{"421", &ftp.Error{Command: "CWD x", Code: 421}, phaseCommand, codes{614, 421, 65}},
		{"greeting", &ftp.Error{Command: "greeting", Code: 520}, phaseCommand, codes{601, 520, 65}},
		{"TYPE", &ftp.Error{Command: "TYPE A", Code: 504}, phaseCommand, codes{624, 504, 73}},
		{"REST", &ftp.Error{Command: "REST 10", Code: 501}, phaseOpenPasv, codes{621, 501, 74}},
		{"PASV", &ftp.Error{Command: "PASV", Code: 500}, phaseOpenPasv, codes{620, 500, 75}},
		{"PORT", &ftp.Error{Command: "PORT 1,2,3,4,5,6", Code: 500}, phaseOpenActive, codes{620, 500, 76}},
		{"STOR", &ftp.Error{Command: "STOR x", Code: 553}, phaseOpenPasv, codes{627, 553, 78}},
		{"STOU", &ftp.Error{Command: "STOU", Code: 502}, phaseOpenPasv, codes{622, 502, 78}},
		{"transfer aborted", &ftp.Error{Command: "RETR x", Code: 426}, phaseDownload, codes{616, 426, 79}},
		{"storage", &ftp.Error{Command: "STOR x", Code: 452}, phaseUpload, codes{619, 452, 78}},
		{"LIST", &ftp.Error{Command: "LIST", Code: 425}, phaseOpenPasv, codes{615, 425, 79}},
		{"other code", &ftp.Error{Command: "CWD x", Code: 534}, phaseCommand, codes{601, 534, 77}},
		{"protocol", &ftp.ProtocolError{Command: "PWD", Reason: "bad"}, phaseCommand, codes{601, 0, 70}},
		{"refused", refused, phaseCommand, codes{605, 0, 63}},
		{"data lost download", reset, phaseDownload, codes{607, 0, 79}},
		{"data lost upload", &net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)}, phaseUpload, codes{607, 0, 78}},
		{"reset", reset, phaseCommand, codes{608, 0, 61}},
		{"EOF", fmt.Errorf("ftp: greeting: server closed the connection: %w", io.ErrUnexpectedEOF), phaseCommand, codes{606, 0, 61}},
		{"busy", ftp.ErrBusy, phaseCommand, codes{603, 0, 66}},
		{"invalid", fmt.Errorf("ftp: CWD: %w", ftp.ErrInvalidArgument), phaseCommand, codes{610, 0, 77}},
		{"unsupported", fmt.Errorf("ftp: MLSD: %w", ftp.ErrNotSupported), phaseCommand, codes{622, 0, 77}},
		{"no bearer", errNoBearer, phaseCommand, codes{605, 0, 61}},
		{"local missing", errLocalNotFound, phaseUpload, codes{611, 0, 85}},
		{"local position", errLocalPosition, phaseUpload, codes{612, 0, 85}},
		{"local other", fmt.Errorf("%w: bad PEM", errLocalFile), phaseCommand, codes{613, 0, 85}},
		{"unreachable", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, phaseCommand, codes{605, 0, 61}},
		{"other", errTest, phaseCommand, codes{601, 0, 61}},
	}
	hit := map[int]bool{}
	for _, c := range cases {
		require.Equal(t, c.want, classify(c.err, c.ph), c.name)
		hit[ruleIndex(c.err, c.ph)] = true
	}
	for i, r := range errorTable {
		require.True(t, hit[i], "no case for the row %q", r.name)
	}
}

// packageDoc returns the package documentation of doc.go.
func packageDoc(t *testing.T) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	require.NoError(t, err)
	require.NotNil(t, f.Doc)
	return f.Doc.Text()
}

// docRows returns the table rows of the documentation, split into cells.
func docRows(doc string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	return rows
}

// The table in the package documentation is the table in the code: the
// same rows in the same order with the same codes.
func TestErrorTableDocumented(t *testing.T) {
	rows := docRows(packageDoc(t))
	var main [][]string
	for _, r := range rows {
		if len(r) == 4 {
			main = append(main, r)
		}
	}
	require.Equal(t, []string{"condition", "Quectel <err>", "<protocol_error>", "Luat"}, main[0])
	main = main[1:]
	require.Len(t, main, len(errorTable))
	for i, r := range errorTable {
		row := main[i]
		require.Equal(t, r.name, row[0], "row %d", i)
		if r.quectel != 0 {
			require.Equal(t, strconv.Itoa(r.quectel), row[1], r.name)
		} else if i > 0 {
			require.Equal(t, "by reply code", row[1], r.name)
		}
		switch {
		case r.quectel == 631 && (strings.Contains(r.name, "AUTH") || strings.Contains(r.name, "PBSZ")),
			r.compute != nil && r.quectel == 0:
			require.Equal(t, "reply code", row[2], r.name)
		default:
			require.Equal(t, "0", row[2], r.name)
		}
		if r.luat != 0 {
			require.Equal(t, strconv.Itoa(r.luat), row[3], r.name)
		}
	}
	// The computed rows say what they compute, and it is what they do.
	require.Equal(t, "75 passive, 76 active", main[ruleIndex(ftp.ErrForeignDataConnection, phaseOpenPasv)][3])
	require.Equal(t, "79 download, 78 upload", main[ruleIndex(&net.OpError{Op: "read"}, phaseDownload)][3])
	require.Equal(t, "by command", main[ruleIndex(&ftp.Error{}, phaseCommand)][3])

	// The sub-tables of reply codes and verbs.
	two := map[string]string{}
	for _, r := range rows {
		if len(r) == 2 {
			two[r[0]] = r[1]
		}
	}
	for code, q := range replyQuectel {
		require.Equal(t, strconv.Itoa(q), two[strconv.Itoa(code)], "reply %d", code)
	}
	for verb, l := range replyLuat {
		require.Equal(t, strconv.Itoa(l), two[verb], verb)
	}
	require.Len(t, two, len(replyQuectel)+len(replyLuat))
}

// Every <err> the bridge can produce has its text from chapter 5.
func TestQuectelErrTexts(t *testing.T) {
	for _, r := range errorTable {
		if r.quectel != 0 {
			require.NotEmpty(t, quectelErrText[r.quectel], r.name)
		}
	}
	for _, q := range replyQuectel {
		require.NotEmpty(t, quectelErrText[q])
	}
}
