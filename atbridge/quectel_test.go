package atbridge

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/require"
)

// The transcripts below replay the worked examples of the Quectel
// application note (001), chapter 3 and the examples of chapter 2: the
// document's commands go in, and the answers are checked line by line.
// What the document leaves open is a placeholder: <N> for sizes, <T> for
// times, <IP> for addresses. The FTP server is the in-process one, so the
// document's host and port ("220.180.239.212",8309) become its address.
//
// The document's section 3.1 sets filetype 1 (ASCII). The in-process
// server, like many, refuses SIZE and REST in ASCII mode (RFC 3659 asks for
// the size after conversion), so the examples that use SIZE or a start
// position log in with filetype 0; the others keep the document's 1.

// login replays the steps of section 3.1 up to +QFTPOPEN: 0,0.
func login(t *testing.T, p *port, s *embedded.Server, filetype string) {
	t.Helper()
	host, pt := hostPort(s.Addr)
	p.cmd(`AT+QICSGP=1,1,"UNINET","","",1`, "OK")
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPCFG="contextid",1`, "OK")
	p.cmd(`AT+QFTPCFG="account","test","test"`, "OK")
	p.cmd(`AT+QFTPCFG="filetype",`+filetype, "OK")
	p.cmd(`AT+QFTPCFG="transmode",1`, "OK")
	p.cmd(`AT+QFTPCFG="rsptimeout",90`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 0,0")
}

func quectelSession(t *testing.T) (*port, *embedded.Server) {
	s := server(t, embedded.Options{})
	return startModem(t, Quectel, Options{NoEcho: true}), s
}

// Section 3.1: logging in to an FTP server.
func TestQuectelExample3_1Login(t *testing.T) {
	p, s := quectelSession(t)
	host, pt := hostPort(s.Addr)
	p.cmd(`AT+QICSGP=1,1,"UNINET","","",1`, "OK")
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QIACT?`, `+QIACT: 1,1,1,"<IP>"`, "OK")
	p.cmd(`AT+QFTPCFG="contextid",1`, "OK")
	p.cmd(`AT+QFTPCFG="account","test","test"`, "OK")
	p.cmd(`AT+QFTPCFG="filetype",1`, "OK")
	p.cmd(`AT+QFTPCFG="transmode",1`, "OK")
	p.cmd(`AT+QFTPCFG="rsptimeout",90`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 0,0")
	require.Equal(t, 1, s.Clients())
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,1", "OK")
}

// Section 3.3: folder operations.
func TestQuectelExample3_3Folders(t *testing.T) {
	p, s := quectelSession(t)
	login(t, p, s, "1")
	p.cmd(`AT+QFTPCWD="/"`, "OK", "+QFTPCWD: 0,0")
	// The document prints "+QFTPPWD: 0,/" here and "+QFTPPWD: 0,"/"" in
	// 3.4; <path_name> is a string and strings are quoted (see cmdPWD).
	p.cmd(`AT+QFTPPWD`, "OK", `+QFTPPWD: 0,"/"`)
	p.cmd(`AT+QFTPMKDIR="TEST"`, "OK", "+QFTPMKDIR: 0,0")
	require.DirExists(t, filepath.Join(s.Root, "TEST"))
	p.cmd(`AT+QFTPRENAME="TEST","TEST_NEW"`, "OK", "+QFTPRENAME: 0,0")
	require.DirExists(t, filepath.Join(s.Root, "TEST_NEW"))
	p.cmd(`AT+QFTPRMDIR="TEST_NEW"`, "OK", "+QFTPRMDIR: 0,0")
	require.NoDirExists(t, filepath.Join(s.Root, "TEST_NEW"))
}

// Section 3.4: file operations.
func TestQuectelExample3_4Files(t *testing.T) {
	p, s := quectelSession(t)
	writeFile(t, s, "test_my1.txt", pattern(1000, 1))
	login(t, p, s, "0")
	p.cmd(`AT+QFTPCWD="/"`, "OK", "+QFTPCWD: 0,0")
	p.cmd(`AT+QFTPPWD`, "OK", `+QFTPPWD: 0,"/"`)
	// The document prints "+QFTPSIZE:0, 1000"; the table's format is
	// "+QFTPSIZE: 0,<file_size>".
	p.cmd(`AT+QFTPSIZE="test_my1.txt"`, "OK", "+QFTPSIZE: 0,1000")
	p.cmd(`AT+QFTPRENAME="test_my1.txt","test_new.txt"`, "OK", "+QFTPRENAME: 0,0")
	// The document's time, given to the file so that the line matches.
	mt := time.Date(2014, 7, 8, 11, 0, 39, 0, time.UTC)
	require.NoError(t, os.Chtimes(filepath.Join(s.Root, "test_new.txt"), mt, mt))
	p.cmd(`AT+QFTPMDTM="test_new.txt"`, "OK", `+QFTPMDTM: 0,"20140708110039"`)
	p.cmd(`AT+QFTPDEL="test_new.txt"`, "OK", "+QFTPDEL: 0,0")
	require.NoFileExists(t, filepath.Join(s.Root, "test_new.txt"))
}

// listingLines checks that a listing is CRLF-terminated lines and returns
// them.
func listingLines(t *testing.T, b []byte) []string {
	t.Helper()
	require.True(t, bytes.HasSuffix(b, []byte("\r\n")), "listing %q", b)
	return strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
}

