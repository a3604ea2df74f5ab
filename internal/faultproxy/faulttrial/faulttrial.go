// Package faulttrial runs randomised resumable transfers through a
// faultproxy.Proxy against an FTP server and checks that every one ends
// with a byte-identical file. It serves the root package's TestFaultTrials
// (the in-process server) and the interop suite (real servers): the server
// is a parameter.
package faulttrial

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/faultproxy"
	"github.com/seed362563c3/ftp/resume"
)

// Target is the server the trials run against.
type Target struct {
	Name string // for messages: "embedded", "vsftpd", ...
	// Addr is the control address, host:port, spelt as the data
	// connections will not be: an IP, so that the proxy tells control
	// from data by it ("127.0.0.1:2121", "[::1]:2121").
	Addr string
	// Config carries the login and TLS settings. Run clones it and sets
	// DialContext (the proxy's, or none for the clean connections that
	// set up and check), ReplyTimeout and DialTimeout.
	Config *ftp.Config
	// Dir is the remote directory the trial files go to; "" is the login
	// directory. It must be writable.
	Dir string
	// Root is the local path of Dir when the test can read the server's
	// files (the in-process server, a local server's home): uploads are
	// then checked on disk. "" checks them with a download over a clean
	// connection.
	Root string
}

// Options configures Run. Zero fields take the defaults given.
type Options struct {
	Seed      uint64 // run seed; each trial derives its own
	Uploads   int    // upload trials
	Downloads int    // download trials
	Only      []int  // when set, run only these trial numbers (of the full run)
	Size      int64  // file size; 16 MiB

	ReplyTimeout time.Duration // the client's, short so that control stalls bite; 1 s
	DialTimeout  time.Duration // 2 s
	TrialTimeout time.Duration // bounds one trial; 60 s
	Retries      int           // resume.Options.Retries; 50
	Parallel     int           // trials run at once; 1
	MaxFailures  int           // stop after this many failed trials; FTP_FAULT_MAX_FAILURES, else 3

	// ControlStall and DataStall bound the stalls: [200 ms, 1.5 s] on
	// control connections (around ReplyTimeout) and [20 ms, 300 ms] on
	// data connections.
	ControlStall, DataStall [2]time.Duration

	// HashAlgorithms are the resume.Options.HashAlgorithm of the trials
	// of each direction in turn ("" is the best the server offers); nil
	// means {""}. Run checks every result with SHA-256 whatever the
	// client verified it with.
	HashAlgorithms []string

	// MidLineCuts lets cuts and resets of the client's commands fall
	// inside a command line; by default they fall between lines (see
	// faultproxy.Random.WholeCommands: the in-process server races on a
	// half line).
	MidLineCuts bool
}

func (o *Options) defaults() {
	if o.Size <= 0 {
		o.Size = 16 << 20
	}
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.TrialTimeout <= 0 {
		o.TrialTimeout = 60 * time.Second
	}
	if o.Retries <= 0 {
		o.Retries = 50
	}
	if o.Parallel <= 0 {
		o.Parallel = 1
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = 3
		if n, err := strconv.Atoi(os.Getenv("FTP_FAULT_MAX_FAILURES")); err == nil && n > 0 {
			o.MaxFailures = n
		}
	}
	if o.ControlStall[1] <= 0 {
		o.ControlStall = [2]time.Duration{200 * time.Millisecond, 1500 * time.Millisecond}
	}
	if o.DataStall[1] <= 0 {
		o.DataStall = [2]time.Duration{20 * time.Millisecond, 300 * time.Millisecond}
	}
}

// Summary is what a run did.
type Summary struct {
	Target             string
	Seed               uint64
	Uploads, Downloads int // trials run
	Failed             int
	Faults             faultproxy.Stats
	Attempts           int // data transfers started, over all trials
	Connections        int // control connections opened, over all trials
	Retried            int // trials that needed more than one attempt or connection
	DataFaulted        int // trials in which a data fault fired
	ControlFaulted     int // trials in which a control fault fired
	Verified           map[string]int
	Slowest            time.Duration
	SlowestTrial       int
	Elapsed            time.Duration
}

