package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/realservers"
	"github.com/seed362563c3/ftp/internal/testreport"
)

// tlsMode is one column of the matrix's TLS dimension.
type tlsMode struct {
	name string
	mode ftp.TLSMode
	rs   realservers.TLSMode
}

var (
	modePlain    = tlsMode{"plain", ftp.TLSNone, realservers.Plain}
	modeExplicit = tlsMode{"explicit", ftp.TLSExplicit, realservers.Explicit}
	modeImplicit = tlsMode{"implicit", ftp.TLSImplicit, realservers.Implicit}
)

// modeOf returns the column of a server's TLS mode.
func modeOf(m realservers.TLSMode) tlsMode {
	switch m {
	case realservers.Explicit:
		return modeExplicit
	case realservers.Implicit:
		return modeImplicit
	}
	return modePlain
}

var dataModes = []string{"passive", "active"}

// result is one cell of the printed matrix.
type result struct {
	server, mode, data, host string
	status                   string // PASS, FAIL or SKIP
	detail                   string
	took                     time.Duration
}

var (
	resultsMu sync.Mutex
	results   []result
)

func record(r result) {
	resultsMu.Lock()
	results = append(results, r)
	resultsMu.Unlock()
}

func TestMain(m *testing.M) {
	start := time.Now()
	code := m.Run()
	runAtExit()
	var table strings.Builder
	printMatrix(&table, time.Since(start))
	fmt.Print(table.String())
	if table.Len() > 0 {
		testreport.Add("interop matrix", table.String())
	}
	os.Exit(code)
}

// printMatrix prints every recorded cell: server, TLS mode, data mode and
// address, then PASS, or FAIL with the failing step and the reply.
func printMatrix(w io.Writer, took time.Duration) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if len(results) == 0 {
		return
	}
	var pass, fail, skip int
	fmt.Fprintf(w, "\nFTP interop matrix (%s)\n", took.Round(time.Second))
	fmt.Fprintf(w, "%-10s %-9s %-8s %-10s %6s  %s\n", "SERVER", "TLS", "DATA", "ADDRESS", "TIME", "RESULT")
	for _, r := range results {
		line := r.status
		if r.detail != "" {
			line += "  " + r.detail
		}
		tm := ""
		if r.took > 0 {
			tm = fmt.Sprintf("%.1fs", r.took.Seconds())
		}
		fmt.Fprintf(w, "%-10s %-9s %-8s %-10s %6s  %s\n", r.server, r.mode, r.data, r.host, tm, oneLine(line, 160))
		switch r.status {
		case "PASS":
			pass++
		case "FAIL":
			fail++
		default:
			skip++
		}
	}
	fmt.Fprintf(w, "cells: %d pass, %d fail, %d skipped or n/a\n\n", pass, fail, skip)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// The servers, as internal/realservers starts them: vsftpd 3.0.3 (plain,
// explicit and implicit TLS capped at 1.2, data connections must resume the
// control connection's session), proftpd 1.3.8 with mod_tls (the same
// modes with TLS 1.3 and the same requirement), pure-ftpd 1.0.50 (plain and
// explicit TLS 1.3; Debian builds it without implicit TLS, which the table
// shows as N/A).
func TestVsftpd(t *testing.T)   { runServer(t, realservers.Vsftpd) }
func TestProftpd(t *testing.T)  { runServer(t, realservers.Proftpd) }
func TestPureFTPd(t *testing.T) { runServer(t, realservers.PureFTPd) }

