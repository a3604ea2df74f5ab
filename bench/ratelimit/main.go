// Command ratelimit measures how closely the library's bandwidth limit
// (Config.RateLimiter) holds its rate on real servers, next to curl's
// --limit-rate in the same run, and shows with strace that the zero-copy
// system calls (splice for downloads, sendfile for uploads) are still the
// ones that move the data while the transfer is paced.
//
// It starts vsftpd (plain) and pure-ftpd (explicit TLS) with
// internal/realservers and, for each server, each rate of -rates (MiB/s,
// 1024-based like curl's "M") and each direction, transfers a random file
// of rate × -seconds bytes once with the library and once with curl. The
// library's side is this program run again as a child (-child), so that
// both clients are timed the same way (a whole process, from start to exit)
// and the child can be run under strace. Every transfer is verified: the
// SHA-256 of the local file must equal that of the file on the server's
// disk. It prints a Markdown table and writes it, with the machine, the
// command lines and the date, to -out.
//
// Run it as root through bench/ratelimit.sh, which installs what it needs:
//
//	bash bench/ratelimit.sh [-seconds 5] [-rates 1,10,100] [-out bench/RATELIMIT.md]
package main

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/realservers"
)

// tolerance is how far (in percent of the expected time) the library's
// elapsed time may be from size/rate for the report to call it accurate.
const tolerance = 10.0

// straceRate is the rate of the strace runs, in MiB/s.
const straceRate = 10

// straceCalls are the system calls the strace runs count.
var straceCalls = []string{"sendfile", "splice", "read", "write", "recvfrom", "sendto"}

// childFlags are the flags of -child mode: one transfer with the library.
type childFlags struct {
	addr, user, password string
	tls                  bool
	caFile               string
	dir                  string // get or put
	remote, local        string
	rate                 int64 // bytes per second
	timeout              time.Duration
}

func main() {
	var (
		seconds = flag.Float64("seconds", 5, "length of each transfer at its rate, in `seconds` (the file is rate × seconds bytes)")
		rates   = flag.String("rates", "1,10,100", "comma-separated `list` of rates in MiB/s (1 MiB = 1048576 bytes)")
		out     = flag.String("out", "bench/RATELIMIT.md", "`file` to write the report to")
		child   = flag.Bool("child", false, "internal: run one transfer with the library (the flags below) and exit")
		cf      childFlags
	)
	flag.StringVar(&cf.addr, "addr", "", "child: server `host:port`")
	flag.StringVar(&cf.user, "user", "", "child: user name")
	flag.StringVar(&cf.password, "password", "", "child: password")
	flag.BoolVar(&cf.tls, "tls", false, "child: explicit TLS (AUTH TLS)")
	flag.StringVar(&cf.caFile, "cafile", "", "child: PEM `file` of the CA to trust (TLS)")
	flag.StringVar(&cf.dir, "dir", "", "child: direction, get or put")
	flag.StringVar(&cf.remote, "remote", "", "child: remote file `name`")
	flag.StringVar(&cf.local, "local", "", "child: local file `path`")
	flag.Int64Var(&cf.rate, "rate", 0, "child: limit in `bytes` per second")
	flag.DurationVar(&cf.timeout, "timeout", 5*time.Minute, "child: bound on the whole transfer")
	flag.Parse()

	if *child {
		if err := runChild(cf); err != nil {
			fmt.Fprintln(os.Stderr, "ratelimit -child:", err)
			os.Exit(1)
		}
		return
	}
	rateList, err := parseRates(*rates)
	if err != nil || *seconds <= 0 || math.IsInf(*seconds, 0) || math.IsNaN(*seconds) {
		if err == nil {
			err = fmt.Errorf("-seconds %v: must be positive", *seconds)
		}
		fmt.Fprintln(os.Stderr, "ratelimit:", err)
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, *seconds, rateList, *out)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratelimit: FAILED:", err)
		os.Exit(1)
	}
}

// parseRates reads -rates: positive whole MiB/s, comma-separated.
func parseRates(s string) ([]int64, error) {
	var rates []int64
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		r, err := strconv.ParseInt(f, 10, 64)
		if err != nil || r <= 0 || r > 1<<20 {
			return nil, fmt.Errorf("-rates: %q is not a positive whole number of MiB/s", f)
		}
		rates = append(rates, r)
	}
	if len(rates) == 0 {
		return nil, errors.New("-rates: no rate given")
	}
	return rates, nil
}