func (s Summary) String() string {
	var v []string
	for k, n := range s.Verified {
		v = append(v, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(v)
	return fmt.Sprintf("fault trials against %s: seed %d, %d uploads + %d downloads, %d failed, in %v (slowest: trial %d, %v); "+
		"faults: %s; trials with a data fault %d, with a control fault %d; "+
		"%d data transfers started, %d control connections, %d trials needed retries; verified by %s",
		s.Target, s.Seed, s.Uploads, s.Downloads, s.Failed, s.Elapsed.Round(time.Millisecond), s.SlowestTrial, s.Slowest.Round(time.Millisecond),
		s.Faults, s.DataFaulted, s.ControlFaulted,
		s.Attempts, s.Connections, s.Retried, strings.Join(v, ", "))
}

// SeedFromEnv returns flag when non-zero, else FTP_FAULT_SEED, else a seed
// from the clock.
func SeedFromEnv(flag uint64) uint64 {
	if flag != 0 {
		return flag
	}
	if s := os.Getenv("FTP_FAULT_SEED"); s != "" {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n
		}
	}
	return uint64(time.Now().UnixNano())
}

// TrialsFromEnv returns how many trials of each direction to run: flag when
// positive, else FTP_FAULT_TRIALS, else 200 when CI=true, else 4 in -short
// mode and def otherwise.
func TrialsFromEnv(flag, def int, short bool) int {
	if flag > 0 {
		return flag
	}
	if n, err := strconv.Atoi(os.Getenv("FTP_FAULT_TRIALS")); err == nil && n > 0 {
		return n
	}
	if os.Getenv("CI") == "true" {
		return 200
	}
	if short {
		return 4
	}
	return def
}

// OnlyFromEnv parses FTP_FAULT_ONLY, a comma-separated list of trial
// numbers to run alone (with the run's seed, to reproduce them).
func OnlyFromEnv() []int {
	var only []int
	for _, f := range strings.Split(os.Getenv("FTP_FAULT_ONLY"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			only = append(only, n)
		}
	}
	return only
}

// mix is splitmix64's finaliser: trial seeds from the run seed.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// TrialSeed returns the seed of trial i of a run.
func TrialSeed(run uint64, i int) uint64 { return mix(run ^ mix(uint64(i))) }

type runner struct {
	tb     testing.TB
	tgt    Target
	o      Options
	dir    string
	src    string // the local source file
	remote string // the download trials' source on the server
	want   [32]byte
	mu     sync.Mutex // guards sum
	sum    *Summary
	failed atomic.Int32

	// The SHA-256 of each result is taken by checker, while the next
	// trial runs; it then removes the file.
	checks  chan check
	checker sync.WaitGroup
}

// check is a result to hash and compare.
type check struct {
	desc   string // "upload trial 3 of 400 (trial seed ...)"
	remote string // an uploaded file, or
	local  string // a downloaded one
	log    string
}

// Run runs the trials: uploads of a local file with ftp.UploadFile and
// downloads of a remote one with ftp.DownloadFile, alternating, each through
// a new faultproxy.Proxy whose faults the trial's seed chooses. A trial
// passes when the transfer reports success, the result's SHA-256 is the
// source's, and every relayed connection ended by itself afterwards (the
// client closed what it opened). Failures are reported with tb.Errorf,
// naming the trial's seed and what the proxy did; with FTP_FAULT_VERBOSE
// set, passing trials are logged too. Run stops early when ctx ends or
// after Options.MaxFailures failures.
func Run(ctx context.Context, tb testing.TB, tgt Target, o Options) (sum Summary) {
	tb.Helper()
	o.defaults()
	start := time.Now()
	sum = Summary{Target: tgt.Name, Seed: o.Seed, Verified: map[string]int{}}
	r := &runner{tb: tb, tgt: tgt, o: o, dir: tb.TempDir(), sum: &sum}
	r.remote = path.Join(tgt.Dir, "fault-source.bin")

	data := make([]byte, o.Size)
	var seed [32]byte
	for i := range 4 {
		v := mix(o.Seed + uint64(i))
		for j := range 8 {
			seed[i*8+j] = byte(v >> (8 * j))
		}
	}
	rand.NewChaCha8(seed).Read(data)
	r.want = sha256.Sum256(data)
	r.src = filepath.Join(r.dir, "source.bin")
	if err := os.WriteFile(r.src, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := r.clean(ctx, func(c *ftp.Conn) error {
		w, err := c.Store(ctx, r.remote)
		if err == nil {
			_, err = w.Send(bytes.NewReader(data))
		}
		return err
	}); err != nil {
		tb.Fatalf("fault trials against %s: putting the download source: %v", tgt.Name, err)
	}
	data = nil
	if got, err := r.remoteSum(ctx, r.remote); err != nil || got != r.want {
		tb.Fatalf("fault trials against %s: the download source on the server: %x, %v", tgt.Name, got, err)
	}
	defer r.remove(r.remote)

	r.checks = make(chan check, 1)
	r.checker.Add(1)
	go func() {
		defer r.checker.Done()
		for c := range r.checks {
			r.check(ctx, c)
		}
	}()
	defer func() {
		close(r.checks)
		r.checker.Wait()
		sum.Failed = int(r.failed.Load())
		sum.Elapsed = time.Since(start)
	}()

	only := map[int]bool{}
	for _, i := range o.Only {
		only[i] = true
	}
	type job struct {
		i      int
		upload bool
	}
	jobs := make(chan job)
	var workers sync.WaitGroup
	ups, downs := o.Uploads, o.Downloads
	total := ups + downs
	for range o.Parallel {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				t0 := time.Now()
				r.trial(ctx, j.i, total, j.upload)
				r.mu.Lock()
				if d := time.Since(t0); d > sum.Slowest {
					sum.Slowest, sum.SlowestTrial = d, j.i
				}
				if j.upload {
					sum.Uploads++
				} else {
					sum.Downloads++
				}
				r.mu.Unlock()
			}
		}()
	}
	for i := range total {
		upload := ups > 0 && (i%2 == 0 || downs == 0)
		if upload {
			ups--
		} else {
			downs--
		}
		if len(only) > 0 && !only[i] {
			continue
		}
		if err := ctx.Err(); err != nil {
			tb.Errorf("fault trials against %s: out of time after %d of %d trials (seed %d): %v", tgt.Name, i, total, o.Seed, err)
			break
		}
		if n := int(r.failed.Load()); n >= o.MaxFailures {
			tb.Errorf("fault trials against %s: stopping after %d failures", tgt.Name, n)
			break
		}
		jobs <- job{i, upload}
	}
	close(jobs)
	workers.Wait()
	return sum
}