// Section 3.5: LIST, NLST and MLSD, to COM: and to RAM.
func TestQuectelExample3_5Listings(t *testing.T) {
	p, s := quectelSession(t)
	writeFile(t, s, "a.txt", pattern(10, 0))
	writeFile(t, s, "TEST_2/inner.txt", pattern(20, 0))
	login(t, p, s, "1")
	p.cmd(`AT+QFTPCWD="/"`, "OK", "+QFTPCWD: 0,0")

	comListing := func(cmd, urc string) []string {
		t.Helper()
		p.cmd(cmd, "CONNECT")
		// The data is followed by <CR><LF>OK<CR><LF>: read up to it.
		data := p.take("listing", func(b []byte) int {
			i := bytes.Index(b, []byte("\r\n\r\nOK\r\n"))
			if i < 0 {
				return -1
			}
			return i + 2
		})
		got := p.expect("OK", urc+": 0,<N>")
		require.Equal(t, len(data), num(t, got[1]))
		return listingLines(t, data)
	}
	ramListing := func(cmd, urc, file string) {
		t.Helper()
		got := p.cmd(cmd, "OK", urc+": 0,<N>")
		n := num(t, got[1])
		p.cmd(`AT+QFLST="RAM:*"`, `+QFLST: "RAM:`+file+`",`+strconv.Itoa(n), "OK")
		p.cmd(`AT+QFDEL="RAM:`+file+`"`, "OK")
	}

	lines := comListing(`AT+QFTPLIST="."`, "+QFTPLIST")
	require.Len(t, lines, 2)
	sort.Strings(lines) // the server's order
	require.Regexp(t, `^-rw-r--r-- .* 10 .* a\.txt$`, lines[0])
	require.Regexp(t, `^drwx.* TEST_2$`, lines[1])
	ramListing(`AT+QFTPLIST=".","RAM:list.txt"`, "+QFTPLIST", "list.txt")
	lines = comListing(`AT+QFTPLIST="TEST_2","COM:"`, "+QFTPLIST")
	require.Len(t, lines, 1)
	require.Regexp(t, ` 20 .* inner\.txt$`, lines[0])

	lines = comListing(`AT+QFTPNLST="."`, "+QFTPNLST")
	require.ElementsMatch(t, []string{"a.txt", "TEST_2"}, lines)
	ramListing(`AT+QFTPNLST=".","RAM:nlst.txt"`, "+QFTPNLST", "nlst.txt")
	lines = comListing(`AT+QFTPNLST="TEST_2","COM:"`, "+QFTPNLST")
	require.Len(t, lines, 1)
	require.Contains(t, lines[0], "inner.txt")

	lines = comListing(`AT+QFTPMLSD="."`, "+QFTPMLSD")
	require.Len(t, lines, 2)
	for _, l := range lines {
		require.Regexp(t, `(?i)^(.*;)?type=(file|dir);.* (a\.txt|TEST_2)$`, l)
	}
	ramListing(`AT+QFTPMLSD=".","RAM:nlst.txt"`, "+QFTPMLSD", "nlst.txt")
	lines = comListing(`AT+QFTPMLSD="TEST_2","COM:"`, "+QFTPMLSD")
	require.Len(t, lines, 1)
	require.Regexp(t, `(?i)size=20;.* inner\.txt$`, lines[0])
}

// uplData is 1000 bytes whose AT+QFUPL checksum is 0x707, the value the
// document prints: "ab" 499 times XOR "fe".
func uplData() []byte {
	return append(bytes.Repeat([]byte("ab"), 499), "fe"...)
}

// Section 3.6: uploads through COM: and from RAM, UFS and SD.
func TestQuectelExample3_6Uploads(t *testing.T) {
	p, s := quectelSession(t)
	login(t, p, s, "0")
	p.cmd(`AT+QFTPCWD="/"`, "OK", "+QFTPCWD: 0,0")
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,1", "OK")

	// Through COM:, ended with +++.
	first := pattern(1000, 2)
	p.cmd(`AT+QFTPPUT="test_my1.txt","COM:",0`, "CONNECT")
	p.sendBytes(first)
	p.escape()
	p.expect("OK", "+QFTPPUT: 0,1000")
	p.cmd(`AT+QFTPLEN`, "OK", "+QFTPLEN: 0,1000")
	p.cmd(`AT+QFTPSIZE="test_my1.txt"`, "OK", "+QFTPSIZE: 0,1000")

	// Through COM:, from position 1000.
	more := pattern(500, 3)
	p.cmd(`AT+QFTPPUT="test_my1.txt","COM:",1000`, "CONNECT")
	p.sendBytes(more)
	p.escape()
	p.expect("OK", "+QFTPPUT: 0,500")
	p.cmd(`AT+QFTPSIZE="test_my1.txt"`, "OK", "+QFTPSIZE: 0,1500")
	require.Equal(t, append(append([]byte(nil), first...), more...), readFile(t, s, "test_my1.txt"))

	// Scheme 1: two packets of 1024 bytes into the same file, no +++.
	a, b := pattern(1024, 4), pattern(1024, 5)
	p.cmd(`AT+QFTPPUT="test_my1.txt","COM:",0,1024,0`, "CONNECT")
	p.sendBytes(a)
	p.expect("OK", "+QFTPPUT: 0,1024")
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,2", "OK")
	// The document writes "COM: " here, with a space: the evident intent
	// is COM:, and so it is read.
	p.cmd(`AT+QFTPPUT="test_my1.txt","COM: ",1024,1024,1`, "CONNECT")
	p.sendBytes(b)
	p.expect("OK", "+QFTPPUT: 0,1024")
	require.Equal(t, append(append([]byte(nil), a...), b...), readFile(t, s, "test_my1.txt"))

	// Schemes 2 to 4: from RAM, UFS and SD.
	for _, drive := range []string{"RAM", "UFS", "SD"} {
		local := drive + ":test_" + strings.ToLower(drive) + ".txt"
		p.cmd(`AT+QFUPL="`+local+`",1000,300,1`, "CONNECT")
		p.sendBytes(uplData())
		p.expect("+QFUPL: 1000,707", "OK")
		// The document writes AT+QFLST=SD:*" for SD, without the
		// opening quote; the command is sent as intended.
		p.cmd(`AT+QFLST="`+drive+`:*"`, `+QFLST: "`+local+`",1000`, "OK")
		p.cmd(`AT+QFTPPUT="test_my1.txt","`+local+`",0`, "OK", "+QFTPPUT: 0,1000")
		require.Equal(t, uplData(), readFile(t, s, "test_my1.txt"))
	}
	p.cmd(`AT+QFTPLEN`, "OK", "+QFTPLEN: 0,1000")
	p.cmd(`AT+QFTPSIZE="test_my1.txt"`, "OK", "+QFTPSIZE: 0,1000")
	p.cmd(`AT+QFDEL="RAM:test_ram.txt"`, "OK")
	p.cmd(`AT+QFLST="RAM:*"`, "OK")
}

