// ftpc demo: upload a large file to an embedded server, have the data
// connection cut part way, resume the upload, download it back and check
// that every byte survived.

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
)

// demoSize is the default size of the demo's file.
const demoSize = 64 << 20

// demoCutFraction is the share of the file sent before the cut, in percent.
const demoCutPercent = 40

const demoRemoteName = "random.bin"

func cmdDemo(ctx context.Context, s *session, _ []string) error {
	if s.opts.active {
		return usagef("demo: --active is not supported (the cut is made on a dialled data connection)")
	}
	size := int64(s.opts.size)
	if size <= 0 {
		return usagef("demo: --size must be positive")
	}
	out := s.stdout

	// Every connection logs through one handler that counts the commands
	// sent, and shows the dialogue only with --debug.
	counter := &countingHandler{n: new(atomic.Int64)}
	if s.opts.debug {
		counter.inner = slog.NewTextHandler(s.stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	logger := slog.New(counter)

	srv, err := embedded.Start(embedded.Options{User: "demo", Password: "demo"})
	if err != nil {
		return fmt.Errorf("demo: starting the embedded server: %w", err)
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "ftpc-demo-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(out, "embedded FTP server on %s, serving %s\n", srv.Addr, srv.Root)

	// The data.
	src := filepath.Join(dir, "upload.bin")
	start := time.Now()
	want, err := writeRandomFile(src, size)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(out, "generated %s of pseudo-random data in %v\n  SHA-256 %x\n",
		formatBytes(size), time.Since(start).Round(time.Millisecond), want)

	base := &ftp.Config{User: "demo", Password: "demo", Logger: logger}
	if s.opts.timeout > 0 {
		base.DialTimeout, base.ReplyTimeout = s.opts.timeout, s.opts.timeout
	}
	_, serverPort, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		return err
	}

	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()

	// Attempt 1: the data connection is cut after demoCutPercent of the file.
	budget := size * demoCutPercent / 100
	cut := &cutter{controlPort: serverPort, budget: budget}
	cut.armed.Store(true)
	cutCfg := base.Clone()
	cutCfg.DialContext = cut.dial
	c1, err := ftp.Dial(ctx, srv.Addr, cutCfg)
	if err != nil {
		return err
	}
	var sent1 int64
	w1, err := c1.Store(ctx, demoRemoteName)
	if err == nil {
		sent1, err = w1.Send(f)
	}
	c1.Close()
	if err == nil {
		return fmt.Errorf("demo: the first upload was not cut (%d bytes sent)", sent1)
	}
	fmt.Fprintf(out, "upload 1: cut after %s of %s (%d%%): %v\n", formatBytes(sent1), formatBytes(size), demoCutPercent, err)

	// A fresh connection, without the cutting dialer: how much arrived?
	c2, err := ftp.Dial(ctx, srv.Addr, base)
	if err != nil {
		return err
	}
	defer c2.Close()
	held, err := c2.Size(ctx, demoRemoteName)
	if err != nil {
		return fmt.Errorf("demo: size after the cut: %w", err)
	}
	fmt.Fprintf(out, "server holds %d bytes (%.1f%%)\n", held, 100*float64(held)/float64(size))
	if held > size {
		return fmt.Errorf("demo: the server holds %d bytes, more than the %d sent", held, size)
	}

	// Attempt 2: REST at the held size, then STOR of the rest of the file,
	// straight from the *os.File (sendfile).
	if _, err := f.Seek(held, io.SeekStart); err != nil {
		return err
	}
	start = time.Now()
	var sent2 int64
	w2, err := c2.StoreFrom(ctx, demoRemoteName, held)
	if err == nil {
		sent2, err = w2.Send(f)
	}
	upDur := time.Since(start)
	if err != nil {
		return fmt.Errorf("demo: resumed upload: %w", err)
	}
	fmt.Fprintf(out, "upload 2: resumed at byte %d, sent %s in %v (%s)\n",
		held, formatBytes(sent2), upDur.Round(time.Millisecond), rate(sent2, upDur))

	// Download everything back into a new file (splice).
	dst := filepath.Join(dir, "download.bin")
	df, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer df.Close()
	start = time.Now()
	r, err := c2.Retrieve(ctx, demoRemoteName)
	if err != nil {
		return err
	}
	got, err := io.Copy(df, r)
	if err = firstErr(err, r.Close()); err != nil {
		return fmt.Errorf("demo: download: %w", err)
	}
	downDur := time.Since(start)
	if err := df.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "download: %s in %v (%s)\n", formatBytes(got), downDur.Round(time.Millisecond), rate(got, downDur))

	gotSum, err := hashFile(dst)
	if err != nil {
		return err
	}

	entries, err := c2.List(ctx, "")
	if err != nil {
		return fmt.Errorf("demo: list: %w", err)
	}
	fmt.Fprintln(out, "server directory:")
	p := &entryPrinter{w: out, stderr: io.Discard, bound: -1}
	for _, e := range entries {
		p.add(e, false)
	}
	p.finish()
	c2.Close() // so that its QUIT is counted

	fmt.Fprintln(out, "summary:")
	fmt.Fprintf(out, "  attempt 1 sent    %d bytes, server kept %d\n", sent1, held)
	fmt.Fprintf(out, "  attempt 2 sent    %d bytes (%s)\n", sent2, rate(sent2, upDur))
	fmt.Fprintf(out, "  downloaded        %d bytes (%s)\n", got, rate(got, downDur))
	fmt.Fprintf(out, "  control commands  %d\n", counter.n.Load())
	if !bytes.Equal(gotSum, want) {
		fmt.Fprintf(out, "SHA-256 mismatch: sent %x, got %x\n", want, gotSum)
		return fmt.Errorf("demo: SHA-256 mismatch: the downloaded file differs")
	}
	fmt.Fprintf(out, "SHA-256 match: %s\n", hex.EncodeToString(gotSum))
	return nil
}

// writeRandomFile writes size bytes of seeded ChaCha8 output to name and
// returns their SHA-256.
func writeRandomFile(name string, size int64) ([]byte, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	var seed [32]byte
	copy(seed[:], "ftpc demo: cut, resume, verify")
	h := sha256.New()
	buf := make([]byte, 1<<20)
	_, err = io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(rand.NewChaCha8(seed), size), buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func hashFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// cutter dials like a net.Dialer and wraps the first connection it opens
// to a port other than the control port, which is the first data
// connection, so that it breaks after budget bytes.
type cutter struct {
	controlPort string
	budget      int64
	armed       atomic.Bool
}

func (c *cutter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == c.controlPort {
		return nc, nil
	}
	if !c.armed.CompareAndSwap(true, false) {
		return nc, nil
	}
	return &cuttingConn{Conn: nc, left: c.budget}, nil
}

// cuttingConn lets budget bytes through and then resets the connection, as
// a network failure would. It has no ReadFrom, so uploads through it go
// through Write.
type cuttingConn struct {
	net.Conn
	left int64
}

func (c *cuttingConn) Write(p []byte) (int, error) {
	if int64(len(p)) <= c.left {
		n, err := c.Conn.Write(p)
		c.left -= int64(n)
		return n, err
	}
	n, err := c.Conn.Write(p[:c.left])
	c.left -= int64(n)
	if err != nil {
		return n, err
	}
	// Reset rather than close: data still in flight is lost, so the server
	// holds an amount the client cannot know without asking.
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Conn.Close()
	m, err := c.Conn.Write(p[n:]) // fails: the error of a closed connection
	return n + m, err
}

// countingHandler counts the "ftp command" records the library logs, one
// per command sent, and passes records on to inner when it is set.
type countingHandler struct {
	inner slog.Handler
	n     *atomic.Int64
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "ftp command" {
		h.n.Add(1)
	}
	if h.inner != nil && h.inner.Enabled(ctx, r.Level) {
		return h.inner.Handle(ctx, r)
	}
	return nil
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := &countingHandler{n: h.n}
	if h.inner != nil {
		n.inner = h.inner.WithAttrs(attrs)
	}
	return n
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	n := &countingHandler{n: h.n}
	if h.inner != nil {
		n.inner = h.inner.WithGroup(name)
	}
	return n
}

// rate formats n bytes over d as MB/s (10^6 bytes per second).
func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- MB/s"
	}
	return fmt.Sprintf("%.1f MB/s", float64(n)/1e6/d.Seconds())
}

// formatBytes formats n in binary units.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// sizeFlag is a byte count with an optional K, M or G suffix (binary units).
type sizeFlag int64

func (s *sizeFlag) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *sizeFlag) Set(v string) error {
	mult := int64(1)
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(v), "B"), "I")
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return fmt.Errorf("bad size %q", v)
	}
	*s = sizeFlag(n * mult)
	return nil
}
