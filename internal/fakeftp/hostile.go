// A hostile server for walks, mirrors and listings: names that would
// escape a directory, broken listings, links.

package fakeftp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Hostile is a fake FTP server for any number of connections,
// serving a fixed tree whose listings the test writes line by line; it
// records every command line.
type Hostile struct {
	multiServer
	mlsd  bool
	dirs  map[string][]string // listing lines by directory path
	files map[string][]byte   // contents by path

	mu     sync.Mutex
	cmds   []string
	stored map[string][]byte
}

const HostileTime = "20200102030405"

// StartHostile serves, for any number of connections:
//
//	/pub: ok.txt, link (a symbolic link, MLSD only), sub/, broken/ (whose
//	listing fails) and entries named ../x, /etc/x, a/b, .., bad<NUL>nul,
//	cr<CR>name, back\slash, ../escape (a directory)
//	/pub/sub: ok2.txt, ../../y, /abs, ..
func StartHostile(t *testing.T, mlsd bool) *Hostile {
	t.Helper()
	s := &Hostile{mlsd: mlsd, stored: map[string][]byte{}, files: map[string][]byte{
		"/pub/ok.txt": []byte("hello"), "/pub/sub/ok2.txt": []byte("world!"),
		"/pub/../x": []byte("evil"), "/etc/x": []byte("evil"), "/pub/a/b": []byte("evil"),
		"/pub/sub/../../y": []byte("evil"), "/abs": []byte("evil"),
	}}
	file := func(name string, size int) string {
		if mlsd {
			return fmt.Sprintf("type=file;size=%d;modify=%s; %s", size, HostileTime, name)
		}
		return fmt.Sprintf("-rw-r--r--   1 ftp ftp %8d Jan 02  2020 %s", size, name)
	}
	dir := func(name string) string {
		if mlsd {
			return fmt.Sprintf("type=dir;modify=%s; %s", HostileTime, name)
		}
		return fmt.Sprintf("drwxr-xr-x   2 ftp ftp     4096 Jan 02  2020 %s", name)
	}
	s.dirs = map[string][]string{
		"/": {dir("pub")},
		"/pub": {
			file("ok.txt", 5), file("../x", 4), file("/etc/x", 4), file("a/b", 4), dir(".."),
			file("bad\x00nul", 4), file("cr\rname", 4), file(`back\slash`, 4), dir("../escape"),
			dir("sub"), dir("broken"),
		},
		"/pub/sub": {file("ok2.txt", 6), file("../../y", 4), file("/abs", 4), dir("..")},
	}
	if mlsd {
		s.dirs["/pub"] = append(s.dirs["/pub"], "type=OS.unix=slink:/etc/passwd;modify="+HostileTime+"; link")
	}
	s.start(t, s.serve)
	return s
}

func (s *Hostile) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

// AssertNoUnsafeCommand checks that no refused name came back in a command.
func (s *Hostile) AssertNoUnsafeCommand(t *testing.T) {
	t.Helper()
	for _, c := range s.Commands() {
		for _, bad := range []string{"..", "/etc/x", "a/b", "\x00", "\r", `\`, "/abs", "escape", "link"} {
			assert.NotContains(t, c, bad, "command %q", c)
		}
	}
}

func (s *Hostile) serve(nc net.Conn) {
	defer nc.Close()
	br := bufio.NewReader(nc)
	w := func(format string, args ...any) {
		nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(nc, format, args...)
	}
	var dataLn net.Listener
	defer func() {
		if dataLn != nil {
			dataLn.Close()
		}
	}()
	accept := func() net.Conn {
		if dataLn == nil {
			return nil
		}
		dataLn.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
		dc, err := dataLn.Accept()
		dataLn.Close()
		dataLn = nil
		if err != nil {
			return nil
		}
		return dc
	}
	var offset int64
	var renameFrom string
	w("220 hostile server\r\n")
	for {
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.cmds = append(s.cmds, line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		_, isFile := s.files[arg]
		listing, isDir := s.dirs[arg]
		switch verb {
		case "USER":
			w("331 password\r\n")
		case "PASS":
			w("230 in\r\n")
		case "FEAT":
			feats := " SIZE\r\n MDTM\r\n MFMT\r\n REST STREAM\r\n EPSV\r\n"
			if s.mlsd {
				feats += " MLST type*;size*;modify*;\r\n"
			}
			w("211-Features:\r\n%s211 End\r\n", feats)
		case "TYPE", "NOOP", "OPTS":
			w("200 ok\r\n")
		case "PWD":
			w("257 \"/\"\r\n")
		case "EPSV":
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				w("425 no\r\n")
				continue
			}
			dataLn = l
			w("229 Entering Extended Passive Mode (|||%d|)\r\n", l.Addr().(*net.TCPAddr).Port)
		case "MLST":
			switch {
			case s.mlsd && (isDir || arg == "/pub/broken"):
				w("250-Listing %s\r\n type=dir;modify=%s; %s\r\n250 End\r\n", arg, HostileTime, arg)
			case s.mlsd && isFile:
				w("250-Listing %s\r\n type=file;size=%d;modify=%s; %s\r\n250 End\r\n", arg, len(s.files[arg]), HostileTime, arg)
			default:
				w("550 no such file\r\n")
			}
		case "MLSD", "LIST":
			if !isDir || (verb == "MLSD") != s.mlsd {
				w("550 no such directory\r\n")
				continue
			}
			w("150 here it comes\r\n")
			if dc := accept(); dc != nil {
				dc.Write([]byte(strings.Join(listing, "\r\n") + "\r\n"))
				dc.Close()
			}
			w("226 done\r\n")
		case "SIZE":
			s.mu.Lock()
			stored, isStored := s.stored[arg]
			s.mu.Unlock()
			switch {
			case isFile:
				w("213 %d\r\n", len(s.files[arg]))
			case isStored:
				w("213 %d\r\n", len(stored))
			default:
				w("550 no such file\r\n")
			}
		case "MDTM":
			if !isFile {
				w("550 no such file\r\n")
				continue
			}
			w("213 %s\r\n", HostileTime)
		case "REST":
			offset, _ = strconv.ParseInt(arg, 10, 64)
			w("350 restarting\r\n")
		case "RETR":
			if !isFile {
				w("550 no such file\r\n")
				continue
			}
			w("150 sending\r\n")
			if dc := accept(); dc != nil {
				dc.Write(s.files[arg][min(offset, int64(len(s.files[arg]))):])
				dc.Close()
			}
			offset = 0
			w("226 done\r\n")
		case "STOR":
			w("150 send it\r\n")
			if dc := accept(); dc != nil {
				b, _ := io.ReadAll(dc)
				dc.Close()
				s.mu.Lock()
				s.stored[arg] = b
				s.mu.Unlock()
			}
			w("226 stored\r\n")
		case "DELE", "RMD":
			w("250 gone\r\n")
		case "RNFR":
			renameFrom = arg
			w("350 go on\r\n")
		case "RNTO":
			s.mu.Lock()
			b, ok := s.stored[renameFrom]
			if ok {
				delete(s.stored, renameFrom)
				s.stored[arg] = b
			}
			s.mu.Unlock()
			if !ok {
				w("550 no such file\r\n")
				continue
			}
			w("250 renamed\r\n")
		case "MKD":
			w("257 \"%s\" created\r\n", arg)
		case "MFMT":
			w("213 Modify=%s\r\n", arg)
		case "QUIT":
			w("221 bye\r\n")
			return
		default:
			w("502 not implemented\r\n")
		}
	}
}

// Stored returns what was uploaded to name, nil when nothing was.
func (s *Hostile) Stored(name string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored[name]
}
