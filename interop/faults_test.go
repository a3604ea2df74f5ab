// Fault trials and segmented downloads against vsftpd: the resumable
// helpers through the fault-injecting proxy, and DownloadSegmented
// with 1, 2, 4 and 8 connections.

package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/faultproxy/faulttrial"
	"github.com/seed362563c3/ftp/internal/realservers"
	"github.com/seed362563c3/ftp/internal/testreport"
	"github.com/seed362563c3/ftp/resume"
)

// startVsftpd starts a plain vsftpd on 127.0.0.1 for one test.
func startVsftpd(tb testing.TB) *realservers.Server {
	tb.Helper()
	t, _ := tb.(*testing.T)
	if err := realservers.Vsftpd.Find(); err != nil {
		miss, _ := realservers.IsMissing(err)
		if t != nil {
			missing(t, miss)
		}
		tb.Skip(miss + " is missing")
	}
	envOnce.Do(func() { sharedEnv, envMiss, envErr = newEnv() })
	if envMiss != "" {
		if t != nil {
			missing(t, envMiss)
		}
		tb.Skip(envMiss + " is missing")
	}
	if envErr != nil {
		tb.Fatalf("setting up the interop environment: %v", envErr)
	}
	inst, err := realservers.Vsftpd.Start(sharedEnv.Env, realservers.Options{TLS: realservers.Plain})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(inst.Stop)
	return inst
}

// TestVsftpdFaultTrials runs the randomised fault trials (200 uploads and
// 200 downloads of 16 MiB under CI=true) between the client and vsftpd.
func TestVsftpdFaultTrials(t *testing.T) {
	base := faulttrial.Snapshot()
	inst := startVsftpd(t)
	n := faulttrial.TrialsFromEnv(0, 10, testing.Short())
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	sum := faulttrial.Run(ctx, t, faulttrial.Target{
		Name:   "vsftpd",
		Addr:   inst.Addrs["127.0.0.1"],
		Config: &ftp.Config{User: inst.User, Password: inst.Password},
		Root:   inst.Root,
	}, faulttrial.Options{Seed: faulttrial.SeedFromEnv(0), Uploads: n, Downloads: n, Parallel: 2, MidLineCuts: true})
	t.Log(sum)
	testreport.Add("fault trials against vsftpd", sum.String())
	inst.Stop()
	base.Check(t, 10*time.Second)
}

// BenchmarkVsftpdSegmented downloads a 1 GiB file from vsftpd with 1, 2,
// 4 and 8 connections (lftp's pget -n N) and checks every copy.
func BenchmarkVsftpdSegmented(b *testing.B) {
	inst := startVsftpd(b)
	const size = 1 << 30
	src := filepath.Join(inst.Root, "segmented.bin")
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	want := sha256.Sum256(data)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		b.Fatal(err)
	}
	data = nil
	// The copy goes to memory (/dev/shm) where there is one, so that the
	// figures are the network's and not the disk's.
	dir := b.TempDir()
	if shm, err := os.MkdirTemp("/dev/shm", "segmented-*"); err == nil {
		dir = shm
		b.Cleanup(func() { os.RemoveAll(shm) })
	}
	local := filepath.Join(dir, "out.bin")
	for _, n := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			p := ftp.NewPool(inst.Addrs["127.0.0.1"], &ftp.Config{User: inst.User, Password: inst.Password}, &ftp.PoolOptions{MaxOpen: n})
			defer p.Close()
			b.SetBytes(size)
			for b.Loop() {
				if _, err := resume.DownloadSegmented(context.Background(), p, "segmented.bin", local, n, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			got, err := os.ReadFile(local)
			if err != nil {
				b.Fatal(err)
			}
			if sum := sha256.Sum256(got); !bytes.Equal(sum[:], want[:]) {
				b.Fatalf("N=%d: the download differs from the source", n)
			}
		})
	}
}
