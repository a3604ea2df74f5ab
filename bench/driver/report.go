package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seed362563c3/ftp/internal/realservers"
)

type bigStats struct{ mbps, cpu, server, other, rss []float64 }
type smallStats struct{ up, down, upCPU, downCPU, upSrv, downSrv []float64 }
type listStats struct{ secs, cpu, rss, srv []float64 }
type iperfStats struct{ mbps, hostCPU, remoteCPU []float64 }

// perFileResult holds the commands vsftpd logged for one client's warm-up
// run of a small-file workload.
type perFileResult struct {
	workload, client string
	files            int
	verbs            []string
}

type rttResult struct {
	commands int
	verbs    []string
	wallMs   float64
}

// results collects every figure of a run.
type results struct {
	started, finished time.Time

	bigs  map[string]map[string]*bigStats // op key → client key
	mids  map[string]map[string]*bigStats
	small map[string]*smallStats // client key, with "/tls" for TLS
	// mirror holds the wall times of each mirror workload: op key →
	// client key.
	mirror map[string]map[string][]float64
	list   map[string]*listStats
	rtt    map[string]rttResult
	// perFile holds the commands of the small-file workloads on vsftpd,
	// in the order they ran.
	perFile []perFileResult

	splice                bigStats
	iperfPlain, iperfZero iperfStats

	// loads is the 1-minute load average at the start of each part;
	// quietWait how long the run waited for a quieter machine.
	loads     []string
	quietWait time.Duration

	commands    map[string]map[string]string // op label → client key → command
	cmdOrder    []string
	refCommands []string
}

func statsIn(m *map[string]map[string]*bigStats, op, c string) *bigStats {
	if *m == nil {
		*m = map[string]map[string]*bigStats{}
	}
	if (*m)[op] == nil {
		(*m)[op] = map[string]*bigStats{}
	}
	if (*m)[op][c] == nil {
		(*m)[op][c] = &bigStats{}
	}
	return (*m)[op][c]
}

func (r *results) big(op, c string) *bigStats { return statsIn(&r.bigs, op, c) }
func (r *results) mid(op, c string) *bigStats { return statsIn(&r.mids, op, c) }

func (r *results) smallStats(c string) *smallStats {
	if r.small == nil {
		r.small = map[string]*smallStats{}
	}
	if r.small[c] == nil {
		r.small[c] = &smallStats{}
	}
	return r.small[c]
}

func (r *results) mirrorSecs(op, c string, secs float64) {
	if r.mirror == nil {
		r.mirror = map[string]map[string][]float64{}
	}
	if r.mirror[op] == nil {
		r.mirror[op] = map[string][]float64{}
	}
	r.mirror[op][c] = append(r.mirror[op][c], secs)
}

func (r *results) perFileCommands(workload, client string, files int, verbs []string) {
	r.perFile = append(r.perFile, perFileResult{workload, client, files, verbs})
}

func (r *results) listStats(c string) *listStats {
	if r.list == nil {
		r.list = map[string]*listStats{}
	}
	if r.list[c] == nil {
		r.list[c] = &listStats{}
	}
	return r.list[c]
}

// command keeps the first command line of each client and operation.
func (r *results) command(c, op string, j job) {
	if r.commands == nil {
		r.commands = map[string]map[string]string{}
	}
	if r.commands[op] == nil {
		r.commands[op] = map[string]string{}
		r.cmdOrder = append(r.cmdOrder, op)
	}
	if _, ok := r.commands[op][c]; !ok {
		r.commands[op][c] = j.shown()
	}
}

// row is one line of the table: a figure per client and whether higher or
// lower is better.
type row struct {
	label  string
	higher bool
	vals   map[string]float64
	format string
}

func (b *bench) keys() []string {
	var ks []string
	for _, c := range b.clients {
		ks = append(ks, c.key)
	}
	return ks
}

