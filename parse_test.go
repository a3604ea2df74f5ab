// Table tests and fuzz targets for the small parsers: 229 and 227 replies,
// quoted paths, FEAT, STOU names, addresses, and the ASCII line-end
// converters.

package ftp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseEPSV(t *testing.T) {
	good := []struct {
		msg  string
		port int
	}{
		{"Entering Extended Passive Mode (|||6446|)", 6446},
		{"Entering Extended Passive Mode (|||6446|).", 6446},
		{"(|||1|)", 1},
		{"(|||65535|)", 65535},
		{"Entering Extended Passive Mode (!!!2121!)", 2121},
		{"Entering Extended Passive Mode (~~~2121~)", 2121},
		{"ok (|||021|)", 21},
	}
	for _, tt := range good {
		port, err := parseEPSV(tt.msg)
		require.NoError(t, err, "%q", tt.msg)
		assert.Equal(t, tt.port, port, "%q", tt.msg)
	}
	bad := []string{
		"",
		"Entering Extended Passive Mode",
		"Entering Extended Passive Mode (|||6446|",
		"Entering Extended Passive Mode |||6446|)",
		"()",
		"(|||)",
		"(||||)",
		"(|||0|)",
		"(|||65536|)",
		"(|||99999999999999999999|)",
		"(|||-1|)",
		"(|||abc|)",
		"(|||64 46|)",
		"(||6446|)",
		"(|!|6446|)",
		"(|||6446!)",
		"(   6446 )",
		"(\x7f\x7f\x7f6446\x7f)",
		"(\x00\x00\x006446\x00)",
		")(|||6446|",
		"(|1.2.3.4|6446|)",
	}
	for _, msg := range bad {
		port, err := parseEPSV(msg)
		var pe *ProtocolError
		assert.ErrorAs(t, err, &pe, "%q gave port %d", msg, port)
		assert.Zero(t, port, "%q", msg)
	}
}

func TestParsePASV(t *testing.T) {
	good := []struct {
		msg  string
		ip   string
		port int
	}{
		{"Entering Passive Mode (192,168,1,2,4,1)", "192.168.1.2", 1025},
		{"Entering Passive Mode (192,168,1,2,4,1).", "192.168.1.2", 1025},
		{"Entering Passive Mode (127,0,0,1,0,1)", "127.0.0.1", 1},
		{"Entering Passive Mode (10,0,0,1,255,255)", "10.0.0.1", 65535},
		{"Entering Passive Mode ( 10, 1, 2, 3, 4, 5 )", "10.1.2.3", 1029},
		{"Entering Passive Mode 10,1,2,3,4,5", "10.1.2.3", 1029},
		{"=10,1,2,3,4,5", "10.1.2.3", 1029},
		{"(0,0,0,0,19,137)", "0.0.0.0", 5001},
		{"(010,001,002,003,004,005)", "10.1.2.3", 1029},
	}
	for _, tt := range good {
		ip, port, err := parsePASV(tt.msg)
		require.NoError(t, err, "%q", tt.msg)
		assert.Equal(t, tt.ip, ip.String(), "%q", tt.msg)
		assert.NotNil(t, ip.To4(), "%q", tt.msg)
		assert.Equal(t, tt.port, port, "%q", tt.msg)
	}
	bad := []string{
		"",
		"Entering Passive Mode",
		"Entering Passive Mode ()",
		"Entering Passive Mode (1,2,3,4,5)",
		"Entering Passive Mode (1,2,3,4,5,6,7)",
		"Entering Passive Mode (256,0,0,1,4,1)",
		"Entering Passive Mode (1,2,3,4,256,1)",
		"Entering Passive Mode (1,2,3,4,1,256)",
		"Entering Passive Mode (1,2,3,4,0,0)",
		"Entering Passive Mode (1,,3,4,5,6)",
		"Entering Passive Mode (1,2,3,4,5,0006)",
		"Entering Passive Mode (-1,2,3,4,5,6)",
		"Entering Passive Mode (a,b,c,d,e,f)",
		"Entering Passive Mode (1.2.3.4,5,6)",
		"Entering Passive Mode (1,2,3,4,5,",
		"Entering Passive Mode (,,,,,)",
	}
	for _, msg := range bad {
		ip, port, err := parsePASV(msg)
		var pe *ProtocolError
		assert.ErrorAs(t, err, &pe, "%q gave %v:%d", msg, ip, port)
		assert.Nil(t, ip, "%q", msg)
		assert.Zero(t, port, "%q", msg)
	}
}

