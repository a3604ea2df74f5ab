// Loopback tests of the test server through the client's exported API.

package ftptest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/ftptest"
)

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// checkRoundTrip stores data through c, checks the copy on disk under root,
// and retrieves it again.
func checkRoundTrip(t *testing.T, c *ftp.Conn, root string) {
	t.Helper()
	data := randomBytes(t, 1<<20+7)
	if err := store(t, c, "up.bin", data); err != nil {
		t.Fatalf("store: %v", err)
	}
	onDisk, err := os.ReadFile(filepath.Join(root, "up.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, data) {
		t.Fatalf("the server stored %d bytes that differ from the %d sent", len(onDisk), len(data))
	}
	back, err := retrieve(t, c, "up.bin")
	if err != nil {
		t.Fatalf("retrieve: %v", err)
	}
	if !bytes.Equal(back, data) {
		t.Fatalf("retrieved %d bytes that differ from the %d stored", len(back), len(data))
	}
}

func TestRoundTrip(t *testing.T) {
	srv := ftptest.NewServer(t, nil)
	if srv.User != ftptest.DefaultUser || srv.Password != ftptest.DefaultPassword {
		t.Errorf("credentials %q/%q, want the defaults", srv.User, srv.Password)
	}
	if !strings.HasPrefix(srv.Addr, "127.0.0.1:") {
		t.Errorf("Addr %q is not on 127.0.0.1", srv.Addr)
	}
	cfg := srv.Config()
	if cfg.TLS != ftp.TLSNone || cfg.TLSConfig != nil {
		t.Errorf("a plain server's Config asks for TLS: %v, %v", cfg.TLS, cfg.TLSConfig)
	}
	c := dial(t, srv.Addr, cfg)
	checkRoundTrip(t, c, srv.Root)

	// A file put on disk is served.
	if err := os.WriteFile(filepath.Join(srv.Root, "put.txt"), []byte("from disk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := retrieve(t, c, "put.txt")
	if err != nil || string(got) != "from disk\n" {
		t.Fatalf("retrieve put.txt = %q, %v", got, err)
	}
	if n := srv.Clients(); n != 1 {
		t.Errorf("Clients() = %d, want 1", n)
	}
}

func TestActiveMode(t *testing.T) {
	srv := ftptest.NewServer(t, nil)
	cfg := srv.Config()
	cfg.Active = &ftp.ActiveConfig{}
	checkRoundTrip(t, dial(t, srv.Addr, cfg), srv.Root)
}

func TestDisableActive(t *testing.T) {
	srv := ftptest.NewServer(t, &ftptest.Options{DisableActive: true})
	cfg := srv.Config()
	cfg.Active = &ftp.ActiveConfig{}
	if err := store(t, dial(t, srv.Addr, cfg), "f", []byte("x")); err == nil {
		t.Fatal("an active transfer worked on a server without active mode")
	}
}

func TestTLS(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode ftptest.TLSMode
		want ftp.TLSMode
	}{
		{"explicit", ftptest.TLSExplicit, ftp.TLSExplicit},
		{"explicit optional", ftptest.TLSExplicitOptional, ftp.TLSExplicit},
		{"implicit", ftptest.TLSImplicit, ftp.TLSImplicit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ftptest.NewServer(t, &ftptest.Options{TLS: tc.mode})
			cfg := srv.Config()
			if cfg.TLS != tc.want {
				t.Errorf("Config().TLS = %v, want %v", cfg.TLS, tc.want)
			}
			if cfg.TLSConfig == nil || cfg.TLSConfig.InsecureSkipVerify || cfg.TLSConfig.RootCAs == nil {
				t.Fatalf("Config().TLSConfig does not verify against the server's certificate: %+v", cfg.TLSConfig)
			}
			c := dial(t, srv.Addr, cfg)
			state, ok := c.TLSConnectionState()
			if !ok {
				t.Fatal("the control connection is not protected")
			}
			if !state.PeerCertificates[0].Equal(srv.Certificate()) {
				t.Error("the server presented another certificate than Certificate()")
			}
			checkRoundTrip(t, c, srv.Root)
		})
	}
}

// TestTLSVerifies: a client trusting another server's certificate is
// refused, so Config really verifies.
func TestTLSVerifies(t *testing.T) {
	srv := ftptest.NewServer(t, &ftptest.Options{TLS: ftptest.TLSExplicit})
	other := ftptest.NewServer(t, &ftptest.Options{TLS: ftptest.TLSExplicit})
	_, err := ftp.Dial(testCtx(t), srv.Addr, other.Config())
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("Dial with another server's pool: %v, want an unknown authority", err)
	}
}