// trial runs trial i and hands its result to the checker.
func (r *runner) trial(ctx context.Context, i, total int, upload bool) {
	o := r.o
	seed := TrialSeed(o.Seed, i)
	rng := rand.New(rand.NewPCG(seed, 1))
	faultyControl := 0
	switch n := rng.IntN(10); {
	case n >= 9:
		faultyControl = 2
	case n >= 5:
		faultyControl = 1
	}
	plan := &faultproxy.Random{
		Seed:          seed,
		FaultyControl: faultyControl,
		FaultyData:    1 + rng.IntN(2),
		// A session's control dialogue is a few hundred bytes each way.
		ControlBytes:  [2]int64{faultproxy.Up: 160, faultproxy.Down: 900},
		DataBytes:     o.Size,
		DataDir:       faultproxy.Down,
		ControlStall:  o.ControlStall,
		DataStall:     o.DataStall,
		WholeCommands: !o.MidLineCuts,
	}
	what := "download"
	name := r.remote
	local := filepath.Join(r.dir, fmt.Sprintf("download-%d.bin", i))
	if upload {
		what = "upload"
		plan.DataDir = faultproxy.Up
		name = path.Join(r.tgt.Dir, fmt.Sprintf("fault-upload-%d.bin", i))
		r.remove(name) // from an earlier run
	}
	desc := fmt.Sprintf("%s trial %d of %d (trial seed %d; rerun with FTP_FAULT_SEED=%d FTP_FAULT_ONLY=%d)", what, i, total, seed, o.Seed, i)
	handedOver := false
	defer func() {
		if handedOver {
			return
		}
		if upload {
			r.remove(name)
		} else {
			os.Remove(local)
		}
	}()
	p := faultproxy.New(faultproxy.Options{ControlAddr: r.tgt.Addr, Policy: plan})
	cfg := r.tgt.Config.Clone()
	cfg.DialContext = p.DialContext
	cfg.ReplyTimeout = o.ReplyTimeout
	cfg.DialTimeout = o.DialTimeout
	// A pool of one connection: each attempt checks it out, and a broken
	// one is replaced.
	ep := ftp.NewPool(r.tgt.Addr, cfg, &ftp.PoolOptions{MaxOpen: 1})
	opts := &resume.Options{Retries: o.Retries, Backoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, Verify: true}
	if len(o.HashAlgorithms) > 0 {
		opts.HashAlgorithm = o.HashAlgorithms[i/2%len(o.HashAlgorithms)]
	}

	tctx, cancel := context.WithTimeout(ctx, o.TrialTimeout)
	t0 := time.Now()
	var res *resume.Result
	var err error
	if upload {
		res, err = resume.UploadFile(tctx, ep, r.src, name, opts)
	} else {
		res, err = resume.DownloadFile(tctx, ep, name, local, opts)
	}
	took := time.Since(t0)
	cancel()
	ep.Close() // the connection it kept is closed now (QUIT)

	var problems []string
	if err != nil {
		problems = append(problems, fmt.Sprintf("%s failed after %v: %v", what, took.Round(time.Millisecond), err))
	}
	// Every connection must end by itself: the client closed what it
	// opened (and the server closed its side). A stall in progress may
	// hold one a little longer.
	wctx, wcancel := context.WithTimeout(context.Background(), o.ControlStall[1]+o.DataStall[1]+3*time.Second)
	if werr := p.WaitIdle(wctx); werr != nil {
		problems = append(problems, fmt.Sprintf("connections left open after the %s returned: %v", what, werr))
	}
	wcancel()
	log := p.Log()
	p.Close()
	st := p.Stats()
	r.account(st, res, err)

	if err == nil && res.Size != o.Size {
		problems = append(problems, fmt.Sprintf("result size %d, want %d", res.Size, o.Size))
	}
	if len(problems) > 0 {
		resText := "none"
		if res != nil {
			resText = fmt.Sprintf("%+v", *res)
		}
		r.fail(desc, fmt.Sprintf("%s\n  result: %s", strings.Join(problems, "\n  "), resText), log)
		return
	}
	if os.Getenv("FTP_FAULT_VERBOSE") != "" {
		r.tb.Logf("%s: %v, %d attempts, %d control connections:\n%s", desc, took.Round(time.Millisecond), res.Attempts, st.Conns[faultproxy.Control], indent(log, "    "))
	}
	c := check{desc: desc, local: local, log: log}
	if upload {
		c = check{desc: desc, remote: name, log: log}
	}
	handedOver = true
	r.checks <- c
}

