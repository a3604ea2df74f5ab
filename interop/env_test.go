package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// ftpUser is the local account every server logs the suite in as.
	ftpUser = "ftpinterop"
	// userHome is its home directory, which no test writes to.
	userHome = "/var/lib/ftp-interop"
	// dataSize is the size of the file each cell uploads and downloads.
	dataSize = 8 << 20
	// defaultRoot is where .ci/install-servers.sh unpacks the servers.
	defaultRoot = "/opt/ftp-interop"
)

// installRoot returns where the unpacked servers live.
func installRoot() string {
	if r := os.Getenv("FTP_INTEROP_ROOT"); r != "" {
		return r
	}
	return defaultRoot
}

// inCI reports whether a missing server is a failure rather than a skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// missing skips the test for lack of what, or fails it under CI=true.
func missing(t *testing.T, what string) {
	t.Helper()
	msg := fmt.Sprintf("%s is missing (run .ci/install-servers.sh as root)", what)
	if inCI() {
		t.Fatalf("%s; CI=true makes this a failure", msg)
	}
	t.Skip(msg)
}

// findFile returns the first candidate that is an executable regular file.
func findFile(candidates ...string) string {
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	return ""
}

// env is what every server shares: the local user, its password and hash,
// the certificate and the data the cells transfer. It is made once.
type env struct {
	uid, gid int
	password string
	hash     string // SHA-512 crypt of password
	dir      string // holds the files below; removed by TestMain
	certFile string // PEM certificate for 127.0.0.1, ::1 and localhost
	keyFile  string // PEM RSA key
	pool     *x509.CertPool
	data     []byte
	dataFile string
	dataSum  [32]byte
	ipv6     bool // ::1 can be bound here
}

var (
	envOnce   sync.Once
	sharedEnv *env
	envErr    error
	envMiss   string // what is missing, when envErr is not a failure

	cleanupMu sync.Mutex
	cleanups  []func()
)

// atExit registers f to run when TestMain ends.
func atExit(f func()) {
	cleanupMu.Lock()
	cleanups = append(cleanups, f)
	cleanupMu.Unlock()
}

func runAtExit() {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

// getEnv returns the shared environment, skipping or failing t when it
// cannot be made.
func getEnv(t *testing.T) *env {
	t.Helper()
	envOnce.Do(func() { sharedEnv, envMiss, envErr = newEnv() })
	if envMiss != "" {
		missing(t, envMiss)
	}
	if envErr != nil {
		t.Fatalf("setting up the interop environment: %v", envErr)
	}
	return sharedEnv
}

func newEnv() (e *env, miss string, err error) {
	if os.Geteuid() != 0 {
		return nil, "root (the servers switch to a local user)", nil
	}
	for _, tool := range []string{"useradd", "chpasswd", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, tool, nil
		}
	}
	e = &env{}
	e.dir, err = os.MkdirTemp("", "ftp-interop-env-")
	if err != nil {
		return nil, "", err
	}
	atExit(func() { os.RemoveAll(e.dir) })
	if err := os.Chmod(e.dir, 0o755); err != nil {
		return nil, "", err
	}
	if err := e.makeUser(); err != nil {
		return nil, "", err
	}
	if err := e.makeCert(); err != nil {
		return nil, "", err
	}
	e.data = make([]byte, dataSize)
	if _, err := rand.Read(e.data); err != nil {
		return nil, "", err
	}
	e.dataSum = sha256.Sum256(e.data)
	e.dataFile = filepath.Join(e.dir, "data.bin")
	if err := os.WriteFile(e.dataFile, e.data, 0o644); err != nil {
		return nil, "", err
	}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		e.ipv6 = true
	}
	return e, "", nil
}