// Section 3.7: downloads to COM: and to RAM, UFS and SD.
func TestQuectelExample3_7Downloads(t *testing.T) {
	p, s := quectelSession(t)
	my, test, my1 := pattern(1000, 6), pattern(1000, 7), pattern(1000, 8)
	writeFile(t, s, "test_my.txt", my)
	writeFile(t, s, "test.txt", test)
	writeFile(t, s, "test_my1.txt", my1)
	login(t, p, s, "0")
	p.cmd(`AT+QFTPCWD="/"`, "OK", "+QFTPCWD: 0,0")

	// Scheme 1: through COM:.
	p.cmd(`AT+QFTPGET="test_my.txt","COM:"`, "CONNECT")
	require.Equal(t, my, p.raw(1000))
	p.expect("OK", "+QFTPGET: 0,1000")
	p.cmd(`AT+QFTPGET="test.txt","COM:",0,500`, "CONNECT")
	require.Equal(t, test[:500], p.raw(500))
	p.expect("OK", "+QFTPGET: 0,500")
	p.cmd(`AT+QFTPGET="test.txt","COM:",500,500`, "CONNECT")
	require.Equal(t, test[500:], p.raw(500))
	p.expect("OK", "+QFTPGET: 0,500")

	// Schemes 2 to 4: to RAM, UFS and SD, whole and from position 450.
	// The document lists these files unquoted ("+QFLST: RAM:test.txt,1000")
	// where its chapter 2 quotes them; names are quoted throughout.
	for _, drive := range []string{"RAM", "UFS", "SD"} {
		p.cmd(`AT+QFTPGET="test_my1.txt","`+drive+`:test.txt"`, "OK", "+QFTPGET: 0,1000")
		p.cmd(`AT+QFLST="`+drive+`:*"`, `+QFLST: "`+drive+`:test.txt",1000`, "OK")
		p.cmd(`AT+QFTPGET="test_my1.txt","`+drive+`:test1.txt",450`, "OK", "+QFTPGET: 0,550")
	}
	p.cmd(`AT+QFTPLEN`, "OK", "+QFTPLEN: 0,550")
	p.cmd(`AT+QFLST="RAM:*"`, `+QFLST: "RAM:test.txt",1000`, `+QFLST: "RAM:test1.txt",550`, "OK")

	// The local files hold what was downloaded.
	p.cmd(`AT+QFOPEN="SD:test1.txt",2`, "+QFOPEN: <N>", "OK")
	p.cmd(`AT+QFREAD=1,600`, "CONNECT 550")
	require.Equal(t, my1[450:], p.raw(550))
	p.expect("OK")
	p.cmd(`AT+QFCLOSE=1`, "OK")
}

// Section 3.8: closing.
func TestQuectelExample3_8Close(t *testing.T) {
	p, s := quectelSession(t)
	login(t, p, s, "1")
	p.cmd(`AT+QFTPCLOSE`, "OK", "+QFTPCLOSE: 0,0")
	p.cmd(`AT+QIDEACT=1`, "OK")
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,4", "OK")
	p.cmd(`AT+QIACT?`, "OK")
	// A closed session answers no more FTP commands.
	p.cmd(`AT+QFTPCWD="/"`, "+CME ERROR: 625")
}

// The examples of chapter 2 (sections 2.5, 2.6, 2.11-2.13).
func TestQuectelChapter2Examples(t *testing.T) {
	p, s := quectelSession(t)
	writeFile(t, s, "TESTDIR/x.txt", pattern(5, 0))
	login(t, p, s, "0")

	// 2.5: the whole file through COM:, ended with +++.
	data := pattern(1000, 9)
	p.cmd(`AT+QFTPPUT="test.txt","COM:",0`, "CONNECT")
	p.sendBytes(data)
	p.escape()
	p.expect("OK", "+QFTPPUT: 0,1000")
	// 2.5: two packets of 1024 bytes.
	a, b := pattern(1024, 10), pattern(1024, 11)
	p.cmd(`AT+QFTPPUT="test.txt","COM:",0,1024,0`, "CONNECT")
	p.sendBytes(a)
	p.expect("OK", "+QFTPPUT: 0,1024")
	p.cmd(`AT+QFTPPUT="test.txt","COM:",1024,1024,1`, "CONNECT")
	p.sendBytes(b)
	p.expect("OK", "+QFTPPUT: 0,1024")
	// 2.5: through RAM.
	p.cmd(`AT+QFUPL="RAM:test1.txt",1000,300,1`, "CONNECT")
	p.sendBytes(uplData())
	p.expect("+QFUPL: 1000,707", "OK")
	p.cmd(`AT+QFLST="RAM:*"`, `+QFLST: "RAM:test1.txt",1000`, "OK")
	p.cmd(`AT+QFTPPUT="test.txt","RAM:test1.txt",0`, "OK", "+QFTPPUT: 0,1000")
	p.cmd(`AT+QFDEL="RAM:test1.txt"`, "OK")
	require.Equal(t, uplData(), readFile(t, s, "test.txt"))

	// 2.6: downloads.
	p.cmd(`AT+QFTPGET="test.txt","COM:",0`, "CONNECT")
	require.Equal(t, uplData(), p.raw(1000))
	p.expect("OK", "+QFTPGET: 0,1000")
	p.cmd(`AT+QFTPGET="test.txt","COM:",0,500`, "CONNECT")
	require.Equal(t, uplData()[:500], p.raw(500))
	p.expect("OK", "+QFTPGET: 0,500")
	p.cmd(`AT+QFTPGET="test.txt","COM:",500,500`, "CONNECT")
	require.Equal(t, uplData()[500:], p.raw(500))
	p.expect("OK", "+QFTPGET: 0,500")
	p.cmd(`AT+QFTPGET="test.txt","RAM:test2.txt",0`, "OK", "+QFTPGET: 0,1000")
	p.cmd(`AT+QFLST="RAM:*"`, `+QFLST: "RAM:test2.txt",1000`, "OK")
	p.cmd(`AT+QFDEL="RAM:test2.txt"`, "OK")

	// 2.11-2.13: listings of TESTDIR into RAM.
	for _, c := range []string{"+QFTPLIST", "+QFTPNLST", "+QFTPMLSD"} {
		got := p.cmd(`AT`+c+`="TESTDIR","RAM:test2.txt"`, "OK", c+": 0,<N>")
		p.cmd(`AT+QFLST="RAM:*"`, `+QFLST: "RAM:test2.txt",`+strconv.Itoa(num(t, got[1])), "OK")
		p.cmd(`AT+QFDEL="RAM:test2.txt"`, "OK")
	}
}