// rows builds the main table.
func (b *bench) rows() []row {
	var rows []row
	med := func(f func(*bigStats) []float64, op string) map[string]float64 {
		m := map[string]float64{}
		for k, st := range b.res.bigs[op] {
			m[k] = median(f(st))
		}
		return m
	}
	for _, op := range bigOps {
		rows = append(rows,
			row{op.label + ": MB/s", true, med(func(s *bigStats) []float64 { return s.mbps }, op.key), "%.0f"},
			row{op.label + ": client CPU s/GiB", false, med(func(s *bigStats) []float64 { return s.cpu }, op.key), "%.3f"},
			row{op.label + ": peak RSS MiB", false, maxRSS(b.res.bigs[op.key]), "%.1f"},
			row{op.label + ": server CPU s/GiB", false, med(func(s *bigStats) []float64 { return s.server }, op.key), "%.3f"},
		)
	}
	up, down, list, cmds, wall := map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	upTLS, downTLS, listRSS := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for k, st := range b.res.small {
		if c, ok := strings.CutSuffix(k, "/tls"); ok {
			upTLS[c], downTLS[c] = median(st.up), median(st.down)
			continue
		}
		up[k], down[k] = median(st.up), median(st.down)
	}
	for k, st := range b.res.list {
		list[k] = median(st.secs)
		listRSS[k] = maxOf(st.rss)
	}
	mirrorRows := []row{}
	for _, op := range mirrorOps {
		m := map[string]float64{}
		for k, secs := range b.res.mirror[op.key] {
			m[k] = median(secs)
		}
		mirrorRows = append(mirrorRows, row{op.label + " (" + thousands(b.cfg.small) + " × " + sizeName(int64(b.cfg.smallLen)) + ", 10 dirs; ftp: ftpc mirror): s", false, m, "%.2f"})
	}
	for k, rt := range b.res.rtt {
		cmds[k], wall[k] = float64(rt.commands), rt.wallMs
	}
	n := fmt.Sprintf("%s × %s", thousands(b.cfg.small), sizeName(int64(b.cfg.smallLen)))
	rows = append(rows,
		row{n + " upload, one connection (ftp: library): files/s", true, up, "%.0f"},
		row{n + " download, one connection (ftp: library): files/s", true, down, "%.0f"},
		row{n + " upload over TLS, one connection (ftp: library): files/s", true, upTLS, "%.0f"},
		row{n + " download over TLS, one connection (ftp: library): files/s", true, downTLS, "%.0f"},
	)
	rows = append(rows, mirrorRows...)
	rows = append(rows,
		row{"listing of " + thousands(b.cfg.listN) + " entries (ftp: ftpc ls): s", false, list, "%.2f"},
		row{"listing of " + thousands(b.cfg.listN) + " entries (ftp: ftpc ls): peak RSS MiB", false, listRSS, "%.1f"},
		row{"login + one small download: commands", false, cmds, "%.0f"},
		row{"login + one small download: ms", false, wall, "%.1f"},
	)
	return rows
}

// peakRSS returns the largest peak RSS of client c in operation op.
func peakRSS(m map[string]map[string]*bigStats, op, c string) float64 {
	if st := m[op][c]; st != nil {
		return maxOf(st.rss)
	}
	return 0
}

func maxRSS(m map[string]*bigStats) map[string]float64 {
	out := map[string]float64{}
	for k, st := range m {
		out[k] = maxOf(st.rss)
	}
	return out
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), ",")
}