// run runs a command with a time limit and returns its combined output.
func run(stdin string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// makeUser creates the local user when it does not exist and sets its
// password, which PAM (vsftpd) checks through /etc/shadow; proftpd and
// pure-ftpd get its SHA-512 crypt hash in their own files.
func (e *env) makeUser() error {
	// vsftpd changes to the home directory before its local_root, so the
	// home must exist; each server serves a directory of its own.
	if err := os.MkdirAll(userHome, 0o755); err != nil {
		return err
	}
	if _, err := run("", "id", "-u", ftpUser); err != nil {
		if _, err := run("", "useradd", "--no-create-home", "--home-dir", userHome,
			"--shell", "/usr/sbin/nologin", "--user-group", "--comment", "ftp interop tests", ftpUser); err != nil {
			return err
		}
	} else if pw, _ := run("", "getent", "passwd", ftpUser); len(strings.Split(pw, ":")) < 6 || strings.Split(pw, ":")[5] != userHome {
		if _, err := run("", "usermod", "--home", userHome, ftpUser); err != nil {
			return err
		}
	}
	uid, err := run("", "id", "-u", ftpUser)
	if err != nil {
		return err
	}
	gid, err := run("", "id", "-g", ftpUser)
	if err != nil {
		return err
	}
	if e.uid, err = strconv.Atoi(strings.TrimSpace(uid)); err != nil {
		return err
	}
	if e.gid, err = strconv.Atoi(strings.TrimSpace(gid)); err != nil {
		return err
	}
	// The password is random but kept (readable by root only), so that
	// runs of the suite side by side do not change it under each other.
	pwFile := filepath.Join(userHome, ".password")
	if b, err := os.ReadFile(pwFile); err == nil && len(bytes.TrimSpace(b)) >= 16 {
		e.password = string(bytes.TrimSpace(b))
	} else {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		e.password = hex.EncodeToString(b[:])
		if err := os.WriteFile(pwFile, []byte(e.password+"\n"), 0o600); err != nil {
			return err
		}
	}
	// SHA-512 crypt, cheap to check: pure-pw's own argon2 hashes cost
	// seconds of CPU per login.
	hash, err := run(e.password+"\n", "openssl", "passwd", "-6", "-stdin")
	if err != nil {
		return err
	}
	e.hash = strings.TrimSpace(hash)
	if !strings.HasPrefix(e.hash, "$6$") {
		return fmt.Errorf("openssl passwd -6 gave %q", e.hash)
	}
	_, err = run(ftpUser+":"+e.hash+"\n", "chpasswd", "--encrypted")
	return err
}

// makeCert writes a self-signed RSA certificate for the loopback names.
// RSA rather than ECDSA: every server here takes it, whatever its cipher
// settings.
func (e *env) makeCert() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "ftp interop test server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	e.pool = x509.NewCertPool()
	e.pool.AddCert(leaf)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	e.certFile = filepath.Join(e.dir, "cert.pem")
	e.keyFile = filepath.Join(e.dir, "key.pem")
	if err := os.WriteFile(e.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(e.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// dataDir makes a directory the user owns, for a server to serve, with
// parents the user can traverse (t.TempDir's are 0700).
func (e *env) dataDir(t *testing.T, name string) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ftp-interop-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d, e.uid, e.gid); err != nil {
		t.Fatal(err)
	}
	return d
}

// configDir makes a root-owned directory for a server's configuration,
// logs and pid files.
func configDir(t *testing.T, name string) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ftp-interop-"+name+"-conf-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// writeFile writes a file or fails t.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a port that is free on every host given.
func freePort(t *testing.T, hosts ...string) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", net.JoinHostPort(hosts[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		ok := true
		for _, h := range hosts[1:] {
			l2, err := net.Listen("tcp", net.JoinHostPort(h, strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			l2.Close()
		}
		l.Close()
		if ok {
			return port
		}
	}
	t.Fatalf("no port free on all of %v", hosts)
	return 0
}

// proc is a server running in the foreground as a child of the test, in a
// process group of its own so that its session processes stop with it.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startProc starts a server and stops it (the whole process group) when t
// ends. Its output goes to log.
func startProc(t *testing.T, name, log string, extraEnv []string, bin string, args ...string) *proc {
	t.Helper()
	out, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

// stop ends the server's process group: SIGTERM, then SIGKILL.
func (p *proc) stop() {
	pgid := p.cmd.Process.Pid
	select {
	case <-p.done:
	default:
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	}
	// Session processes left in the group (a transfer cut short) go too.
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// tail returns the end of the server's log.
func (p *proc) tail() string { return tailFile(p.log, 30) }

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitReady waits until addr greets with 220 (through TLS when tc is set),
// or the server exits, or the time is up.
func waitReady(p *proc, addr string, tc *tls.Config, logs ...string) error {
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v) before answering on %s; log:\n%s%s", p.name, p.err, addr, p.tail(), logTails(logs))
		default:
		}
		last = greet(addr, tc)
		if last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not greet with 220 on %s in time: %v; log:\n%s%s", p.name, addr, last, p.tail(), logTails(logs))
}

func logTails(logs []string) string {
	var sb strings.Builder
	for _, l := range logs {
		fmt.Fprintf(&sb, "\n-- %s:\n%s", filepath.Base(l), tailFile(l, 30))
	}
	return sb.String()
}

// greet connects once and reads the greeting.
func greet(addr string, tc *tls.Config) error {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(3 * time.Second))
	if tc != nil {
		tlsConn := tls.Client(nc, withServerName(tc, addr))
		if err := tlsConn.Handshake(); err != nil {
			return err
		}
		nc = tlsConn
	}
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	fmt.Fprintf(nc, "QUIT\r\n")
	return nil
}

// negotiatedTLS opens a session to addr the way a client of mode would
// (implicit: TLS first; explicit: AUTH TLS) with tc, and returns the TLS
// version the server agreed to. It checks what a server allows, apart from
// the client under test.
func negotiatedTLS(addr string, implicit bool, tc *tls.Config) (uint16, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if !implicit {
		br := bufio.NewReader(nc)
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "220 ") {
			return 0, fmt.Errorf("greeting %q: %v", line, err)
		}
		fmt.Fprintf(nc, "AUTH TLS\r\n")
		line, err = br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "234") {
			return 0, fmt.Errorf("AUTH TLS: %q: %v", line, err)
		}
	}
	tlsConn := tls.Client(nc, withServerName(tc, addr))
	if err := tlsConn.Handshake(); err != nil {
		return 0, err
	}
	v := tlsConn.ConnectionState().Version
	tlsConn.Close()
	return v, nil
}

// hostPort joins a family's loopback address and a port.
func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// withServerName returns tc verifying the host of addr.
func withServerName(tc *tls.Config, addr string) *tls.Config {
	tc = tc.Clone()
	if host, _, err := net.SplitHostPort(addr); err == nil && tc.ServerName == "" {
		tc.ServerName = host
	}
	return tc
}
