// Package realservers starts real FTP servers on loopback for the interop
// suite (./interop) and the benchmark driver (./bench/driver): vsftpd,
// proftpd with mod_tls and pure-ftpd, GNU inetutils ftpd and busybox ftpd
// (each run per connection by a TCP wrapper), and the Python servers
// pyftpdlib, Twisted's FTP server and aioftp, as Debian packages them, each
// from a temporary config directory, in the foreground, stopped with Stop.
//
// The servers come from .ci/install-servers.sh (vsftpd and the Python
// modules installed with apt-get, proftpd, pure-ftpd and inetutils ftpd
// unpacked under /opt/ftp-interop, or $FTP_INTEROP_ROOT, and busybox built
// there from Debian's source). Starting them needs root: they switch to a
// local user, which NewEnv creates, with a password checked through PAM
// (vsftpd), against /etc/shadow (busybox), against a SHA-512 crypt hash in
// the server's own user file (proftpd, pure-ftpd, inetutils ftpd through
// nss_wrapper), or by the Python server itself.
package realservers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
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
	"time"
)

const (
	// User is the local account every server logs its clients in as.
	User = "ftpinterop"
	// UserHome is its home directory, which no server serves.
	UserHome = "/var/lib/ftp-interop"
	// DefaultInstallRoot is where .ci/install-servers.sh unpacks proftpd
	// and pure-ftpd.
	DefaultInstallRoot = "/opt/ftp-interop"
)

// InstallRoot returns where the unpacked servers live: $FTP_INTEROP_ROOT,
// or DefaultInstallRoot.
func InstallRoot() string {
	if r := os.Getenv("FTP_INTEROP_ROOT"); r != "" {
		return r
	}
	return DefaultInstallRoot
}

// MissingError reports something a server needs that this machine lacks:
// root, a tool, a server binary or a module.
type MissingError struct {
	What string
}

func (e *MissingError) Error() string {
	return e.What + " is missing (run .ci/install-servers.sh as root)"
}

func missing(format string, args ...any) error {
	return &MissingError{What: fmt.Sprintf(format, args...)}
}

// IsMissing reports whether err is a *MissingError, and returns what is
// missing.
func IsMissing(err error) (string, bool) {
	var me *MissingError
	if errors.As(err, &me) {
		return me.What, true
	}
	return "", false
}

// TLSMode is how a server protects its sessions.
type TLSMode int

const (
	Plain    TLSMode = iota // no TLS
	Explicit                // AUTH TLS on the control connection, required
	Implicit                // TLS from the first byte
)

func (m TLSMode) String() string {
	switch m {
	case Plain:
		return "plain"
	case Explicit:
		return "explicit"
	case Implicit:
		return "implicit"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// Env is what every server shares: the local user, its password and hash,
// and a self-signed certificate for the loopback names. Make it once with
// NewEnv and Close it at the end.
type Env struct {
	UID, GID int
	User     string
	Password string
	Hash     string // SHA-512 crypt of Password
	Dir      string // holds the certificate and key; removed by Close
	CertFile string // PEM certificate for 127.0.0.1, ::1 and localhost
	KeyFile  string // PEM RSA key
	Pool     *x509.CertPool
	IPv6     bool // ::1 can be bound here
}

// NewEnv creates the local user when it does not exist, sets its password
// and writes the certificate. It returns a *MissingError when not run as
// root or when a tool it needs is absent.
func NewEnv() (e *Env, err error) {
	if os.Geteuid() != 0 {
		return nil, missing("root (the servers switch to a local user)")
	}
	for _, tool := range []string{"useradd", "chpasswd", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, missing("%s", tool)
		}
	}
	e = &Env{User: User}
	e.Dir, err = os.MkdirTemp("", "ftp-realservers-env-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(e.Dir)
		}
	}()
	if err := os.Chmod(e.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := e.makeUser(); err != nil {
		return nil, err
	}
	if err := e.makeCert(); err != nil {
		return nil, err
	}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		e.IPv6 = true
	}
	return e, nil
}