// FTPS: section 3.2 logs in to an implicit FTPS server (ssltype 1); the
// document's SSL context accepts any certificate (seclevel 0).
func TestQuectelFTPSExample3_2Implicit(t *testing.T) {
	tc, _, _ := selfSigned(t)
	s := server(t, embedded.Options{TLS: tc, TLSRequired: ftpserver.ImplicitEncryption})
	writeFile(t, s, "secret.txt", pattern(100, 0))
	p := startModem(t, Quectel, Options{NoEcho: true})
	host, pt := hostPort(s.Addr)
	p.cmd(`AT+QICSGP=1,1,"UNINET","","",1`, "OK")
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QIACT?`, `+QIACT: 1,1,1,"<IP>"`, "OK")
	p.cmd(`AT+QFTPCFG="contextid",1`, "OK")
	p.cmd(`AT+QFTPCFG="account","test","test"`, "OK")
	p.cmd(`AT+QFTPCFG="filetype",1`, "OK")
	p.cmd(`AT+QFTPCFG="transmode",1`, "OK")
	p.cmd(`AT+QFTPCFG="rsptimeout",90`, "OK")
	p.cmd(`AT+QFTPCFG="ssltype",1`, "OK")
	p.cmd(`AT+QFTPCFG="SSL_ctxID",1`, "OK")
	p.cmd(`AT+QSSLCFG="ciphersuite",1,0xffff`, "OK")
	p.cmd(`AT+QSSLCFG="seclevel",1,0`, "OK")
	p.cmd(`AT+QSSLCFG="sslversion",1,1`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 0,0")
	// Data connections are protected too.
	p.cmd(`AT+QFTPGET="secret.txt","COM:"`, "CONNECT")
	require.Equal(t, pattern(100, 0), p.raw(100))
	p.expect("OK", "+QFTPGET: 0,100")
	p.cmd(`AT+QFTPCLOSE`, "OK", "+QFTPCLOSE: 0,0")
}

// FTPS with AUTH TLS (ssltype 2), verifying the server against a CA
// certificate uploaded to UFS (seclevel 1).
func TestQuectelFTPSExplicitVerified(t *testing.T) {
	tc, _, caPEM := selfSigned(t)
	s := server(t, embedded.Options{TLS: tc, TLSRequired: ftpserver.MandatoryEncryption})
	p := startModem(t, Quectel, Options{NoEcho: true})
	host, pt := hostPort(s.Addr)
	p.cmd(`AT+QFUPL="UFS:ca.pem",`+strconv.Itoa(len(caPEM)), "CONNECT")
	p.sendBytes(caPEM)
	p.expect("+QFUPL: <N>,<HEX>", "OK")
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPCFG="account","test","test"`, "OK")
	p.cmd(`AT+QFTPCFG="ssltype",2`, "OK")
	p.cmd(`AT+QFTPCFG="SSL_ctxID",2`, "OK")
	p.cmd(`AT+QSSLCFG="seclevel",2,1`, "OK")
	p.cmd(`AT+QSSLCFG="cacert",2,"UFS:ca.pem"`, "OK")
	p.cmd(`AT+QSSLCFG="cacert",2`, `+QSSLCFG: "cacert",2,"UFS:ca.pem"`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 0,0")
	p.cmd(`AT+QFTPMKDIR="sec"`, "OK", "+QFTPMKDIR: 0,0")
	p.cmd(`AT+QFTPCLOSE`, "OK", "+QFTPCLOSE: 0,0")
}

// FTPS failures: a certificate that is not trusted, and a server without
// TLS, give 631.
func TestQuectelFTPSErrors(t *testing.T) {
	tc, _, _ := selfSigned(t)
	s := server(t, embedded.Options{TLS: tc})
	plain := server(t, embedded.Options{})
	p := startModem(t, Quectel, Options{NoEcho: true})
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPCFG="account","test","test"`, "OK")
	p.cmd(`AT+QFTPCFG="ssltype",2`, "OK")
	host, pt := hostPort(s.Addr)
	// seclevel 1 without a CA: the self-signed certificate is refused.
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 631,0")
	// A server that refuses AUTH TLS.
	host, pt = hostPort(plain.Addr)
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 631,<N>")
	// Implicit TLS against a plain server.
	p.cmd(`AT+QFTPCFG="ssltype",1`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: <N>,0")
}

// ---------------------------------------------------------------------------
// Error transcripts.

func TestQuectelErrorWrongPassword(t *testing.T) {
	p, s := quectelSession(t)
	host, pt := hostPort(s.Addr)
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPCFG="account","test","wrong"`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 625,530")
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,4", "OK")
}

func TestQuectelErrorMissingFile(t *testing.T) {
	p, s := quectelSession(t)
	login(t, p, s, "0")
	p.cmd(`AT+QFTPSIZE="nope.txt"`, "OK", "+QFTPSIZE: 627,550")
	// Through COM: there is no CONNECT: the failure is the answer.
	p.cmd(`AT+QFTPGET="nope.txt","COM:"`, "+QFTPGET: 627,550")
	p.cmd(`AT+QFTPGET="nope.txt","RAM:x.txt"`, "OK", "+QFTPGET: 627,550")
	p.cmd(`AT+QFTPDEL="nope.txt"`, "OK", "+QFTPDEL: 627,550")
	p.cmd(`AT+QFTPCWD="nodir"`, "OK", "+QFTPCWD: 627,550")
	p.cmd(`AT+QFLST="RAM:*"`, "OK")
	// The session is still good.
	p.cmd(`AT+QFTPPWD`, "OK", `+QFTPPWD: 0,"/"`)
	// A local file that is not there.
	p.cmd(`AT+QFTPPUT="a.txt","RAM:none.txt",0`, "+CME ERROR: 611")
}

func TestQuectelErrorUnresolvableHost(t *testing.T) {
	p := startModem(t, Quectel, Options{NoEcho: true, Second: 20 * time.Millisecond})
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPOPEN="nonexistent.invalid",21`, "OK", "+QFTPOPEN: 604,0")
}

func TestQuectelErrorServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, pt := hostPort(l.Addr().String())
	l.Close()
	p := startModem(t, Quectel, Options{NoEcho: true})
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPOPEN="127.0.0.1",`+pt, "OK", "+QFTPOPEN: 605,0")
}