func TestTLSExplicitRefusesPlain(t *testing.T) {
	srv := ftptest.NewServer(t, &ftptest.Options{TLS: ftptest.TLSExplicit})
	cfg := srv.Config()
	cfg.TLS = ftp.TLSNone
	if c, err := ftp.Dial(testCtx(t), srv.Addr, cfg); err == nil {
		c.Close()
		t.Fatal("a plain client logged in to a server that requires TLS")
	}
}

func TestTLSExplicitOptionalServesPlain(t *testing.T) {
	srv := ftptest.NewServer(t, &ftptest.Options{TLS: ftptest.TLSExplicitOptional})
	cfg := srv.Config()
	cfg.TLS = ftp.TLSNone
	c := dial(t, srv.Addr, cfg)
	if _, ok := c.TLSConnectionState(); ok {
		t.Fatal("the control connection is protected")
	}
	checkRoundTrip(t, c, srv.Root)
}

// TestTLSConfig: the server's TLS configuration starts from
// Options.TLSConfig, which is left unchanged.
func TestTLSConfig(t *testing.T) {
	base := &tls.Config{MaxVersion: tls.VersionTLS12}
	srv := ftptest.NewServer(t, &ftptest.Options{TLS: ftptest.TLSImplicit, TLSConfig: base})
	if len(base.Certificates) != 0 {
		t.Error("Options.TLSConfig was changed")
	}
	c := dial(t, srv.Addr, srv.Config())
	state, _ := c.TLSConnectionState()
	if state.Version != tls.VersionTLS12 {
		t.Errorf("negotiated %s, want TLS 1.2", tls.VersionName(state.Version))
	}
}

func TestPlainServerHasNoCertificate(t *testing.T) {
	srv := ftptest.NewServer(t, nil)
	if srv.Certificate() != nil || srv.CertPool() != nil {
		t.Error("a plain server has a certificate")
	}
}

