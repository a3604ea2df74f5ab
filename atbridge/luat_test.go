package atbridge

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/require"
)

// The Luat manual (000) links its worked flow ("使用流程演示") instead of
// printing it; the transcripts follow the flow its tables define: the
// bearer with AT+SAPBR, the parameters, then sessions opened with mode 1,
// read or written with mode 2 in chunks of at most 1460 bytes, and closed
// by the URC "+FTPxxx: 1,0". The manual prints some URCs without the space
// after the colon ("+FTPGET:1,1") and others with it ("+FTPMKD: 1,0"); the
// space is printed throughout, as the modules do.

// luatSetup replays the bearer and parameter commands for server s.
func luatSetup(t *testing.T, p *port, s *embedded.Server) {
	t.Helper()
	host, pt := hostPort(s.Addr)
	p.cmd(`AT+SAPBR=3,1,"CONTYPE","GPRS"`, "OK")
	p.cmd(`AT+SAPBR=3,1,"APN","CMNET"`, "OK")
	p.cmd(`AT+SAPBR=1,1`, "OK")
	p.cmd(`AT+SAPBR=2,1`, `+SAPBR: 1,1,"<IP>"`, "OK")
	p.cmd(`AT+FTPCID=1`, "OK")
	p.cmd(`AT+FTPSERV="`+host+`"`, "OK")
	p.cmd(`AT+FTPPORT=`+pt, "OK")
	p.cmd(`AT+FTPUN="test"`, "OK")
	p.cmd(`AT+FTPPW="test"`, "OK")
	p.cmd(`AT+FTPMODE=1`, "OK")
	p.cmd(`AT+FTPTYPE="I"`, "OK")
}

func luatModem(t *testing.T, opts Options) (*port, *embedded.Server) {
	t.Helper()
	s := server(t, embedded.Options{})
	opts.NoEcho = true
	p := startModem(t, Luat, opts)
	luatSetup(t, p, s)
	return p, s
}

// readGet reads with mode 2 until the session ends and returns the data.
func readGet(t *testing.T, p *port, name string, n int) []byte {
	t.Helper()
	var data []byte
	for {
		got := p.cmd("AT"+name+"=2,"+strconv.Itoa(n), name+": 2,<N>")
		k := num(t, got[0])
		require.LessOrEqual(t, k, n)
		data = append(data, p.raw(k)...)
		p.expect("OK")
		if k < n {
			p.expect(name + ": 1,0")
			return data
		}
	}
}