func sizeName(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// markdownTable renders rows of cells as an aligned Markdown table.
func markdownTable(header []string, cells [][]string, rightFrom int) string {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range cells {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	pad := func(s string, i int) string {
		p := strings.Repeat(" ", width[i]-utf8.RuneCountInString(s))
		if i >= rightFrom {
			return p + s
		}
		return s + p
	}
	var sb strings.Builder
	line := func(r []string) {
		sb.WriteString("|")
		for i, c := range r {
			sb.WriteString(" " + pad(c, i) + " |")
		}
		sb.WriteString("\n")
	}
	line(header)
	sep := make([]string, len(header))
	for i := range header {
		d := strings.Repeat("-", width[i])
		if i >= rightFrom {
			d = d[1:] + ":"
		}
		sep[i] = d
	}
	line(sep)
	for _, r := range cells {
		line(r)
	}
	return sb.String()
}

// mainTable renders the rows with the ratio of ours to each peer.
func (b *bench) mainTable(rows []row) string {
	keys := b.keys()
	header := append([]string{"figure", "better"}, keys...)
	for _, k := range keys[1:] {
		header = append(header, "ftp/"+k)
	}
	var cells [][]string
	for _, r := range rows {
		better := "lower"
		if r.higher {
			better = "higher"
		}
		line := []string{r.label, better}
		for _, k := range keys {
			if v, ok := r.vals[k]; ok {
				line = append(line, fmt.Sprintf(r.format, v))
			} else {
				line = append(line, "-")
			}
		}
		for _, k := range keys[1:] {
			line = append(line, ratio(r.vals[keys[0]], r.vals[k]))
		}
		cells = append(cells, line)
	}
	return markdownTable(header, cells, 2)
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// target is one goal of the issue, checked against the figures.
type goal struct {
	text string
	met  bool
	data string
}

func (b *bench) goals() []goal {
	var gs []goal
	med := func(op, c string, f func(*bigStats) []float64) float64 {
		if st := b.res.bigs[op][c]; st != nil {
			return median(f(st))
		}
		return 0
	}
	mbps := func(s *bigStats) []float64 { return s.mbps }
	cpu := func(s *bigStats) []float64 { return s.cpu }
	ours, curl, lftp := med("plain-get", "ftp", mbps), med("plain-get", "curl", mbps), med("plain-get", "lftp", mbps)
	ref := median(b.res.splice.mbps)
	gs = append(gs,
		goal{"plain download ≥ 1.3× curl's MB/s", ours >= 1.3*curl, fmt.Sprintf("%.0f vs %.0f MB/s: %s", ours, curl, ratio(ours, curl))},
		goal{"plain download ≥ 1.0× lftp's MB/s", ours >= lftp, fmt.Sprintf("%.0f vs %.0f MB/s: %s", ours, lftp, ratio(ours, lftp))},
		goal{"plain download ≥ 0.8× the sendfile-to-splice reference", ours >= 0.8*ref, fmt.Sprintf("%.0f vs %.0f MB/s: %s", ours, ref, ratio(ours, ref))},
	)
	oursUp, curlUp := med("plain-put", "ftp", mbps), med("plain-put", "curl", mbps)
	gs = append(gs, goal{"plain upload ≥ 1.0× curl's MB/s", oursUp >= curlUp, fmt.Sprintf("%.0f vs %.0f MB/s: %s", oursUp, curlUp, ratio(oursUp, curlUp))})
	for _, op := range bigOps {
		o, c := med(op.key, "ftp", cpu), med(op.key, "curl", cpu)
		gs = append(gs, goal{op.label + ": client CPU s/GiB ≤ 0.8× curl's", o <= 0.8*c, fmt.Sprintf("%.3f vs %.3f s/GiB: %s", o, c, ratio(o, c))})
	}
	for _, op := range bigOps {
		big := peakRSS(b.res.bigs, op.key, "ftp")
		mid := peakRSS(b.res.mids, op.key, "ftp")
		// Independent of size: within 10% or 2 MiB of the smaller file's.
		same := big <= mid*1.1 || big-mid <= 2
		gs = append(gs, goal{op.label + ": peak RSS of " + sizeName(b.cfg.size) + " < 32 MiB and independent of file size",
			big < 32 && same, fmt.Sprintf("%.1f MiB (%.1f MiB at %s)", big, mid, sizeName(b.cfg.midSize))})
	}
	if o, c := b.res.small["ftp"], b.res.small["curl"]; o != nil && c != nil {
		ou, cu, od, cd := median(o.up), median(c.up), median(o.down), median(c.down)
		gs = append(gs,
			goal{"small-file uploads per second ≥ curl's", ou >= cu, fmt.Sprintf("%.0f vs %.0f files/s: %s", ou, cu, ratio(ou, cu))},
			goal{"small-file downloads per second ≥ curl's", od >= cd, fmt.Sprintf("%.0f vs %.0f files/s: %s", od, cd, ratio(od, cd))},
		)
	}
	gs = append(gs, b.issue13Goals()...)
	o, c := b.res.rtt["ftp"], b.res.rtt["curl"]
	gs = append(gs, goal{"control round trips (login + one small download) ≤ curl's", o.commands <= c.commands,
		fmt.Sprintf("%d (%s) vs %d (%s)", o.commands, strings.Join(o.verbs, " "), c.commands, strings.Join(c.verbs, " "))})
	return gs
}

// issue13Goals are the targets of issue 13: many small files, mirrors and
// huge listings.
func (b *bench) issue13Goals() []goal {
	var gs []goal
	for _, g := range []struct {
		op  string
		max float64
	}{{"mirror-up-1", 0.8}, {"mirror-up-4", 0.8}, {"mirror-down-1", 0.6}, {"mirror-down-4", 0.6}} {
		o, l := median(b.res.mirror[g.op]["ftp"]), median(b.res.mirror[g.op]["lftp"])
		label := g.op
		for _, op := range mirrorOps {
			if op.key == g.op {
				label = op.label
			}
		}
		gs = append(gs, goal{fmt.Sprintf("%s: ftpc mirror ≤ %.1f× lftp mirror's wall time", label, g.max), o > 0 && l > 0 && o <= g.max*l,
			fmt.Sprintf("%.2f vs %.2f s: %s", o, l, ratio(o, l))})
	}
	for _, k := range []string{"ftp", "ftp-library"} {
		name := "ftpc ls"
		if k != "ftp" {
			name = "the library's streaming ls (bench/ftplib)"
		}
		if o, c := b.res.list[k], b.res.list["curl"]; o != nil && c != nil {
			osec, cs := median(o.secs), median(c.secs)
			gs = append(gs, goal{fmt.Sprintf("listing of %s entries: %s ≤ 1.0× curl's wall time", thousands(b.cfg.listN), name), osec <= cs,
				fmt.Sprintf("%.2f vs %.2f s: %s", osec, cs, ratio(osec, cs))})
			gs = append(gs, goal{fmt.Sprintf("listing of %s entries: %s peak RSS ≤ 16 MiB", thousands(b.cfg.listN), name), maxOf(o.rss) <= 16,
				fmt.Sprintf("%.1f MiB", maxOf(o.rss))})
		}
	}
	for _, k := range []string{"", "/tls"} {
		o, j := b.res.small["ftp"+k], b.res.small["jlaffaye"+k]
		if o == nil || j == nil {
			continue
		}
		what := ""
		if k != "" {
			what = " over TLS"
		}
		ou, ju, od, jd := median(o.up), median(j.up), median(o.down), median(j.down)
		gs = append(gs,
			goal{"small-file uploads" + what + " (library, one connection) ≥ 1.2× jlaffaye's files/s", ou >= 1.2*ju, fmt.Sprintf("%.0f vs %.0f files/s: %s", ou, ju, ratio(ou, ju))},
			goal{"small-file downloads" + what + " (library, one connection) ≥ 1.2× jlaffaye's files/s", od >= 1.2*jd, fmt.Sprintf("%.0f vs %.0f files/s: %s", od, jd, ratio(od, jd))},
		)
	}
	return gs
}

func goalsText(gs []goal) string {
	var sb strings.Builder
	met := 0
	for _, g := range gs {
		mark := "NOT MET"
		if g.met {
			mark = "met"
			met++
		}
		fmt.Fprintf(&sb, "- **%s**: %s — %s\n", mark, g.text, g.data)
	}
	fmt.Fprintf(&sb, "\n%d of %d targets met.\n", met, len(gs))
	return sb.String()
}

// report prints the table and writes RESULTS.md.
func (b *bench) report() error {
	rows := b.rows()
	table := b.mainTable(rows)
	refs := b.referenceTable()
	gs := b.goals()
	fmt.Println()
	fmt.Println(table)
	fmt.Println(refs)
	fmt.Println(goalsText(gs))

	var sb strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&sb, format, args...) }
	w("# Benchmark results\n\n")
	w("Written by `bash bench/run.sh` (bench/driver) on %s; the run took %s. ",
		b.res.started.UTC().Format("2006-01-02 15:04 MST"), b.res.finished.Sub(b.res.started).Round(time.Second))
	w("The figures are from one run on the machine below; they are not pass/fail tests.\n\n")
	w("## Machine\n\n%s\n", b.machine())
	w("## Method\n\n")
	w("- Servers on 127.0.0.1, started by `internal/realservers` from temporary configs: **vsftpd** for plain transfers (it sends with sendfile(2)), **pure-ftpd** with required explicit TLS for TLS transfers. Both log the client in as the local user `%s`.\n", realservers.User)
	w("- Files live on **tmpfs** (`%s`, RAM-backed): the %s file, the %s file and the small files are random bytes; the servers' directories hold hard links to the client side's files. Downloads are written to real files on the same tmpfs (so splice(2) applies); uploads land in the server's directory there. Every destination is removed before each run, outside the timing.\n", b.cfg.work, sizeName(b.cfg.size), sizeName(b.cfg.midSize))
	w("- Each %s transfer ran once as a warm-up, whose result was compared byte for byte with the source, then %d times; clients take turns within each round, in a rotating order. **MB/s** = 10^6 bytes per second over the client process's wall time from start to exit (connect, login, transfer, QUIT), median of the %d runs.\n", sizeName(b.cfg.size), b.cfg.runs, b.cfg.runs)
	w("- **Client CPU** = user + system time of the client process (wait4 rusage), per GiB, median. **Peak RSS** = ru_maxrss of the client process as GNU time reports it (`/usr/bin/time -f %%M`, which forks the client from a 1 MiB process: a child the Go driver started itself would inherit the driver's high-water mark), the largest of the runs. **Server CPU** = user + system time of the server's processes over the run, per GiB, median: what the client's way of transferring costs the server. Each server runs under the driver's `reap` mode, a child subreaper that collects every session process, orphaned ones included, so the listener's and the reaper's CPU time in /proc/PID/stat (with that of their reaped children) hold every session's once it has ended.\n")
	w("- Column **ftp** is this project's client: `ftpc` (cmd/ftpc) for single transfers, the listing and the round trips; for the small files, which ftpc has no command for, `bench/ftplib`, a small program on the library (one `Conn`, `Store`/`Retrieve` between `*os.File`s and the data connection) — \"ftp (library)\". **jlaffaye** is `bench/jlaffaye` (ftpjl), a program on github.com/jlaffaye/ftp in a module of its own, used as its README shows (io.Copy between files and its streams; a TLS session cache so that data connections resume the session).\n")
	w("- Small files: %s files of %s, all uploaded on one connection (one client process), then all downloaded on one connection; files/s = files / wall time, median of 3 runs after a warm-up whose files were compared with the sources. curl does it with one invocation and a URL range glob, lftp with `mput`/`mget` in one session. The same again over explicit TLS on pure-ftpd (data protected, sessions resumed), without curl, whose globbed upload over TLS to pure-ftpd made no progress in 5 minutes in a trial (killed by the driver's time limit).\n", thousands(b.cfg.small), sizeName(int64(b.cfg.smallLen)))
	w("- Mirrors: the same %s files in 10 directories, mirrored up into a new remote directory and down into a new local one on vsftpd, with `ftpc mirror` and `lftp mirror` (`-R` up), on 1 and on 4 connections (`--parallel`); median wall time of 3 runs after a warm-up whose files were compared byte for byte with the sources (every run checks each file's size). ftpc uploads through `.NAME.part` and renames (lftp writes NAME directly), and checks each upload's size with SIZE.\n", thousands(b.cfg.small))
	w("- Listing: a directory of %s empty files on vsftpd (LIST; vsftpd has no MLSD), median wall time of 3 runs after a warm-up that checked every entry was seen. ftpc and jlaffaye parse each line into an entry (ftpc also sorts and prints them), \"ftp (library)\" is bench/ftplib printing each entry as ftpc does as it is parsed (Conn.ListSeq, the server's order), curl and lftp `ls` print the raw listing; output goes to /dev/null; peak RSS as for the transfers.\n", thousands(b.cfg.listN))
	w("- Round trips: the commands vsftpd logged (log_ftp_protocol=YES) for one session of login + download of one %s file, QUIT included; each command waits for its reply. Time is the median wall time of 3 sessions.\n\n", sizeName(int64(b.cfg.smallLen)))
	w("## Conditions\n\n")
	w("Other work on this machine (other sessions' builds and tests) shares its CPUs with the clients and servers, and moves wall-time figures more than CPU-time ones. Before measuring, the run waited %v for the 1-minute load average to fall below %.2f. Load average at the start of each part: %s (the benchmark's own client and server make about 2). ", b.res.quietWait, b.cfg.quiet, strings.Join(b.res.loads, "; "))
	w("CPU time used during the %s transfers by neither the client nor the server (other processes, and kernel work charged to no process), median per run in seconds: %s.\n\n", sizeName(b.cfg.size), b.otherCPU())
	w("## Results\n\nRatios are ftp's figure divided by the peer's: above 1 is better for \"higher\" rows, below 1 for \"lower\" rows.\n\n%s\n", table)
	w("### Peak RSS by file size (MiB, largest of 3 runs at %s, of %d at %s)\n\n%s\n", sizeName(b.cfg.midSize), b.cfg.runs, sizeName(b.cfg.size), b.rssTable())
	w("### Control commands per client (login + one small download)\n\n%s\n", b.rttTable())
	w("### Small files (medians of 3 runs; ftp is the library on one Conn; TLS on pure-ftpd)\n\n%s\n", b.smallTable())
	w("### Mirrors (medians of 3 runs, s)\n\n%s\n", b.mirrorTable())
	w("### Control commands per file (warm-up round, vsftpd's log)\n\nEvery command vsftpd logged during each client's warm-up run, all its connections together, login and QUIT included; per file = commands / %s files. ftp is the library for the small files, ftpc mirror for the mirrors.\n\n%s\n", thousands(b.cfg.small), b.perFileTable())
	w("### Listing of %s entries (medians of 3 runs)\n\n%s\n", thousands(b.cfg.listN), b.listTable())
	w("## References for the limit\n\n%s\n", refs)
	w("## Targets\n\n%s\n", goalsText(gs))
	w("## Commands\n\nAs run (temporary paths and ports of this run; the password is shown as `$FTP_PASSWORD`). ftpc, ftplib and ftpjl take the password from the environment.\n\n")
	for _, op := range b.res.cmdOrder {
		w("**%s**\n\n```sh\n", op)
		for _, k := range b.keys() {
			if c, ok := b.res.commands[op][k]; ok {
				w("# %s\n%s\n", k, c)
			}
		}
		w("```\n\n")
	}
	w("**references**\n\n```sh\n%s\n```\n", strings.Join(b.res.refCommands, "\n"))
	if err := os.MkdirAll(filepath.Dir(b.cfg.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(b.cfg.out, []byte(sb.String()), 0o644); err != nil {
		return err
	}
	progress("wrote %s", b.cfg.out)
	return nil
}

// otherCPU summarizes, per transfer, the CPU time no measured process used.
func (b *bench) otherCPU() string {
	var parts []string
	for _, op := range bigOps {
		var all []float64
		for _, st := range b.res.bigs[op.key] {
			all = append(all, st.other...)
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", op.label, median(all)))
	}
	return strings.Join(parts, ", ")
}

func (b *bench) rssTable() string {
	keys := b.keys()
	header := []string{"transfer"}
	for _, k := range keys {
		header = append(header, k+" "+sizeName(b.cfg.midSize), k+" "+sizeName(b.cfg.size))
	}
	var cells [][]string
	for _, op := range bigOps {
		line := []string{op.label}
		for _, k := range keys {
			line = append(line, fmt.Sprintf("%.1f", peakRSS(b.res.mids, op.key, k)), fmt.Sprintf("%.1f", peakRSS(b.res.bigs, op.key, k)))
		}
		cells = append(cells, line)
	}
	return markdownTable(header, cells, 1)
}

func (b *bench) rttTable() string {
	var cells [][]string
	for _, k := range b.keys() {
		rt := b.res.rtt[k]
		cells = append(cells, []string{k, fmt.Sprint(rt.commands), strings.Join(rt.verbs, " "), fmt.Sprintf("%.1f", rt.wallMs)})
	}
	return markdownTable([]string{"client", "commands", "sequence", "ms"}, cells, 1)
}

func (b *bench) smallTable() string {
	var cells [][]string
	for _, k := range append(b.keys(), tlsKeys(b.keys())...) {
		s := b.res.small[k]
		if s == nil {
			continue
		}
		cells = append(cells, []string{strings.Replace(k, "/tls", " (TLS)", 1),
			fmt.Sprintf("%.0f", median(s.up)), fmt.Sprintf("%.3f", median(s.upCPU)), fmt.Sprintf("%.3f", median(s.upSrv)),
			fmt.Sprintf("%.0f", median(s.down)), fmt.Sprintf("%.3f", median(s.downCPU)), fmt.Sprintf("%.3f", median(s.downSrv))})
	}
	return markdownTable([]string{"client", "upload files/s", "client CPU s", "server CPU s", "download files/s", "client CPU s", "server CPU s"}, cells, 1)
}

func (b *bench) mirrorTable() string {
	var cells [][]string
	for _, op := range mirrorOps {
		o, l := median(b.res.mirror[op.key]["ftp"]), median(b.res.mirror[op.key]["lftp"])
		cells = append(cells, []string{op.label, fmt.Sprintf("%.2f", o), fmt.Sprintf("%.2f", l), ratio(o, l)})
	}
	return markdownTable([]string{"workload", "ftpc mirror", "lftp mirror", "ftpc/lftp"}, cells, 1)
}

func (b *bench) perFileTable() string {
	var cells [][]string
	for _, p := range b.res.perFile {
		cells = append(cells, []string{p.workload, p.client, fmt.Sprint(len(p.verbs)),
			fmt.Sprintf("%.2f", float64(len(p.verbs))/float64(p.files)), verbCounts(p.verbs)})
	}
	return markdownTable([]string{"workload", "client", "commands", "per file", "verbs by count"}, cells, 2)
}

// verbCounts lists each verb with its count, most frequent first; verbs
// of the same count keep the order they were first sent in, so that a
// client's per-file sequence reads in order.
func verbCounts(verbs []string) string {
	type verbCount struct {
		verb string
		n    int
	}
	var counts []verbCount
	at := map[string]int{}
	for _, v := range verbs {
		i, ok := at[v]
		if !ok {
			i = len(counts)
			at[v] = i
			counts = append(counts, verbCount{v, 0})
		}
		counts[i].n++
	}
	slices.SortStableFunc(counts, func(a, b verbCount) int { return b.n - a.n })
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%s %d", c.verb, c.n)
	}
	return strings.Join(parts, ", ")
}

func tlsKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k+"/tls")
	}
	return out
}

