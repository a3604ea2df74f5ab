package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/realservers"
	"github.com/seed362563c3/ftp/internal/testreport"
	"github.com/seed362563c3/ftp/mirror"
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
		fmt.Fprintf(w, "%-10s %-9s %-8s %-10s %6s  %s\n", r.server, r.mode, r.data, r.host, tm, oneLine(line, 400))
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

// The servers, as internal/realservers starts them (each Spec's comment
// has the details and quirks): vsftpd 3.0.3 (plain, explicit and implicit
// TLS capped at 1.2, data connections must resume the control
// connection's session), proftpd 1.3.8 with mod_tls (the same modes with
// TLS 1.3 and the same requirement), pure-ftpd 1.0.50 (plain and explicit
// TLS 1.3; Debian builds it without implicit TLS, which the table shows as
// N/A), pyftpdlib 1.5.7 (plain and explicit TLS 1.3), GNU inetutils ftpd
// 2.4 and busybox 1.35 ftpd (plain, run per connection by socat and
// tcpsvd), Twisted 22.4's FTP server (plain, IPv4 only, no REST or APPE)
// and aioftp 0.21 (plain and implicit TLS, passive only, no SIZE).
func TestVsftpd(t *testing.T)    { runServer(t, realservers.Vsftpd) }
func TestProftpd(t *testing.T)   { runServer(t, realservers.Proftpd) }
func TestPureFTPd(t *testing.T)  { runServer(t, realservers.PureFTPd) }
func TestPyftpdlib(t *testing.T) { runServer(t, realservers.Pyftpdlib) }
func TestInetutils(t *testing.T) { runServer(t, realservers.Inetutils) }
func TestBusybox(t *testing.T)   { runServer(t, realservers.Busybox) }
func TestTwisted(t *testing.T)   { runServer(t, realservers.Twisted) }
func TestAioftp(t *testing.T)    { runServer(t, realservers.Aioftp) }

// runServer runs every cell of one server: each TLS mode gets its own
// server instance; its cells run one after the other. Cells that need what
// the server does not have (IPv6, active mode) are shown as N/A, with the
// reason.
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
	if has, why := s.Has(realservers.FeatureIPv6); !has {
		record(result{server: s.Name, mode: "*", data: "*", host: "::1", status: "N/A", detail: why})
	} else if e.IPv6 {
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
	dms := dataModes
	if has, why := s.Has(realservers.FeatureActive); !has {
		record(result{server: s.Name, mode: "*", data: "active", host: "*", status: "N/A", detail: why})
		dms = []string{"passive"}
	} else if has, why := s.Has(realservers.FeatureActiveIPv6); !has && slices.Contains(hosts, "::1") {
		record(result{server: s.Name, mode: "*", data: "active", host: "::1", status: "N/A", detail: why})
	}
	// runs reports whether the cell of a data mode and a host is run.
	runs := func(dm, h string) bool {
		has, _ := s.Has(realservers.FeatureActiveIPv6)
		return has || dm != "active" || h != "::1"
	}
	for _, rm := range s.Modes {
		m := modeOf(rm)
		t.Run(m.name, func(t *testing.T) {
			started := false
			defer func() {
				if started {
					return
				}
				for _, dm := range dms {
					for _, h := range hosts {
						if runs(dm, h) {
							record(result{server: s.Name, mode: m.name, data: dm, host: h, status: "FAIL", detail: "server did not start (see the test log)"})
						}
					}
				}
			}()
			inst, err := s.Start(e.Env, realservers.Options{TLS: m.rs, Hosts: hosts})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(inst.Stop)
			started = true
			for _, dm := range dms {
				for _, h := range hosts {
					if !runs(dm, h) {
						continue
					}
					t.Run(dm+"_"+h, func(t *testing.T) {
						runCell(t, e, s, m, dm, h, inst)
					})
				}
			}
		})
	}
}

const (
	// cellTime bounds a cell, stepTime each of its steps: a server that
	// hangs costs a step, not the run.
	cellTime = 120 * time.Second
	stepTime = 30 * time.Second
	// slowStep is the time past which the matrix notes a step.
	slowStep = 3 * time.Second
)