// A server that stops answering: at login, and in the middle of a session.
// rsptimeout is 20 "seconds" of 25 ms.
func TestQuectelErrorServerStopsAnswering(t *testing.T) {
	mute := startFake(t, "220 hello", func(string) []string { return nil })
	_, mpt := hostPort(mute.l.Addr().String())
	later := startFake(t, "220 hello", func(line string) []string {
		switch {
		case strings.HasPrefix(line, "USER"):
			return []string{"331 password"}
		case strings.HasPrefix(line, "PASS"):
			return []string{"230 in"}
		}
		return nil
	})
	_, lpt := hostPort(later.l.Addr().String())
	p := startModem(t, Quectel, Options{NoEcho: true, Second: 25 * time.Millisecond})
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPCFG="rsptimeout",20`, "OK")
	start := time.Now()
	p.cmd(`AT+QFTPOPEN="127.0.0.1",`+mpt, "OK", "+QFTPOPEN: 609,0")
	require.Less(t, time.Since(start), 5*time.Second)
	p.cmd(`AT+QFTPOPEN="127.0.0.1",`+lpt, "OK", "+QFTPOPEN: 0,0")
	p.cmd(`AT+QFTPCWD="/x"`, "OK", "+QFTPCWD: 609,0")
	// The client gave the connection up: the session answers 606 now.
	p.cmd(`AT+QFTPCWD="/x"`, "OK", "+QFTPCWD: 606,0")
	p.cmd(`AT+QFTPCLOSE`, "OK", "+QFTPCLOSE: 0,0")
}

// A context that is not active: AT+QFTPCFG="contextid" refuses it, and
// AT+QFTPOPEN cannot resolve a name or reach an address without it.
func TestQuectelErrorContextNotActive(t *testing.T) {
	p, s := quectelSession(t)
	host, pt := hostPort(s.Addr)
	p.cmd(`AT+QFTPCFG="contextid",2`, "+CME ERROR: 605")
	p.cmd(`AT+QFTPCFG="contextid"`, `+QFTPCFG: "contextid",1`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 605,0")
	p.cmd(`AT+QFTPOPEN="localhost",`+pt, "OK", "+QFTPOPEN: 604,0")
	p.cmd(`AT+QIACT=2`, "OK")
	p.cmd(`AT+QFTPCFG="contextid",2`, "OK")
	p.cmd(`AT+QFTPCFG="account","test","test"`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 0,0")
	// Deactivating the context ends the session.
	p.cmd(`AT+QIDEACT=2`, "OK")
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,4", "OK")
}

// ---------------------------------------------------------------------------
// Forms, limits and settings.

// The test form of every command answers with the documented text.
func TestQuectelTestForms(t *testing.T) {
	p := startModem(t, Quectel, Options{NoEcho: true})
	p.cmd(`AT+QFTPCFG=?`, append(append([]string(nil), cfgTest...), "OK")...)
	for _, c := range []struct{ cmd, line string }{
		{"+QFTPOPEN", "+QFTPOPEN: <hostname>,<port>"},
		{"+QFTPCWD", "+QFTPCWD: <path_name>"},
		{"+QFTPPUT", "+QFTPPUT: <file_name>,<local_name>,<startpos>,<uploadlen>,<beof>"},
		{"+QFTPGET", "+QFTPGET: <file_name>,<local_name>,<startpos>,<downloadlen>"},
		{"+QFTPSIZE", "+QFTPSIZE: <file_name>"},
		{"+QFTPDEL", "+QFTPDEL: <file_name>"},
		{"+QFTPMKDIR", "+QFTPMKDIR: <folder_name>"},
		{"+QFTPRMDIR", "+QFTPRMDIR: <folder_name>"},
		{"+QFTPLIST", "+QFTPLIST: <dirname>,<local_name>"},
		{"+QFTPNLST", "+QFTPNLST: <dirname>,<local_name>"},
		{"+QFTPMLSD", "+QFTPMLSD: <dirname>,<local_name>"},
		{"+QFTPMDTM", "+QFTPMDTM: <file_name>"},
		{"+QFTPRENAME", "+QFTPRENAME: <old_name>,<new_name>"},
	} {
		p.cmd("AT"+c.cmd+"=?", c.line, "OK")
	}
	for _, c := range []string{"+QFTPPWD", "+QFTPLEN", "+QFTPSTAT", "+QFTPCLOSE"} {
		p.cmd("AT"+c+"=?", "OK")
	}
	// Forms a command does not have.
	p.cmd(`AT+QFTPCFG`, "ERROR")
	p.cmd(`AT+QFTPCFG?`, "ERROR")
	p.cmd(`AT+QFTPPWD="x"`, "ERROR")
	p.cmd(`AT+QFTPOPEN`, "ERROR")
}

// AT+QFTPCFG: every parameter is set and queried; out-of-range values are
// refused.
func TestQuectelConfig(t *testing.T) {
	p := startModem(t, Quectel, Options{NoEcho: true})
	for _, c := range []struct{ set, query string }{
		{`"account","user","pa,ss"`, `+QFTPCFG: "account","user","pa,ss"`},
		{`"filetype",1`, `+QFTPCFG: "filetype",1`},
		{`"transmode",0`, `+QFTPCFG: "transmode",0`},
		{`"rsptimeout",20`, `+QFTPCFG: "rsptimeout",20`},
		{`"rsptimeout",180`, `+QFTPCFG: "rsptimeout",180`},
		{`"ssltype",2`, `+QFTPCFG: "ssltype",2`},
		{`"SSL_ctxID",5`, `+QFTPCFG: "SSL_ctxID",5`},
		{`"data_address",0`, `+QFTPCFG: "data_address",0`},
		{`"data_address",2`, `+QFTPCFG: "data_address",2,25`},
		{`"data_address",2,50`, `+QFTPCFG: "data_address",2,50`},
		{`"cache",2`, `+QFTPCFG: "cache",2`},
	} {
		name, _, _ := strings.Cut(c.set, ",")
		p.cmd(`AT+QFTPCFG=`+c.set, "OK")
		p.cmd(`AT+QFTPCFG=`+name, c.query, "OK")
	}
	long := strings.Repeat("u", 255)
	p.cmd(`AT+QFTPCFG="account","`+long+`","`+long+`"`, "OK")
	for _, bad := range []string{
		`"account","` + long + `u","p"`,
		`"account","u","` + long + `p"`,
		`"account","u"`,
		`"filetype",2`, `"transmode",2`, `"transmode",-1`,
		`"rsptimeout",19`, `"rsptimeout",181`, `"rsptimeout","90"`,
		`"ssltype",3`, `"SSL_ctxID",6`,
		`"data_address",3`, `"data_address",2,14`, `"data_address",2,51`,
		`"cache",3`, `"contextid",0`, `"contextid",16`, `"nosuch",1`,
	} {
		p.cmd(`AT+QFTPCFG=`+bad, "ERROR")
	}
}

func TestQuectelLimits(t *testing.T) {
	p, s := quectelSession(t)
	login(t, p, s, "0")
	name255 := strings.Repeat("n", 255)
	p.cmd(`AT+QFTPCWD="`+strings.Repeat("d", 129)+`"`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPCWD="`+strings.Repeat("d", 128)+`"`, "OK", "+QFTPCWD: 627,550")
	p.cmd(`AT+QFTPSIZE="`+name255+`n"`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPMKDIR="`+name255+`n"`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPRENAME="a","`+name255+`n"`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPGET="a","COM:",-1`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPPUT="a","COM:",0,10`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPPUT="a","COM:",0,10,2`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPPUT="a","RAM:x",0,10,1`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPPUT="a","NVM:x",0`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPOPEN="h",1`, "+CME ERROR: 603") // a session is open
	p.cmd(`AT+QFTPCLOSE`, "OK", "+QFTPCLOSE: 0,0")
	p.cmd(`AT+QFTPOPEN="`+strings.Repeat("h", 256)+`",21`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPOPEN="h",0`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPOPEN="h",65536`, "+CME ERROR: 610")
	p.cmd(`AT+QFTPOPEN="",21`, "+CME ERROR: 610")
}