// runChild is -child mode: one download (Retrieve, then io.Copy into the
// file, which splices on plain connections) or upload (Store, then Send of
// the file, which uses sendfile on plain connections) under a
// Config.RateLimiter of cf.rate.
func runChild(cf childFlags) error {
	if cf.addr == "" || cf.remote == "" || cf.local == "" {
		return errors.New("-addr, -remote and -local are required")
	}
	if cf.rate <= 0 {
		return fmt.Errorf("-rate %d: must be positive", cf.rate)
	}
	if cf.timeout <= 0 {
		return fmt.Errorf("-timeout %v: must be positive", cf.timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cf.timeout)
	defer cancel()
	cfg := &ftp.Config{
		User:        cf.user,
		Password:    cf.password,
		DialTimeout: 30 * time.Second,
		RateLimiter: ftp.NewRateLimiter(cf.rate),
	}
	if cf.tls {
		cfg.TLS = ftp.TLSExplicit
		cfg.TLSConfig = &tls.Config{}
		if cf.caFile != "" {
			pemBytes, err := os.ReadFile(cf.caFile)
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pemBytes) {
				return fmt.Errorf("%s: no PEM certificate", cf.caFile)
			}
			cfg.TLSConfig.RootCAs = pool
		}
	}
	c, err := ftp.Dial(ctx, cf.addr, cfg)
	if err != nil {
		return err
	}
	var n int64
	switch cf.dir {
	case "get":
		n, err = childGet(ctx, c, cf.remote, cf.local)
	case "put":
		n, err = childPut(ctx, c, cf.remote, cf.local)
	default:
		err = fmt.Errorf("-dir %q: want get or put", cf.dir)
	}
	if err = errors.Join(err, c.Close()); err != nil {
		return err
	}
	fmt.Println(n)
	return nil
}

func childGet(ctx context.Context, c *ftp.Conn, remote, local string) (int64, error) {
	r, err := c.Retrieve(ctx, remote)
	if err != nil {
		return 0, err
	}
	f, err := os.Create(local)
	if err != nil {
		return 0, errors.Join(err, r.Close())
	}
	n, err := io.Copy(f, r)
	return n, errors.Join(err, r.Close(), f.Close())
}

func childPut(ctx context.Context, c *ftp.Conn, remote, local string) (int64, error) {
	f, err := os.Open(local)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w, err := c.Store(ctx, remote)
	if err != nil {
		return 0, err
	}
	return w.Send(f)
}

// target is a running server as the clients reach it.
type target struct {
	label  string // for the table: "vsftpd" or "pure-ftpd"
	tls    bool
	srv    *realservers.Server
	addr   string
	host   string
	port   string
	caFile string
}

// measurement is one cell of the table: the same transfer by both clients.
type measurement struct {
	server   string
	tls      bool
	rateMiB  int64
	dir      string
	size     int64
	expected time.Duration
	ours     time.Duration
	curl     time.Duration
}

// straceRun is the system-call count of one child run under strace.
type straceRun struct {
	label   string
	tls     bool
	dir     string
	elapsed time.Duration
	counts  map[string]int64
}