// runServer runs every cell of one server: each TLS mode gets its own
// server instance; its cells run one after the other.
func runServer(t *testing.T, s *realservers.Spec) {
	// Under CI=true what is missing fails the test: the table says so too.
	absent := "SKIP"
	if inCI() {
		absent = "FAIL"
	}
	if err := s.Find(); err != nil {
		miss, _ := realservers.IsMissing(err)
		record(result{server: s.Name, mode: "*", data: "*", host: "*", status: absent, detail: miss + " is missing"})
		missing(t, miss)
	}
	envOnce.Do(func() { sharedEnv, envMiss, envErr = newEnv() })
	if envMiss != "" {
		record(result{server: s.Name, mode: "*", data: "*", host: "*", status: absent, detail: envMiss + " is missing"})
	}
	e := getEnv(t)
	hosts := []string{"127.0.0.1"}
	if e.IPv6 {
		hosts = append(hosts, "::1")
	} else {
		record(result{server: s.Name, mode: "*", data: "*", host: "::1", status: "SKIP", detail: "::1 cannot be bound on this machine"})
		t.Log("::1 cannot be bound here: the IPv6 cells are skipped")
	}
	for _, m := range []tlsMode{modePlain, modeExplicit, modeImplicit} {
		if why, ok := s.Lacks[m.rs]; ok {
			record(result{server: s.Name, mode: m.name, data: "*", host: "*", status: "N/A", detail: why})
		}
	}
	for _, rm := range s.Modes {
		m := modeOf(rm)
		t.Run(m.name, func(t *testing.T) {
			started := false
			defer func() {
				if started {
					return
				}
				for _, dm := range dataModes {
					for _, h := range hosts {
						record(result{server: s.Name, mode: m.name, data: dm, host: h, status: "FAIL", detail: "server did not start (see the test log)"})
					}
				}
			}()
			inst, err := s.Start(e.Env, realservers.Options{TLS: m.rs, Hosts: hosts})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(inst.Stop)
			started = true
			for _, dm := range dataModes {
				for _, h := range hosts {
					t.Run(dm+"_"+h, func(t *testing.T) {
						runCell(t, e, s, m, dm, h, inst)
					})
				}
			}
		})
	}
}

// runCell runs the session of one cell and records its result.
func runCell(t *testing.T, e *env, s *realservers.Spec, m tlsMode, dm, host string, inst *realservers.Server) {
	res := result{server: s.Name, mode: m.name, data: dm, host: host}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	transcript := &lockedBuffer{}
	cfg := &ftp.Config{
		User:         ftpUser,
		Password:     e.Password,
		TLS:          m.mode,
		DialTimeout:  10 * time.Second,
		ReplyTimeout: 30 * time.Second,
		Logger: slog.New(slog.NewTextHandler(transcript, &slog.HandlerOptions{
			Level: slog.LevelDebug,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey && len(groups) == 0 {
					return slog.Attr{}
				}
				return a
			},
		})),
	}
	if m.mode != ftp.TLSNone {
		cfg.TLSConfig = &tls.Config{RootCAs: e.Pool, MaxVersion: inst.MaxTLS}
	}
	if dm == "active" {
		cfg.Active = &ftp.ActiveConfig{AcceptTimeout: 20 * time.Second}
	}
	tag := "v4"
	if host == "::1" {
		tag = "v6"
	}
	c := &cell{
		t:    t,
		ctx:  ctx,
		e:    e,
		inst: inst,
		cfg:  cfg,
		addr: inst.Addrs[host],
		base: fmt.Sprintf("interop-%s-%s-%s", m.name, dm, tag),
	}
	c.dir = c.base + "/sub/deeper"
	step, err := c.run()
	res.took = time.Since(begin)
	if err != nil {
		res.status = "FAIL"
		res.detail = fmt.Sprintf("%s: %v", step, err)
		t.Errorf("%s, %s TLS, %s, %s: step %s failed: %v", s.Name, m.name, dm, host, step, describe(err))
		t.Logf("client transcript (last lines):\n%s", transcript.tail(80))
		t.Logf("server logs (last lines):%s", inst.LogTails())
	} else {
		res.status = "PASS"
		res.detail = c.notes
		if testing.Verbose() {
			t.Logf("PASS in %v (%s)", res.took.Round(time.Millisecond), c.notes)
		}
	}
	record(res)
}

// describe adds the reply's command and code to an error that carries one.
func describe(err error) string {
	var fe *ftp.Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("%v [command %q, reply %d]", err, fe.Command, fe.Code)
	}
	return err.Error()
}

// lockedBuffer collects the client's transcript; the library may log from
// the goroutine that accepts an active data connection.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cell is one session of the matrix.
type cell struct {
	t     *testing.T
	ctx   context.Context
	e     *env
	inst  *realservers.Server
	cfg   *ftp.Config
	addr  string
	base  string // the tree the cell makes and removes
	dir   string // where its files go, below base
	conn  *ftp.Conn
	mlsd  bool
	notes string
}

