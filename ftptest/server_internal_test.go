package ftptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp/internal/embedded"
)

// fakeTB records what NewServer asks of a testing.TB. Its embedded TB is
// nil: NewServer calls only the methods below.
type fakeTB struct {
	testing.TB
	fatal    string
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Error(args ...any) { f.errors = append(f.errors, fmt.Sprint(args...)) }
func (f *fakeTB) Fatal(args ...any) { f.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// newServerWith calls NewServer with tb on a goroutine of its own, as
// Fatal ends the goroutine.
func newServerWith(tb *fakeTB, opts *Options) *Server {
	got := make(chan *Server, 1)
	go func() {
		defer close(got)
		got <- NewServer(tb, opts)
	}()
	return <-got
}

func TestNewServerRegistersClose(t *testing.T) {
	tb := &fakeTB{}
	srv := newServerWith(tb, nil)
	if srv == nil || tb.fatal != "" {
		t.Fatalf("NewServer failed: %s", tb.fatal)
	}
	if len(tb.cleanups) != 1 {
		t.Fatalf("NewServer registered %d cleanups, want 1", len(tb.cleanups))
	}
	tb.runCleanups()
	if len(tb.errors) != 0 {
		t.Errorf("cleanup reported %q", tb.errors)
	}
	if _, err := os.Stat(srv.Root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cleanup left the temporary root: %v", err)
	}
}

func TestNewServerFatal(t *testing.T) {
	tb := &fakeTB{}
	if srv := newServerWith(tb, &Options{AnyUser: true, Password: "p"}); srv != nil {
		srv.Close()
		t.Fatal("NewServer returned a server for bad options")
	}
	if !strings.HasPrefix(tb.fatal, "ftptest: ") {
		t.Errorf("Fatal(%q), want an ftptest error", tb.fatal)
	}
	if len(tb.cleanups) != 0 {
		t.Errorf("a failed NewServer registered %d cleanups", len(tb.cleanups))
	}
}

// TestServerTLSLeaf: a certificate given without its parsed Leaf is the
// one Certificate returns, and the given config is not changed.
func TestServerTLSLeaf(t *testing.T) {
	cert, err := embedded.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	given := cert.TLS
	given.Leaf = nil
	base := &tls.Config{Certificates: []tls.Certificate{given}, MinVersion: tls.VersionTLS13}
	tc, leaf, err := serverTLS(base)
	if err != nil {
		t.Fatal(err)
	}
	if !leaf.Equal(cert.TLS.Leaf) {
		t.Error("the leaf is not the given certificate")
	}
	if tc == base || tc.MinVersion != tls.VersionTLS13 {
		t.Error("the server's config is not a copy of the given one")
	}

	tc, leaf, err = serverTLS(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Certificates) != 1 || leaf == nil || tc.MinVersion != tls.VersionTLS12 {
		t.Errorf("default config: %d certificates, leaf %v, MinVersion %x", len(tc.Certificates), leaf != nil, tc.MinVersion)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
}
