package atbridge

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/require"
)

// testGuard is the "+++" guard time in tests: short, but long enough that
// scheduling noise does not turn a pause into no pause.
const testGuard = 60 * time.Millisecond

// port is the host side of a Modem under test: what the test writes goes
// to the modem, what the modem writes is buffered for the expectations.
type port struct {
	t    *testing.T
	in   *io.PipeWriter
	mu   sync.Mutex
	buf  []byte
	eof  bool
	more chan struct{}
	done chan error
	m    *Modem
}

// startModem serves a new Modem on pipes. Echo is off unless opts say
// otherwise through a test of their own.
func startModem(t *testing.T, d Dialect, opts Options) *port {
	t.Helper()
	if opts.EscapeGuard == 0 {
		opts.EscapeGuard = testGuard
	}
	return servePort(t, New(d, opts))
}

func servePort(t *testing.T, m *Modem) *port {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &port{t: t, in: inW, more: make(chan struct{}, 1), done: make(chan error, 1), m: m}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		err := m.Serve(ctx, inR, outW)
		outW.Close()
		p.done <- err
	}()
	go func() {
		b := make([]byte, 8192)
		for {
			n, err := outR.Read(b)
			p.mu.Lock()
			p.buf = append(p.buf, b[:n]...)
			if err != nil {
				p.eof = true
			}
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after the port closed")
		}
		cancel()
	})
	return p
}

// send writes text to the modem.
func (p *port) send(s string) {
	p.t.Helper()
	_, err := p.in.Write([]byte(s))
	require.NoError(p.t, err)
}

// sendBytes writes raw data.
func (p *port) sendBytes(b []byte) {
	p.t.Helper()
	_, err := p.in.Write(b)
	require.NoError(p.t, err)
}

// escape sends "+++" with its guard times.
func (p *port) escape() {
	time.Sleep(2 * testGuard)
	p.send("+++")
	time.Sleep(2 * testGuard)
}

const waitLimit = 15 * time.Second

// take waits until fn finds what it wants in the buffer and consumes it.
// fn returns how many bytes it used, or -1 to wait for more.
func (p *port) take(what string, fn func(b []byte) int) []byte {
	p.t.Helper()
	deadline := time.After(waitLimit)
	for {
		p.mu.Lock()
		n := fn(p.buf)
		if n >= 0 {
			out := append([]byte(nil), p.buf[:n]...)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			return out
		}
		eof := p.eof
		pending := string(p.buf)
		p.mu.Unlock()
		if eof {
			p.t.Fatalf("port closed while waiting for %s; pending output %q", what, pending)
		}
		select {
		case <-p.more:
		case <-deadline:
			p.t.Fatalf("timed out waiting for %s; pending output %q", what, pending)
		}
	}
}

// line returns the next non-empty response line (line ends skipped).
func (p *port) line() string {
	p.t.Helper()
	var text string
	p.take("a line", func(b []byte) int {
		i := 0
		for i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			i += 2
		}
		j := strings.Index(string(b[i:]), "\r\n")
		if j < 0 {
			return -1
		}
		text = string(b[i : i+j])
		return i + j + 2
	})
	return text
}

// raw returns the next n bytes as they are.
func (p *port) raw(n int) []byte {
	p.t.Helper()
	return p.take(fmt.Sprintf("%d bytes", n), func(b []byte) int {
		if len(b) < n {
			return -1
		}
		return n
	})
}

// quiet checks that nothing is written for d.
func (p *port) quiet(d time.Duration) {
	p.t.Helper()
	time.Sleep(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	require.Empty(p.t, string(p.buf), "unexpected output")
}

// placeholders stand for what the documents leave open.
var placeholders = strings.NewReplacer(
	regexp.QuoteMeta("<N>"), `\d+`,
	regexp.QuoteMeta("<IP>"), `\d+\.\d+\.\d+\.\d+`,
	regexp.QuoteMeta("<T>"), `\d{14}(\.\d{3})?`,
	regexp.QuoteMeta("<HEX>"), `[0-9a-f]+`,
	regexp.QuoteMeta("<any>"), `.*`,
)

// expect checks the next lines; "<N>", "<IP>", "<T>" and "<HEX>" match a
// number, an IPv4 address, an MDTM time and a hex checksum, "<any>" any
// text. It returns the lines.
func (p *port) expect(want ...string) []string {
	p.t.Helper()
	var got []string
	for _, w := range want {
		l := p.line()
		got = append(got, l)
		re := regexp.MustCompile("^" + placeholders.Replace(regexp.QuoteMeta(w)) + "$")
		require.Truef(p.t, re.MatchString(l), "want %q, got %q (lines so far %q)", w, l, got)
	}
	return got
}

// cmd sends a command line and checks the lines that answer it.
func (p *port) cmd(line string, want ...string) []string {
	p.t.Helper()
	p.send(line + "\r\n")
	return p.expect(want...)
}

// num extracts the last number of a line such as "+QFTPLIST: 0,1000".
func num(t *testing.T, line string) int {
	t.Helper()
	m := regexp.MustCompile(`(\d+)$`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// server starts the in-process FTP server with the documents' account.
func server(t *testing.T, opts embedded.Options) *embedded.Server {
	t.Helper()
	if opts.User == "" {
		opts.User, opts.Password = "test", "test"
	}
	s, err := embedded.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// hostPort splits a server address into the quoted host and the port of
// AT+QFTPOPEN="host",port.
func hostPort(addr string) (string, string) {
	h, p, _ := net.SplitHostPort(addr)
	return h, p
}

// writeFile puts a file in the server's root.
func writeFile(t *testing.T, s *embedded.Server, name string, data []byte) {
	t.Helper()
	p := filepath.Join(s.Root, filepath.FromSlash(name))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o644))
}

func readFile(t *testing.T, s *embedded.Server, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Root, filepath.FromSlash(name)))
	require.NoError(t, err)
	return b
}