func (c *cell) path(name string) string { return c.dir + "/" + name }

// run runs the steps in order and returns the first that failed.
func (c *cell) run() (string, error) {
	defer func() {
		if c.conn != nil {
			c.conn.Close()
		}
	}()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"login", c.login},
		{"TLS version", c.checkTLS},
		{"reuse required", c.checkReuseRequired},
		{"MakeDirAll", c.makeDirs},
		{"STOR", c.upload},
		{"SIZE", c.size},
		{"MDTM", c.modTime},
		{"MLSD", c.listMLSD},
		{"LIST", c.listLIST},
		{"RETR", c.download},
		{"REST+RETR", c.resumeDownload},
		{"REST+STOR", c.resumeUpload},
		{"APPE", c.appendUpload},
		{"RNFR/RNTO", c.rename},
		{"DELE", c.delete},
		{"empty STOR", c.emptyUpload},
		{"empty RETR", c.emptyDownload},
		{"RemoveAll", c.removeAll},
		{"QUIT", c.quit},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return s.name, err
		}
	}
	return "", nil
}

func (c *cell) login() error {
	if c.addr == "" {
		return errors.New("the server does not listen on this address")
	}
	conn, err := ftp.Dial(c.ctx, c.addr, c.cfg)
	if err != nil {
		return err
	}
	c.conn = conn
	return nil
}

func (c *cell) checkTLS() error {
	st, ok := c.conn.TLSConnectionState()
	if c.cfg.TLS == ftp.TLSNone {
		if ok {
			return errors.New("plain session has TLS on the control connection")
		}
		return nil
	}
	if !ok {
		return errors.New("control connection is not protected")
	}
	if want := c.inst.TLSVersion; want != 0 && st.Version != want {
		return fmt.Errorf("negotiated %s, want %s", tls.VersionName(st.Version), tls.VersionName(want))
	}
	c.notes = tls.VersionName(st.Version)
	return nil
}

// checkReuseRequired shows that the server's reuse requirement is on: a
// session whose data connections cannot resume the control connection's
// TLS session must not get a listing.
func (c *cell) checkReuseRequired() error {
	if c.cfg.TLS == ftp.TLSNone || !c.inst.ReuseRequired {
		return nil
	}
	cfg := c.cfg.Clone()
	cfg.Logger = nil
	cfg.TLSConfig = cfg.TLSConfig.Clone()
	cfg.TLSConfig.SessionTicketsDisabled = true
	conn, err := ftp.Dial(c.ctx, c.addr, cfg)
	if err != nil {
		return fmt.Errorf("session without resumption: %w", err)
	}
	defer conn.Close()
	if _, err := conn.NameList(c.ctx, ""); err == nil {
		return errors.New("the server sent a listing over a data connection that did not resume the TLS session")
	} else if testing.Verbose() {
		c.t.Logf("without session resumption: %v", err)
	}
	return nil
}

func (c *cell) makeDirs() error {
	if err := c.conn.MakeDirAll(c.ctx, c.dir); err != nil {
		return err
	}
	// Again: every directory exists now, which is no error.
	if err := c.conn.MakeDirAll(c.ctx, c.dir); err != nil {
		return fmt.Errorf("second MakeDirAll: %w", err)
	}
	e, err := c.conn.Stat(c.ctx, c.dir)
	if err != nil {
		return fmt.Errorf("Stat %s: %w", c.dir, err)
	}
	if e.Type != ftp.EntryDir {
		return fmt.Errorf("Stat %s: type %v, want dir", c.dir, e.Type)
	}
	return nil
}

// upload sends the data from an *os.File (sendfile on plain connections).
func (c *cell) upload() error {
	f, err := os.Open(c.e.dataFile)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := c.conn.Store(c.ctx, c.path("file.bin"), f)
	if err != nil {
		return err
	}
	if n != dataSize {
		return fmt.Errorf("Store sent %d bytes, want %d", n, dataSize)
	}
	return nil
}

func (c *cell) size() error { return c.checkSize("file.bin", dataSize) }

func (c *cell) checkSize(name string, want int64) error {
	n, err := c.conn.Size(c.ctx, c.path(name))
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("SIZE %s = %d, want %d", name, n, want)
	}
	return nil
}