func (b *bench) listTable() string {
	var cells [][]string
	for _, c := range append(append([]*client(nil), b.clients...), b.libList) {
		l := b.res.list[c.key]
		if l == nil {
			continue
		}
		name := c.key
		if c.key == "ftp" {
			name = "ftp (ftpc ls: parse, sort, print)"
		} else if c == b.libList {
			name = "ftp (library: Conn.ListSeq, printed as parsed)"
		}
		cells = append(cells, []string{name, fmt.Sprintf("%.2f", median(l.secs)), fmt.Sprintf("%.0f", float64(b.cfg.listN)/median(l.secs)),
			fmt.Sprintf("%.3f", median(l.cpu)), fmt.Sprintf("%.3f", median(l.srv)), fmt.Sprintf("%.1f", maxOf(l.rss))})
	}
	return markdownTable([]string{"client", "s", "entries/s", "client CPU s", "server CPU s", "client peak RSS MiB"}, cells, 1)
}

// referenceTable shows the limits and ftp's plain download against them.
func (b *bench) referenceTable() string {
	ours := 0.0
	if st := b.res.bigs["plain-get"]["ftp"]; st != nil {
		ours = median(st.mbps)
	}
	sp := median(b.res.splice.mbps)
	ip, iz := median(b.res.iperfPlain.mbps), median(b.res.iperfZero.mbps)
	cells := [][]string{
		{"Go sendfile server → Go splice client (" + sizeName(b.cfg.size) + " file to file, client process wall time; its runs took turns with the plain downloads)", fmt.Sprintf("%.0f", sp),
			fmt.Sprintf("client %.3f s/GiB, %.1f MiB RSS; server %.3f s/GiB", median(b.res.splice.cpu), maxOf(b.res.splice.rss), median(b.res.splice.server)), ratio(ours, sp)},
		{fmt.Sprintf("iperf3, one stream, %d s, copying", b.cfg.iperfSec), fmt.Sprintf("%.0f", ip),
			fmt.Sprintf("CPU %.0f%% sender, %.0f%% receiver", median(b.res.iperfPlain.hostCPU), median(b.res.iperfPlain.remoteCPU)), ratio(ours, ip)},
		{fmt.Sprintf("iperf3, one stream, %d s, -Z (sendfile)", b.cfg.iperfSec), fmt.Sprintf("%.0f", iz),
			fmt.Sprintf("CPU %.0f%% sender, %.0f%% receiver", median(b.res.iperfZero.hostCPU), median(b.res.iperfZero.remoteCPU)), ratio(ours, iz)},
	}
	return markdownTable([]string{"reference", "MB/s (median)", "cost", "ftp plain download / reference"}, cells, 1)
}