// The command flow: upload, size, download, directories and listing.
func TestLuatCommandFlow(t *testing.T) {
	p, s := luatModem(t, Options{})

	// Upload in chunks.
	body := pattern(3000, 0)
	p.cmd(`AT+FTPPUTNAME="up.txt"`, "OK")
	p.cmd(`AT+FTPPUTPATH="/"`, "OK")
	p.cmd(`AT+FTPPUT=1`, "OK", "+FTPPUT: 1,1,1460")
	for off := 0; off < len(body); off += 1460 {
		chunk := body[off:min(off+1460, len(body))]
		p.cmd(`AT+FTPPUT=2,`+strconv.Itoa(len(chunk)), "+FTPPUT: 2,"+strconv.Itoa(len(chunk)))
		p.sendBytes(chunk)
		p.expect("OK", "+FTPPUT: 1,1,1460")
	}
	p.cmd(`AT+FTPPUT=2,0`, "OK", "+FTPPUT: 1,0")
	require.Equal(t, body, readFile(t, s, "up.txt"))

	// Its size, then the download.
	p.cmd(`AT+FTPGETNAME="up.txt"`, "OK")
	p.cmd(`AT+FTPGETPATH="/"`, "OK")
	p.cmd(`AT+FTPSIZE`, "OK", "+FTPSIZE: 1,0,3000")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,1")
	p.cmd(`AT+FTPGET=2,1460`, "+FTPGET: 2,1460")
	got := p.raw(1460)
	p.expect("OK")
	p.cmd(`AT+FTPGET=2,1460`, "+FTPGET: 2,1460")
	got = append(got, p.raw(1460)...)
	p.expect("OK")
	p.cmd(`AT+FTPGET=2,1460`, "+FTPGET: 2,80")
	got = append(got, p.raw(80)...)
	p.expect("OK", "+FTPGET: 1,0")
	require.Equal(t, body, got)
	// No session now.
	p.cmd(`AT+FTPGET=2,10`, "ERROR")

	// Directories: AT+FTPMKD and AT+FTPRMD work on AT+FTPGETPATH.
	p.cmd(`AT+FTPGETPATH="/newdir"`, "OK")
	p.cmd(`AT+FTPMKD`, "OK", "+FTPMKD: 1,0")
	require.DirExists(t, filepath.Join(s.Root, "newdir"))
	p.cmd(`AT+FTPGETPATH="/"`, "OK")
	p.cmd(`AT+FTPLIST=1`, "OK", "+FTPLIST: 1,1")
	listing := readGet(t, p, "+FTPLIST", 1460)
	lines := listingLines(t, listing)
	sort.Strings(lines)
	require.Len(t, lines, 2)
	require.Regexp(t, ` 3000 .* up\.txt$`, lines[0])
	require.Regexp(t, `^d.* newdir$`, lines[1])
	p.cmd(`AT+FTPGETPATH="/newdir"`, "OK")
	p.cmd(`AT+FTPRMD`, "OK", "+FTPRMD: 1,0")
	require.NoDirExists(t, filepath.Join(s.Root, "newdir"))
	p.cmd(`AT+FTPQUIT`, "OK")
	require.GreaterOrEqual(t, s.Clients(), 5, "one session per operation")
}

