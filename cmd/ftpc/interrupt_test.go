package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateFs serves the first limit bytes of every file read, then holds the
// reader until the gate opens.
type gateFs struct {
	afero.Fs
	limit int64
	gate  chan struct{}
	once  sync.Once
}

func newGateFs(limit int64) *gateFs { return &gateFs{limit: limit, gate: make(chan struct{})} }

func (g *gateFs) open() { g.once.Do(func() { close(g.gate) }) }

func (g *gateFs) wrap(fs afero.Fs) afero.Fs { return &gateFs{Fs: fs, limit: g.limit, gate: g.gate} }

func (g *gateFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := g.Fs.OpenFile(name, flag, perm)
	if err != nil || flag != os.O_RDONLY {
		return f, err
	}
	return &gateFile{File: f, g: g}, nil
}

func (g *gateFs) Open(name string) (afero.File, error) { return g.OpenFile(name, os.O_RDONLY, 0) }

type gateFile struct {
	afero.File
	g *gateFs
	n int64
}

func (f *gateFile) Read(p []byte) (int, error) {
	if f.n >= f.g.limit {
		<-f.g.gate
	} else {
		p = p[:min(int64(len(p)), f.g.limit-f.n)]
	}
	n, err := f.File.Read(p)
	f.n += int64(n)
	return n, err
}

// slowFs slows every write down while slow is set.
type slowFs struct {
	afero.Fs
	slow *atomic.Bool
}

func (s slowFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := s.Fs.OpenFile(name, flag, perm)
	if err != nil || flag == os.O_RDONLY {
		return f, err
	}
	return &slowFile{File: f, slow: s.slow}, nil
}

func (s slowFs) Create(name string) (afero.File, error) {
	return s.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

type slowFile struct {
	afero.File
	slow *atomic.Bool
}

func (f *slowFile) Write(p []byte) (int, error) {
	if f.slow.Load() {
		time.Sleep(20 * time.Millisecond)
	}
	return f.File.Write(p)
}

func (f *slowFile) WriteAt(p []byte, off int64) (int, error) {
	if f.slow.Load() {
		time.Sleep(20 * time.Millisecond)
	}
	return f.File.WriteAt(p, off)
}

// waitSize waits until the file holds at least n bytes.
func waitSize(t *testing.T, name string, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(name); err == nil && fi.Size() >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never reached %d bytes", name, n)
}

// stderrLines splits a process's standard error into lines.
func stderrLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// TestInterruptGet: Ctrl-C during a download keeps the partial file,
// says how much of it is there, prints the command that resumes it, and
// exits with 130; the printed command, pasted into a shell, finishes the
// file and says where it resumed.
func TestInterruptGet(t *testing.T) {
	g := newGateFs(1 << 20)
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(), WrapFs: g.wrap})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	t.Cleanup(g.open) // runs first: no read stays held
	base := "ftp://" + testUser + ":s3cr%23t%20p%40ss@" + srv.Addr + "/"
	data := randomBytes(4<<20, 51)
	writeFile(t, filepath.Join(srv.Root, "big.bin"), data)
	dir := t.TempDir()
	local := filepath.Join(dir, "out.bin")

	p := startFtpc(t, nil, "get", "--no-progress", base+"big.bin", local)
	waitSize(t, local, 1<<20)
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	t0 := time.Now()
	require.Equal(t, exitInterrupted, p.wait(t, 15*time.Second), p.stderr.String())
	t.Logf("exit after %v", time.Since(t0))
	lines := stderrLines(p.stderr.String())
	require.Len(t, lines, 2, p.stderr.String())
	assert.Equal(t, "ftpc: interrupted: get big.bin: 1048576 of 4194304 bytes (25%) are in "+local, lines[0])
	// The password stays out: FTP_PASSWORD or netrc gives it.
	resume := "ftpc get --resume --no-progress ftp://" + testUser + "@" + srv.Addr + "/big.bin " + local
	assert.Equal(t, "ftpc: resume with: "+resume, lines[1])
	assert.Equal(t, data[:1<<20], readFile(t, local), "the partial file is kept")

	g.open()
	t0 = time.Now()
	r := runShell(t, []string{"FTP_PASSWORD=" + testPassword}, strings.TrimPrefix(lines[1], "ftpc: resume with: "))
	require.Equal(t, 0, r.code, r.stderr)
	t.Logf("resumed in %v", time.Since(t0))
	assert.Equal(t, "ftpc: get big.bin: resuming at 1048576 bytes (25%)\n", r.stderr)
	assert.True(t, bytes.Equal(data, readFile(t, local)), "the resumed file differs")
}