// bench is the state of a run.
type bench struct {
	self     string // this program, run again as the child
	seconds  float64
	env      *realservers.Env
	local    string // the client side's files
	commands []string
	results  []measurement
	straces  []straceRun
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, seconds float64, rates []int64, out string) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("must run as root (the FTP servers switch to a local user)")
	}
	for _, tool := range []string{"curl", "strace"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s: %w (bench/ratelimit.sh installs it)", tool, err)
		}
	}
	b := &bench{seconds: seconds}
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	started := time.Now()
	load := loadAvg()

	base := os.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	work, err := os.MkdirTemp(base, "ftp-ratelimit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// The servers' user must reach their data directories inside.
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	b.local = filepath.Join(work, "local")
	if err := os.Mkdir(b.local, 0o700); err != nil {
		return err
	}

	progress("environment: user, certificate")
	b.env, err = realservers.NewEnv()
	if err != nil {
		return err
	}
	defer b.env.Close()
	progress("starting vsftpd (plain) and pure-ftpd (explicit TLS)")
	plain, err := realservers.Vsftpd.Start(b.env, realservers.Options{TLS: realservers.Plain, DataDir: filepath.Join(work, "vsftpd")})
	if err != nil {
		return fmt.Errorf("starting vsftpd: %w", err)
	}
	defer plain.Stop()
	secure, err := realservers.PureFTPd.Start(b.env, realservers.Options{TLS: realservers.Explicit, DataDir: filepath.Join(work, "pure-ftpd")})
	if err != nil {
		return fmt.Errorf("starting pure-ftpd: %w", err)
	}
	defer secure.Stop()
	targets := []*target{
		newTarget("vsftpd", plain, false, ""),
		newTarget("pure-ftpd", secure, true, b.env.CertFile),
	}
	for _, t := range targets {
		if t.host == "" {
			return fmt.Errorf("%s: no address", t.label)
		}
	}

	// One random source file per rate, shared by both servers.
	sources := map[int64]string{}
	for _, r := range rates {
		size := b.size(r)
		p := filepath.Join(b.local, fmt.Sprintf("src-%dM.bin", r))
		progress("making %s (%d bytes, random)", filepath.Base(p), size)
		if err := writeRandom(p, size); err != nil {
			return err
		}
		sources[r] = p
	}

	for _, t := range targets {
		for _, r := range rates {
			for _, dir := range []string{"get", "put"} {
				if err := ctx.Err(); err != nil {
					return err
				}
				m, err := b.measure(ctx, t, r, dir, sources[r])
				if err != nil {
					return fmt.Errorf("%s %d MiB/s %s: %w", t.label, r, dir, err)
				}
				progress("%-9s %3d MiB/s %s: expected %.3fs, ours %.3fs (%+.1f%%), curl %.3fs (%+.1f%%)",
					t.label, r, dir, m.expected.Seconds(), m.ours.Seconds(), errPct(m.ours, m.expected),
					m.curl.Seconds(), errPct(m.curl, m.expected))
				b.results = append(b.results, m)
			}
		}
	}
	for _, r := range rates {
		os.Remove(sources[r])
	}

	// The strace runs: plain (zero-copy expected) and TLS (read/write).
	src := filepath.Join(b.local, fmt.Sprintf("src-%dM.bin", straceRate))
	if err := writeRandom(src, b.size(straceRate)); err != nil {
		return err
	}
	for _, t := range targets {
		for _, dir := range []string{"get", "put"} {
			if err := ctx.Err(); err != nil {
				return err
			}
			s, err := b.straceChild(ctx, t, dir, src)
			if err != nil {
				return fmt.Errorf("strace %s %s: %w", t.label, dir, err)
			}
			progress("strace %-9s %s: sendfile %d, splice %d, read %d, write %d",
				t.label, dir, s.counts["sendfile"], s.counts["splice"], s.counts["read"], s.counts["write"])
			b.straces = append(b.straces, s)
		}
	}
	os.Remove(src)

	report := b.report(started, load)
	fmt.Print(b.tables())
	if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
		return err
	}
	progress("wrote %s", out)
	return nil
}

func newTarget(label string, srv *realservers.Server, useTLS bool, caFile string) *target {
	t := &target{label: label, tls: useTLS, srv: srv, addr: srv.Addr(), caFile: caFile}
	if h, p, err := net.SplitHostPort(t.addr); err == nil {
		t.host, t.port = h, p
	}
	return t
}

// size is the file's length at rateMiB: rate × seconds bytes.
func (b *bench) size(rateMiB int64) int64 {
	return int64(math.Round(float64(rateMiB<<20) * b.seconds))
}

// timeout bounds one transfer: four times its expected time plus 30 s.
func timeout(expected time.Duration) time.Duration { return 4*expected + 30*time.Second }

// measure runs one cell: the same transfer by the library and by curl,
// each verified against the server's disk.
func (b *bench) measure(ctx context.Context, t *target, rateMiB int64, dir, src string) (measurement, error) {
	size := b.size(rateMiB)
	rate := rateMiB << 20
	m := measurement{
		server: t.label, tls: t.tls, rateMiB: rateMiB, dir: dir, size: size,
		expected: time.Duration(float64(size) / float64(rate) * float64(time.Second)),
	}
	limit := timeout(m.expected)
	switch dir {
	case "get":
		remote := fmt.Sprintf("get-%dM.bin", rateMiB)
		serverFile := filepath.Join(t.srv.Root, remote)
		if err := copyFile(src, serverFile); err != nil {
			return m, err
		}
		defer os.Remove(serverFile)
		if err := os.Chown(serverFile, b.env.UID, b.env.GID); err != nil {
			return m, err
		}
		var err error
		ours := filepath.Join(b.local, "ours-"+remote)
		if m.ours, err = b.timed(ctx, limit, b.childArgs(t, dir, remote, ours, rate, limit)); err != nil {
			return m, fmt.Errorf("ours: %w", err)
		}
		if err := verify("ours", ours, serverFile, size); err != nil {
			return m, err
		}
		os.Remove(ours)
		theirs := filepath.Join(b.local, "curl-"+remote)
		if m.curl, err = b.timed(ctx, limit, b.curlArgs(t, dir, remote, theirs, rateMiB)); err != nil {
			return m, fmt.Errorf("curl: %w", err)
		}
		if err := verify("curl", theirs, serverFile, size); err != nil {
			return m, err
		}
		os.Remove(theirs)
	case "put":
		var err error
		ours := fmt.Sprintf("ours-put-%dM.bin", rateMiB)
		oursFile := filepath.Join(t.srv.Root, ours)
		defer os.Remove(oursFile)
		if m.ours, err = b.timed(ctx, limit, b.childArgs(t, dir, ours, src, rate, limit)); err != nil {
			return m, fmt.Errorf("ours: %w", err)
		}
		if err := verify("ours", src, oursFile, size); err != nil {
			return m, err
		}
		os.Remove(oursFile)
		theirs := fmt.Sprintf("curl-put-%dM.bin", rateMiB)
		theirsFile := filepath.Join(t.srv.Root, theirs)
		defer os.Remove(theirsFile)
		if m.curl, err = b.timed(ctx, limit, b.curlArgs(t, dir, theirs, src, rateMiB)); err != nil {
			return m, fmt.Errorf("curl: %w", err)
		}
		if err := verify("curl", src, theirsFile, size); err != nil {
			return m, err
		}
	default:
		return m, fmt.Errorf("direction %q", dir)
	}
	return m, nil
}

// childArgs is the command line of the library's side: this program in
// -child mode.
func (b *bench) childArgs(t *target, dir, remote, local string, rate int64, limit time.Duration) []string {
	args := []string{b.self, "-child",
		"-addr", t.addr, "-user", b.env.User, "-password", b.env.Password,
		"-dir", dir, "-remote", remote, "-local", local,
		"-rate", strconv.FormatInt(rate, 10), "-timeout", limit.String()}
	if t.tls {
		args = append(args, "-tls", "-cafile", t.caFile)
	}
	return args
}

// curlArgs is curl's command line for the same transfer.
func (b *bench) curlArgs(t *target, dir, remote, local string, rateMiB int64) []string {
	args := []string{"curl", "-sS", "--limit-rate", fmt.Sprintf("%dM", rateMiB)}
	if t.tls {
		args = append(args, "--ssl-reqd", "--cacert", t.caFile)
	}
	if dir == "get" {
		args = append(args, "-o", local)
	} else {
		args = append(args, "-T", local)
	}
	host := t.host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return append(args, fmt.Sprintf("ftp://%s:%s@%s:%s/%s", b.env.User, b.env.Password, host, t.port, remote))
}

// timed runs argv within limit and returns its wall time, from the start
// of the process to its exit. It records the command line (the password
// masked) for the report.
func (b *bench) timed(ctx context.Context, limit time.Duration, argv []string) (time.Duration, error) {
	b.commands = append(b.commands, b.shown(argv))
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	err := cmd.Wait()
	elapsed := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (limit %v)", ctx.Err(), limit)
		}
		return elapsed, fmt.Errorf("%s: %w: %s", filepath.Base(argv[0]), err, strings.TrimSpace(stderr.String()+" "+stdout.String()))
	}
	return elapsed, nil
}

// straceChild runs the child once under strace -f -c at straceRate and
// returns its counts of straceCalls.
func (b *bench) straceChild(ctx context.Context, t *target, dir, src string) (straceRun, error) {
	s := straceRun{label: t.label, tls: t.tls, dir: dir}
	size := b.size(straceRate)
	rate := int64(straceRate) << 20
	expected := time.Duration(float64(size) / float64(rate) * float64(time.Second))
	limit := timeout(expected)
	countFile := filepath.Join(b.local, "strace-"+t.label+"-"+dir+".txt")
	defer os.Remove(countFile)
	argv := []string{"strace", "-f", "-c", "-e", "trace=" + strings.Join(straceCalls, ","), "-o", countFile}
	var err error
	switch dir {
	case "get":
		remote := "strace-get.bin"
		serverFile := filepath.Join(t.srv.Root, remote)
		if err := copyFile(src, serverFile); err != nil {
			return s, err
		}
		defer os.Remove(serverFile)
		if err := os.Chown(serverFile, b.env.UID, b.env.GID); err != nil {
			return s, err
		}
		local := filepath.Join(b.local, "strace-get.bin")
		defer os.Remove(local)
		// strace gets 10 s more than the child, which ends itself.
		if s.elapsed, err = b.timed(ctx, limit+10*time.Second, append(argv, b.childArgs(t, dir, remote, local, rate, limit)...)); err != nil {
			return s, err
		}
		if err := verify("ours (strace)", local, serverFile, size); err != nil {
			return s, err
		}
	case "put":
		remote := "strace-put.bin"
		serverFile := filepath.Join(t.srv.Root, remote)
		defer os.Remove(serverFile)
		if s.elapsed, err = b.timed(ctx, limit+10*time.Second, append(argv, b.childArgs(t, dir, remote, src, rate, limit)...)); err != nil {
			return s, err
		}
		if err := verify("ours (strace)", src, serverFile, size); err != nil {
			return s, err
		}
	default:
		return s, fmt.Errorf("direction %q", dir)
	}
	f, err := os.Open(countFile)
	if err != nil {
		return s, err
	}
	defer f.Close()
	s.counts, err = parseStraceCounts(f)
	return s, err
}