// logBuffer collects the client's debug log of the control dialogue.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}

// The settings drive the client: filetype is TYPE, transmode passive or
// active, <startpos> REST; a change of transmode applies at once, through a
// new login.
func TestQuectelSettingsDriveClient(t *testing.T) {
	s := server(t, embedded.Options{})
	writeFile(t, s, "f.txt", pattern(1000, 0))
	var log logBuffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := startModem(t, Quectel, Options{NoEcho: true, Logger: logger})
	login(t, p, s, "1")
	p.cmd(`AT+QFTPGET="f.txt","RAM:a"`, "OK", "+QFTPGET: 0,1000")
	require.Contains(t, log.String(), `send="TYPE A"`)
	require.Regexp(t, `send=(EPSV|PASV)`, log.String())

	p.cmd(`AT+QFTPCFG="filetype",0`, "OK")
	p.cmd(`AT+QFTPCFG="transmode",0`, "OK")
	log.reset()
	p.cmd(`AT+QFTPGET="f.txt","COM:",500`, "CONNECT")
	require.Equal(t, pattern(1000, 0)[500:], p.raw(500))
	p.expect("OK", "+QFTPGET: 0,500")
	require.Equal(t, 2, s.Clients(), "a new login for the new transmode")
	require.Contains(t, log.String(), `send="TYPE I"`)
	require.Contains(t, log.String(), `send="REST 500"`)
	require.Regexp(t, `send="(EPRT|PORT) `, log.String())
	// REST right before RETR (RFC 959), after EPRT/PORT: BSD-derived
	// servers forget the restart point on any other command.
	require.Regexp(t, `send="(EPRT|PORT) [^\n]*\n(.*\n)*.*send="REST 500"[^\n]*\n(.*reply[^\n]*\n)*.*send="RETR f.txt"`, log.String())
	require.NotRegexp(t, `send=(EPSV|PASV)`, log.String())
	// The working directory survives the new login.
	p.cmd(`AT+QFTPMKDIR="sub"`, "OK", "+QFTPMKDIR: 0,0")
	p.cmd(`AT+QFTPCWD="sub"`, "OK", "+QFTPCWD: 0,0")
	p.cmd(`AT+QFTPCFG="rsptimeout",30`, "OK")
	p.cmd(`AT+QFTPPWD`, "OK", `+QFTPPWD: 0,"/sub"`)
	require.Equal(t, 3, s.Clients())
}

// "+++" ends data mode only with its guard times: inside the data, or
// followed by more data, it is data.
func TestQuectelEscapeGuard(t *testing.T) {
	p, s := quectelSession(t)
	login(t, p, s, "0")
	p.cmd(`AT+QFTPPUT="g.txt","COM:",0`, "CONNECT")
	var want []byte
	send := func(b string) {
		p.send(b)
		want = append(want, b...)
	}
	send("abc+++def")         // no silence before
	time.Sleep(2 * testGuard) //
	send("+++xyz")            // silence before, data right after
	time.Sleep(2 * testGuard) //
	send("++")                // two only, then silence
	time.Sleep(3 * testGuard) //
	send("+")                 // silence before, but the "+++" is not complete
	time.Sleep(10 * time.Millisecond)
	send("++")
	send("+")              // a fourth '+'
	p.quiet(3 * testGuard) // still in data mode: no OK
	p.escape()
	p.expect("OK", "+QFTPPUT: 0,"+strconv.Itoa(len(want)))
	require.Equal(t, string(want), string(readFile(t, s, "g.txt")))
}

// In data mode, rsptimeout is the longest silence between two packets.
func TestQuectelUploadIdle(t *testing.T) {
	s := server(t, embedded.Options{})
	p := startModem(t, Quectel, Options{NoEcho: true, Second: 10 * time.Millisecond})
	login(t, p, s, "0")
	p.cmd(`AT+QFTPCFG="rsptimeout",20`, "OK")
	p.cmd(`AT+QFTPPUT="idle.txt","COM:",0`, "CONNECT")
	p.send("partial")
	p.expect("OK", "+QFTPPUT: 609,0")
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,1", "OK")
}

// A chunked upload holds the session until its last packet.
func TestQuectelChunkedUploadHoldsSession(t *testing.T) {
	p, s := quectelSession(t)
	login(t, p, s, "0")
	p.cmd(`AT+QFTPPUT="c.txt","COM:",0,4,0`, "CONNECT")
	p.send("abcdAT")
	p.expect("OK", "+QFTPPUT: 0,4")
	// Bytes after <uploadlen> are command text again.
	p.cmd(``, "OK")
	p.cmd(`AT+QFTPSIZE="c.txt"`, "+CME ERROR: 603")
	p.cmd(`AT+QFTPPUT="other.txt","COM:",0`, "+CME ERROR: 603")
	p.cmd(`AT+QFTPPUT="c.txt","COM:",5,4,1`, "+CME ERROR: 612")
	p.cmd(`AT+QFTPPUT="c.txt","COM:",4,4,0`, "CONNECT")
	p.send("efgh")
	p.expect("OK", "+QFTPPUT: 0,4")
	p.cmd(`AT+QFTPLEN`, "OK", "+QFTPLEN: 0,4")
	// Closing completes what was sent.
	p.cmd(`AT+QFTPCLOSE`, "OK", "+QFTPCLOSE: 0,0")
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(filepath.Join(s.Root, "c.txt"))
		return err == nil && string(b) == "abcdefgh"
	}, 5*time.Second, 10*time.Millisecond)
}

