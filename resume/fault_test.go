// Fault injection: randomised resumable uploads and downloads through a
// proxy that cuts, stalls and resets the control and data connections.

package resume_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/faultproxy"
	"github.com/seed362563c3/ftp/internal/faultproxy/faulttrial"
	"github.com/seed362563c3/ftp/internal/testreport"
	"github.com/seed362563c3/ftp/resume"
)

var (
	faultTrials = flag.Int("faulttrials", 0, "fault trials of each direction for TestFaultTrials (default: FTP_FAULT_TRIALS, else 200 with CI=true, else 20, 4 with -short)")
	faultSeed   = flag.Uint64("faultseed", 0, "seed of TestFaultTrials (default: FTP_FAULT_SEED, else the clock)")
)

// TestFaultTrials uploads and downloads a 16 MiB file through
// internal/faultproxy, which cuts, stalls or resets the first connection
// or two of each class at random offsets, and checks that every transfer
// ends with a byte-identical file, and that no goroutine or descriptor is
// left behind once the server is stopped.
func TestFaultTrials(t *testing.T) {
	n := faulttrial.TrialsFromEnv(*faultTrials, 20, testing.Short())
	seed := faulttrial.SeedFromEnv(*faultSeed)
	t.Logf("fault trials: seed %d (rerun with FTP_FAULT_SEED=%d), %d uploads and %d downloads of 16 MiB", seed, seed, n, n)

	budget := 8 * time.Minute
	if dl, ok := t.Deadline(); ok {
		budget = min(budget, time.Until(dl)-30*time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()

	base := faulttrial.Snapshot()
	srv, err := embedded.Start(embedded.Options{User: "u", Password: "p", EnableHASH: true})
	if err != nil {
		t.Fatal(err)
	}
	target := faulttrial.Target{
		Name:   "the in-process server",
		Addr:   srv.Addr,
		Config: &ftp.Config{User: "u", Password: "p"},
		Root:   srv.Root,
	}
	sum := faulttrial.Run(ctx, t, target, faulttrial.Options{
		Seed: seed, Uploads: n, Downloads: n, Only: faulttrial.OnlyFromEnv(),
		// Two trials at a time: most of a trial's time is spent waiting
		// out stalls and timeouts.
		Parallel: 2,
		// The client verifies every fourth transfer of each direction with
		// SHA-256 (the best the server offers) and the others with CRC32:
		// Run compares every result by SHA-256 anyway, and two SHA-256 of
		// 16 MiB per trial would take a third of the CI run's time.
		HashAlgorithms: []string{"", ftp.HashCRC32, ftp.HashCRC32, ftp.HashCRC32},
	})
	srv.Close()
	t.Log(sum)
	testreport.Add("fault trials against the in-process server", sum.String())
	base.Check(t, 10*time.Second)

	// The proxy must have bitten: most trials lose a data connection, some
	// a control connection.
	if trials := sum.Uploads + sum.Downloads; trials >= 20 && !t.Failed() {
		if sum.DataFaulted < trials/2 {
			t.Errorf("only %d of %d trials had a data fault fire", sum.DataFaulted, trials)
		}
		if sum.ControlFaulted < trials/10 {
			t.Errorf("only %d of %d trials had a control fault fire", sum.ControlFaulted, trials)
		}
		if sum.Faults.FiredTotal(faultproxy.Data) == 0 || sum.Retried == 0 {
			t.Errorf("no retries: %v", sum)
		}
	}
}

// TestFaultStaleCommandAfterTimeout holds the first STOR in the network
// past the reply timeout: the client gives up on that connection and
// uploads again on a new one. The held command still reaches the server
// afterwards, which runs it (STOR without REST truncates the file). The
// client must not report the upload done while the abandoned session can
// still act on the file: the file is checked once the old connection ended.
func TestFaultStaleCommandAfterTimeout(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{User: "u", Password: "p", EnableHASH: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	data := make([]byte, 4<<20)
	rand.Read(data)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	const replyTimeout = time.Second
	p := faultproxy.New(faultproxy.Options{ControlAddr: srv.Addr, Policy: faultproxy.PolicyFunc(func(i faultproxy.Info) faultproxy.Fault {
		if i.Class == faultproxy.Control && i.N == 0 {
			// Delivered 0.6 s after the client gave up: later than a
			// retry takes here, within a second more.
			return faultproxy.Fault{Kind: faultproxy.Stall, Dir: faultproxy.Up, Match: []byte("STOR "), Stall: replyTimeout + 600*time.Millisecond}
		}
		return faultproxy.Fault{}
	})})
	defer p.Close()
	ep := ftp.NewPool(srv.Addr, &ftp.Config{User: "u", Password: "p", DialContext: p.DialContext, ReplyTimeout: replyTimeout}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	res, err := resume.UploadFile(ctx, ep, src, "stale.bin", &resume.Options{Retries: 5, Backoff: time.Millisecond, Verify: true})
	took := time.Since(start)
	ep.Close() // the pool's idle connection ends (QUIT)
	if err != nil {
		t.Fatalf("UploadFile: %v\n%s", err, p.Log())
	}
	// Let the held command arrive and the abandoned session end.
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := p.WaitIdle(wctx); err != nil {
		t.Errorf("%v\n%s", err, p.Log())
	}
	time.Sleep(100 * time.Millisecond) // the server's file operations
	got, err := os.ReadFile(filepath.Join(srv.Root, "stale.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("UploadFile reported success (%+v, in %v), but then the server ran the STOR "+
			"of the abandoned connection: the file holds %d bytes (%v), want the %d uploaded\n%s",
			*res, took.Round(time.Millisecond), len(got), err, len(data), p.Log())
	}
}