// machine describes the machine and the programs.
func (b *bench) machine() string {
	var sb strings.Builder
	w := func(k, v string) { fmt.Fprintf(&sb, "- %s: %s\n", k, v) }
	w("CPUs (nproc)", fmt.Sprint(runtime.NumCPU()))
	w("CPU model", cpuModel())
	w("memory", memTotal())
	w("kernel", firstLine(cmdOut("uname", "-srm")))
	w("OS", osName())
	w("Go", firstLine(cmdOut("go", "version"))+" (the driver: "+runtime.Version()+")")
	w("vsftpd", "Debian "+firstLine(cmdOut("dpkg-query", "-W", "-f=${Version}", "vsftpd")))
	w("pure-ftpd", pureVersion())
	w("ftp (ftpc, ftplib)", ourVersion(filepath.Join(b.cfg.bin, "ftpc")))
	w("curl", firstLine(cmdOut("curl", "--version")))
	w("lftp", strings.TrimSpace(strings.TrimPrefix(firstLine(cmdOut("lftp", "--version")), "LFTP | ")))
	w("jlaffaye", depVersion(filepath.Join(b.cfg.bin, "ftpjl"), "github.com/jlaffaye/ftp"))
	w("iperf3", firstLine(cmdOut("iperf3", "--version")))
	w("files", fmt.Sprintf("tmpfs at %s (%s)", b.cfg.work, lastLineFields(cmdOut("df", "-h", "--output=fstype,size", b.cfg.work))))
	return sb.String()
}