func TestParseQuoted(t *testing.T) {
	good := []struct{ msg, want string }{
		{`"/home/u" is the current directory`, "/home/u"},
		{`"/"`, "/"},
		{`""`, ""},
		{`"/a ""quoted"" dir" is current`, `/a "quoted" dir`},
		{`"""/x"""`, `"/x"`},
		{`""""`, `"`},
		{`MKD ok: "/new" created, "other" ignored`, "/new"},
		{`"C:\Users\u"`, `C:\Users\u`},
		{`"/dé/ñ"`, "/dé/ñ"},
		{`"/with space/ "`, "/with space/ "},
		{"\"/a\nb\"", "/a\nb"},
	}
	for _, tt := range good {
		got, err := parseQuoted(tt.msg)
		require.NoError(t, err, "%q", tt.msg)
		assert.Equal(t, tt.want, got, "%q", tt.msg)
	}
	bad := []string{
		"",
		"/home/u is current",
		`"/home/u`,
		`"/home/u""`,
		`"`,
		`"""`,
		`is "`,
	}
	for _, msg := range bad {
		got, err := parseQuoted(msg)
		assert.Error(t, err, "%q gave %q", msg, got)
		assert.Empty(t, got, "%q", msg)
	}
}

func TestParseFeatures(t *testing.T) {
	tests := []struct {
		name string
		r    Reply
		want Features
	}{
		{
			"typical",
			Reply{211, "Extensions supported:\n MLST type*;size*;modify*;\n SIZE\n MDTM\n UTF8\n REST STREAM\n EPSV\nEnd"},
			Features{"MLST": "type*;size*;modify*;", "SIZE": "", "MDTM": "", "UTF8": "", "REST": "STREAM", "EPSV": ""},
		},
		{
			"lower case names",
			Reply{211, "Features:\n utf8\n mlst type*;\nEnd"},
			Features{"UTF8": "", "MLST": "type*;"},
		},
		{
			"lines without the leading space",
			Reply{211, "Features:\nMDTM\nREST STREAM\nEnd"},
			Features{"MDTM": "", "REST": "STREAM"},
		},
		{
			"extra spacing",
			Reply{211, "Features:\n   AUTH   TLS  \n\t\n \nEnd"},
			Features{"AUTH": "TLS"},
		},
		{"single line", Reply{211, "No features"}, Features{}},
		{"empty", Reply{211, ""}, Features{}},
		{"first and last only", Reply{211, "Features:\nEnd"}, Features{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseFeatures(tt.r)
			assert.Equal(t, tt.want, got)
			for name := range tt.want {
				assert.True(t, got.Has(strings.ToLower(name)), name)
			}
		})
	}
	assert.False(t, Features(nil).Has("MLST"), "a nil set has nothing")
}

func TestUniqueName(t *testing.T) {
	tests := []struct {
		msgs []string
		want string
	}{
		{[]string{"FILE: unique.1"}, "unique.1"},
		{[]string{"FILE:unique.1"}, "unique.1"},
		{[]string{"file: lower.txt"}, "lower.txt"},
		{[]string{"Opening BINARY connection for FILE: a b.txt"}, "a b.txt"},
		{[]string{"FILE: name\r\nsecond line"}, "name"},
		{[]string{"FILE: name\nsecond line"}, "name"},
		{[]string{`Opening data connection for "stou.42"`}, "stou.42"},
		{[]string{`"with ""quotes"""`}, `with "quotes"`},
		{[]string{"Ok to send data", "FILE: from the final reply"}, "from the final reply"},
		{[]string{"Ok to send data", "Transfer complete"}, ""},
		{[]string{`"" empty quotes`}, ""},
		{[]string{"FILE:"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, uniqueName(tt.msgs...), "%q", tt.msgs)
	}
}

func TestWithDefaultPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ftp.example.org", "ftp.example.org:21"},
		{"ftp.example.org:2121", "ftp.example.org:2121"},
		{"127.0.0.1", "127.0.0.1:21"},
		{"127.0.0.1:21", "127.0.0.1:21"},
		{"::1", "[::1]:21"},
		{"[::1]", "[::1]:21"},
		{"[::1]:2121", "[::1]:2121"},
		{"2001:db8::1", "[2001:db8::1]:21"},
		{"fe80::1%eth0", "[fe80::1%eth0]:21"},
		{"[fe80::1%eth0]:990", "[fe80::1%eth0]:990"},
	}
	for _, tt := range tests {
		got := withDefaultPort(tt.in, "21")
		assert.Equal(t, tt.want, got, "%q", tt.in)
		_, _, err := net.SplitHostPort(got)
		assert.NoError(t, err, "%q", got)
	}
	assert.Equal(t, "ftp.example.org:990", withDefaultPort("ftp.example.org", "990"))
	assert.Equal(t, "[::1]:990", withDefaultPort("::1", "990"))
	assert.Equal(t, "[::1]:2121", withDefaultPort("[::1]:2121", "990"))
}

func TestCRLFReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"a\r\nb\r\n", "a\nb\n"},
		{"\r\n\r\n", "\n\n"},
		{"a\rb", "a\rb"},
		{"a\r", "a\r"},
		{"\r", "\r"},
		{"\r\r\n", "\r\n"},
		{"\r\r", "\r\r"},
		{"a\nb", "a\nb"},
		{"\n\r", "\n\r"},
		{"a\r\n\rb\r", "a\n\rb\r"},
		{strings.Repeat("line\r\n", 20000), strings.Repeat("line\n", 20000)},
		{strings.Repeat("x", 32<<10-1) + "\r\n", strings.Repeat("x", 32<<10-1) + "\n"},
	}
	wrappers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"plain", func(r io.Reader) io.Reader { return r }},
		{"one byte source", iotest.OneByteReader},
		{"half source", iotest.HalfReader},
		{"data with EOF", iotest.DataErrReader},
	}
	for _, tt := range tests {
		for _, w := range wrappers {
			name := w.name + "/" + shorten(tt.in)
			got, err := io.ReadAll(newCRLFReader(w.wrap(strings.NewReader(tt.in))))
			require.NoError(t, err, name)
			assert.Equal(t, tt.want, string(got), "%q", name)

			// A caller reading one byte at a time sees the same stream.
			got, err = io.ReadAll(iotest.OneByteReader(newCRLFReader(w.wrap(strings.NewReader(tt.in)))))
			require.NoError(t, err, name)
			assert.Equal(t, tt.want, string(got), "one byte reads %q", name)

			if len(tt.in) < 1000 {
				err = iotest.TestReader(newCRLFReader(w.wrap(strings.NewReader(tt.in))), []byte(tt.want))
				assert.NoError(t, err, "%q", name)
			}
		}
	}
}

func TestCRLFReaderError(t *testing.T) {
	boom := errors.New("boom")
	r := newCRLFReader(io.MultiReader(strings.NewReader("a\r\nb\r"), iotest.ErrReader(boom)))
	got, err := io.ReadAll(r)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, "a\nb\r", string(got), "a CR before an error is kept")
	_, err = r.Read(make([]byte, 4))
	assert.ErrorIs(t, err, boom, "the error is sticky")
}

func TestLFWriter(t *testing.T) {
	tests := []struct {
		writes []string
		want   string
	}{
		{[]string{""}, ""},
		{[]string{"abc"}, "abc"},
		{[]string{"a\nb\n"}, "a\r\nb\r\n"},
		{[]string{"\n\n"}, "\r\n\r\n"},
		{[]string{"a\r\nb"}, "a\r\nb"},
		{[]string{"a\r", "\nb"}, "a\r\nb"},
		{[]string{"a", "\n", "\n"}, "a\r\n\r\n"},
		{[]string{"a\rb\n"}, "a\rb\r\n"},
		{[]string{"\r\r\n"}, "\r\r\n"},
		{[]string{strings.Repeat("line\n", 50000)}, strings.Repeat("line\r\n", 50000)},
		{[]string{strings.Repeat("x", 64<<10-1), "\n"}, strings.Repeat("x", 64<<10-1) + "\r\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		w := &lfWriter{w: &out}
		for _, s := range tt.writes {
			n, err := w.Write([]byte(s))
			require.NoError(t, err)
			assert.Equal(t, len(s), n)
		}
		require.NoError(t, w.flush())
		assert.Equal(t, tt.want, out.String(), "%q", shorten(strings.Join(tt.writes, "|")))
	}
}

type errWriter struct{ err error }

func (e errWriter) Write([]byte) (int, error) { return 0, e.err }

func TestLFWriterError(t *testing.T) {
	boom := errors.New("boom")
	w := &lfWriter{w: errWriter{boom}}
	_, err := w.Write([]byte("a\nb"))
	assert.ErrorIs(t, err, boom)
}

// TestCRLFRoundTrip: LF text converted for the wire and back is unchanged.
func TestCRLFRoundTrip(t *testing.T) {
	in := "one\ntwo\n\nthree\rfour\n"
	var wire bytes.Buffer
	w := &lfWriter{w: &wire}
	_, err := w.Write([]byte(in))
	require.NoError(t, err)
	require.NoError(t, w.flush())
	got, err := io.ReadAll(newCRLFReader(iotest.OneByteReader(&wire)))
	require.NoError(t, err)
	assert.Equal(t, in, string(got))
}

func FuzzParsePASV(f *testing.F) {
	for _, s := range []string{
		"Entering Passive Mode (192,168,1,2,4,1)",
		"=10,1,2,3,4,5",
		"(1,2,3,4,0,0)",
		"(1,2,3,4,5)",
		"(256,1,1,1,1,1)",
		"( 1 , 2 , 3 , 4 , 5 , 6 )",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		ip, port, err := parsePASV(msg)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ProtocolError", err)
			}
			if ip != nil || port != 0 {
				t.Fatalf("%v:%d returned with an error", ip, port)
			}
			return
		}
		if port < 1 || port > 65535 {
			t.Fatalf("port %d out of range", port)
		}
		if ip.To4() == nil {
			t.Fatalf("%v is not IPv4", ip)
		}
	})
}