// account adds a trial to the summary.
func (r *runner) account(st faultproxy.Stats, res *resume.Result, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.Faults.Add(st)
	r.sum.Connections += st.Conns[faultproxy.Control]
	if st.FiredTotal(faultproxy.Data) > 0 {
		r.sum.DataFaulted++
	}
	if st.FiredTotal(faultproxy.Control) > 0 {
		r.sum.ControlFaulted++
	}
	if res != nil {
		r.sum.Attempts += res.Attempts
		if res.Attempts > 1 || st.Conns[faultproxy.Control] > 1 {
			r.sum.Retried++
		}
	}
	if err == nil {
		r.sum.Verified[res.Verified]++
	}
}

// check compares the SHA-256 of a trial's result with the source's, then
// removes the result.
func (r *runner) check(ctx context.Context, c check) {
	var got [32]byte
	var err error
	if c.remote != "" {
		got, err = r.remoteSum(ctx, c.remote)
		r.remove(c.remote)
	} else {
		got, err = fileSum(c.local)
		os.Remove(c.local)
	}
	switch {
	case err != nil:
		r.fail(c.desc, fmt.Sprintf("reported done, but checking the result: %v", err), c.log)
	case got != r.want:
		r.fail(c.desc, fmt.Sprintf("reported done, but the result's SHA-256 is %x, the source's %x", got, r.want), c.log)
	}
}