// TestInterruptPut: Ctrl-C during an upload says what the server holds
// and how to resume; the printed command completes the upload.
func TestInterruptPut(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(),
		WrapFs: func(fs afero.Fs) afero.Fs { return slowFs{fs, &slow} }})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	base := "ftp://" + testUser + ":s3cr%23t%20p%40ss@" + srv.Addr + "/"
	data := randomBytes(4<<20, 52)
	dir := t.TempDir()
	local := filepath.Join(dir, "my file.bin") // a name the shell must have quoted
	writeFile(t, local, data)

	p := startFtpc(t, nil, "put", local, base+"up.bin")
	waitSize(t, filepath.Join(srv.Root, "up.bin"), 256<<10)
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	slow.Store(false)
	require.Equal(t, exitInterrupted, p.wait(t, 15*time.Second), p.stderr.String())
	lines := stderrLines(p.stderr.String())
	require.Len(t, lines, 2, p.stderr.String())
	m := regexp.MustCompile(`^ftpc: interrupted: put up\.bin: the server holds (\d+) of 4194304 bytes \(\d+%\)$`).FindStringSubmatch(lines[0])
	require.NotNil(t, m, lines[0])
	resume := "ftpc put --resume '" + local + "' ftp://" + testUser + "@" + srv.Addr + "/up.bin"
	assert.Equal(t, "ftpc: resume with: "+resume, lines[1])

	r := runShell(t, []string{"FTP_PASSWORD=" + testPassword}, resume)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^ftpc: put up\.bin: resuming at \d+ bytes \(\d+%\)\n$`, r.stderr)
	assert.True(t, bytes.Equal(data, readFile(t, filepath.Join(srv.Root, "up.bin"))), "the resumed upload differs")
}

// stuckServer sends the first 64 KiB of any RETR, then nothing, and
// answers nothing more (ABOR included): a client that waits for it waits
// for its own deadlines.
func stuckServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			go func() {
				br := bufio.NewReader(nc)
				reply := func(s string) { fmt.Fprintf(nc, "%s\r\n", s) }
				reply("220 stuck")
				var pasv net.Listener
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
					switch strings.ToUpper(verb) {
					case "USER", "PASS":
						reply("230 in")
					case "TYPE":
						reply("200 ok")
					case "SIZE":
						reply("213 1000000")
					case "FEAT":
						reply("211 none")
					case "EPSV":
						pasv, _ = net.Listen("tcp", "127.0.0.1:0")
						reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", pasv.Addr().(*net.TCPAddr).Port))
					case "RETR":
						dc, err := pasv.Accept()
						pasv.Close()
						if err != nil {
							return
						}
						mu.Lock()
						conns = append(conns, dc)
						mu.Unlock()
						reply("150 here")
						dc.Write(make([]byte, 64<<10))
					default:
						// Silence, ABOR and QUIT included.
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// TestInterruptTwice: while the first Ctrl-C waits for a server that no
// longer answers, a second one quits at once, with 130, keeping the
// partial file.
func TestInterruptTwice(t *testing.T) {
	addr := stuckServer(t)
	local := filepath.Join(t.TempDir(), "f.bin")
	p := startFtpc(t, nil, "get", "--no-progress", "ftp://"+addr+"/f.bin", local)
	waitSize(t, local, 64<<10)
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	time.Sleep(300 * time.Millisecond)
	select {
	case <-p.done:
		t.Fatalf("the first Ctrl-C ended ftpc before the second: %s", p.stderr.String())
	default:
	}
	second := time.Now()
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	require.Equal(t, exitInterrupted, p.wait(t, 10*time.Second), p.stderr.String())
	assert.Less(t, time.Since(second), 500*time.Millisecond, "the second Ctrl-C must not wait")
	assert.Contains(t, p.stderr.String(), "ftpc: interrupted again: quitting\n")
	fi, err := os.Stat(local)
	require.NoError(t, err)
	assert.Equal(t, int64(64<<10), fi.Size())
}

// TestRerunCommand: the resuming command is the command typed, with
// --resume after the command's name, the password out of URLs, every
// word quoted for the shell.
func TestRerunCommand(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "ftp://h/f", "out"}, "ftpc get --resume ftp://h/f out"},
		{[]string{"--tls", "get", "ftp://bob:pw@h/a b", "x y"}, "ftpc --tls get --resume ftp://bob@h/a%20b 'x y'"},
		{[]string{"get", "--resume", "ftp://h/f"}, "ftpc get --resume ftp://h/f"},
		{[]string{"get", "ftp://h/f", "--resume=true"}, "ftpc get ftp://h/f --resume=true"},
		{[]string{"--timeout", "5s", "put", "it's", "ftp://h/"}, `ftpc --timeout 5s put --resume 'it'\''s' ftp://h/`},
		{[]string{"get", "--proxy", "socks5://u:p@proxy", "ftp://h/f"}, "ftpc get --resume --proxy socks5://u@proxy ftp://h/f"},
	} {
		assert.Equal(t, tt.want, rerunCommand(tt.args, tt.args[slicesIndexCommand(tt.args)], "--resume"))
	}
	assert.Equal(t, "ftpc mirror ftp://h/d d", rerunCommand([]string{"mirror", "ftp://h/d", "d"}, "mirror", ""))
}

// slicesIndexCommand finds the command's name in a test command line.
func slicesIndexCommand(args []string) int {
	for i, a := range args {
		if commands[a] != nil {
			return i
		}
	}
	return -1
}
