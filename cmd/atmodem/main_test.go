package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The tests run atmodem as a process of its own: the test binary, started
// again with ATMODEM_MAIN set, is the command.
func TestMain(m *testing.M) {
	if os.Getenv("ATMODEM_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const guard = 60 * time.Millisecond

// command starts atmodem with args and returns it with its standard output.
func command(t *testing.T, stdin io.Reader, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	args = append([]string{"--escape-guard", guard.String(), "--luat-context", ""}, args...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ATMODEM_MAIN=1")
	cmd.Stdin = stdin
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewReader(out)
}

// stop ends atmodem with SIGTERM and checks that it exits cleanly.
func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("atmodem did not exit on SIGTERM")
	}
}

// wire is the host side of a serial line: reads are buffered in the
// background so that expectations can wait with a deadline.
type wire struct {
	t    *testing.T
	w    io.Writer
	mu   sync.Mutex
	buf  []byte
	more chan struct{}
}

func newWire(t *testing.T, rw io.ReadWriter) *wire {
	w := &wire{t: t, w: rw, more: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := rw.Read(b)
			w.mu.Lock()
			w.buf = append(w.buf, b[:n]...)
			w.mu.Unlock()
			select {
			case w.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return w
}

func (w *wire) send(b []byte) {
	w.t.Helper()
	_, err := w.w.Write(b)
	require.NoError(w.t, err)
}

// take consumes what fn accepts (fn returns a length, or -1 for more).
func (w *wire) take(fn func([]byte) int) []byte {
	w.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		w.mu.Lock()
		if n := fn(w.buf); n >= 0 {
			out := append([]byte(nil), w.buf[:n]...)
			w.buf = w.buf[n:]
			w.mu.Unlock()
			return out
		}
		pending := string(w.buf)
		w.mu.Unlock()
		select {
		case <-w.more:
		case <-deadline:
			w.t.Fatalf("timed out; pending %q", pending)
		}
	}
}

// lines checks the next response lines, empty ones skipped.
func (w *wire) lines(want ...string) {
	w.t.Helper()
	for _, l := range want {
		var got string
		w.take(func(b []byte) int {
			i := 0
			for i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
				i += 2
			}
			j := bytes.Index(b[i:], []byte("\r\n"))
			if j < 0 {
				return -1
			}
			got = string(b[i : i+j])
			return i + j + 2
		})
		require.Regexp(w.t, "^"+l+"$", got)
	}
}

func (w *wire) raw(n int) []byte {
	w.t.Helper()
	return w.take(func(b []byte) int {
		if len(b) < n {
			return -1
		}
		return n
	})
}

func (w *wire) cmd(line string, want ...string) {
	w.t.Helper()
	w.send([]byte(line + "\r"))
	w.lines(want...)
}

// everyByte is data with every byte value, CR, LF, ^C and ^S included: it
// passes a raw terminal unchanged.
func everyByte(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
		if b[i] == '+' {
			b[i] = '-' // no "+++" in the data, whatever the pacing
		}
	}
	return b
}