// pattern returns n bytes of printable text without line ends or '+'.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + (seed+byte(i))%26
	}
	return b
}

// selfSigned returns a TLS config for a server on 127.0.0.1 and a pool
// that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "atbridge test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	pemCert := pemBlock("CERTIFICATE", der)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool, pemCert
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// fakeServer is a scripted FTP control connection for the cases the
// embedded server cannot play: answer maps a command line to the reply
// lines; an answer of nil means never to answer.
type fakeServer struct {
	l        net.Listener
	greeting string
	answer   func(line string) []string
	onData   func(line string, c net.Conn) // after answer, for transfers
	mu       sync.Mutex
	seen     []string
}

func startFake(t *testing.T, greeting string, answer func(line string) []string) *fakeServer {
	t.Helper()
	f := &fakeServer{greeting: greeting, answer: answer}
	f.start(t)
	return f
}

// start listens on 127.0.0.1 and serves every connection.
func (f *fakeServer) start(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.l = l
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
}

func (f *fakeServer) serve(c net.Conn) {
	defer c.Close()
	if f.greeting != "" {
		io.WriteString(c, f.greeting+"\r\n")
	}
	buf := make([]byte, 0, 512)
	one := make([]byte, 1)
	for {
		if _, err := c.Read(one); err != nil {
			return
		}
		if one[0] != '\n' {
			buf = append(buf, one[0])
			continue
		}
		line := strings.TrimRight(string(buf), "\r")
		buf = buf[:0]
		f.mu.Lock()
		f.seen = append(f.seen, line)
		f.mu.Unlock()
		replies := f.answer(line)
		for _, r := range replies {
			if _, err := io.WriteString(c, r+"\r\n"); err != nil {
				return
			}
		}
		if f.onData != nil {
			f.onData(line, c)
		}
	}
}

func (f *fakeServer) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

var errTest = errors.New("test error")

// fakeFTP is a scripted FTP server with passive data connections, for the
// data-address and pacing cases: EPSV is refused so that PASV is used, and
// the PASV reply names dataIP, where the data listener is.
type fakeFTP struct {
	*fakeServer
	dataIP string
	// retr writes a file to the data connection; nil writes "hello".
	retr   func(w io.Writer) error
	mu2    sync.Mutex
	dl     net.Listener
	stored []string // "STOR name=data" for each upload
}

func startFakeFTP(t *testing.T, dataIP string, retr func(w io.Writer) error) *fakeFTP {
	t.Helper()
	f := &fakeFTP{dataIP: dataIP, retr: retr}
	f.fakeServer = &fakeServer{greeting: "220 fake", answer: f.reply, onData: f.transfer}
	f.fakeServer.start(t)
	t.Cleanup(func() {
		f.mu2.Lock()
		if f.dl != nil {
			f.dl.Close()
		}
		f.mu2.Unlock()
	})
	return f
}

func (f *fakeFTP) reply(line string) []string {
	verb, _, _ := strings.Cut(line, " ")
	switch strings.ToUpper(verb) {
	case "USER":
		return []string{"331 password please"}
	case "PASS":
		return []string{"230 logged in"}
	case "TYPE", "NOOP":
		return []string{"200 ok"}
	case "PWD":
		return []string{`257 "/" is here`}
	case "CWD":
		return []string{"250 ok"}
	case "PASV":
		l, err := net.Listen("tcp", net.JoinHostPort(f.dataIP, "0"))
		if err != nil {
			return []string{"425 " + err.Error()}
		}
		f.mu2.Lock()
		if f.dl != nil {
			f.dl.Close()
		}
		f.dl = l
		f.mu2.Unlock()
		port := l.Addr().(*net.TCPAddr).Port
		ip := net.ParseIP(f.dataIP).To4()
		return []string{fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d)", ip[0], ip[1], ip[2], ip[3], port>>8, port&0xff)}
	case "ABOR":
		return []string{"226 aborted"}
	case "QUIT":
		return []string{"221 bye"}
	case "RETR", "STOR", "STOU":
		return []string{} // answered by transfer
	}
	return []string{"502 not here"}
}

// transfer runs RETR: 150, the data, 226 (or 425 without a data
// connection, 426 when the client went away).
func (f *fakeFTP) transfer(line string, c net.Conn) {
	verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
	if verb != "RETR" && verb != "STOR" && verb != "STOU" {
		return
	}
	f.mu2.Lock()
	l := f.dl
	f.mu2.Unlock()
	if verb == "STOU" {
		io.WriteString(c, "150 FILE: unique.1\r\n")
	} else {
		io.WriteString(c, "150 here it comes\r\n")
	}
	if l == nil {
		io.WriteString(c, "425 no PASV\r\n")
		return
	}
	l.(*net.TCPListener).SetDeadline(time.Now().Add(time.Second))
	dc, err := l.Accept()
	if err != nil {
		io.WriteString(c, "425 no data connection\r\n")
		return
	}
	if verb != "RETR" {
		b, err := io.ReadAll(dc)
		dc.Close()
		f.mu2.Lock()
		f.stored = append(f.stored, line+"="+string(b))
		f.mu2.Unlock()
		if err != nil {
			io.WriteString(c, "426 aborted\r\n")
			return
		}
		io.WriteString(c, "226 stored\r\n")
		return
	}
	write := f.retr
	if write == nil {
		write = func(w io.Writer) error { _, err := io.WriteString(w, "hello"); return err }
	}
	err = write(dc)
	dc.Close()
	if err != nil {
		io.WriteString(c, "426 aborted\r\n")
		return
	}
	io.WriteString(c, "226 done\r\n")
}

func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }
