// Command driver is the benchmark of the ftp client against its peers on
// real servers on loopback: it starts vsftpd (plain) and pure-ftpd
// (explicit TLS) with internal/realservers, makes the files in a tmpfs
// directory, and measures the same transfers with ftpc (or the library on
// one connection, for many files), curl, lftp and jlaffaye/ftp (ftpjl),
// next to references for the limit (iperf3, a sendfile-to-splice pair). It
// prints one table and writes it, with the machine's description and the
// exact commands, to RESULTS.md.
//
// bench/run.sh builds the clients and runs it; see there.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/seed362563c3/ftp/internal/realservers"
)

type config struct {
	bin      string // directory of ftpc, ftplib, ftpjl, splice
	out      string // RESULTS.md
	size     int64  // the big file
	midSize  int64  // the file that shows RSS does not grow with size
	runs     int    // measured runs of each big transfer (after one warm-up)
	small    int    // number of small files
	smallLen int    // their size
	listN    int    // entries of the listed directory
	work     string // parent of the work directory (tmpfs)
	timeout  time.Duration
	iperfSec int
	keep     bool
	quiet    float64       // load average to wait for before measuring
	quietMax time.Duration // how long to wait for it at most
	serve    bool          // start the servers, print how to reach them, wait
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "reap" {
		os.Exit(reap(os.Args[2:]))
	}
	var cfg config
	var sizeMiB, midMiB int64
	flag.StringVar(&cfg.bin, "bin", "", "`dir` holding ftpc, ftplib, ftpjl and splice (required)")
	flag.StringVar(&cfg.out, "out", "bench/RESULTS.md", "where to write the results")
	flag.Int64Var(&sizeMiB, "size", 1024, "size of the big file in `MiB`")
	flag.Int64Var(&midMiB, "mid", 64, "size of the smaller file for the RSS comparison in `MiB`")
	flag.IntVar(&cfg.runs, "runs", 5, "measured runs of each big transfer, after one warm-up run")
	flag.IntVar(&cfg.small, "small", 1000, "number of small files")
	flag.IntVar(&cfg.smallLen, "small-size", 4096, "size of each small file in bytes")
	flag.IntVar(&cfg.listN, "list", 100000, "entries of the listed directory")
	flag.StringVar(&cfg.work, "work", "/dev/shm", "tmpfs `dir` to hold the files")
	flag.DurationVar(&cfg.timeout, "timeout", 25*time.Minute, "bound on the whole run")
	flag.IntVar(&cfg.iperfSec, "iperf-time", 5, "seconds of each iperf3 run")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory")
	flag.Float64Var(&cfg.quiet, "quiet", 1.0, "before measuring, wait until the 1-minute load average is below `L`")
	flag.DurationVar(&cfg.quietMax, "quiet-wait", 5*time.Minute, "the longest wait for -quiet; then the run goes on")
	flag.BoolVar(&cfg.serve, "serve", false, "only make the files and start the servers, print how to reach them and wait for Ctrl-C (for profiling a client by hand)")
	flag.Parse()
	cfg.size = sizeMiB << 20
	cfg.midSize = midMiB << 20
	if cfg.bin == "" || cfg.runs < 1 || cfg.small < 1 || cfg.small > 9999 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(1)
	}
}

// bench is the state of one run.
type bench struct {
	cfg     config
	env     *realservers.Env
	plain   *realservers.Server // vsftpd
	tlsSrv  *realservers.Server // pure-ftpd, explicit TLS
	tPlain  target
	tTLS    target
	clients []*client
	libList *client // the library's own listing, beside ftpc's

	dir      string // the work directory
	local    string // the client side's files
	dl       string // downloads
	smallDir string // local small files
	treeDir  string // the mirrored tree: the small files in 10 directories
	names    []string

	res results
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, cfg config) (err error) {
	var err2 error
	devNull, err2 = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err2 != nil {
		return err2
	}
	b := &bench{cfg: cfg}
	b.res.started = time.Now()
	b.res.rtt = map[string]rttResult{}
	for _, name := range []string{"ftpc", "ftplib", "ftpjl", "splice"} {
		if _, err := os.Stat(filepath.Join(cfg.bin, name)); err != nil {
			return fmt.Errorf("%s: %w (bench/run.sh builds it)", name, err)
		}
	}
	for _, tool := range []string{"curl", "lftp", "iperf3", timeBin} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s: %w (bench/run.sh installs it)", tool, err)
		}
	}
	b.clients = []*client{
		ours(filepath.Join(cfg.bin, "ftpc"), filepath.Join(cfg.bin, "ftplib")),
		curlClient(cfg.small),
		lftpClient(),
		jlaffayeClient(filepath.Join(cfg.bin, "ftpjl")),
	}
	b.libList = oursLibrary(filepath.Join(cfg.bin, "ftplib"))

	progress("environment: user, certificate")
	b.env, err = realservers.NewEnv()
	if err != nil {
		return err
	}
	defer b.env.Close()
	if err := b.makeFiles(); err != nil {
		return err
	}
	if !cfg.keep {
		defer os.RemoveAll(b.dir)
	}
	progress("starting vsftpd (plain) and pure-ftpd (explicit TLS)")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	wrap := []string{self, "reap"}
	b.plain, err = realservers.StartVsftpd(b.env, realservers.Options{DataDir: filepath.Join(b.dir, "srv-plain"), Wrapper: wrap})
	if err != nil {
		return err
	}
	defer b.plain.Stop()
	b.tlsSrv, err = realservers.StartPureFTPd(b.env, realservers.Options{TLS: realservers.Explicit, DataDir: filepath.Join(b.dir, "srv-tls"), Wrapper: wrap})
	if err != nil {
		return err
	}
	defer b.tlsSrv.Stop()
	b.tPlain = target{addr: b.plain.Addr(), user: b.env.User, pass: b.env.Password}
	b.tTLS = target{addr: b.tlsSrv.Addr(), user: b.env.User, pass: b.env.Password, tls: true, cacert: b.env.CertFile}

	if cfg.serve {
		fmt.Printf("export FTP_USER=%s FTP_PASSWORD=%s\n", b.env.User, b.env.Password)
		fmt.Printf("PLAIN=%s   # vsftpd, root %s, command log %s\n", b.tPlain.addr, b.plain.Root, b.plain.CommandLogs["127.0.0.1"])
		fmt.Printf("TLS=%s     # pure-ftpd, explicit TLS required, root %s\n", b.tTLS.addr, b.tlsSrv.Root)
		fmt.Printf("CACERT=%s\nLOCAL=%s\nDL=%s\n", b.env.CertFile, b.local, b.dl)
		<-ctx.Done()
		return nil
	}

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"round trips", b.roundTrips},
		{"big transfers", b.bigTransfers},
		{"RSS against file size", b.rssBySize},
		{"small files", b.smallFiles},
		{"mirrors", b.mirrors},
		{"listing", b.listing},
		{"references", b.references},
	}
	b.waitQuiet(ctx)
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.res.loads = append(b.res.loads, fmt.Sprintf("%s %.2f", s.name, loadAvg()))
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	b.res.finished = time.Now()
	return b.report()
}

// waitQuiet waits, within -quiet-wait, for the load average to fall below
// -quiet: other work on the machine shares its two CPUs with the clients
// and servers.
func (b *bench) waitQuiet(ctx context.Context) {
	start := time.Now()
	var told time.Time
	for loadAvg() >= b.cfg.quiet && time.Since(start) < b.cfg.quietMax && ctx.Err() == nil {
		if time.Since(told) >= 30*time.Second {
			progress("load average %.2f ≥ %.2f: waiting for a quieter machine (at most %v)", loadAvg(), b.cfg.quiet, b.cfg.quietMax)
			told = time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
	b.res.quietWait = time.Since(start).Round(time.Second)
}

// makeFiles writes the files: a random big and mid file, the small files,
// a one-block file, and the listed directory; the servers' directories
// hold hard links to the client side's files.
func (b *bench) makeFiles() error {
	var err error
	b.dir, err = os.MkdirTemp(b.cfg.work, "ftpbench-")
	if err != nil {
		return err
	}
	if err := os.Chmod(b.dir, 0o755); err != nil {
		return err
	}
	b.local = filepath.Join(b.dir, "local")
	b.dl = filepath.Join(b.dir, "dl")
	b.smallDir = filepath.Join(b.local, "small")
	srvPlain := filepath.Join(b.dir, "srv-plain")
	srvTLS := filepath.Join(b.dir, "srv-tls")
	b.treeDir = filepath.Join(b.local, "tree")
	for _, d := range []string{b.local, b.dl, b.smallDir, srvPlain, srvTLS,
		filepath.Join(srvPlain, "small"), filepath.Join(srvTLS, "small"), filepath.Join(srvPlain, "list")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, d := range []string{filepath.Join(srvPlain, "up"), filepath.Join(srvTLS, "up")} {
		if err := b.userDir(d); err != nil {
			return err
		}
	}
	rng := rand.NewChaCha8([32]byte{'f', 't', 'p', 'b', 'e', 'n', 'c', 'h'})
	progress("writing %d MiB and %d MiB random files, %d files of %d bytes, a directory of %d entries in %s",
		b.cfg.size>>20, b.cfg.midSize>>20, b.cfg.small, b.cfg.smallLen, b.cfg.listN, b.dir)
	for _, f := range []struct {
		name string
		size int64
	}{{"big.bin", b.cfg.size}, {"mid.bin", b.cfg.midSize}, {"one.bin", int64(b.cfg.smallLen)}} {
		if err := writeRandom(filepath.Join(b.local, f.name), f.size, rng); err != nil {
			return err
		}
		for _, srv := range []string{srvPlain, srvTLS} {
			if err := os.Link(filepath.Join(b.local, f.name), filepath.Join(srv, f.name)); err != nil {
				return err
			}
		}
	}
	for i := 1; i <= b.cfg.small; i++ {
		name := fmt.Sprintf("f%04d.bin", i)
		b.names = append(b.names, name)
		p := filepath.Join(b.smallDir, name)
		if err := writeRandom(p, int64(b.cfg.smallLen), rng); err != nil {
			return err
		}
		for _, srv := range []string{srvPlain, srvTLS} {
			if err := os.Link(p, filepath.Join(srv, "small", name)); err != nil {
				return err
			}
		}
	}
	// The mirrored tree: the small files again, in 10 directories.
	for i, name := range b.names {
		d := fmt.Sprintf("d%d", i%10)
		for _, root := range []string{b.treeDir, filepath.Join(srvPlain, "tree")} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				return err
			}
		}
		if err := os.Link(filepath.Join(b.smallDir, name), filepath.Join(b.treeDir, d, name)); err != nil {
			return err
		}
		if err := os.Link(filepath.Join(b.smallDir, name), filepath.Join(srvPlain, "tree", d, name)); err != nil {
			return err
		}
	}
	list := filepath.Join(srvPlain, "list")
	for i := range b.cfg.listN {
		f, err := os.Create(filepath.Join(list, fmt.Sprintf("entry-%06d.dat", i)))
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

// userDir makes an empty directory the server's user owns.
func (b *bench) userDir(d string) error {
	if err := os.RemoveAll(d); err != nil {
		return err
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	return os.Chown(d, b.env.UID, b.env.GID)
}

func writeRandom(path string, size int64, rng *rand.ChaCha8) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 4<<20)
	for left := size; left > 0; {
		n := int(min(left, int64(len(buf))))
		rng.Read(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
		left -= int64(n)
	}
	return f.Close()
}

// order returns the clients in the order of round r: rotated, so that none
// always runs first or right after the same peer.
func (b *bench) order(r int) []*client {
	n := len(b.clients)
	out := make([]*client, 0, n)
	for i := range n {
		out = append(out, b.clients[(i+r)%n])
	}
	return out
}

// serverPath maps a path relative to a server's root to the local file.
func serverPath(s *realservers.Server, p string) string { return filepath.Join(s.Root, p) }

// bigOp is one of the four 1 GiB transfers.
type bigOp struct {
	key, label string
	tls        bool
	upload     bool
}

var bigOps = []bigOp{
	{"plain-get", "plain download", false, false},
	{"plain-put", "plain upload", false, true},
	{"tls-get", "TLS download", true, false},
	{"tls-put", "TLS upload", true, true},
}

// transfer runs one transfer of file (a name in local/ and in the server
// root) with c, checks its size (and content when verify is set) and
// removes what it wrote.
func (b *bench) transfer(ctx context.Context, c *client, op bigOp, file string, size int64, verify bool) (sample, job, error) {
	t, srv := b.tPlain, b.plain
	if op.tls {
		t, srv = b.tTLS, b.tlsSrv
	}
	var j job
	var src, dst string
	if op.upload {
		remote := "up/" + c.key + "-" + file
		src, dst = filepath.Join(b.local, file), serverPath(srv, remote)
		j = c.put(t, src, remote)
	} else {
		src, dst = serverPath(srv, file), filepath.Join(b.dl, c.key+"-"+file)
		j = c.get(t, file, dst)
	}
	j.server = srv.PIDs()
	os.Remove(dst)
	defer os.Remove(dst)
	s, err := measure(ctx, 5*time.Minute, j)
	if err != nil {
		return s, j, err
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return s, j, fmt.Errorf("%s: %w", j.shown(), err)
	}
	if fi.Size() != size {
		return s, j, fmt.Errorf("%s: %s holds %d bytes, want %d", j.shown(), dst, fi.Size(), size)
	}
	if verify {
		if err := sameContent(src, dst); err != nil {
			return s, j, fmt.Errorf("%s: %w", j.shown(), err)
		}
	}
	return s, j, nil
}

func (b *bench) bigTransfers(ctx context.Context) error {
	for _, op := range bigOps {
		// The sendfile-to-splice reference takes its turn among the plain
		// downloads, so that it meets the same conditions.
		var ref *spliceRef
		if op.key == "plain-get" {
			var err error
			if ref, err = b.startSplice(ctx, b.cfg.runs+1); err != nil {
				return fmt.Errorf("sendfile-to-splice reference: %w", err)
			}
		}
		for r := 0; r <= b.cfg.runs; r++ {
			var line []string
			for i, c := range b.order(r) {
				if ref != nil && i == r%len(b.clients) {
					mbps, err := b.spliceRun(ctx, ref, r)
					if err != nil {
						ref.stop()
						return fmt.Errorf("sendfile-to-splice reference: %w", err)
					}
					line = append(line, fmt.Sprintf("reference %.0f MB/s", mbps))
				}
				s, j, err := b.transfer(ctx, c, op, "big.bin", b.cfg.size, r == 0)
				if err != nil {
					return err
				}
				b.res.command(c.key, op.label, j)
				mbps := float64(b.cfg.size) / s.wall.Seconds() / 1e6
				line = append(line, fmt.Sprintf("%s %.0f MB/s", c.key, mbps))
				if r == 0 {
					continue // warm-up, and the content check
				}
				st := b.res.big(op.key, c.key)
				gib := float64(b.cfg.size) / (1 << 30)
				st.mbps = append(st.mbps, mbps)
				st.cpu = append(st.cpu, s.cpu.Seconds()/gib)
				st.server = append(st.server, s.server.Seconds()/gib)
				st.other = append(st.other, s.other.Seconds())
				st.rss = append(st.rss, float64(s.rssKiB)/1024)
			}
			what := "run " + fmt.Sprint(r)
			if r == 0 {
				what = "warm-up (content checked)"
			}
			progress("%s, %s: %s", op.label, what, strings.Join(line, ", "))
		}
		if ref != nil {
			ref.stop()
		}
	}
	return nil
}

// rssBySize transfers the mid-size file, to compare each client's peak RSS
// with the big file's.
func (b *bench) rssBySize(ctx context.Context) error {
	for _, op := range bigOps {
		for r := range 3 {
			for _, c := range b.order(r) {
				s, _, err := b.transfer(ctx, c, op, "mid.bin", b.cfg.midSize, r == 0)
				if err != nil {
					return err
				}
				st := b.res.mid(op.key, c.key)
				st.rss = append(st.rss, float64(s.rssKiB)/1024)
			}
		}
		progress("%s of %d MiB: peak RSS measured", op.label, b.cfg.midSize>>20)
	}
	return nil
}

// smallFiles uploads then downloads the small files on one connection per
// batch, plain (vsftpd) and over explicit TLS (pure-ftpd): one warm-up
// round with a content check, then three.
func (b *bench) smallFiles(ctx context.Context) error {
	if err := b.smallFilesOn(ctx, false); err != nil {
		return err
	}
	return b.smallFilesOn(ctx, true)
}

func (b *bench) smallFilesOn(ctx context.Context, tls bool) error {
	const rounds = 3
	t, srv, what := b.tPlain, b.plain, ""
	if tls {
		t, srv, what = b.tTLS, b.tlsSrv, " over TLS"
	}
	n := fmt.Sprintf("%s × %s", thousands(b.cfg.small), sizeName(int64(b.cfg.smallLen)))
	for r := 0; r <= rounds; r++ {
		var line []string
		for _, c := range b.order(r) {
			if tls && c.key == "curl" {
				// curl's globbed upload over TLS to pure-ftpd made no
				// progress in 5 minutes in our trial: left out.
				continue
			}
			remoteDir := "up/small-" + c.key
			upDir := serverPath(srv, remoteDir)
			if err := b.userDir(upDir); err != nil {
				return err
			}
			j := c.mput(t, b.smallDir, remoteDir, b.names)
			j.server = srv.PIDs()
			b.res.command(c.key, "small files upload"+what, j)
			// The warm-up round on vsftpd records the commands, which
			// only vsftpd logs.
			logged := r == 0 && !tls
			s, cmds, err := b.measureLogged(ctx, 5*time.Minute, j, logged)
			if err != nil {
				return err
			}
			if logged {
				b.res.perFileCommands(n+" upload, one connection", smallName(c.key), b.cfg.small, cmds)
			}
			if err := b.checkSmall(b.smallDir, upDir, r == 0); err != nil {
				return fmt.Errorf("%s: %w", j.shown(), err)
			}
			up := float64(b.cfg.small) / s.wall.Seconds()

			dlDir := filepath.Join(b.dl, "small-"+c.key)
			if err := os.RemoveAll(dlDir); err != nil {
				return err
			}
			if err := os.MkdirAll(dlDir, 0o755); err != nil {
				return err
			}
			j = c.mget(t, "small", dlDir, b.names)
			j.server = srv.PIDs()
			b.res.command(c.key, "small files download"+what, j)
			s2, cmds, err := b.measureLogged(ctx, 5*time.Minute, j, logged)
			if err != nil {
				return err
			}
			if logged {
				b.res.perFileCommands(n+" download, one connection", smallName(c.key), b.cfg.small, cmds)
			}
			if err := b.checkSmall(b.smallDir, dlDir, r == 0); err != nil {
				return fmt.Errorf("%s: %w", j.shown(), err)
			}
			down := float64(b.cfg.small) / s2.wall.Seconds()
			os.RemoveAll(dlDir)
			os.RemoveAll(upDir)
			line = append(line, fmt.Sprintf("%s %.0f/%.0f", c.key, up, down))
			if r == 0 {
				continue
			}
			st := b.res.smallStats(c.key + map[bool]string{true: "/tls"}[tls])
			st.up = append(st.up, up)
			st.down = append(st.down, down)
			st.upCPU = append(st.upCPU, s.cpu.Seconds())
			st.downCPU = append(st.downCPU, s2.cpu.Seconds())
			st.upSrv = append(st.upSrv, s.server.Seconds())
			st.downSrv = append(st.downSrv, s2.server.Seconds())
		}
		progress("small files%s (upload/download files per second), round %d: %s", what, r, strings.Join(line, ", "))
	}
	return nil
}

// smallName names a client of the small-file runs as the report does.
func smallName(key string) string {
	if key == "ftp" {
		return "ftp (library)"
	}
	return key
}

// checkSmall checks that dir holds every small file with its size, and
// with its content when full is set.
func (b *bench) checkSmall(srcDir, dir string, full bool) error {
	for _, name := range b.names {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.Size() != int64(b.cfg.smallLen) {
			return fmt.Errorf("%s holds %d bytes, want %d", p, fi.Size(), b.cfg.smallLen)
		}
		if full {
			if err := sameContent(filepath.Join(srcDir, name), p); err != nil {
				return err
			}
		}
	}
	return nil
}

// listing lists the big directory: a warm-up round that counts the lines
// printed, then three timed rounds.
func (b *bench) listing(ctx context.Context) error {
	const rounds = 3
	for r := 0; r <= rounds; r++ {
		var line []string
		for _, c := range append(b.order(r), b.libList) {
			j := c.ls(b.tPlain, "list")
			j.server = b.plain.PIDs()
			b.res.command(c.key, "listing", j)
			var out *os.File
			if r == 0 {
				var err error
				out, err = os.Create(filepath.Join(b.dir, "listing-"+c.key+".txt"))
				if err != nil {
					return err
				}
				j.stdout = out
			}
			s, err := measure(ctx, 5*time.Minute, j)
			if out != nil {
				out.Close()
				if err == nil {
					err = b.checkListing(c, out.Name())
				}
				os.Remove(out.Name())
			}
			if err != nil {
				return err
			}
			line = append(line, fmt.Sprintf("%s %.2f s", c.key, s.wall.Seconds()))
			if r == 0 {
				continue
			}
			st := b.res.listStats(c.key)
			st.secs = append(st.secs, s.wall.Seconds())
			st.cpu = append(st.cpu, s.cpu.Seconds())
			st.rss = append(st.rss, float64(s.rssKiB)/1024)
			st.srv = append(st.srv, s.server.Seconds())
		}
		progress("listing of %d entries, round %d: %s", b.cfg.listN, r, strings.Join(line, ", "))
	}
	return nil
}

// checkListing makes sure a client saw every entry: a line per entry, or
// (ftplib, ftpjl) the count it printed.
func (b *bench) checkListing(c *client, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := string(data)
	var n int
	if _, err := fmt.Sscanf(text, "%d entries", &n); err != nil {
		n = strings.Count(text, "entry-")
	}
	if n != b.cfg.listN {
		return fmt.Errorf("%s listed %d entries, want %d", c.key, n, b.cfg.listN)
	}
	return nil
}

// roundTrips logs in and downloads one small file with each client, and
// counts the commands vsftpd logged for the session.
func (b *bench) roundTrips(ctx context.Context) error {
	for _, c := range b.clients {
		var counts []int
		var verbs []string
		var walls []float64
		for r := range 3 {
			j := c.get(b.tPlain, "one.bin", filepath.Join(b.dl, "one-"+c.key+".bin"))
			b.res.command(c.key, "login + one small download", j)
			s, cmds, err := b.measureLogged(ctx, time.Minute, j, true)
			if err != nil {
				return err
			}
			walls = append(walls, s.wall.Seconds()*1000)
			counts = append(counts, len(cmds))
			if r == 0 {
				verbs = cmds
			} else if len(cmds) != counts[0] {
				progress("note: %s sent %d commands, then %d", c.key, counts[0], len(cmds))
			}
			if err := sameContent(filepath.Join(b.local, "one.bin"), filepath.Join(b.dl, "one-"+c.key+".bin")); err != nil {
				return err
			}
		}
		b.res.rtt[c.key] = rttResult{commands: counts[0], verbs: verbs, wallMs: median(walls)}
		progress("round trips, %s: %d commands (%s), %.1f ms", c.key, counts[0], strings.Join(verbs, " "), median(walls))
	}
	return nil
}

// measureLogged is measure that, when logged is set, also returns the
// verbs of the commands vsftpd logged while j ran, every session's: j runs
// alone, so its connections are the only ones, however many it opens. A
// log that cannot be read, or holds nothing for a client that worked, is
// an error: the table would show figures that are not the client's.
func (b *bench) measureLogged(ctx context.Context, timeout time.Duration, j job, logged bool) (sample, []string, error) {
	if !logged {
		s, err := measure(ctx, timeout, j)
		return s, nil, err
	}
	log := b.plain.CommandLogs["127.0.0.1"]
	before, err := fileSize(log)
	if err != nil {
		return sample{}, nil, fmt.Errorf("vsftpd's command log: %w", err)
	}
	s, err := measure(ctx, timeout, j)
	if err != nil {
		return s, nil, err
	}
	// vsftpd logs a command when it reads it: give the session processes
	// a moment after the client's QUIT.
	time.Sleep(200 * time.Millisecond)
	cmds, err := commandsSince(log, before)
	if err != nil {
		return s, nil, fmt.Errorf("vsftpd's command log: %w", err)
	}
	if len(cmds) == 0 {
		return s, nil, fmt.Errorf("%s: vsftpd's command log %s holds no command of its run", j.shown(), log)
	}
	return s, cmds, nil
}

func fileSize(p string) (int64, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// commandsSince returns the verbs of the "FTP command" lines vsftpd wrote
// to log past offset.
func commandsSince(log string, offset int64) ([]string, error) {
	f, err := os.Open(log)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	var verbs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		// ... FTP command: Client "127.0.0.1", "RETR one.bin"
		i := strings.Index(line, "FTP command: ")
		if i < 0 {
			continue
		}
		rest := line[i:]
		if j := strings.Index(rest, `", "`); j >= 0 {
			cmd := strings.TrimSuffix(rest[j+4:], `"`)
			verb, _, _ := strings.Cut(cmd, " ")
			verbs = append(verbs, strings.ToUpper(verb))
		}
	}
	return verbs, sc.Err()
}