func FuzzParseEPSV(f *testing.F) {
	for _, s := range []string{
		"Entering Extended Passive Mode (|||6446|)",
		"(!!!1!)",
		"(|||0|)",
		"(|||65536|)",
		"(||||)",
		"()",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		port, err := parseEPSV(msg)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ProtocolError", err)
			}
			if port != 0 {
				t.Fatalf("port %d returned with an error", port)
			}
			return
		}
		if port < 1 || port > 65535 {
			t.Fatalf("port %d out of range", port)
		}
	})
}

func FuzzParseQuoted(f *testing.F) {
	for _, s := range []string{
		`"/home/u" is current`,
		`"/a ""b"" c"`,
		`""`,
		`"""`,
		`no quotes`,
		`"unterminated`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		got, err := parseQuoted(msg)
		if err != nil {
			if got != "" {
				t.Fatalf("%q returned with an error", got)
			}
			return
		}
		if len(got) > len(msg)-2 {
			t.Fatalf("%q is longer than the quoted part of %q", got, msg)
		}
		// Quoting the result the RFC 959 way and parsing it again gives it back.
		requoted := `"` + strings.ReplaceAll(got, `"`, `""`) + `" tail`
		again, err := parseQuoted(requoted)
		if err != nil || again != got {
			t.Fatalf("round trip of %q: %q, %v", got, again, err)
		}
	})
}

func FuzzParseFeatures(f *testing.F) {
	for _, s := range []string{
		"Extensions supported:\n MLST type*;size*;\n UTF8\nEnd",
		"Features:\nMDTM\nREST STREAM\nEnd",
		"No features",
		"",
		"\n\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		feats := parseFeatures(Reply{Code: 211, Message: msg})
		if feats == nil {
			t.Fatal("nil set")
		}
		if n := strings.Count(msg, "\n"); len(feats) > n {
			t.Fatalf("%d features from %d lines", len(feats), n+1)
		}
		for name, param := range feats {
			if name == "" || strings.Contains(name, " ") {
				t.Fatalf("bad feature name %q", name)
			}
			if name != asciiUpper(name) {
				t.Fatalf("feature name %q not upper case", name)
			}
			if param != strings.TrimSpace(param) {
				t.Fatalf("parameter %q not trimmed", param)
			}
			lower := []byte(name)
			for i, c := range lower {
				if c >= 'A' && c <= 'Z' {
					lower[i] = c + ('a' - 'A')
				}
			}
			asciiLower := string(lower)
			if !feats.Has(name) || !feats.Has(asciiLower) {
				t.Fatalf("Has(%q) is false", name)
			}
		}
	})
}

// FuzzUniqueName: the STOU reply parser never panics and returns a name
// taken from the reply itself.
func FuzzUniqueName(f *testing.F) {
	for _, s := range []string{"FILE: name.txt", `Transfer complete ("u1.bin")`, "ıııFILE: x", "FILE:", `"unterminated`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		name := uniqueName(msg)
		if name != "" && !strings.Contains(msg, strings.ReplaceAll(name, `"`, `""`)) && !strings.Contains(msg, name) {
			t.Fatalf("name %q not in the reply %q", name, msg)
		}
	})
}