func ftpServer(t *testing.T) *embedded.Server {
	t.Helper()
	s, err := embedded.Start(embedded.Options{User: "test", Password: "test"})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// A driver's session through a real pseudo-terminal: atmodem prints the
// slave's path; the test opens it as a driver would, uploads and downloads
// binary data through COM:.
func TestPseudoTerminal(t *testing.T) {
	s := ftpServer(t)
	cmd, out := command(t, nil, "--dialect", "quectel", "--no-echo")
	path, err := out.ReadString('\n')
	require.NoError(t, err)
	path = strings.TrimSpace(path)
	require.Regexp(t, `^/dev/pts/\d+$`, path)

	tty, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	defer tty.Close()
	// The terminal is raw: no echo, no line editing, no CR/LF translation.
	// (Through SyscallConn: Fd would put the file in blocking mode, and
	// Close could then not stop a Read.)
	rc, err := tty.SyscallConn()
	require.NoError(t, err)
	var termios *unix.Termios
	require.NoError(t, rc.Control(func(fd uintptr) {
		termios, err = unix.IoctlGetTermios(int(fd), unix.TCGETS)
	}))
	require.NoError(t, err)
	require.Zero(t, termios.Lflag&(unix.ECHO|unix.ICANON|unix.ISIG))
	require.Zero(t, termios.Iflag&unix.ICRNL)
	require.Zero(t, termios.Oflag&unix.OPOST)

	w := newWire(t, tty)
	host, port, _ := net.SplitHostPort(s.Addr)
	w.cmd("AT", "OK")
	w.cmd("AT+QIACT=1", "OK")
	w.cmd(`AT+QFTPCFG="account","test","test"`, "OK")
	w.cmd(fmt.Sprintf(`AT+QFTPOPEN="%s",%s`, host, port), "OK", `\+QFTPOPEN: 0,0`)

	data := everyByte(5000)
	w.cmd(`AT+QFTPPUT="bin.dat","COM:",0`, "CONNECT")
	w.send(data)
	time.Sleep(3 * guard)
	w.send([]byte("+++"))
	time.Sleep(3 * guard)
	w.lines("OK", `\+QFTPPUT: 0,5000`)
	got, err := os.ReadFile(filepath.Join(s.Root, "bin.dat"))
	require.NoError(t, err)
	require.Equal(t, data, got)

	w.cmd(`AT+QFTPGET="bin.dat","COM:"`, "CONNECT")
	require.Equal(t, data, w.raw(len(data)))
	w.lines("OK", `\+QFTPGET: 0,5000`)
	w.cmd("AT+QFTPCLOSE", "OK", `\+QFTPCLOSE: 0,0`)

	// A driver that closes the terminal and comes back finds the modem.
	tty.Close()
	tty2, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	defer tty2.Close()
	w2 := newWire(t, tty2)
	w2.cmd("AT+QFTPSTAT", `\+QFTPSTAT: 0,4`, "OK")
	stop(t, cmd)
}

// --stdio serves standard input and output and ends with them.
func TestStdio(t *testing.T) {
	in := strings.NewReader("ATE0\rAT+FTPPORT?\rAT+FTPPORT=2121\rAT+FTPPORT?\r")
	cmd, out := command(t, in, "--stdio", "--dialect", "luat")
	all, err := io.ReadAll(out)
	require.NoError(t, err)
	require.NoError(t, cmd.Wait())
	require.Equal(t, "ATE0\r\r\nOK\r\n\r\n+FTPPORT: 21\r\n\r\nOK\r\n\r\nOK\r\n\r\n+FTPPORT: 2121\r\n\r\nOK\r\n", string(all))
}

// --listen serves TCP connections, each a modem of its own.
func TestListen(t *testing.T) {
	cmd, out := command(t, nil, "--listen", "127.0.0.1:0", "--dialect", "luat", "--no-echo")
	addr, err := out.ReadString('\n')
	require.NoError(t, err)
	addr = strings.TrimSpace(addr)
	var conns []*wire
	for range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		conns = append(conns, newWire(t, c))
	}
	conns[0].cmd("AT+FTPPORT=2100", "OK")
	conns[1].cmd("AT+FTPPORT?", `\+FTPPORT: 21`, "OK")
	conns[0].cmd("AT+FTPPORT?", `\+FTPPORT: 2100`, "OK")
	conns[1].cmd("ATI", "AirM2M", "Air724UG", "Revision: atbridge", "OK")
	stop(t, cmd)
}

func TestFlags(t *testing.T) {
	var stderr bytes.Buffer
	for _, args := range [][]string{
		{"--dialect", "simcom"},
		{"--stdio", "--listen", "127.0.0.1:0"},
		{"--escape-guard", "0s"},
		{"extra"},
		{"--cacert", "/nonexistent/ca.pem"},
	} {
		args = append([]string{"--luat-context", ""}, args...)
		err := run(context.Background(), args, nil, io.Discard, &stderr)
		require.Error(t, err, "%q", args)
	}
	require.NoError(t, run(context.Background(), []string{"--luat-context", "", "--help"}, nil, io.Discard, &stderr))
	require.Contains(t, stderr.String(), "usage: atmodem")

	c, err := parseFlags([]string{"--dialect", "luat", "--luat-context", filepath.Join(t.TempDir(), "d", "ctx.json"), "--debug"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "luat", c.dialect.String())
	require.NotNil(t, c.opts.Logger)
	require.DirExists(t, filepath.Dir(c.opts.LuatContextFile))
	require.Regexp(t, regexp.MustCompile(`atmodem/luat-context\.json$`), defaultContextFile())
}
