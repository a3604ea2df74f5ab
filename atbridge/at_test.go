package atbridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseATLine(t *testing.T) {
	cases := []struct {
		line string
		want []command
	}{
		{"AT", []command{{}}},
		{"at", []command{{}}},
		{"ATE0", []command{{name: "E", digits: "0"}}},
		{"ATE0V1", []command{{name: "E", digits: "0"}, {name: "V", digits: "1"}}},
		{"AT&F", []command{{name: "&F"}}},
		{"AT+QFTPCFG=?", []command{{name: "+QFTPCFG", form: formTest}}},
		{"AT+QIACT?", []command{{name: "+QIACT", form: formQuery}}},
		{"AT+QFTPPWD", []command{{name: "+QFTPPWD"}}},
		{"at+qftpcfg=\"Account\",\"a,b\",\"\"", []command{{name: "+QFTPCFG", form: formSet, args: []arg{
			{s: "Account", quoted: true, present: true},
			{s: "a,b", quoted: true, present: true},
			{s: "", quoted: true, present: true},
		}}}},
		{"AT+X=1,,3", []command{{name: "+X", form: formSet, args: []arg{
			{s: "1", present: true}, {}, {s: "3", present: true},
		}}}},
		{"AT+X= 1 , \"s\" ", []command{{name: "+X", form: formSet, args: []arg{
			{s: "1", present: true}, {s: "s", quoted: true, present: true},
		}}}},
		{"ATE0;+CMEE=1;+QFTPSTAT", []command{
			{name: "E", digits: "0"},
			{name: "+CMEE", form: formSet, args: []arg{{s: "1", present: true}}},
			{name: "+QFTPSTAT"},
		}},
		{`AT+X="a;b";+Y`, []command{
			{name: "+X", form: formSet, args: []arg{{s: "a;b", quoted: true, present: true}}},
			{name: "+Y"},
		}},
	}
	for _, c := range cases {
		got, err := parseATLine(c.line)
		require.NoError(t, err, c.line)
		require.Equal(t, c.want, got, c.line)
	}
	for _, bad := range []string{"", "A", "XT", "AT+", "AT+X=\"open", "AT+X=a\"b\"", "AT+X=\"a\"b", "AT+X?junk", "AT!", "AT&", "AT&1"} {
		_, err := parseATLine(bad)
		require.Error(t, err, "%q", bad)
	}
}

func FuzzParseATLine(f *testing.F) {
	for _, s := range []string{"AT", "ATE0", `AT+QFTPCFG="account","a","b"`, "AT+X=1,,\"q\";+Y?;E1", "at&f", "AT+X=?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmds, err := parseATLine(line)
		if err != nil {
			return
		}
		if len(cmds) == 0 {
			t.Fatalf("%q parsed into no command", line)
		}
		for _, c := range cmds {
			if c.name != strings.ToUpper(c.name) {
				t.Fatalf("%q: name %q not upper case", line, c.name)
			}
			if c.form != formSet && len(c.args) > 0 {
				t.Fatalf("%q: arguments outside a set command", line)
			}
		}
	})
}

// Whatever the line, the interpreter answers and stays alive.
func FuzzExecLine(f *testing.F) {
	for _, s := range []string{"AT", `AT+QFTPCFG="account","a","b"`, "AT+QFTPPUT=\"a\",\"COM:\",0,,1", "AT+QFLST=\"RAM:[\"", "AT+FTPGET=2,0"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, line string, luat bool) {
		if strings.ContainsAny(line, "\r\n") {
			return
		}
		// Commands that would wait for data or the network are skipped:
		// they are covered by the transcripts.
		up := strings.ToUpper(line)
		for _, slow := range []string{"OPEN", "QFUPL", "FTPPUT", "FTPGET", "FTPLIST", "FTPSIZE", "FTPMKD", "FTPRMD", "QFTPPUT", "QFTPGET"} {
			if strings.Contains(up, slow) {
				return
			}
		}
		d := Quectel
		if luat {
			d = Luat
		}
		m := New(d, Options{NoEcho: true})
		var out strings.Builder
		m.out = &output{w: &out}
		m.in = &input{ch: make(chan chunk), done: make(chan struct{})}
		close(m.in.done)
		m.execLine(context.Background(), line)
		if strings.TrimSpace(line) != "" && out.Len() == 0 {
			t.Fatalf("%q: no answer", line)
		}
	})
}

