package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is what one run of a client process cost.
type sample struct {
	wall   time.Duration // from start to exit
	cpu    time.Duration // the process's user + system time (wait4 rusage)
	rssKiB int64         // its peak resident set (ru_maxrss, through GNU time)
	server time.Duration // CPU time of the server's processes meanwhile
	// other is the busy time of the machine's CPUs meanwhile that is
	// neither the client's nor the server's: other processes, and kernel
	// work charged to no process.
	other time.Duration
}

// job is one client command to run.
type job struct {
	argv []string
	env  []string // added to the driver's environment
	// secret is masked as $FTP_PASSWORD when the command is shown.
	secret string
	// stdout receives the standard output; nil: /dev/null.
	stdout *os.File
	// server lists the server's main processes, whose CPU time (theirs
	// and their sessions') is measured with the client's.
	server []int
}

// shown returns the command line as RESULTS.md shows it: shell-quoted,
// with the password masked.
func (j job) shown() string {
	var parts []string
	for _, e := range j.env {
		if strings.HasPrefix(e, "FTP_PASSWORD=") {
			parts = append(parts, `FTP_PASSWORD=$FTP_PASSWORD`)
			continue
		}
		parts = append(parts, shellQuote(e))
	}
	for _, a := range j.argv {
		q := shellQuote(a)
		if j.secret != "" {
			q = strings.ReplaceAll(q, j.secret, "$FTP_PASSWORD")
			if strings.Contains(q, "$FTP_PASSWORD") && strings.HasPrefix(q, "'") {
				// Single quotes would keep the variable from expanding.
				q = `"` + strings.Trim(q, "'") + `"`
			}
		}
		parts = append(parts, q)
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// devNull receives the clients' standard output: a file, so that a child
// writes to it directly and the driver copies nothing.
var devNull *os.File

// timeBin is GNU time, which runs each client: the peak RSS that wait4
// reports for a child the driver starts itself would include the driver's
// own (Go starts children with vfork semantics, and exec keeps the old
// address space's high-water mark), while GNU time forks from a process of
// about 1 MiB.
const timeBin = "/usr/bin/time"

// measure runs j to its end, within timeout, and returns its cost.
func measure(ctx context.Context, timeout time.Duration, j job) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rssFile, err := os.CreateTemp("", "ftpbench-rss-")
	if err != nil {
		return sample{}, err
	}
	rssFile.Close()
	defer os.Remove(rssFile.Name())
	argv := append([]string{timeBin, "-f", "%M", "-o", rssFile.Name()}, j.argv...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), j.env...)
	cmd.Stdout = devNull
	if j.stdout != nil {
		cmd.Stdout = j.stdout
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	var srv0 time.Duration
	if len(j.server) > 0 {
		srv0 = idleTreeCPU(j.server)
	}
	busy0 := machineBusy()
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	busy1 := machineBusy()
	var srv1 time.Duration
	if len(j.server) > 0 {
		srv1 = idleTreeCPU(j.server)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (time limit %v)", err, timeout)
		}
		return sample{}, fmt.Errorf("%s: %w: %s", j.shown(), err, msg)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, errors.New("no rusage")
	}
	b, err := os.ReadFile(rssFile.Name())
	if err != nil {
		return sample{}, err
	}
	rss, err := strconv.ParseInt(lastLine(string(b)), 10, 64)
	if err != nil {
		return sample{}, fmt.Errorf("GNU time's output %q: %w", b, err)
	}
	smp := sample{
		wall:   wall,
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		rssKiB: rss,
		server: srv1 - srv0,
	}
	smp.other = max(0, busy1-busy0-smp.cpu-smp.server)
	return smp, nil
}

// procStat is what the driver reads of /proc/PID/stat.
type procStat struct {
	ppid int
	cpu  time.Duration // utime + stime + cutime + cstime
}

// readProcs reads every process's parent and CPU time.
func readProcs() map[int]procStat {
	out := map[int]procStat{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		var ticks int64
		for _, k := range []int{11, 12, 13, 14} { // utime stime cutime cstime
			n, _ := strconv.ParseInt(f[k], 10, 64)
			ticks += n
		}
		// USER_HZ is 100 on Linux.
		out[pid] = procStat{ppid: ppid, cpu: time.Duration(ticks) * 10 * time.Millisecond}
	}
	return out
}

// idleTreeCPU waits (up to 3 s) until no session is left below the
// server's processes (each root, a reaper, keeps one child: the listener),
// so that every finished session has been reaped into a parent's or the
// reaper's cutime and cstime, then returns the CPU time of the roots and
// their descendants.
func idleTreeCPU(roots []int) time.Duration {
	deadline := time.Now().Add(3 * time.Second)
	for {
		procs := readProcs()
		if treeIdle(procs, roots) || time.Now().After(deadline) {
			return treeCPU(procs, roots)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// treeIdle reports whether each root has at most one child and no
// grandchild.
func treeIdle(procs map[int]procStat, roots []int) bool {
	children := map[int]int{}
	for _, r := range roots {
		children[r] = 0
	}
	level1 := map[int]bool{}
	for pid, p := range procs {
		if _, ok := children[p.ppid]; ok {
			children[p.ppid]++
			level1[pid] = true
		}
	}
	for _, n := range children {
		if n > 1 {
			return false
		}
	}
	for _, p := range procs {
		if level1[p.ppid] {
			return false
		}
	}
	return true
}

// treeCPU sums the CPU time of roots and their descendants.
func treeCPU(procs map[int]procStat, roots []int) time.Duration {
	in := map[int]bool{}
	for _, r := range roots {
		in[r] = true
	}
	// Descendants: repeat until no process joins (the tree is shallow).
	for changed := true; changed; {
		changed = false
		for pid, p := range procs {
			if !in[pid] && in[p.ppid] {
				in[pid] = true
				changed = true
			}
		}
	}
	var total time.Duration
	for pid := range in {
		total += procs[pid].cpu
	}
	return total
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// machineBusy returns the time all CPUs have spent on anything but idling
// and waiting for I/O, from /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		if i == 3 || i == 4 {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// loadAvg returns the 1-minute load average.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscanf(string(b), "%f", &l)
	return l
}

// median returns the median of xs (the mean of the middle two when even).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// sameContent reports whether two files hold the same bytes.
func sameContent(a, b string) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	ba := make([]byte, 4<<20)
	bb := make([]byte, 4<<20)
	var off int64
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return fmt.Errorf("%s and %s differ within bytes %d..%d", a, b, off, off+int64(max(na, nb)))
		}
		off += int64(na)
		if ea != nil || eb != nil {
			if (ea == io.EOF || ea == io.ErrUnexpectedEOF) && (eb == io.EOF || eb == io.ErrUnexpectedEOF) {
				return nil
			}
			return errors.Join(ea, eb)
		}
	}
}
