package atbridge

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/seed362563c3/ftp/listing"
	"github.com/stretchr/testify/require"
)

// comMLSD sends an AT+QFTPMLSD to COM: and returns the listing's lines.
func comMLSD(t *testing.T, p *port, dir string) []string {
	t.Helper()
	p.cmd(`AT+QFTPMLSD="`+dir+`"`, "CONNECT")
	data := p.take("listing", func(b []byte) int {
		i := bytes.Index(b, []byte("\r\n\r\nOK\r\n"))
		if i < 0 {
			return -1
		}
		return i + 2
	})
	got := p.expect("OK", "+QFTPMLSD: 0,<N>")
	require.Equal(t, len(data), num(t, got[1]))
	lines := listingLines(t, data)
	name := func(l string) string { return l[strings.Index(l, "; ")+2:] }
	sort.Slice(lines, func(i, j int) bool { return name(lines[i]) < name(lines[j]) })
	return lines
}

// AT+QFTPMLSD on a server without MLSD, as vsftpd is: the lines are made
// from its LIST, with type, size, modify and perm.
func TestQuectelMLSDFromLIST(t *testing.T) {
	s := server(t, embedded.Options{DisableMLSD: true, DisableMLST: true})
	writeFile(t, s, "a.txt", pattern(10, 0))
	writeFile(t, s, ".hidden", pattern(3, 0))
	writeFile(t, s, "TEST_2/inner.txt", pattern(20, 0))
	require.NoError(t, os.Chmod(filepath.Join(s.Root, "a.txt"), 0o644))
	require.NoError(t, os.Chmod(filepath.Join(s.Root, "TEST_2"), 0o755))
	mt := time.Date(2025, 3, 4, 5, 6, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(filepath.Join(s.Root, "a.txt"), mt, mt))
	p := startModem(t, Quectel, Options{NoEcho: true})
	login(t, p, s, "0")

	lines := comMLSD(t, p, ".")
	require.Len(t, lines, 3, "%q", lines)
	// The server's LIST shows the time to the minute, in its zone (UTC
	// here), or only the day for a file older than six months.
	require.Regexp(t, `^type=file;size=3;modify=\d{14};perm=adfrw; \.hidden$`, lines[0])
	require.Regexp(t, `^type=dir;modify=\d{14};perm=cdeflmp; TEST_2$`, lines[1])
	require.Regexp(t, `^type=file;size=10;modify=20250304(0506|0000)00;perm=adfrw; a\.txt$`, lines[2])

	lines = comMLSD(t, p, "TEST_2")
	require.Len(t, lines, 1)
	require.Regexp(t, `^type=file;size=20;modify=\d{14};perm=adfrw; inner\.txt$`, lines[0])

	// To RAM as well.
	got := p.cmd(`AT+QFTPMLSD="TEST_2","RAM:m.txt"`, "OK", "+QFTPMLSD: 0,<N>")
	require.Equal(t, len(lines[0])+2, num(t, got[1]))

	// A directory that is not there: LIST's refusal, with its code (this
	// server answers 450).
	p.cmd(`AT+QFTPMLSD="nodir","RAM:n.txt"`, "OK", "+QFTPMLSD: 617,450")
}

// A refused listing reports the server's reply code, not 0.
func TestQuectelMLSDRefusedListCarriesCode(t *testing.T) {
	gen := fakeftp.StartGen(t, false, func(verb, dir string) func(io.Writer) error {
		if verb == "LIST" && (dir == "-a ok" || dir == "-a") {
			return func(w io.Writer) error {
				return fakeftp.WriteLines(w,
					"drwxr-xr-x 2 ftp ftp 4096 Jan 02 2024 sub",
					"dr-x------ 2 ftp ftp 4096 Jan 02 2024 locked",
					"-r--r--r-- 1 ftp ftp 42 Jan 02 2024 ro.txt",
					"lrwxrwxrwx 1 ftp ftp 6 Jan 02 2024 link -> ro.txt",
					"this line is no listing")
			}
		}
		return nil
	}, func(string) string { return "" })
	p := startModem(t, Quectel, Options{NoEcho: true})
	host, pt := hostPort(gen.Addr)
	p.cmd(`AT+QIACT=1`, "OK")
	p.cmd(`AT+QFTPCFG="account","u","p"`, "OK")
	p.cmd(`AT+QFTPOPEN="`+host+`",`+pt, "OK", "+QFTPOPEN: 0,0")

	lines := comMLSD(t, p, ".")
	require.Equal(t, []string{
		"type=OS.unix=symlink;size=6;modify=20240102000000; link",
		"type=dir;modify=20240102000000;perm=el; locked",
		"type=file;size=42;modify=20240102000000;perm=r; ro.txt",
		"type=dir;modify=20240102000000;perm=cdeflmp; sub",
	}, lines)
	p.cmd(`AT+QFTPMLSD="missing","RAM:x.txt"`, "OK", "+QFTPMLSD: 627,550")
}

func TestMLSDLine(t *testing.T) {
	mt := time.Date(2014, 7, 8, 11, 0, 39, 0, time.UTC)
	cases := []struct {
		e    ftp.Entry
		want string
	}{
		{ftp.Entry{Name: "f", Type: ftp.EntryFile, Size: 1000, ModTime: mt, Mode: 0o644}, "type=file;size=1000;modify=20140708110039;perm=adfrw; f"},
		{ftp.Entry{Name: "w", Type: ftp.EntryFile, Size: 0, Mode: 0o200}, "type=file;size=0;perm=adfw; w"},
		{ftp.Entry{Name: "d", Type: ftp.EntryDir, Size: 4096, Mode: 0o700}, "type=dir;perm=cdeflmp; d"},
		{ftp.Entry{Name: "x", Type: ftp.EntryDir, Size: -1, Mode: 0o100}, "type=dir;perm=e; x"},
		{ftp.Entry{Name: "l", Type: ftp.EntryLink, Size: 3, Mode: 0o777}, "type=OS.unix=symlink;size=3; l"},
		{ftp.Entry{Name: "dev", Type: ftp.EntryOther, Size: -1}, " dev"},
		{ftp.Entry{Name: "name with spaces; and semicolons", Type: ftp.EntryFile, Size: -1}, "type=file; name with spaces; and semicolons"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, mlsdLine(&c.e))
		// And the client reads it back.
		if c.e.Type != ftp.EntryOther {
			e, err := listing.ParseMLSx(c.want)
			require.NoError(t, err, c.want)
			require.Equal(t, c.e.Name, e.Name)
			require.Equal(t, c.e.Type, e.Type)
		}
	}
	require.False(t, strings.Contains(mlsdLine(&ftp.Entry{Name: "n", Type: ftp.EntryFile, Size: -1}), "size="))
}