func TestEchoAndFraming(t *testing.T) {
	p := servePort(t, New(Quectel, Options{}))
	// Echo is on at start, as on the modules; the echo comes first, then
	// the response framed by <CR><LF>.
	p.send("AT\r")
	require.Equal(t, "AT\r\r\nOK\r\n", string(p.raw(len("AT\r\r\nOK\r\n"))))
	p.send("ATE0\r")
	require.Equal(t, "ATE0\r\r\nOK\r\n", string(p.raw(len("ATE0\r\r\nOK\r\n"))))
	p.send("AT\r\n")
	require.Equal(t, "\r\nOK\r\n", string(p.raw(len("\r\nOK\r\n"))))
	p.send("ATE1\r")
	require.Equal(t, "\r\nOK\r\n", string(p.raw(len("\r\nOK\r\n"))))
	p.send("at\r")
	require.Equal(t, "at\r\r\nOK\r\n", string(p.raw(len("at\r\r\nOK\r\n"))))
	// Information lines, then the final result code.
	p.send("ATE0\r")
	p.raw(len("ATE0\r\r\nOK\r\n"))
	p.send("AT+QFTPSTAT\r")
	want := "\r\n+QFTPSTAT: 0,4\r\n\r\nOK\r\n"
	require.Equal(t, want, string(p.raw(len(want))))
	// Errors.
	p.cmd("AT+NOSUCH", "ERROR")
	p.cmd("HELLO", "ERROR")
	p.cmd("AT+QFTPCWD=\"/\"", "+CME ERROR: 625")
	// Empty lines are ignored.
	p.send("\r\n\r")
	p.quiet(50 * time.Millisecond)
}

func TestLineEditingAndRepeat(t *testing.T) {
	p := startModem(t, Quectel, Options{NoEcho: true})
	p.cmd("A/", "OK") // nothing to repeat yet: the empty command line
	p.cmd("AT+QFTPSTAX\bT", "+QFTPSTAT: 0,4", "OK")
	p.cmd("A/", "+QFTPSTAT: 0,4", "OK")
	p.cmd("AT"+strings.Repeat("X", maxLineLen+10), "ERROR")
	p.cmd("AT", "OK")
}

func TestCaseAndConcatenation(t *testing.T) {
	p := startModem(t, Quectel, Options{NoEcho: true})
	p.cmd(`at+qftpcfg="FILETYPE",1`, "OK")
	p.cmd(`At+QfTpCfG="filetype"`, `+QFTPCFG: "filetype",1`, "OK")
	p.cmd(`ATE0;+QFTPCFG="filetype",0;+QFTPCFG="filetype"`, `+QFTPCFG: "filetype",0`, "OK")
	// The first failing command ends the line.
	p.cmd(`AT+QFTPCFG="filetype",5;+QFTPCFG="filetype",1`, "ERROR")
	p.cmd(`AT+QFTPCFG="filetype"`, `+QFTPCFG: "filetype",0`, "OK")
	p.cmd("ATI", "Quectel", "EC200T", "Revision: atbridge", "OK")
}

func TestCMEE(t *testing.T) {
	p := startModem(t, Quectel, Options{NoEcho: true})
	p.cmd("AT+CMEE?", "+CMEE: 1", "OK")
	p.cmd("AT+CMEE=2", "OK")
	p.cmd(`AT+QFTPCWD="/"`, "+CME ERROR: Not logged in")
	p.cmd("AT+CMEE=0", "OK")
	p.cmd(`AT+QFTPCWD="/"`, "ERROR")
	p.cmd("AT+CMEE=3", "ERROR")
	p.cmd("AT+CMEE=?", "+CMEE: (0-2)", "OK")
}

func TestServeEndsWithContext(t *testing.T) {
	m := New(Quectel, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	r, w := ioPipe()
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, r, &strings.Builder{}) }()
	time.Sleep(20 * time.Millisecond)
	require.Error(t, m.Serve(ctx, r, &strings.Builder{}), "a second Serve at the same time")
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	w.Close()
}

func TestParseDialect(t *testing.T) {
	for _, c := range []struct {
		s string
		d Dialect
	}{{"quectel", Quectel}, {"LUAT", Luat}} {
		d, err := ParseDialect(c.s)
		require.NoError(t, err)
		require.Equal(t, c.d, d)
		require.Equal(t, strings.ToLower(c.s), d.String())
	}
	_, err := ParseDialect("simcom")
	require.Error(t, err)
}