func TestHash(t *testing.T) {
	data := []byte("checksum me\n")
	sum := sha256.Sum256(data)
	srv := ftptest.NewServer(t, &ftptest.Options{EnableHASH: true})
	if err := os.WriteFile(filepath.Join(srv.Root, "f.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.Addr, srv.Config())
	got, err := c.Hash(testCtx(t), "f.txt", ftp.HashSHA256)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("HASH = %s, want %s", got, want)
	}

	plain := ftptest.NewServer(t, nil)
	c = dial(t, plain.Addr, plain.Config())
	if _, err := c.Hash(testCtx(t), "f.txt", ftp.HashSHA256); !errors.Is(err, ftp.ErrNotSupported) {
		t.Errorf("HASH without EnableHASH: %v, want ErrNotSupported", err)
	}
}

func TestDisableMLSD(t *testing.T) {
	for _, disable := range []bool{false, true} {
		srv := ftptest.NewServer(t, &ftptest.Options{DisableMLSD: disable, DisableMLST: disable})
		feats, err := dial(t, srv.Addr, srv.Config()).Features(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if feats.Has("MLSD") == disable || feats.Has("MLST") == disable {
			t.Errorf("disabled %v: FEAT has MLSD %v, MLST %v", disable, feats.Has("MLSD"), feats.Has("MLST"))
		}
	}
}

func TestCredentials(t *testing.T) {
	srv := ftptest.NewServer(t, &ftptest.Options{User: "alice", Password: "secret"})
	if cfg := srv.Config(); cfg.User != "alice" || cfg.Password != "secret" {
		t.Errorf("Config() credentials %q/%q", cfg.User, cfg.Password)
	}
	dial(t, srv.Addr, srv.Config())
	wrong := srv.Config()
	wrong.Password = "guess"
	_, err := ftp.Dial(testCtx(t), srv.Addr, wrong)
	var fe *ftp.Error
	if !errors.As(err, &fe) || fe.Code != ftp.StatusNotLoggedIn {
		t.Errorf("wrong password: %v, want a 530", err)
	}
}

func TestAnyUser(t *testing.T) {
	srv := ftptest.NewServer(t, &ftptest.Options{AnyUser: true})
	if cfg := srv.Config(); cfg.User != "" || cfg.Password != "" {
		t.Errorf("Config() credentials %q/%q, want none", cfg.User, cfg.Password)
	}
	dial(t, srv.Addr, &ftp.Config{}) // anonymous
	dial(t, srv.Addr, &ftp.Config{User: "bob", Password: "whatever"})
}

// TestWrapFS: the hook wraps the served file system; a read-only one
// serves files and refuses uploads.
func TestWrapFS(t *testing.T) {
	srv := ftptest.NewServer(t, &ftptest.Options{WrapFS: afero.NewReadOnlyFs})
	if err := os.WriteFile(filepath.Join(srv.Root, "r.txt"), []byte("read me"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.Addr, srv.Config())
	if got, err := retrieve(t, c, "r.txt"); err != nil || string(got) != "read me" {
		t.Errorf("retrieve = %q, %v", got, err)
	}
	if err := store(t, c, "w.txt", []byte("no")); err == nil {
		t.Error("a read-only file system took an upload")
	}
}

func TestLogger(t *testing.T) {
	var records atomic.Int64
	srv := ftptest.NewServer(t, &ftptest.Options{Logger: slog.New(countHandler{&records})})
	dial(t, srv.Addr, srv.Config()).Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if records.Load() == 0 {
		t.Error("the server logged nothing")
	}
}

// countHandler counts the records at every level.
type countHandler struct{ n *atomic.Int64 }

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countHandler) WithGroup(string) slog.Handler      { return h }

// TestStartClose: Start and Close, with no testing.TB, serve and clean up;
// Close may be called twice.
func TestStartClose(t *testing.T) {
	srv, err := ftptest.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ftp.Dial(testCtx(t), srv.Addr, srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	checkRoundTrip(t, c, srv.Root)
	c.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(srv.Root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary root is still there: %v", err)
	}
}

// TestCleanupRemovesRoot: the temporary root is gone once the test that
// made the server has ended.
func TestCleanupRemovesRoot(t *testing.T) {
	var root string
	t.Run("server", func(t *testing.T) {
		srv := ftptest.NewServer(t, nil)
		root = srv.Root
		if err := os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary root %s is still there: %v", root, err)
	}
}

// TestRootKept: a Root given in Options is served and left in place.
func TestRootKept(t *testing.T) {
	dir := t.TempDir()
	srv, err := ftptest.Start(&ftptest.Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Root != dir {
		t.Errorf("Root = %s, want %s", srv.Root, dir)
	}
	checkRoundTrip(t, dial(t, srv.Addr, srv.Config()), dir)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "up.bin")); err != nil {
		t.Errorf("the given root was not left in place: %v", err)
	}
}

// TestCloseEndsSessions: Close closes the control connections still open.
func TestCloseEndsSessions(t *testing.T) {
	srv, err := ftptest.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.Addr, srv.Config())
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.NoOp(testCtx(t)); err == nil {
		t.Error("the session outlived Close")
	}
}

// TestCloseBounded: a session stuck in a stalling file system delays
// Close by a second at most.
func TestCloseBounded(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv, err := ftptest.Start(&ftptest.Options{WrapFS: func(fsys afero.Fs) afero.Fs {
		return stallFs{fsys, release}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(srv.Root, "slow"), []byte("never read"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.Addr, srv.Config())
	done := make(chan error, 1)
	go func() {
		_, err := retrieve(t, c, "slow")
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // let RETR reach the stalled Read
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Close took %v", took)
	}
	if err := <-done; err == nil {
		t.Error("the stalled transfer succeeded")
	}
}

// stallFs serves files whose reads block until release is closed.
type stallFs struct {
	afero.Fs
	release chan struct{}
}

func (s stallFs) Open(name string) (afero.File, error) {
	f, err := s.Fs.Open(name)
	if err != nil {
		return nil, err
	}
	return stallFile{f, s.release}, nil
}

func (s stallFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := s.Fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return stallFile{f, s.release}, nil
}

type stallFile struct {
	afero.File
	release chan struct{}
}

func (f stallFile) Read(p []byte) (int, error) {
	<-f.release
	return f.File.Read(p)
}

func TestStartErrors(t *testing.T) {
	for name, opts := range map[string]*ftptest.Options{
		"AnyUser with a User":   {AnyUser: true, User: "u"},
		"TLSConfig without TLS": {TLSConfig: &tls.Config{}},
		"unknown TLS mode":      {TLS: 42},
		"empty certificate":     {TLS: ftptest.TLSExplicit, TLSConfig: &tls.Config{Certificates: []tls.Certificate{{}}}},
	} {
		t.Run(name, func(t *testing.T) {
			srv, err := ftptest.Start(opts)
			if err == nil {
				srv.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.HasPrefix(err.Error(), "ftptest: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestPublishExample runs the test shown in ExampleNewServer.
func TestPublishExample(t *testing.T) { testPublish(t) }