func (c *cell) modTime() error {
	mt, err := c.conn.ModTime(c.ctx, c.path("file.bin"))
	if err != nil {
		return err
	}
	if d := time.Since(mt); d < -10*time.Minute || d > 10*time.Minute {
		return fmt.Errorf("MDTM = %v, %v away from now", mt, d.Round(time.Second))
	}
	return nil
}

// listMLSD lists with MLSD when the server offers it.
func (c *cell) listMLSD() error {
	feats, err := c.conn.Features(c.ctx)
	if err != nil {
		return err
	}
	c.mlsd = feats.Has("MLST")
	if !c.mlsd {
		c.notes = strings.TrimSpace(c.notes + " LIST only")
		return nil
	}
	entries, err := c.conn.List(c.ctx, c.dir)
	if err != nil {
		return err
	}
	c.notes = strings.TrimSpace(c.notes + " MLSD+LIST")
	return checkListing(entries, true)
}

// listLIST lists with LIST: on a second session with DisableMLSD when the
// server has MLSD, on this one otherwise.
func (c *cell) listLIST() error {
	conn := c.conn
	if c.mlsd {
		cfg := c.cfg.Clone()
		cfg.DisableMLSD = true
		var err error
		conn, err = ftp.Dial(c.ctx, c.addr, cfg)
		if err != nil {
			return fmt.Errorf("second session: %w", err)
		}
		defer conn.Close()
	}
	entries, err := conn.List(c.ctx, c.dir)
	if err != nil {
		return err
	}
	if err := checkListing(entries, false); err != nil {
		return err
	}
	if conn != c.conn {
		return conn.Close()
	}
	return nil
}

// checkListing looks for file.bin with its size in a listing of the cell's
// directory, which holds nothing else yet.
func checkListing(entries []*ftp.Entry, mlsd bool) error {
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
		if e.Name != "file.bin" {
			continue
		}
		if e.Type != ftp.EntryFile || e.Size != dataSize || e.ModTime.IsZero() {
			return fmt.Errorf("file.bin listed as %v, size %d, time %v (%q)", e.Type, e.Size, e.ModTime, e.Raw)
		}
		if mlsd && e.Facts == nil {
			return fmt.Errorf("MLSD entry without facts: %q", e.Raw)
		}
	}
	sort.Strings(names)
	if len(names) != 1 || names[0] != "file.bin" {
		return fmt.Errorf("listing holds %q, want just file.bin", names)
	}
	return nil
}

// download retrieves the file into an *os.File (splice on plain
// connections) and compares its SHA-256.
func (c *cell) download() error {
	out, err := os.Create(filepath.Join(c.t.TempDir(), "download.bin"))
	if err != nil {
		return err
	}
	defer out.Close()
	r, err := c.conn.Retrieve(c.ctx, c.path("file.bin"))
	if err != nil {
		return err
	}
	n, err := io.Copy(out, r)
	if err != nil {
		r.Close()
		return err
	}
	if err := r.Close(); err != nil {
		return err
	}
	if n != dataSize {
		return fmt.Errorf("downloaded %d bytes, want %d", n, dataSize)
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, out); err != nil {
		return err
	}
	if !bytes.Equal(h.Sum(nil), c.e.dataSum[:]) {
		return errors.New("SHA-256 of the download differs from the upload's")
	}
	return nil
}

// hashFrom downloads name from offset and returns the SHA-256 and length.
func (c *cell) hashFrom(name string, offset int64) ([]byte, int64, error) {
	r, err := c.conn.RetrieveFrom(c.ctx, c.path(name), offset)
	if err != nil {
		return nil, 0, err
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		r.Close()
		return nil, n, err
	}
	if err := r.Close(); err != nil {
		return nil, n, err
	}
	return h.Sum(nil), n, nil
}

// verify checks a remote file's size and content against want.
func (c *cell) verify(name string, want []byte) error {
	if err := c.checkSize(name, int64(len(want))); err != nil {
		return err
	}
	sum, n, err := c.hashFrom(name, 0)
	if err != nil {
		return fmt.Errorf("reading %s back: %w", name, err)
	}
	wantSum := sha256.Sum256(want)
	if n != int64(len(want)) || !bytes.Equal(sum, wantSum[:]) {
		return fmt.Errorf("%s read back as %d bytes with another SHA-256", name, n)
	}
	return nil
}