// parseStraceCounts reads the table strace -c writes:
//
//	% time     seconds  usecs/call     calls    errors syscall
//	------ ----------- ----------- --------- --------- ----------------
//	 98.21    0.001234          12       100         3 splice
//
// and returns the calls of each system call (the errors column may be
// empty). It fails when the table has no rows.
func parseStraceCounts(r io.Reader) (map[string]int64, error) {
	counts := map[string]int64{}
	sc := bufio.NewScanner(r)
	inTable := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "------") {
			inTable = true
			continue
		}
		if !inTable || line == "" {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 5 || fields[len(fields)-1] == "total" {
			continue
		}
		calls, err := strconv.ParseInt(fields[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("strace -c line %q: %w", line, err)
		}
		counts[fields[len(fields)-1]] = calls
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(counts) == 0 {
		return nil, errors.New("strace -c wrote no table")
	}
	return counts, nil
}

// shown returns argv as a shell command line with the password masked.
func (b *bench) shown(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if b.env.Password != "" {
			a = strings.ReplaceAll(a, b.env.Password, "****")
		}
		parts[i] = shellQuote(a)
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%*", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// verify fails loudly unless local and the file on the server's disk have
// the same length (want) and SHA-256.
func verify(who, local, server string, want int64) error {
	lh, ln, err := hashFile(local)
	if err != nil {
		return fmt.Errorf("%s: verifying: %w", who, err)
	}
	sh, sn, err := hashFile(server)
	if err != nil {
		return fmt.Errorf("%s: verifying: %w", who, err)
	}
	if ln != want || sn != want || lh != sh {
		return fmt.Errorf("%s: CHECKSUM MISMATCH: local %s (%d bytes, sha256 %s) vs server %s (%d bytes, sha256 %s), want %d bytes",
			who, local, ln, lh, server, sn, sh, want)
	}
	return nil
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeRandom writes size random bytes (ChaCha8 seeded from crypto/rand)
// to p.
func writeRandom(p string, size int64) error {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return err
	}
	rng := rand.NewChaCha8(seed)
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		if _, err := rng.Read(buf[:n]); err != nil {
			f.Close()
			return err
		}
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
		left -= n
	}
	return f.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// errPct is (elapsed - expected) / expected × 100.
func errPct(elapsed, expected time.Duration) float64 {
	return (elapsed.Seconds() - expected.Seconds()) / expected.Seconds() * 100
}

func tlsLabel(b bool) string {
	if b {
		return "explicit TLS"
	}
	return "plain"
}

// tables renders the measurements and the strace counts as Markdown.
func (b *bench) tables() string {
	var sb strings.Builder
	sb.WriteString("| server | security | rate (MiB/s) | direction | size (MiB) | expected (s) | ours (s) | ours error | curl (s) | curl error | ours / curl |\n")
	sb.WriteString("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, m := range b.results {
		fmt.Fprintf(&sb, "| %s | %s | %d | %s | %.1f | %.3f | %.3f | %+.1f %% | %.3f | %+.1f %% | %.3f |\n",
			m.server, tlsLabel(m.tls), m.rateMiB, m.dir, float64(m.size)/(1<<20), m.expected.Seconds(),
			m.ours.Seconds(), errPct(m.ours, m.expected), m.curl.Seconds(), errPct(m.curl, m.expected),
			m.ours.Seconds()/m.curl.Seconds())
	}
	sb.WriteString("\n")
	fmt.Fprintf(&sb, "System calls of the library's child at %d MiB/s under `strace -f -c` (%s):\n\n", straceRate, strings.Join(straceCalls, ", "))
	sb.WriteString("| server | security | direction | elapsed under strace (s) |")
	for _, c := range straceCalls {
		fmt.Fprintf(&sb, " %s |", c)
	}
	sb.WriteString("\n| --- | --- | --- | ---: |")
	for range straceCalls {
		sb.WriteString(" ---: |")
	}
	sb.WriteString("\n")
	for _, s := range b.straces {
		fmt.Fprintf(&sb, "| %s | %s | %s | %.3f |", s.label, tlsLabel(s.tls), s.dir, s.elapsed.Seconds())
		for _, c := range straceCalls {
			fmt.Fprintf(&sb, " %d |", s.counts[c])
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// verdicts says, from the measurements and the strace counts, whether the
// library held its rates and kept the zero-copy paths.
func (b *bench) verdicts() string {
	var sb strings.Builder
	var off []string
	for _, m := range b.results {
		if e := errPct(m.ours, m.expected); math.Abs(e) > tolerance {
			off = append(off, fmt.Sprintf("%s %d MiB/s %s (%+.1f %%)", m.server, m.rateMiB, m.dir, e))
		}
	}
	if len(off) == 0 {
		fmt.Fprintf(&sb, "- Accuracy: the library's elapsed time is within ±%.0f %% of size/rate in every cell.\n", tolerance)
	} else {
		fmt.Fprintf(&sb, "- Accuracy: **outside ±%.0f %%**: %s.\n", tolerance, strings.Join(off, "; "))
	}
	var curlOff []string
	for _, m := range b.results {
		if e := errPct(m.curl, m.expected); math.Abs(e) > tolerance {
			curlOff = append(curlOff, fmt.Sprintf("%s %d MiB/s %s (%+.1f %%)", m.server, m.rateMiB, m.dir, e))
		}
	}
	if len(curlOff) > 0 {
		fmt.Fprintf(&sb, "- curl outside ±%.0f %%: %s. curl's manual says its limit averages the speed \"over a period of "+
			"multiple seconds\": data that reach curl in one burst before it first checks the rate (a server that pushes "+
			"the file into the loopback socket buffers, several MiB) go through unpaced; the ours/curl ratio of those cells "+
			"compares with a transfer that was not limited.\n", tolerance, strings.Join(curlOff, "; "))
	}
	for _, s := range b.straces {
		switch {
		case !s.tls && s.dir == "get":
			fmt.Fprintf(&sb, "- Plain download: %d splice calls, %d sendfile: %s\n", s.counts["splice"], s.counts["sendfile"],
				yes(s.counts["splice"] > 0, "the paced download still splices from the socket into the file.", "**no splice: the zero-copy path was not used.**"))
		case !s.tls && s.dir == "put":
			fmt.Fprintf(&sb, "- Plain upload: %d sendfile calls, %d splice: %s\n", s.counts["sendfile"], s.counts["splice"],
				yes(s.counts["sendfile"] > 0, "the paced upload still goes out with sendfile.", "**no sendfile: the zero-copy path was not used.**"))
		default:
			fmt.Fprintf(&sb, "- TLS %s: %d read, %d write, %d splice, %d sendfile: %s\n", s.dir, s.counts["read"], s.counts["write"],
				s.counts["splice"], s.counts["sendfile"],
				yes(s.counts["splice"] == 0 && s.counts["sendfile"] == 0,
					"TLS encrypts in user space, so its data moves with read and write, as expected.",
					"unexpected zero-copy calls over TLS."))
		}
	}
	return sb.String()
}

func yes(ok bool, a, b string) string {
	if ok {
		return a
	}
	return b
}

// report is the whole of RATELIMIT.md.
func (b *bench) report(started time.Time, load string) string {
	var sb strings.Builder
	sb.WriteString("# Rate-limit accuracy: the library against curl\n\n")
	fmt.Fprintf(&sb, "Written by `bash bench/ratelimit.sh` (bench/ratelimit/main.go) on %s; the run took %s.\n\n",
		started.UTC().Format("2006-01-02 15:04:05 UTC"), time.Since(started).Round(time.Second))
	sb.WriteString("## Machine\n\n")
	fmt.Fprintf(&sb, "- CPUs (`nproc`): %s\n", cmdLine("nproc"))
	fmt.Fprintf(&sb, "- Kernel (`uname -r`): %s\n", cmdLine("uname", "-r"))
	fmt.Fprintf(&sb, "- CPU model: %s\n", cpuModel())
	fmt.Fprintf(&sb, "- Load average at the start: %s\n", load)
	fmt.Fprintf(&sb, "- Go: %s; curl: %s; strace: %s\n", runtime.Version(), cmdLine("curl", "--version"), cmdLine("strace", "-V"))
	sb.WriteString("\n## Method\n\n")
	fmt.Fprintf(&sb, "Servers on 127.0.0.1, started by `internal/realservers`: vsftpd (plain; it sends with sendfile) and pure-ftpd "+
		"(explicit TLS required for logins and data). For each server, rate (1 MiB = 1,048,576 bytes, as curl's `M`) and direction, "+
		"a random file of rate × %g s is transferred once by the library (`Config{RateLimiter: ftp.NewRateLimiter(rate)}`; "+
		"get: `Retrieve` + `io.Copy(*os.File, r)` + `Close`; put: `Store` + `Send(*os.File)`), run as a child process of the "+
		"benchmark, and once by `curl --limit-rate`, one after the other. Each is timed as a whole process, from its start to "+
		"its exit (login and the final reply included). Expected = size / rate; error = (elapsed − expected) / expected. "+
		"After every transfer the SHA-256 of the local file is compared with that of the file on the server's disk. "+
		"Files live on tmpfs (/dev/shm), both sides.\n\n", b.seconds)
	sb.WriteString("The library's token bucket starts full with a tenth of a second of data, so a paced transfer of " +
		"`seconds` at the rate needs about 0.1 s less than size/rate (−2 % at 5 s) before session set-up is added.\n\n")
	sb.WriteString("## Results\n\n")
	sb.WriteString(b.tables())
	sb.WriteString("\n")
	sb.WriteString(b.verdicts())
	sb.WriteString("\n## Commands\n\n")
	sb.WriteString("As run (the password masked as `****`; the temporary paths differ from run to run):\n\n```\n")
	for _, c := range b.commands {
		sb.WriteString(c)
		sb.WriteString("\n")
	}
	sb.WriteString("```\n")
	return sb.String()
}

// cmdLine returns the first line of a command's output, or why not.
func cmdLine(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return fmt.Sprintf("(%s: %v)", name, err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "(unknown: no model name in /proc/cpuinfo)"
}

// loadAvg returns the three load averages of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return strings.TrimSpace(string(b))
	}
	return strings.Join(f[:3], " ")
}