func (r *runner) fail(desc, what, log string) {
	r.failed.Add(1)
	r.tb.Errorf("fault trials against %s: %s FAILED:\n  %s\n  connections through the proxy:\n%s", r.tgt.Name, desc, what, indent(log, "    "))
}

func indent(s, by string) string {
	s = strings.TrimRight(s, "\n")
	return by + strings.ReplaceAll(s, "\n", "\n"+by)
}

// clean runs fn on a connection without the proxy.
func (r *runner) clean(ctx context.Context, fn func(*ftp.Conn) error) error {
	cfg := r.tgt.Config.Clone()
	cfg.DialContext = nil
	cfg.ReplyTimeout = 30 * time.Second
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := ftp.Dial(ctx, r.tgt.Addr, cfg)
	if err != nil {
		return err
	}
	err = fn(c)
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// remoteSum returns the SHA-256 of a remote file: read on disk under Root,
// or downloaded over a clean connection.
func (r *runner) remoteSum(ctx context.Context, name string) ([32]byte, error) {
	if r.tgt.Root != "" {
		return fileSum(r.localPath(name))
	}
	var sum [32]byte
	err := r.clean(ctx, func(c *ftp.Conn) error {
		rd, err := c.Retrieve(ctx, name)
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, rd)
		if cerr := rd.Close(); err == nil {
			err = cerr
		}
		copy(sum[:], h.Sum(nil))
		return err
	})
	return sum, err
}

func (r *runner) localPath(name string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(name, r.tgt.Dir), "/")
	return filepath.Join(r.tgt.Root, filepath.FromSlash(rel))
}

// remove deletes a remote file, if it is there.
func (r *runner) remove(name string) {
	if r.tgt.Root != "" {
		os.Remove(r.localPath(name))
		return
	}
	r.clean(context.Background(), func(c *ftp.Conn) error { return c.Delete(context.Background(), name) })
}

func fileSum(p string) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(p)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// Resources counts what a test must give back: goroutines and open file
// descriptors (-1 where /proc/self/fd is not there).
type Resources struct {
	Goroutines int
	FDs        int
}

// Snapshot counts the resources now. It first uses the network once, so
// that the runtime's poller (an epoll and an event descriptor, kept for
// the life of the process) is counted in.
func Snapshot() Resources {
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
	}
	return Resources{Goroutines: runtime.NumGoroutine(), FDs: countFDs()}
}

func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// Check waits up to within for the goroutines and descriptors to come back
// down to base's counts, and reports with tb.Errorf what is left if not.
func (base Resources) Check(tb testing.TB, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		// The runtime keeps splice(2)'s pipes in a pool that a GC empties
		// (their finalizers close them): not leaks.
		runtime.GC()
		now := Resources{Goroutines: runtime.NumGoroutine(), FDs: countFDs()}
		if now.Goroutines <= base.Goroutines && now.FDs <= base.FDs {
			return
		}
		if time.Now().After(deadline) {
			if now.Goroutines > base.Goroutines {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				tb.Errorf("goroutines left behind: %d, %d before\n%s", now.Goroutines, base.Goroutines, buf)
			}
			if now.FDs > base.FDs {
				tb.Errorf("file descriptors leaked: %d open, %d before:\n%s", now.FDs, base.FDs, listFDs())
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listFDs() string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		fmt.Fprintf(&b, "  %s -> %s\n", e.Name(), target)
	}
	return b.String()
}