func (c *cell) resumeDownload() error {
	const offset = dataSize/2 + 12345
	sum, n, err := c.hashFrom("file.bin", offset)
	if err != nil {
		return err
	}
	want := sha256.Sum256(c.e.data[offset:])
	if n != dataSize-offset || !bytes.Equal(sum, want[:]) {
		return fmt.Errorf("download from %d: %d bytes, want %d, SHA-256 equal: %v", offset, n, dataSize-offset, bytes.Equal(sum, want[:]))
	}
	return nil
}

// resumeUpload uploads a first part, then the rest from the size the
// server holds with REST + STOR, from an *os.File.
func (c *cell) resumeUpload() error {
	const cut = 3<<20 + 7
	if _, err := c.conn.Store(c.ctx, c.path("resume.bin"), bytes.NewReader(c.e.data[:cut])); err != nil {
		return fmt.Errorf("first part: %w", err)
	}
	held, err := c.conn.Size(c.ctx, c.path("resume.bin"))
	if err != nil {
		return err
	}
	if held != cut {
		return fmt.Errorf("server holds %d bytes of the first part, want %d", held, cut)
	}
	f, err := os.Open(c.e.dataFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(held, io.SeekStart); err != nil {
		return err
	}
	n, err := c.conn.StoreFrom(c.ctx, c.path("resume.bin"), f, held)
	if err != nil {
		return err
	}
	if n != dataSize-held {
		return fmt.Errorf("StoreFrom sent %d bytes, want %d", n, dataSize-held)
	}
	return c.verify("resume.bin", c.e.data)
}

func (c *cell) appendUpload() error {
	const cut = 5<<20 + 3
	if _, err := c.conn.Store(c.ctx, c.path("append.bin"), bytes.NewReader(c.e.data[:cut])); err != nil {
		return fmt.Errorf("first part: %w", err)
	}
	n, err := c.conn.Append(c.ctx, c.path("append.bin"), bytes.NewReader(c.e.data[cut:]))
	if err != nil {
		return err
	}
	if n != dataSize-cut {
		return fmt.Errorf("Append sent %d bytes, want %d", n, dataSize-cut)
	}
	return c.verify("append.bin", c.e.data)
}

func (c *cell) rename() error {
	if err := c.conn.Rename(c.ctx, c.path("file.bin"), c.path("renamed.bin")); err != nil {
		return err
	}
	if err := c.checkSize("renamed.bin", dataSize); err != nil {
		return err
	}
	if _, err := c.conn.Size(c.ctx, c.path("file.bin")); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("SIZE of the old name: got %v, want an error matching fs.ErrNotExist", err)
	}
	return nil
}

func (c *cell) delete() error {
	if err := c.conn.Delete(c.ctx, c.path("renamed.bin")); err != nil {
		return err
	}
	if _, err := c.conn.Size(c.ctx, c.path("renamed.bin")); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("SIZE after DELE: got %v, want an error matching fs.ErrNotExist", err)
	}
	return nil
}

func (c *cell) emptyUpload() error {
	n, err := c.conn.Store(c.ctx, c.path("empty.bin"), bytes.NewReader(nil))
	if err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("Store of nothing sent %d bytes", n)
	}
	return c.checkSize("empty.bin", 0)
}

func (c *cell) emptyDownload() error {
	r, err := c.conn.Retrieve(c.ctx, c.path("empty.bin"))
	if err != nil {
		return err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		r.Close()
		return err
	}
	if err := r.Close(); err != nil {
		return err
	}
	if len(b) != 0 {
		return fmt.Errorf("empty file read back as %d bytes", len(b))
	}
	return nil
}

func (c *cell) removeAll() error {
	if err := c.conn.RemoveAll(c.ctx, c.base); err != nil {
		return err
	}
	if _, err := c.conn.Stat(c.ctx, c.base); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("Stat after RemoveAll: got %v, want an error matching fs.ErrNotExist", err)
	}
	// Removing what is not there is no error.
	return c.conn.RemoveAll(c.ctx, c.base)
}

func (c *cell) quit() error {
	err := c.conn.Close()
	c.conn = nil
	return err
}