// "+++" pauses a download; ATO resumes it; AT+QFTPLEN tells how far it got.
func TestQuectelPauseAndResume(t *testing.T) {
	const chunks, size = 60, 100
	f := startFakeFTP(t, "127.0.0.1", func(w io.Writer) error {
		for i := range chunks {
			if _, err := w.Write(pattern(size, byte(i))); err != nil {
				return err
			}
			time.Sleep(15 * time.Millisecond)
		}
		return nil
	})
	p := startModem(t, Quectel, Options{NoEcho: true})
	_, pt := hostPort(f.l.Addr().String())
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPOPEN="127.0.0.1",`+pt, "OK", "+QFTPOPEN: 0,0")
	p.cmd(`AT+QFTPGET="slow.bin","COM:"`, "CONNECT")
	var want []byte
	for i := range chunks {
		want = append(want, pattern(size, byte(i))...)
	}
	first := p.raw(size)
	time.Sleep(2 * testGuard)
	p.send("+++")
	// Data goes on until the escape is certain, then OK.
	got := append(first, p.take("data up to OK", func(b []byte) int {
		i := bytes.Index(b, []byte("\r\nOK\r\n"))
		if i < 0 {
			return -1
		}
		return i
	})...)
	p.expect("OK")
	require.Less(t, len(got), len(want), "paused before the end")
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,2", "OK")
	p.cmd(`AT+QFTPLEN`, "OK", "+QFTPLEN: 0,"+strconv.Itoa(len(got)))
	p.cmd(`AT+QFTPSIZE="x"`, "+CME ERROR: 603")
	p.cmd(`ATO`, "CONNECT")
	rest := p.raw(len(want) - len(got))
	p.expect("OK", "+QFTPGET: 0,"+strconv.Itoa(len(want)))
	require.Equal(t, want, append(got, rest...))
	p.cmd(`ATO`, "ERROR")
}

// data_address chooses where a passive data connection goes when the PASV
// reply names another address than the control connection's peer: here
// the server says 127.0.0.2, where its data listener is, while the control
// connection is on 127.0.0.1.
func TestQuectelDataAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("no 127.0.0.2 on this host:", err)
	}
	l.Close()
	f := startFakeFTP(t, "127.0.0.2", nil)
	_, pt := hostPort(f.l.Addr().String())
	p := startModem(t, Quectel, Options{NoEcho: true})
	p.cmd(`AT+QIACT=1`, "OK")
	for _, c := range []struct{ addr, want string }{
		{"0", "+QFTPGET: 0,5"},   // the server's address
		{"1", "+QFTPGET: 615,0"}, // the control peer: nothing listens there
		{"2", "+QFTPGET: 0,5"},   // the control peer, then the server's address
	} {
		p.cmd(`AT+QFTPCFG="data_address",`+c.addr, "OK")
		p.cmd(`AT+QFTPOPEN="127.0.0.1",`+pt, "OK", "+QFTPOPEN: 0,0")
		p.cmd(`AT+QFTPGET="f","RAM:f"`, "OK", c.want)
		p.cmd(`AT+QFTPCLOSE`, "OK", "+QFTPCLOSE: 0,0")
	}
	p.cmd(`AT+QFREAD=1`, "+CME ERROR: 416")
	p.cmd(`AT+QFOPEN="RAM:f",2`, "+QFOPEN: 1", "OK")
	p.cmd(`AT+QFREAD=1`, "CONNECT 5")
	require.Equal(t, "hello", string(p.raw(5)))
	p.expect("OK")
}

// The local file commands: AT+QFUPL refuses an existing name and stops at
// its timeout; AT+QFDEL takes patterns; AT+QFOPEN modes.
func TestQuectelLocalFiles(t *testing.T) {
	p := startModem(t, Quectel, Options{NoEcho: true, Second: 10 * time.Millisecond})
	p.cmd(`AT+QFUPL="RAM:a.txt",3,300`, "CONNECT")
	p.send("xyz")
	p.expect("+QFUPL: 3,<HEX>", "OK")
	p.cmd(`AT+QFUPL="RAM:a.txt",3`, "+CME ERROR: 407")
	p.cmd(`AT+QFUPL="b.txt",10,5`, "CONNECT") // no drive: UFS; 5 "seconds"
	p.send("12")
	p.expect("+QFUPL: 2,3132", "OK")
	p.cmd(`AT+QFLST`, `+QFLST: "UFS:b.txt",2`, "OK")
	p.cmd(`AT+QFLST="*"`, `+QFLST: "UFS:b.txt",2`, "OK")
	p.cmd(`AT+QFUPL="RAM:big",2048,300,1`, "CONNECT")
	p.sendBytes(pattern(1024, 0))
	require.Equal(t, "A", string(p.raw(1)), "ACK mode: A after each 1024 bytes")
	p.sendBytes(pattern(1024, 1))
	p.expect("+QFUPL: 2048,<HEX>", "OK")
	p.cmd(`AT+QFOPEN="RAM:new",1`, "+QFOPEN: 1", "OK")
	p.cmd(`AT+QFREAD=1`, "CONNECT 0")
	p.expect("OK")
	p.cmd(`AT+QFOPEN="RAM:none",2`, "+CME ERROR: 405")
	p.cmd(`AT+QFDEL="RAM:*"`, "OK")
	p.cmd(`AT+QFLST="RAM:*"`, "OK")
	p.cmd(`AT+QFDEL="RAM:*"`, "+CME ERROR: 405")
	p.cmd(`AT+QFDEL="UFS:b.txt"`, "OK")
	p.cmd(`AT+QFUPL="NVM:x",1`, "+CME ERROR: 400")
}

func TestChecksum(t *testing.T) {
	require.Equal(t, uint16(0x707), checksum(uplData()))
	require.Equal(t, uint16(0x3132), checksum([]byte("12")))
	require.Equal(t, uint16(0x3100), checksum([]byte("1")))
	require.Equal(t, uint16(0), checksum(nil))
}

func TestQuectelPDPContexts(t *testing.T) {
	p := startModem(t, Quectel, Options{NoEcho: true, BearerIP: "10.1.2.3"})
	p.cmd(`AT+QICSGP=?`, `+QICSGP: (1-15),(1-3),<APN>,<username>,<password>,(0-3)`, "OK")
	p.cmd(`AT+QICSGP=2`, `+QICSGP: 1,"","","",0`, "OK")
	p.cmd(`AT+QICSGP=2,3,"apn.example","u","p",2`, "OK")
	p.cmd(`AT+QICSGP=2`, `+QICSGP: 3,"apn.example","u","p",2`, "OK")
	p.cmd(`AT+QICSGP=2,4,"x"`, "ERROR")
	p.cmd(`AT+QICSGP=16,1,"x"`, "ERROR")
	p.cmd(`AT+QICSGP=2,1,"x","u"`, "ERROR")
	p.cmd(`AT+QIACT=?`, "+QIACT: (1-15)", "OK")
	p.cmd(`AT+QIDEACT=?`, "+QIDEACT: (1-15)", "OK")
	p.cmd(`AT+QIACT=2`, "OK")
	p.cmd(`AT+QIACT=15`, "OK")
	p.cmd(`AT+QIACT?`, `+QIACT: 2,1,3,"10.1.2.3"`, `+QIACT: 15,1,1,"10.1.2.3"`, "OK")
	p.cmd(`AT+QIDEACT=2`, "OK")
	p.cmd(`AT+QIACT?`, `+QIACT: 15,1,1,"10.1.2.3"`, "OK")
	p.cmd(`AT+QIACT=0`, "ERROR")
	p.cmd(`AT+QIDEACT=16`, "ERROR")
}

// AT+QSSLCFG settings become the session's tls.Config.
func TestQuectelSSLConfig(t *testing.T) {
	_, pool, caPEM := selfSigned(t)
	m := New(Quectel, Options{TLSConfig: &tls.Config{ServerName: "base"}})
	p := servePort(t, m)
	p.cmd(`ATE0`, "ATE0", "OK")
	p.cmd(`AT+QSSLCFG=?`, `+QSSLCFG: "sslversion",(0-5),(0-4)`, "<any>", `+QSSLCFG: "seclevel",(0-5),(0-2)`,
		`+QSSLCFG: "cacert",(0-5),<cacertpath>`, `+QSSLCFG: "clientcert",(0-5),<client_cert_path>`,
		`+QSSLCFG: "clientkey",(0-5),<client_key_path>`, "OK")
	p.cmd(`AT+QSSLCFG="sslversion",3`, `+QSSLCFG: "sslversion",3,4`, "OK")
	p.cmd(`AT+QSSLCFG="seclevel",3`, `+QSSLCFG: "seclevel",3,1`, "OK")
	p.cmd(`AT+QSSLCFG="ciphersuite",3`, `+QSSLCFG: "ciphersuite",3,0XFFFF`, "OK")
	p.cmd(`AT+QSSLCFG="sslversion",3,3`, "OK")
	p.cmd(`AT+QSSLCFG="ciphersuite",3,0XC02F`, "OK")
	p.cmd(`AT+QSSLCFG="ciphersuite",3`, `+QSSLCFG: "ciphersuite",3,0XC02F`, "OK")
	p.cmd(`AT+QSSLCFG="seclevel",3,2`, "OK")
	p.cmd(`AT+QSSLCFG="cacert",3,"UFS:ca.pem"`, "OK")
	p.cmd(`AT+QFTPCFG="SSL_ctxID",3`, "OK")
	p.cmd(`AT+QSSLCFG="seclevel",6,1`, "ERROR")
	p.cmd(`AT+QSSLCFG="sslversion",3,5`, "ERROR")
	p.cmd(`AT+QSSLCFG="ciphersuite",3,zz`, "ERROR")
	p.cmd(`AT+QSSLCFG="nosuch",3,1`, "ERROR")
	p.cmd(`AT+QSSLCFG="seclevel",3,1,2`, "ERROR")
	p.cmd(`AT+QSSLCFG?`, "ERROR")

	// The CA file is not there yet.
	_, err := m.q.tlsConfig()
	require.ErrorIs(t, err, errLocalNotFound)
	m.q.files.put("UFS:ca.pem", []byte("not a certificate"))
	_, err = m.q.tlsConfig()
	require.ErrorIs(t, err, errLocalFile)
	m.q.files.put("UFS:ca.pem", caPEM)
	tc, err := m.q.tlsConfig()
	require.NoError(t, err)
	require.Equal(t, "base", tc.ServerName)
	require.False(t, tc.InsecureSkipVerify)
	require.True(t, tc.RootCAs.Equal(pool))
	require.Equal(t, uint16(tls.VersionTLS12), tc.MaxVersion)
	require.Equal(t, []uint16{0xC02F}, tc.CipherSuites)
	require.Empty(t, tc.Certificates, "no client certificate configured")
	require.Nil(t, m.opts.TLSConfig.RootCAs, "the base config is not changed")

	// seclevel 0 skips verification, as the document's example asks.
	p.cmd(`AT+QSSLCFG="seclevel",3,0`, "OK")
	tc, err = m.q.tlsConfig()
	require.NoError(t, err)
	require.True(t, tc.InsecureSkipVerify)
}

// AT+QFTPCLOSE ends a paused download.
func TestQuectelCloseWhilePaused(t *testing.T) {
	stopData := make(chan struct{})
	f := startFakeFTP(t, "127.0.0.1", func(w io.Writer) error {
		w.Write(pattern(10, 0))
		// Nothing more, until the client closes the data connection.
		go func() { <-stopData; w.(io.Closer).Close() }()
		io.Copy(io.Discard, w.(io.Reader))
		return errTest
	})
	defer close(stopData)
	p := startModem(t, Quectel, Options{NoEcho: true})
	_, pt := hostPort(f.l.Addr().String())
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPOPEN="127.0.0.1",`+pt, "OK", "+QFTPOPEN: 0,0")
	p.cmd(`AT+QFTPGET="f","COM:"`, "CONNECT")
	require.Equal(t, pattern(10, 0), p.raw(10))
	p.escape()
	p.expect("OK")
	p.cmd(`ATO1`, "ERROR")
	p.cmd(`AT+QFTPLEN`, "OK", "+QFTPLEN: 0,10")
	p.cmd(`AT+QFTPCLOSE`, "OK", "+QFTPCLOSE: 0,0")
	p.cmd(`AT+QFTPSTAT`, "+QFTPSTAT: 0,4", "OK")
	p.cmd(`ATO`, "ERROR")
}