// Close removes the environment's files. The user stays.
func (e *Env) Close() error { return os.RemoveAll(e.Dir) }

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
func (e *Env) makeUser() error {
	// vsftpd changes to the home directory before its local_root, so the
	// home must exist; each server serves a directory of its own.
	if err := os.MkdirAll(UserHome, 0o755); err != nil {
		return err
	}
	if _, err := run("", "id", "-u", User); err != nil {
		if _, err := run("", "useradd", "--no-create-home", "--home-dir", UserHome,
			"--shell", "/usr/sbin/nologin", "--user-group", "--comment", "ftp interop tests", User); err != nil {
			return err
		}
	} else if pw, _ := run("", "getent", "passwd", User); len(strings.Split(pw, ":")) < 6 || strings.Split(pw, ":")[5] != UserHome {
		if _, err := run("", "usermod", "--home", UserHome, User); err != nil {
			return err
		}
	}
	uid, err := run("", "id", "-u", User)
	if err != nil {
		return err
	}
	gid, err := run("", "id", "-g", User)
	if err != nil {
		return err
	}
	if e.UID, err = strconv.Atoi(strings.TrimSpace(uid)); err != nil {
		return err
	}
	if e.GID, err = strconv.Atoi(strings.TrimSpace(gid)); err != nil {
		return err
	}
	// The password is random but kept (readable by root only), so that
	// runs side by side do not change it under each other.
	pwFile := filepath.Join(UserHome, ".password")
	if b, err := os.ReadFile(pwFile); err == nil && len(bytes.TrimSpace(b)) >= 16 {
		e.Password = string(bytes.TrimSpace(b))
	} else {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		e.Password = hex.EncodeToString(b[:])
		if err := os.WriteFile(pwFile, []byte(e.Password+"\n"), 0o600); err != nil {
			return err
		}
	}
	// SHA-512 crypt, cheap to check: pure-pw's own argon2 hashes cost
	// seconds of CPU per login.
	hash, err := run(e.Password+"\n", "openssl", "passwd", "-6", "-stdin")
	if err != nil {
		return err
	}
	e.Hash = strings.TrimSpace(hash)
	if !strings.HasPrefix(e.Hash, "$6$") {
		return fmt.Errorf("openssl passwd -6 gave %q", e.Hash)
	}
	_, err = run(User+":"+e.Hash+"\n", "chpasswd", "--encrypted")
	return err
}

