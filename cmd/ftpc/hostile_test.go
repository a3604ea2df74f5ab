package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"
)

// scriptedServer is a control-connection-only FTP server whose replies a
// test writes: answer gets each command's verb (upper case) and argument
// and returns the whole reply, without the final CRLF ("" closes the
// connection). It serves any number of sessions, each for a minute at
// most, and records the lines it received.
type scriptedServer struct {
	addr string
	mu   sync.Mutex
	got  []string
}

func startScripted(t *testing.T, greeting string, answer func(verb, arg string) string) *scriptedServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	s := &scriptedServer{addr: l.Addr().String()}
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(nc, greeting, answer)
		}
	}()
	return s
}

func (s *scriptedServer) serve(nc net.Conn, greeting string, answer func(verb, arg string) string) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintf(nc, "%s\r\n", greeting)
	br := bufio.NewReader(nc)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.got = append(s.got, line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if verb == "QUIT" {
			fmt.Fprint(nc, "221 bye\r\n")
			return
		}
		reply := answer(verb, arg)
		if reply == "" {
			return
		}
		fmt.Fprintf(nc, "%s\r\n", reply)
	}
}

// received returns the lines the server has read so far.
func (s *scriptedServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// loginAnswers logs any user in and otherwise defers to more; a nil more
// answers 502.
func loginAnswers(more func(verb, arg string) string) func(verb, arg string) string {
	return func(verb, arg string) string {
		switch verb {
		case "USER", "PASS":
			return "230 in"
		case "TYPE", "OPTS":
			return "200 ok"
		case "FEAT":
			return "211 no features"
		}
		if more != nil {
			if r := more(verb, arg); r != "" {
				return r
			}
		}
		return "502 not here"
	}
}

// stallingFs serves files whose reads stall after the first bytes.
type stallingFs struct{ afero.Fs }

func (s stallingFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := s.Fs.OpenFile(name, flag, perm)
	if err != nil || flag != os.O_RDONLY {
		return f, err
	}
	return &stallingFile{File: f}, nil
}

func (s stallingFs) Open(name string) (afero.File, error) {
	return s.OpenFile(name, os.O_RDONLY, 0)
}

type stallingFile struct {
	afero.File
	n int
}

func (f *stallingFile) Read(p []byte) (int, error) {
	if f.n > 0 {
		time.Sleep(20 * time.Second)
	}
	n, err := f.File.Read(p[:min(len(p), 1000)])
	f.n += n
	return n, err
}

// TestTimeoutBoundsStalledData: --timeout bounds a data connection that
// stops moving, and the error blames the data connection, not the local
// file the zero-copy path writes.
func TestTimeoutBoundsStalledData(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(),
		WrapFs: func(fs afero.Fs) afero.Fs { return stallingFs{fs} }})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	writeFile(t, filepath.Join(srv.Root, "big.bin"), randomBytes(1<<20, 9))
	base := "ftp://" + testUser + ":" + "s3cr%23t%20p%40ss" + "@" + srv.Addr + "/"
	start := time.Now()
	r := ftpc("--timeout", "1s", "get", base+"big.bin", filepath.Join(t.TempDir(), "out.bin"))
	requireOneLineError(t, r, exitNetwork)
	assert.Less(t, time.Since(start), 8*time.Second)
	assert.Contains(t, r.stderr, "data connection")
	assert.NotContains(t, r.stderr, "write ")
}
