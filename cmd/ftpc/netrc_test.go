package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNetrc(t *testing.T) {
	type entry struct {
		machine                  string
		deflt                    bool
		login, password, account string
	}
	tests := []struct {
		name, text string
		want       []entry
	}{
		{"empty", "", nil},
		{"one line", "machine ftp.example.com login bob password hunter2",
			[]entry{{machine: "ftp.example.com", login: "bob", password: "hunter2"}}},
		{"spans lines", "machine a\n  login\tbob\n\n  password x\n  account acct\nmachine b login c password d\n",
			[]entry{{machine: "a", login: "bob", password: "x", account: "acct"}, {machine: "b", login: "c", password: "d"}}},
		{"default", "machine a login u password p\ndefault login anonymous password me@example.com\n",
			[]entry{{machine: "a", login: "u", password: "p"}, {deflt: true, login: "anonymous", password: "me@example.com"}}},
		{"quoted", `machine h login "john doe" password "a \"b\" c\\d\te"`,
			[]entry{{machine: "h", login: "john doe", password: "a \"b\" c\\d\te"}}},
		{"empty quoted password", `machine h login u password ""`,
			[]entry{{machine: "h", login: "u", password: ""}}},
		{"macdef skipped", "macdef init\nlogin nobody\npassword nothing\n\nmachine h login u password p\n",
			[]entry{{machine: "h", login: "u", password: "p"}}},
		{"macdef to the end", "machine h login u password p\nmacdef init\ncd /pub\nbinary\n",
			[]entry{{machine: "h", login: "u", password: "p"}}},
		{"macdef ends at a blank line", "machine h login u\nmacdef m\nput x\n   \npassword p\n",
			[]entry{{machine: "h", login: "u", password: "p"}}},
		{"comments", "# my servers\nmachine h # the one\n login u\n# password not-this\n password #not-a-comment\n",
			[]entry{{machine: "h", login: "u", password: "#not-a-comment"}}},
		{"CRLF", "machine h\r\nlogin u\r\npassword p\r\n",
			[]entry{{machine: "h", login: "u", password: "p"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNetrc("test.netrc", []byte(tt.text))
			require.NoError(t, err)
			var simple []entry
			for _, e := range got {
				simple = append(simple, entry{e.machine, e.deflt, e.login, e.password, e.account})
			}
			assert.Equal(t, tt.want, simple)
		})
	}
}

func TestParseNetrcErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"machine h login u\npassword", "test.netrc:2: \"password\" without its value"},
		{"login u password p", "test.netrc:1: \"login\" before any \"machine\" or \"default\""},
		{"machine h\n\nport 21", "test.netrc:3: unknown keyword (not shown: a password with spaces must be quoted whole)"},
		{"machine h login u\npassword \"abc\n\n", "test.netrc:2: unterminated quoted string"},
		{"\"machine\" h", "test.netrc:1: a quoted word where a keyword belongs (a password with spaces must be quoted whole)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := parseNetrc("test.netrc", []byte(tt.text))
			require.Error(t, err)
			assert.Equal(t, "netrc "+tt.want, err.Error())
		})
	}
}

func TestNetrcLookup(t *testing.T) {
	entries, err := parseNetrc("x", []byte(`
machine Example.COM login first password one
machine example.com login second password two account acc
machine nologin.example password orphan
default login anonymous password guest@
`))
	require.NoError(t, err)
	tests := []struct {
		host, user   string
		ok           bool
		login, pw, a string
	}{
		{"example.com", "", true, "first", "one", ""},
		{"EXAMPLE.com", "second", true, "second", "two", "acc"},
		{"example.com", "third", false, "", "", ""},
		{"other.example", "", true, "anonymous", "guest@", ""},
		{"other.example", "anonymous", true, "anonymous", "guest@", ""},
		{"nologin.example", "", false, "", "", ""}, // the machine's entry decides
	}
	for _, tt := range tests {
		e, ok := netrcLookup(entries, tt.host, tt.user)
		require.Equal(t, tt.ok, ok, "%s %s", tt.host, tt.user)
		if ok {
			assert.Equal(t, []string{tt.login, tt.pw, tt.a}, []string{e.login, e.password, e.account})
		}
	}
	_, ok := netrcLookup(nil, "h", "")
	assert.False(t, ok)
}

func writeNetrc(t *testing.T, text string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "netrc")
	require.NoError(t, os.WriteFile(name, []byte(text), 0o600))
	t.Setenv("NETRC", name)
	return name
}

func TestNetrcLogin(t *testing.T) {
	srv, _ := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "f.txt"), []byte("x"))
	host := "127.0.0.1"
	require.Equal(t, host, srv.Addr[:len(host)])
	bare := "ftp://" + srv.Addr + "/"

	// Without netrc: anonymous, refused by this server.
	requireOneLineError(t, ftpc("ls", bare), exitLogin)

	writeNetrc(t, "# test\nmachine other.example login x password y\n\nmachine "+host+"\n  login "+testUser+
		"\n  password \"s3cr#t p@ss\"\nmacdef init\nls\n\n")
	r := ftpc("ls", bare)
	requireOK(t, r)
	assert.Contains(t, r.stdout, "f.txt")

	// A user in the URL takes the password of the entry with that login.
	requireOK(t, ftpc("ls", "ftp://"+testUser+"@"+srv.Addr+"/"))
	// ... and not another's.
	requireOneLineError(t, ftpc("ls", "ftp://bob@"+srv.Addr+"/"), exitLogin)
	// FTP_PASSWORD comes first.
	t.Setenv("FTP_PASSWORD", "wrong")
	requireOneLineError(t, ftpc("ls", "ftp://"+testUser+"@"+srv.Addr+"/"), exitLogin)
	os.Unsetenv("FTP_PASSWORD")
	// The URL's password comes first too.
	requireOneLineError(t, ftpc("ls", "ftp://"+testUser+":wrong@"+srv.Addr+"/"), exitLogin)

	// default serves any host.
	writeNetrc(t, "machine elsewhere login a password b\ndefault login "+testUser+" password \"s3cr#t p@ss\"\n")
	requireOK(t, ftpc("ls", bare))

	// A broken file is an error naming the file and line.
	name := writeNetrc(t, "machine "+host+"\nlogin\n")
	r = ftpc("ls", bare)
	requireOneLineError(t, r, exitError)
	assert.Contains(t, r.stderr, name+":2:")

	// With a password in the URL the netrc file is not even read.
	requireOneLineError(t, ftpc("ls", "ftp://"+testUser+":nope@"+srv.Addr+"/"), exitLogin)
	r = ftpc("ls", "ftp://"+testUser+":s3cr%23t%20p%40ss@"+srv.Addr+"/")
	requireOK(t, r)
}