// makeCert writes a self-signed RSA certificate for the loopback names.
// RSA rather than ECDSA: every server here takes it, whatever its cipher
// settings.
func (e *Env) makeCert() error {
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
	e.Pool = x509.NewCertPool()
	e.Pool.AddCert(leaf)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	e.CertFile = filepath.Join(e.Dir, "cert.pem")
	e.KeyFile = filepath.Join(e.Dir, "key.pem")
	if err := os.WriteFile(e.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(e.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// Options says how to start a server.
type Options struct {
	TLS TLSMode
	// Hosts are the loopback addresses to listen on; none means 127.0.0.1.
	Hosts []string
	// DataDir is the directory to serve. It is made when it does not
	// exist, and given to the user; Stop leaves it. Empty: a temporary
	// directory, removed by Stop.
	DataDir string
	// AllowFXP lets the server exchange data with a host other than its
	// client (server-to-server copies): vsftpd's port_promiscuous and
	// pasv_promiscuous, proftpd's AllowForeignAddress, pure-ftpd's -w (--allowuserfxp).
	AllowFXP bool
	// Checksums offers HASH and the X commands where the server has a
	// module for them (proftpd's mod_digest).
	Checksums bool
	// Wrapper, when set, is a command line that each server process runs
	// under, its own command line appended: the benchmark runs servers
	// under a reaper that collects the CPU time of their sessions.
	Wrapper []string
}

func (o Options) hosts() []string {
	if len(o.Hosts) == 0 {
		return []string{"127.0.0.1"}
	}
	return o.Hosts
}

// Server is a server running for one TLS mode.
type Server struct {
	Name     string
	TLS      TLSMode
	Addrs    map[string]string // loopback host → host:port
	User     string
	Password string
	Root     string // the directory served: the login directory
	// Logs are the server's logs and output, for a failure report.
	Logs []string
	// CommandLogs holds, per host, a log with one line for each command
	// the server received ("FTP command: ..."), where the server writes one
	// (vsftpd).
	CommandLogs map[string]string
	// TLSVersion is the version the control connection negotiates with a
	// client that offers every version; MaxTLS, when set, is the highest
	// the server accepts.
	TLSVersion uint16
	MaxTLS     uint16
	// ReuseRequired: the server refuses data connections that do not
	// resume the control connection's TLS session.
	ReuseRequired bool

	wrapper []string

	mu       sync.Mutex
	cleanups []func()
	procs    []*proc
}

// Addr returns the address of the first host.
func (s *Server) Addr() string {
	for _, h := range []string{"127.0.0.1", "::1"} {
		if a, ok := s.Addrs[h]; ok {
			return a
		}
	}
	for _, a := range s.Addrs {
		return a
	}
	return ""
}

// onStop registers f to run at Stop, after those registered later.
func (s *Server) onStop(f func()) {
	s.mu.Lock()
	s.cleanups = append(s.cleanups, f)
	s.mu.Unlock()
}

// Stop ends the server's processes (and the sessions they forked) and
// removes its config directory, and its data directory when Start made it.
// Safe to call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	cs := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

// LogTails returns the end of every log of the server.
func (s *Server) LogTails() string { return LogTails(s.Logs...) }

// newServer makes the Server for a start, with its data directory.
func newServer(name string, e *Env, o Options) (*Server, error) {
	s := &Server{
		Name:        name,
		TLS:         o.TLS,
		Addrs:       map[string]string{},
		User:        e.User,
		Password:    e.Password,
		CommandLogs: map[string]string{},
		wrapper:     o.Wrapper,
	}
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, err
		}
		s.Root = o.DataDir
	} else {
		d, err := os.MkdirTemp("", "ftp-realservers-"+name+"-"+o.TLS.String()+"-")
		if err != nil {
			return nil, err
		}
		s.onStop(func() { os.RemoveAll(d) })
		s.Root = d
	}
	// MkdirTemp's directories are 0700: the user must get in.
	if err := os.Chmod(s.Root, 0o755); err != nil {
		s.Stop()
		return nil, err
	}
	if err := os.Chown(s.Root, e.UID, e.GID); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// configDir makes a root-owned directory for a server's configuration,
// logs and pid files, removed by Stop.
func (s *Server) configDir() (string, error) {
	d, err := os.MkdirTemp("", "ftp-realservers-"+s.Name+"-"+s.TLS.String()+"-conf-")
	if err != nil {
		return "", err
	}
	s.onStop(func() { os.RemoveAll(d) })
	return d, os.Chmod(d, 0o755)
}

// FreePort returns a port that is free on every host given.
func FreePort(hosts ...string) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", net.JoinHostPort(hosts[0], "0"))
		if err != nil {
			return 0, err
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
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free on all of %v", hosts)
}

// proc is a server running in the foreground as a child, in a process
// group of its own so that its session processes stop with it.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startProc starts a server, stopped (the whole process group) by s.Stop.
// Its output goes to log.
func (s *Server) startProc(log string, extraEnv []string, bin string, args ...string) (*proc, error) {
	out, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	if len(s.wrapper) > 0 {
		args = append(append(append([]string(nil), s.wrapper[1:]...), bin), args...)
		bin = s.wrapper[0]
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s: %w", s.Name, err)
	}
	p := &proc{name: s.Name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	s.onStop(p.stop)
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p, nil
}

// PIDs returns the process ids of the processes Start started, one per
// listener: the listeners, or the wrappers they run under. Sessions are
// their descendants.
func (s *Server) PIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pids []int
	for _, p := range s.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
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

// LogTails returns the last 30 lines of each log, each under its name.
func LogTails(logs ...string) string {
	var sb strings.Builder
	for _, l := range logs {
		fmt.Fprintf(&sb, "\n-- %s:\n%s", filepath.Base(l), tailFile(l, 30))
	}
	return sb.String()
}

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
	// Generous: a Python server starting on a loaded machine (CI, or
	// other test binaries beside it) takes seconds.
	deadline := time.Now().Add(45 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v) before answering on %s; log:\n%s%s", p.name, p.err, addr, tailFile(p.log, 30), LogTails(logs...))
		default:
		}
		last = greet(addr, tc)
		if last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not greet with 220 on %s in time: %v; log:\n%s%s", p.name, addr, last, tailFile(p.log, 30), LogTails(logs...))
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
		tlsConn := tls.Client(nc, WithServerName(tc, addr))
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

// NegotiatedTLS opens a session to addr the way a client of mode would
// (implicit: TLS first; explicit: AUTH TLS) with tc, and returns the TLS
// version the server agreed to. It checks what a server allows, apart from
// any client.
func NegotiatedTLS(addr string, implicit bool, tc *tls.Config) (uint16, error) {
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
	tlsConn := tls.Client(nc, WithServerName(tc, addr))
	if err := tlsConn.Handshake(); err != nil {
		return 0, err
	}
	v := tlsConn.ConnectionState().Version
	tlsConn.Close()
	return v, nil
}

// hostPort joins a loopback address and a port.
func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// WithServerName returns tc verifying the host of addr.
func WithServerName(tc *tls.Config, addr string) *tls.Config {
	tc = tc.Clone()
	if host, _, err := net.SplitHostPort(addr); err == nil && tc.ServerName == "" {
		tc.ServerName = host
	}
	return tc
}

// findFile returns the first candidate that is a regular file.
func findFile(candidates ...string) string {
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	return ""
}

// Spec describes one server: its name, the TLS modes it has (and why it
// lacks the others), and how to find and start it.
type Spec struct {
	Name  string
	Modes []TLSMode
	// Lacks names the TLS modes the server does not have, and why.
	Lacks map[TLSMode]string
	// Without names the other features the server does not have, and why:
	// the matrix marks the cells (IPv6, active mode) or the steps (REST,
	// APPE) that need them.
	Without map[Feature]string
	// Find returns nil when the server's files are here, or a
	// *MissingError naming what is not.
	Find func() error
	// Start runs the server; Stop the Server it returns.
	Start func(e *Env, o Options) (*Server, error)
}

// Feature is what a server may lack beyond a TLS mode.
type Feature string

const (
	// FeatureIPv6 is serving on ::1, data connections included (EPSV).
	FeatureIPv6 Feature = "IPv6"
	// FeatureActive is active mode: the server connects back (PORT, EPRT).
	FeatureActive Feature = "active mode"
	// FeatureActiveIPv6 is active mode over IPv6, which needs EPRT.
	FeatureActiveIPv6 Feature = "active mode over IPv6"
	// FeatureREST is restarting RETR and STOR at an offset (REST).
	FeatureREST Feature = "REST"
	// FeatureAPPE is appending to a file (APPE).
	FeatureAPPE Feature = "APPE"
)

// Has reports whether the server has f, and why not when it does not.
func (s *Spec) Has(f Feature) (bool, string) {
	why, lacks := s.Without[f]
	return !lacks, why
}

// start runs body on a new Server and stops it when body fails.
func start(name string, e *Env, o Options, body func(s *Server) error) (*Server, error) {
	s, err := newServer(name, e, o)
	if err != nil {
		return nil, err
	}
	if err := body(s); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
