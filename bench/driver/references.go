package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed362563c3/ftp/internal/realservers"
)

// references measures iperf3 with one stream, copying and with -Z
// (sendfile). The sendfile-to-splice reference runs among the plain
// downloads (bigTransfers).
func (b *bench) references(ctx context.Context) error {
	if err := b.iperf(ctx); err != nil {
		return fmt.Errorf("iperf3: %w", err)
	}
	return nil
}

// spliceRef is a running `splice serve`.
type spliceRef struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	cancel context.CancelFunc
}

func (r *spliceRef) stop() {
	r.cancel()
	r.cmd.Wait()
}

// startSplice starts `splice serve` for n connections.
func (b *bench) startSplice(ctx context.Context, n int) (*spliceRef, error) {
	bin := filepath.Join(b.cfg.bin, "splice")
	src := filepath.Join(b.local, "big.bin")
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	srv := exec.CommandContext(ctx, bin, "serve", src, strconv.Itoa(n))
	out, err := srv.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	ref := &spliceRef{cmd: srv, stderr: &bytes.Buffer{}, cancel: cancel}
	srv.Stderr = ref.stderr
	if err := srv.Start(); err != nil {
		cancel()
		return nil, err
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		ref.stop()
		return nil, fmt.Errorf("no address from splice serve: %w: %s", err, ref.stderr.String())
	}
	ref.addr = strings.TrimSpace(addr)
	serveJob := job{argv: []string{bin, "serve", src, strconv.Itoa(n)}}
	b.res.refCommands = append(b.res.refCommands, serveJob.shown()+"   # server process; prints its address")
	return ref, nil
}

// spliceRun receives the file once; run 0 is the warm-up, whose content
// is checked.
func (b *bench) spliceRun(ctx context.Context, ref *spliceRef, r int) (float64, error) {
	bin := filepath.Join(b.cfg.bin, "splice")
	dst := filepath.Join(b.dl, "splice.bin")
	os.Remove(dst)
	defer os.Remove(dst)
	j := job{argv: []string{bin, "recv", ref.addr, dst}, server: []int{ref.cmd.Process.Pid}}
	if r == 0 {
		b.res.refCommands = append(b.res.refCommands, j.shown()+"   # client process, timed")
	}
	s, err := measure(ctx, 2*time.Minute, j)
	if err != nil {
		return 0, fmt.Errorf("%w (server: %s)", err, ref.stderr.String())
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return 0, err
	}
	if fi.Size() != b.cfg.size {
		return 0, fmt.Errorf("received %d bytes, want %d", fi.Size(), b.cfg.size)
	}
	if r == 0 {
		if err := sameContent(filepath.Join(b.local, "big.bin"), dst); err != nil {
			return 0, err
		}
	}
	mbps := float64(b.cfg.size) / s.wall.Seconds() / 1e6
	if r > 0 {
		gib := float64(b.cfg.size) / (1 << 30)
		b.res.splice.mbps = append(b.res.splice.mbps, mbps)
		b.res.splice.cpu = append(b.res.splice.cpu, s.cpu.Seconds()/gib)
		b.res.splice.server = append(b.res.splice.server, s.server.Seconds()/gib)
		b.res.splice.rss = append(b.res.splice.rss, float64(s.rssKiB)/1024)
	}
	return mbps, nil
}

// iperfResult is the part of iperf3's -J output the report uses.
type iperfResult struct {
	End struct {
		SumReceived struct {
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
		CPU struct {
			HostTotal   float64 `json:"host_total"`
			RemoteTotal float64 `json:"remote_total"`
		} `json:"cpu_utilization_percent"`
	} `json:"end"`
	Error string `json:"error"`
}

// iperf runs an iperf3 server on 127.0.0.1 and three single-stream runs of
// the client, copying and with -Z, alternately.
func (b *bench) iperf(ctx context.Context) error {
	port, err := realservers.FreePort("127.0.0.1")
	if err != nil {
		return err
	}
	p := strconv.Itoa(port)
	srv := exec.CommandContext(ctx, "iperf3", "-s", "-B", "127.0.0.1", "-p", p)
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	srv.Stdout, srv.Stderr = devNull, devNull
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		syscall.Kill(-srv.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()
	b.res.refCommands = append(b.res.refCommands, fmt.Sprintf("iperf3 -s -B 127.0.0.1 -p %s   # server", p))
	for r := range 3 {
		for _, zero := range []bool{false, true} {
			args := []string{"-c", "127.0.0.1", "-p", p, "-t", strconv.Itoa(b.cfg.iperfSec), "-J"}
			if zero {
				args = append(args, "-Z")
			}
			if r == 0 {
				b.res.refCommands = append(b.res.refCommands, "iperf3 "+strings.Join(args, " "))
			}
			res, err := runIperf(ctx, time.Duration(b.cfg.iperfSec+30)*time.Second, args)
			if err != nil {
				return err
			}
			mbps := res.End.SumReceived.BitsPerSecond / 8 / 1e6
			st := &b.res.iperfPlain
			if zero {
				st = &b.res.iperfZero
			}
			st.mbps = append(st.mbps, mbps)
			st.hostCPU = append(st.hostCPU, res.End.CPU.HostTotal)
			st.remoteCPU = append(st.remoteCPU, res.End.CPU.RemoteTotal)
			progress("iperf3 %s, run %d: %.0f MB/s", map[bool]string{false: "copying", true: "-Z"}[zero], r+1, mbps)
		}
	}
	return nil
}

// runIperf runs the iperf3 client, retrying while the server is not up.
func runIperf(ctx context.Context, timeout time.Duration, args []string) (*iperfResult, error) {
	var last error
	for try := 0; try < 30; try++ {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		out, err := exec.CommandContext(cctx, "iperf3", args...).Output()
		cancel()
		var res iperfResult
		if jerr := json.Unmarshal(out, &res); jerr == nil && res.Error == "" && res.End.SumReceived.BitsPerSecond > 0 {
			return &res, nil
		} else if res.Error != "" {
			last = fmt.Errorf("iperf3 %s: %s", strings.Join(args, " "), res.Error)
		} else {
			last = fmt.Errorf("iperf3 %s: %v %v: %.200s", strings.Join(args, " "), err, jerr, out)
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, last
}