func cmdOut(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "(" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

func lastLineFields(s string) string {
	return strings.Join(strings.Fields(lastLine(s)), " ")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "MemTotal:") {
			var kb int64
			fmt.Sscanf(strings.TrimPrefix(l, "MemTotal:"), "%d", &kb)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}

func osName() string {
	b, _ := os.ReadFile("/etc/os-release")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}

func pureVersion() string {
	root := filepath.Join(realservers.InstallRoot(), "pure-ftpd")
	v := firstLine(cmdOut(filepath.Join(root, "usr/sbin/pure-ftpd"), "--help"))
	if debs, err := os.ReadFile(filepath.Join(root, ".debs")); err == nil {
		v += " (Debian " + strings.TrimSpace(string(debs)) + ")"
	}
	return v
}

// ourVersion names the commit ftpc was built from.
func ourVersion(bin string) string {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	rev, modified := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " with uncommitted changes"
			}
		}
	}
	if rev == "" {
		// Built with -buildvcs=false: ask git in the work tree.
		rev = firstLine(cmdOut("git", "rev-parse", "HEAD"))
		if strings.HasPrefix(rev, "(") || strings.HasPrefix(rev, "fatal") {
			return bi.Main.Path + " (no VCS information), built with " + bi.GoVersion
		}
		var changed []string
		for _, l := range strings.Split(cmdOut("git", "status", "--porcelain", "--untracked-files=no"), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && strings.HasSuffix(f[len(f)-1], ".go") {
				changed = append(changed, f[len(f)-1])
			}
		}
		if len(changed) > 0 {
			modified = " with uncommitted changes to " + strings.Join(changed, ", ")
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return fmt.Sprintf("%s at commit %s%s, built with %s", bi.Main.Path, rev, modified, bi.GoVersion)
}

func depVersion(bin, path string) string {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			return fmt.Sprintf("%s %s (bench/jlaffaye), built with %s", d.Path, d.Version, bi.GoVersion)
		}
	}
	return "(unknown version)"
}