// Small reads, and FTPREST: the download starts at the offset.
func TestLuatReadsAndRest(t *testing.T) {
	p, s := luatModem(t, Options{})
	writeFile(t, s, "dir/f.bin", pattern(100, 3))
	p.cmd(`AT+FTPGETPATH="/dir"`, "OK")
	p.cmd(`AT+FTPGETNAME="f.bin"`, "OK")
	p.cmd(`AT+FTPREST=40`, "OK")
	p.cmd(`AT+FTPREST?`, "+FTPREST: 40", "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,1")
	require.Equal(t, pattern(100, 3)[40:], readGet(t, p, "+FTPGET", 7))
	// An empty file: no data to announce, the end at once.
	writeFile(t, s, "dir/empty", nil)
	p.cmd(`AT+FTPREST=0`, "OK")
	p.cmd(`AT+FTPGETNAME="empty"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,0")
	p.cmd(`AT+FTPGET=2,10`, "ERROR")
}

// AT+FTPPUTOPT: APPE appends, STOU stores under a name the server picks.
func TestLuatPutOptions(t *testing.T) {
	p, s := luatModem(t, Options{})
	writeFile(t, s, "up/log.txt", []byte("one,"))
	p.cmd(`AT+FTPPUTPATH="/up"`, "OK")
	p.cmd(`AT+FTPPUTNAME="log.txt"`, "OK")
	p.cmd(`AT+FTPPUTOPT="APPE"`, "OK")
	p.cmd(`AT+FTPPUTOPT?`, `+FTPPUTOPT: "APPE"`, "OK")
	p.cmd(`AT+FTPPUT=1`, "OK", "+FTPPUT: 1,1,1460")
	p.cmd(`AT+FTPPUT=2,3`, "+FTPPUT: 2,3")
	p.send("two")
	p.expect("OK", "+FTPPUT: 1,1,1460")
	p.cmd(`AT+FTPPUT=2,0`, "OK", "+FTPPUT: 1,0")
	require.Equal(t, "one,two", string(readFile(t, s, "up/log.txt")))

	// The in-process server has no STOU: the refusal is an upload error.
	p.cmd(`AT+FTPPUTOPT=stou`, "OK")
	p.cmd(`AT+FTPPUT=1`, "OK", "+FTPPUT: 1,78")
	p.cmd(`AT+FTPPUTOPT="STOR"`, "OK")
	p.cmd(`AT+FTPPUTOPT="MOVE"`, "ERROR")
}

// STOU against a server that has it: the chunks go through to the name the
// server chose, in AT+FTPPUTPATH.
func TestLuatStoreUnique(t *testing.T) {
	f := startFakeFTP(t, "127.0.0.1", nil)
	_, pt := hostPort(f.l.Addr().String())
	p := startModem(t, Luat, Options{NoEcho: true})
	p.cmd(`AT+SAPBR=1,1`, "OK")
	p.cmd(`AT+FTPSERV="127.0.0.1"`, "OK")
	p.cmd(`AT+FTPPORT=`+pt, "OK")
	p.cmd(`AT+FTPPUTPATH="/spool"`, "OK")
	p.cmd(`AT+FTPPUTOPT="STOU"`, "OK")
	p.cmd(`AT+FTPPUT=1`, "OK", "+FTPPUT: 1,1,1460")
	for _, chunk := range []string{"uni", "que"} {
		p.cmd(`AT+FTPPUT=2,3`, "+FTPPUT: 2,3")
		p.send(chunk)
		p.expect("OK", "+FTPPUT: 1,1,1460")
	}
	p.cmd(`AT+FTPPUT=2,0`, "OK", "+FTPPUT: 1,0")
	require.Contains(t, f.commands(), "CWD /spool")
	// AT+FTPQUIT in the middle of an upload aborts it.
	p.cmd(`AT+FTPPUT=1`, "OK", "+FTPPUT: 1,1,1460")
	p.cmd(`AT+FTPPUT=2,4`, "+FTPPUT: 2,4")
	p.send("lost")
	p.expect("OK", "+FTPPUT: 1,1,1460")
	p.cmd(`AT+FTPQUIT`, "OK", "+FTPPUT: 1,86")
	p.cmd(`AT+FTPPUT=2,0`, "ERROR")
	require.Eventually(t, func() bool {
		f.mu2.Lock()
		defer f.mu2.Unlock()
		return len(f.stored) == 2
	}, 5*time.Second, 10*time.Millisecond)
	f.mu2.Lock()
	defer f.mu2.Unlock()
	require.Equal(t, "STOU=unique", f.stored[0])
}

// The parameters: set, query and test forms, and the documented limits.
func TestLuatParameters(t *testing.T) {
	p := startModem(t, Luat, Options{NoEcho: true})
	for _, c := range []struct{ cmd, set, query string }{
		{"+FTPPORT", "2121", "+FTPPORT: 2121"},
		{"+FTPMODE", "0", "+FTPMODE: 0"},
		{"+FTPTYPE", `"A"`, `+FTPTYPE: "A"`},
		{"+FTPTYPE", `i`, `+FTPTYPE: "I"`},
		{"+FTPPUTOPT", `"STOU"`, `+FTPPUTOPT: "STOU"`},
		{"+FTPCID", "3", "+FTPCID: 3"},
		{"+FTPREST", "123456789012", "+FTPREST: 123456789012"},
		{"+FTPSERV", `"ftp.example.com"`, `+FTPSERV: "ftp.example.com"`},
		{"+FTPUN", `"user"`, `+FTPUN: "user"`},
		{"+FTPPW", `"secret"`, `+FTPPW: "secret"`},
		{"+FTPGETNAME", `"a.bin"`, `+FTPGETNAME: "a.bin"`},
		{"+FTPGETPATH", `"/in"`, `+FTPGETPATH: "/in"`},
		{"+FTPPUTNAME", `"b.bin"`, `+FTPPUTNAME: "b.bin"`},
		{"+FTPPUTPATH", `"/out"`, `+FTPPUTPATH: "/out"`},
		{"+FTPTIMEOUT", "30", "+FTPTIMEOUT: 30"},
	} {
		p.cmd("AT"+c.cmd+"=?", "OK")
		p.cmd("AT"+c.cmd+"="+c.set, "OK")
		p.cmd("AT"+c.cmd+"?", c.query, "OK")
	}
	for _, c := range []string{"+FTPMKD", "+FTPRMD", "+FTPSIZE", "+FTPGET", "+FTPPUT", "+FTPLIST", "+FTPQUIT"} {
		p.cmd("AT"+c+"=?", "OK")
	}
	s := func(n int) string { return `"` + strings.Repeat("x", n) + `"` }
	for _, c := range []struct{ cmd, ok, bad string }{
		{"+FTPSERV", s(49), s(50)},
		{"+FTPUN", s(49), s(50)},
		{"+FTPPW", s(49), s(50)},
		{"+FTPGETNAME", s(99), s(100)},
		{"+FTPGETPATH", s(255), s(256)},
		{"+FTPPUTNAME", s(99), s(100)},
		{"+FTPPUTPATH", s(99), s(100)},
		{"+FTPPORT", "1", "0"},
		{"+FTPPORT", "65535", "65536"},
		{"+FTPMODE", "1", "2"},
		{"+FTPCID", "1", "0"},
		{"+FTPCID", "3", "4"},
		{"+FTPTYPE", "A", "B"},
		{"+FTPREST", "0", "-1"},
		{"+FTPTIMEOUT", "20", "19"},
	} {
		p.cmd("AT"+c.cmd+"="+c.ok, "OK")
		p.cmd("AT"+c.cmd+"="+c.bad, "ERROR")
	}
	p.cmd(`AT+FTPPORT`, "ERROR")
	p.cmd(`AT+FTPPORT=21,22`, "ERROR")
	p.cmd(`AT+FTPGET=2,1461`, "ERROR")
	p.cmd(`AT+FTPGET=2,0`, "ERROR")
	p.cmd(`AT+FTPGET=3`, "ERROR")
	p.cmd(`AT+FTPGET=1,5`, "ERROR")
	p.cmd(`AT+FTPPUT=2,1461`, "ERROR")
	p.cmd(`AT+FTPPUT=2,5`, "ERROR") // no session
	p.cmd(`AT+FTPLIST=2,1461`, "ERROR")
	p.cmd(`AT+FTPMKD=1`, "ERROR")
	p.cmd("ATI", "AirM2M", "Air724UG", "Revision: atbridge", "OK")
}

// The bearer: AT+SAPBR sets, shows, opens and closes it, and FTP needs it.
func TestLuatBearer(t *testing.T) {
	p := startModem(t, Luat, Options{NoEcho: true})
	p.cmd(`AT+SAPBR=?`, `+SAPBR: (0-4),(1-3),"ConParamTag","ConParamValue"`, "OK")
	p.cmd(`AT+SAPBR=2,2`, `+SAPBR: 2,3,"0.0.0.0"`, "OK")
	p.cmd(`AT+SAPBR=3,2,"APN","cmiot"`, "OK")
	p.cmd(`AT+SAPBR=3,2,"user","u"`, "OK")
	p.cmd(`AT+SAPBR=4,2`, "+SAPBR:", "CONTYPE: GPRS", "APN: cmiot", "PHONENUM: ", "USER: u", "PWD: ", "RATE: 2", "OK")
	p.cmd(`AT+SAPBR=3,2,"NOSUCH","x"`, "ERROR")
	p.cmd(`AT+SAPBR=1,4`, "ERROR")
	p.cmd(`AT+SAPBR=5,1`, "ERROR")
	p.cmd(`AT+SAPBR=1,2`, "OK")
	p.cmd(`AT+SAPBR=2,2`, `+SAPBR: 2,1,"<IP>"`, "OK")
	// FTP uses the bearer AT+FTPCID names: 1 is not open.
	p.cmd(`AT+FTPSERV="127.0.0.1"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,61")
	p.cmd(`AT+FTPSIZE`, "OK", "+FTPSIZE: 1,61,0")
	p.cmd(`AT+SAPBR=0,2`, "OK")
	p.cmd(`AT+SAPBR=2,2`, `+SAPBR: 2,3,"0.0.0.0"`, "OK")
}

// AT+FTPSCONT saves the context to a file, and a new modem loads it.
func TestLuatSaveContext(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ftp.json")
	p := startModem(t, Luat, Options{NoEcho: true, LuatContextFile: file})
	p.cmd(`AT+FTPSERV="files.example"`, "OK")
	p.cmd(`AT+FTPPW="pw"`, "OK")
	p.cmd(`AT+FTPPORT=2121`, "OK")
	p.cmd(`AT+FTPSCONT?`, "+FTPSCONT:", `+FTPSERV: ""`, "+FTPPORT: 21", `+FTPUN: ""`, `+FTPPW: ""`,
		"+FTPCID: 1", "+FTPMODE: 1", `+FTPTYPE: "I"`, `+FTPPUTOPT: "STOR"`, "+FTPREST: 0",
		`+FTPGETNAME: ""`, `+FTPGETPATH: ""`, `+FTPPUTNAME: ""`, `+FTPPUTPATH: ""`, "+FTPTIMEOUT: 60", "OK")
	p.cmd(`AT+FTPSCONT`, "OK")
	fi, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	q := startModem(t, Luat, Options{NoEcho: true, LuatContextFile: file})
	q.cmd(`AT+FTPSERV?`, `+FTPSERV: "files.example"`, "OK")
	q.cmd(`AT+FTPPORT?`, "+FTPPORT: 2121", "OK")
	q.cmd(`AT+FTPSCONT?`, "+FTPSCONT:", `+FTPSERV: "files.example"`, "+FTPPORT: 2121", `+FTPUN: ""`, `+FTPPW: "pw"`,
		"+FTPCID: 1", "+FTPMODE: 1", `+FTPTYPE: "I"`, `+FTPPUTOPT: "STOR"`, "+FTPREST: 0",
		`+FTPGETNAME: ""`, `+FTPGETPATH: ""`, `+FTPPUTNAME: ""`, `+FTPPUTPATH: ""`, "+FTPTIMEOUT: 60", "OK")
	q.cmd(`AT+FTPSCONT=1`, "ERROR")
}

// FTPMODE and FTPTYPE drive the client: active mode, TYPE A.
func TestLuatSettingsDriveClient(t *testing.T) {
	var log logBuffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, s := luatModem(t, Options{Logger: logger})
	writeFile(t, s, "t.txt", []byte("text"))
	p.cmd(`AT+FTPMODE=0`, "OK")
	p.cmd(`AT+FTPTYPE="A"`, "OK")
	p.cmd(`AT+FTPGETNAME="t.txt"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,1")
	require.Equal(t, "text", string(readGet(t, p, "+FTPGET", 100)))
	require.Contains(t, log.String(), `send="TYPE A"`)
	require.Regexp(t, `send="(EPRT|PORT) `, log.String())
	require.NotRegexp(t, `send=(EPSV|PASV)`, log.String())
}

// One session at a time; AT+FTPQUIT ends the open one with 86.
func TestLuatBusyAndQuit(t *testing.T) {
	p, s := luatModem(t, Options{})
	writeFile(t, s, "big.bin", pattern(200000, 1))
	p.cmd(`AT+FTPGETNAME="big.bin"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,1")
	p.cmd(`AT+FTPGET=2,10`, "+FTPGET: 2,10")
	require.Equal(t, pattern(200000, 1)[:10], p.raw(10))
	p.expect("OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,66")
	p.cmd(`AT+FTPSIZE`, "OK", "+FTPSIZE: 1,66,0")
	p.cmd(`AT+FTPPUT=1`, "OK", "+FTPPUT: 1,66")
	p.cmd(`AT+FTPQUIT`, "OK", "+FTPGET: 1,86")
	p.cmd(`AT+FTPGET=2,10`, "ERROR")
	p.cmd(`AT+FTPSIZE`, "OK", "+FTPSIZE: 1,0,200000")
	p.cmd(`AT+FTPQUIT`, "OK")
	p.quiet(50 * time.Millisecond)
}

// ---------------------------------------------------------------------------
// Error transcripts.

func TestLuatErrorWrongPassword(t *testing.T) {
	p, _ := luatModem(t, Options{})
	p.cmd(`AT+FTPPW="wrong"`, "OK")
	p.cmd(`AT+FTPGETNAME="x"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,72")
	p.cmd(`AT+FTPSIZE`, "OK", "+FTPSIZE: 1,72,0")
	p.cmd(`AT+FTPMKD`, "OK", "+FTPMKD: 1,72")
}

func TestLuatErrorUserRefused(t *testing.T) {
	f := startFake(t, "220 hi", func(line string) []string {
		if strings.HasPrefix(line, "USER") {
			return []string{"530 no such user"}
		}
		return []string{"502 no"}
	})
	p := startModem(t, Luat, Options{NoEcho: true})
	_, pt := hostPort(f.l.Addr().String())
	p.cmd(`AT+SAPBR=1,1`, "OK")
	p.cmd(`AT+FTPSERV="127.0.0.1"`, "OK")
	p.cmd(`AT+FTPPORT=`+pt, "OK")
	p.cmd(`AT+FTPUN="nobody"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,71")
}

func TestLuatErrorMissingFile(t *testing.T) {
	p, _ := luatModem(t, Options{})
	p.cmd(`AT+FTPGETNAME="nope.txt"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,85")
	p.cmd(`AT+FTPSIZE`, "OK", "+FTPSIZE: 1,85,0")
	p.cmd(`AT+FTPGETPATH="/nodir"`, "OK")
	p.cmd(`AT+FTPRMD`, "OK", "+FTPRMD: 1,85")
	p.cmd(`AT+FTPLIST=1`, "OK", "+FTPLIST: 1,<N>")
}

func TestLuatErrorUnresolvableHost(t *testing.T) {
	p := startModem(t, Luat, Options{NoEcho: true, Second: 20 * time.Millisecond})
	p.cmd(`AT+SAPBR=1,1`, "OK")
	p.cmd(`AT+FTPSERV="nonexistent.invalid"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,62")
}

func TestLuatErrorServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, pt := hostPort(l.Addr().String())
	l.Close()
	p := startModem(t, Luat, Options{NoEcho: true})
	p.cmd(`AT+SAPBR=1,1`, "OK")
	p.cmd(`AT+FTPSERV="127.0.0.1"`, "OK")
	p.cmd(`AT+FTPPORT=`+pt, "OK")
	p.cmd(`AT+FTPPUT=1`, "OK", "+FTPPUT: 1,63")
}

func TestLuatErrorServerStopsAnswering(t *testing.T) {
	mute := startFake(t, "220 hello", func(string) []string { return nil })
	_, pt := hostPort(mute.l.Addr().String())
	p := startModem(t, Luat, Options{NoEcho: true, Second: 25 * time.Millisecond})
	p.cmd(`AT+SAPBR=1,1`, "OK")
	p.cmd(`AT+FTPSERV="127.0.0.1"`, "OK")
	p.cmd(`AT+FTPPORT=`+pt, "OK")
	p.cmd(`AT+FTPTIMEOUT=20`, "OK")
	start := time.Now()
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,64")
	require.Less(t, time.Since(start), 5*time.Second)
}

// A download whose data stops: the session ends with 64 after FTPTIMEOUT.
func TestLuatErrorDataStops(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	f := startFakeFTP(t, "127.0.0.1", func(w io.Writer) error {
		w.Write([]byte("begin"))
		<-stop
		return errTest
	})
	_, pt := hostPort(f.l.Addr().String())
	p := startModem(t, Luat, Options{NoEcho: true, Second: 25 * time.Millisecond})
	p.cmd(`AT+SAPBR=1,1`, "OK")
	p.cmd(`AT+FTPSERV="127.0.0.1"`, "OK")
	p.cmd(`AT+FTPPORT=`+pt, "OK")
	p.cmd(`AT+FTPTIMEOUT=20`, "OK")
	p.cmd(`AT+FTPGETNAME="f"`, "OK")
	p.cmd(`AT+FTPGET=1`, "OK", "+FTPGET: 1,1")
	p.cmd(`AT+FTPGET=2,5`, "+FTPGET: 2,5")
	require.Equal(t, "begin", string(p.raw(5)))
	p.expect("OK", "+FTPGET: 1,64")
}