// runCell runs the session of one cell and records its result: PASS, or
// FAIL with the first failed step and its error, and the names of the
// other steps that failed.
func runCell(t *testing.T, e *env, s *realservers.Spec, m tlsMode, dm, host string, inst *realservers.Server) {
	res := result{server: s.Name, mode: m.name, data: dm, host: host}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), cellTime)
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
		t:          t,
		transcript: transcript,
		e:          e,
		spec:       s,
		inst:       inst,
		cfg:        cfg,
		addr:       inst.Addrs[host],
		base:       fmt.Sprintf("interop-%s-%s-%s", m.name, dm, tag),
		tmp:        t.TempDir(),
	}
	c.dir = c.base + "/sub/deeper"
	failed := c.run(ctx)
	res.took = time.Since(begin)
	notes := strings.Join(c.notes, ", ")
	if len(failed) > 0 {
		res.status = "FAIL"
		// The first error is cut short so that the table still names
		// every failed step.
		res.detail = oneLine(fmt.Sprintf("%s: %v", failed[0].step, failed[0].err), 200)
		if len(failed) > 1 {
			var others []string
			for _, f := range failed[1:] {
				others = append(others, f.step)
			}
			res.detail += " | also failed: " + strings.Join(others, ", ")
		}
		for _, f := range failed {
			t.Errorf("%s, %s TLS, %s, %s: step %s failed: %v", s.Name, m.name, dm, host, f.step, describe(f.err))
			t.Logf("client transcript of step %s (last lines):\n%s", f.step, f.client)
			t.Logf("server logs of step %s (last lines):%s", f.step, f.server)
		}
		t.Logf("notes: %s", notes)
	} else {
		res.status = "PASS"
		res.detail = notes
		if testing.Verbose() {
			t.Logf("PASS in %v (%s)", res.took.Round(time.Millisecond), notes)
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

// mark returns where the transcript is now, for since.
func (b *lockedBuffer) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// since returns the last n lines written after mark.
func (b *lockedBuffer) since(mark, n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return lastLines(b.buf.String()[mark:], n)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("(%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// logSizes returns how long each server log is now, for logsSince.
func logSizes(logs []string) []int64 {
	sizes := make([]int64, len(logs))
	for i, l := range logs {
		if fi, err := os.Stat(l); err == nil {
			sizes[i] = fi.Size()
		}
	}
	return sizes
}

// logsSince returns the last n lines each server log got after sizes.
func logsSince(logs []string, sizes []int64, n int) string {
	var sb strings.Builder
	for i, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			fmt.Fprintf(&sb, "\n-- %s: %v", filepath.Base(l), err)
			continue
		}
		if i < len(sizes) && sizes[i] <= int64(len(b)) {
			b = b[sizes[i]:]
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		fmt.Fprintf(&sb, "\n-- %s:\n%s", filepath.Base(l), lastLines(string(b), n))
	}
	return sb.String()
}

// cell is one session of the matrix.
type cell struct {
	t          *testing.T
	transcript *lockedBuffer
	ctx        context.Context // the running step's
	e          *env
	spec       *realservers.Spec
	inst       *realservers.Server
	cfg        *ftp.Config
	addr       string
	base       string // the tree the cell makes and removes
	dir        string // where its files go, below base
	tmp        string // the cell's local directory
	conn       *ftp.Conn
	mlsd       bool
	mirror     *mirrorState
	pool       *ftp.Pool // the mirror steps', made by the first
	notes      []string
}

func (c *cell) path(name string) string { return c.dir + "/" + name }

// note adds to what the matrix shows for the cell.
func (c *cell) note(s string) { c.notes = append(c.notes, s) }

// stepFailure is a step that failed, and why: the error, and the end of
// what the client and the server logged during the step.
type stepFailure struct {
	step           string
	err            error
	client, server string
}

// run runs the steps in order and returns those that failed. A failed
// step does not stop the cell: each step works on files of its own (or
// repairs what it needs on the server's disk), so that one defect does not
// hide the next. Only a failure that leaves nothing to go on with (no
// session, no directory on the server's disk) ends it; a session a failure
// broke is replaced.
func (c *cell) run(ctx context.Context) []stepFailure {
	defer func() {
		if c.conn != nil {
			c.conn.Close()
		}
		if c.pool != nil {
			c.pool.Close()
		}
	}()
	always := func() bool { return true }
	noDir := func() bool { return c.checkDiskDir(c.dir) != nil }
	steps := []struct {
		name  string
		fn    func() error
		fatal func() bool // after a failure: whether the cell ends
	}{
		{"login", c.login, always},
		{"TLS version", c.checkTLS, nil},
		{"reuse required", c.checkReuseRequired, nil},
		{"MakeDirAll", c.makeDirs, noDir},
		{"STOR", c.upload, nil},
		{"SIZE", c.size, nil},
		{"MDTM", c.modTime, nil},
		{"MLSD", c.listMLSD, nil},
		{"LIST", c.listLIST, nil},
		{"RETR", c.download, nil},
		{"REST+RETR", c.resumeDownload, nil},
		{"DownloadFile resume", c.downloadFileResume, nil},
		{"DownloadSegmented", c.segmented, nil},
		{"REST+STOR", c.resumeUpload, nil},
		{"UploadFile resume", c.uploadFileResume, nil},
		{"APPE", c.appendUpload, nil},
		{"RNFR/RNTO", c.rename, nil},
		{"DELE", c.delete, nil},
		{"empty STOR", c.emptyUpload, nil},
		{"empty RETR", c.emptyDownload, nil},
		{"MirrorUp", c.mirrorUp, nil},
		{"MirrorDown", c.mirrorDown, nil},
		{"re-MirrorUp", c.remirrorUp, nil},
		{"re-MirrorDown", c.remirrorDown, nil},
		{"RemoveAll", c.removeAll, nil},
		{"QUIT", c.quit, nil},
	}
	var failed []stepFailure
	for _, s := range steps {
		if ctx.Err() != nil {
			failed = append(failed, stepFailure{step: s.name, err: fmt.Errorf("not run: the cell is out of time (%v)", cellTime)})
			break
		}
		sctx, cancel := context.WithTimeout(ctx, stepTime)
		c.ctx = sctx
		mark, sizes := c.transcript.mark(), logSizes(c.inst.Logs)
		began := time.Now()
		err := s.fn()
		cancel()
		if d := time.Since(began); d > slowStep {
			// Loopback transfers of a few MiB take well under a second: a
			// step this slow waited for something (a reply, a timeout).
			c.note(fmt.Sprintf("%s took %.1fs", s.name, d.Seconds()))
		}
		if err == nil {
			continue
		}
		failed = append(failed, stepFailure{s.name, err, c.transcript.since(mark, 60), logsSince(c.inst.Logs, sizes, 60)})
		if s.fatal != nil && s.fatal() {
			break
		}
		if c.conn != nil && c.conn.Err() != nil {
			c.conn.Close()
			c.conn = nil
			c.ctx = ctx
			if err := c.login(); err != nil {
				failed = append(failed, stepFailure{step: "login again", err: err})
				break
			}
		}
	}
	return failed
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
	c.note(tls.VersionName(st.Version))
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
	return c.checkDiskDir(c.dir)
}

// upload sends the data from an *os.File (sendfile on plain connections)
// and compares the server's copy. When that fails, the file is put on the
// server's disk by hand, so that the download steps still have their
// source.
func (c *cell) upload() (err error) {
	defer func() {
		if err != nil {
			if perr := c.putOnDisk(c.path("file.bin"), c.e.data); perr != nil {
				err = fmt.Errorf("%w; putting the file on the server's disk: %v", err, perr)
			} else {
				c.note("file.bin put on disk after STOR failed")
			}
		}
	}()
	f, err := os.Open(c.e.dataFile)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := send(c.conn.Store(c.ctx, c.path("file.bin")))(f)
	if err != nil {
		return err
	}
	if n != dataSize {
		return fmt.Errorf("Store sent %d bytes, want %d", n, dataSize)
	}
	return c.checkDisk(c.path("file.bin"), c.e.data)
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
		c.note("LIST only")
		return nil
	}
	entries, err := c.conn.List(c.ctx, c.dir)
	if err != nil {
		return err
	}
	c.note("MLSD+LIST")
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
// connections) and compares it byte for byte.
func (c *cell) download() error {
	local := filepath.Join(c.tmp, "download.bin")
	out, err := os.Create(local)
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
	got, err := os.ReadFile(local)
	if err != nil {
		return err
	}
	return sameBytes("the download", got, c.e.data)
}

// readFrom downloads name from offset into memory.
func (c *cell) readFrom(name string, offset int64) ([]byte, error) {
	r, err := c.conn.RetrieveFrom(c.ctx, c.path(name), offset)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		r.Close()
		return b, err
	}
	return b, r.Close()
}

// verify checks a remote file's size and content, as the client reads it
// back, against want.
func (c *cell) verify(name string, want []byte) error {
	if err := c.checkSize(name, int64(len(want))); err != nil {
		return err
	}
	got, err := c.readFrom(name, 0)
	if err != nil {
		return fmt.Errorf("reading %s back: %w", name, err)
	}
	return sameBytes(name+" read back", got, want)
}

// resumeDownload reads the file from an offset (REST + RETR). A server
// without REST must refuse.
func (c *cell) resumeDownload() error {
	const offset = dataSize/2 + 12345
	got, err := c.readFrom("file.bin", offset)
	if why, lacks := c.withoutREST(); lacks && err != nil {
		c.note("REST+RETR refused (" + why + ")")
		return nil
	}
	if err != nil {
		return err
	}
	if bytes.Equal(got, c.e.data) {
		return fmt.Errorf("the download from %d is the whole file, from byte 0: the server ignored REST %d", offset, offset)
	}
	return sameBytes(fmt.Sprintf("the download from %d", offset), got, c.e.data[offset:])
}

// resumeUpload uploads a first part, then the rest from the size the
// server holds with REST + STOR, from an *os.File, and compares the
// server's copy. A server without REST must refuse and keep the first
// part as it was.
func (c *cell) resumeUpload() (err error) {
	const cut = 3<<20 + 7
	firstErr, err := c.storeFirstPart("resume.bin", cut)
	defer func() { err = errors.Join(firstErr, err) }()
	if err != nil {
		return err
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
	n, err := send(c.conn.StoreFrom(c.ctx, c.path("resume.bin"), held))(f)
	if why, lacks := c.withoutREST(); lacks {
		got, rerr := os.ReadFile(c.onDisk(c.path("resume.bin")))
		if rerr != nil {
			return fmt.Errorf("on the server's disk: %w (StoreFrom: %v)", rerr, err)
		}
		return c.refusedIntact("REST+STOR ("+why+")", err, got, c.e.data[:cut], c.e.data)
	}
	if err != nil {
		return err
	}
	if n != dataSize-held {
		return fmt.Errorf("StoreFrom sent %d bytes, want %d", n, dataSize-held)
	}
	if err := c.checkDisk(c.path("resume.bin"), c.e.data); err != nil {
		if got, _ := os.ReadFile(c.onDisk(c.path("resume.bin"))); bytes.Equal(got, c.e.data[held:]) {
			return fmt.Errorf("%w: it holds the part sent after REST %d alone: the offset was ignored and the first part truncated away", err, held)
		}
		return err
	}
	return c.verify("resume.bin", c.e.data)
}

// storeFirstPart uploads the first cut bytes of the data as name and
// compares the server's copy. A bad copy is an error of its own (firstErr),
// and is then put right on the server's disk by hand, so that what follows
// is tested from the right start; err is a failure to go on from.
func (c *cell) storeFirstPart(name string, cut int) (firstErr, err error) {
	if _, err := send(c.conn.Store(c.ctx, c.path(name)))(bytes.NewReader(c.e.data[:cut])); err != nil {
		return nil, fmt.Errorf("first part: %w", err)
	}
	if firstErr = c.checkDisk(c.path(name), c.e.data[:cut]); firstErr != nil {
		firstErr = fmt.Errorf("first part (Store reported no error): %w", firstErr)
		if err := c.putOnDisk(c.path(name), c.e.data[:cut]); err != nil {
			return firstErr, err
		}
	}
	return firstErr, nil
}

// appendUpload uploads a first part, then the rest with APPE, and compares
// the server's copy. A server without APPE must refuse and keep the first
// part as it was.
func (c *cell) appendUpload() (err error) {
	const cut = 5<<20 + 3
	firstErr, err := c.storeFirstPart("append.bin", cut)
	defer func() { err = errors.Join(firstErr, err) }()
	if err != nil {
		return err
	}
	n, err := send(c.conn.Append(c.ctx, c.path("append.bin")))(bytes.NewReader(c.e.data[cut:]))
	if has, why := c.spec.Has(realservers.FeatureAPPE); !has {
		got, rerr := os.ReadFile(c.onDisk(c.path("append.bin")))
		if rerr != nil {
			return fmt.Errorf("on the server's disk: %w (Append: %v)", rerr, err)
		}
		return c.refusedIntact("APPE ("+why+")", err, got, c.e.data[:cut], c.e.data)
	}
	if err != nil {
		return err
	}
	if n != dataSize-cut {
		return fmt.Errorf("Append sent %d bytes, want %d", n, dataSize-cut)
	}
	if err := c.checkDisk(c.path("append.bin"), c.e.data); err != nil {
		return err
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
	if err := c.checkDiskAbsent(c.path("file.bin")); err != nil {
		return err
	}
	return c.checkDisk(c.path("renamed.bin"), c.e.data)
}

func (c *cell) delete() error {
	if err := c.conn.Delete(c.ctx, c.path("renamed.bin")); err != nil {
		return err
	}
	if _, err := c.conn.Size(c.ctx, c.path("renamed.bin")); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("SIZE after DELE: got %v, want an error matching fs.ErrNotExist", err)
	}
	return c.checkDiskAbsent(c.path("renamed.bin"))
}

func (c *cell) emptyUpload() error {
	n, err := send(c.conn.Store(c.ctx, c.path("empty.bin")))(bytes.NewReader(nil))
	if err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("Store of nothing sent %d bytes", n)
	}
	if err := c.checkDisk(c.path("empty.bin"), nil); err != nil {
		return err
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
	if err := mirror.RemoveAll(c.ctx, c.conn, c.base); err != nil {
		return err
	}
	if _, err := c.conn.Stat(c.ctx, c.base); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("Stat after RemoveAll: got %v, want an error matching fs.ErrNotExist", err)
	}
	if err := c.checkDiskAbsent(c.base); err != nil {
		return err
	}
	// Removing what is not there is no error.
	return mirror.RemoveAll(c.ctx, c.conn, c.base)
}

func (c *cell) quit() error {
	err := c.conn.Close()
	c.conn = nil
	return err
}
