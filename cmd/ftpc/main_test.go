package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/spf13/afero"
)

// result is what one run of the command produced.
type result struct {
	code   int
	stdout string
	stderr string
}

func ftpc(args ...string) result {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// requireOK fails the test unless the run succeeded silently on stderr.
func requireOK(t *testing.T, r result) {
	t.Helper()
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Empty(t, r.stderr)
}

// requireOneLineError checks the exit status and that stderr is a single
// "ftpc: ..." line.
func requireOneLineError(t *testing.T, r result, code int) {
	t.Helper()
	require.Equal(t, code, r.code, "stdout: %s stderr: %s", r.stdout, r.stderr)
	require.True(t, strings.HasPrefix(r.stderr, "ftpc: "), "stderr: %q", r.stderr)
	require.Equal(t, 1, strings.Count(r.stderr, "\n"), "stderr: %q", r.stderr)
	require.True(t, strings.HasSuffix(r.stderr, "\n"))
}

const (
	testUser     = "alice"
	testPassword = "s3cr#t p@ss"
)

// startServer starts an embedded server for testUser and returns it with
// the base URL of its login directory (ending in "/").
func startServer(t *testing.T) (*embedded.Server, string) {
	t.Helper()
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	base := "ftp://" + testUser + ":" + "s3cr%23t%20p%40ss" + "@" + srv.Addr + "/"
	return srv, base
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(name), 0o755))
	require.NoError(t, os.WriteFile(name, data, 0o644))
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

func TestParseURL(t *testing.T) {
	t.Setenv("FTP_PASSWORD", "from-env")
	tests := []struct {
		url                  string
		addr, user, pw, path string
	}{
		{"ftp://example.com", "example.com:21", "", "", ""},
		{"ftp://example.com/", "example.com:21", "", "", ""},
		{"ftp://example.com/pub/file.txt", "example.com:21", "", "", "pub/file.txt"},
		{"ftp://example.com//etc/motd", "example.com:21", "", "", "/etc/motd"},
		{"ftp://example.com/%2Fetc/motd", "example.com:21", "", "", "/etc/motd"},
		{"FTP://u:p@example.com:2121/a%20b/c%3Fd", "example.com:2121", "u", "p", "a b/c?d"},
		{"ftp://us%40r:p%3Aw%2Fx@h/", "h:21", "us@r", "p:w/x", ""},
		{"ftp://bob@h/x", "h:21", "bob", "from-env", "x"},
		{"ftp://bob:@h/x", "h:21", "bob", "", "x"},
		{"ftp://[::1]:2121/dir/", "[::1]:2121", "", "", "dir/"},
		{"ftp://[fe80::1%25eth0]/f", "[fe80::1%eth0]:21", "", "", "f"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := parseURL(tt.url)
			require.NoError(t, err)
			assert.Equal(t, tt.addr, got.addr)
			assert.Equal(t, tt.user, got.user)
			assert.Equal(t, tt.pw, got.password)
			assert.Equal(t, tt.path, got.path)
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"http://example.com/x", "unsupported URL scheme"},
		{"example.com/x", "not a URL"},
		{"ftp:///x", "names no host"},
		{"ftp://h:99999/x", "bad port"},
		{"ftp://h/x?y", "%3F"},
		{"ftp://h/x#y", "%23"},
		{"ftp://h/%zz", "bad URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := parseURL(tt.url)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			var ue *usageError
			assert.ErrorAs(t, err, &ue)
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"ls"},
		{"get", "ftp://h/a", "b", "c"},
		{"put", "onlyone"},
		{"ls", "--bogus", "ftp://h/"},
		{"--timeout", "soon", "ls", "ftp://h/"},
		{"mkdir", "--resume", "ftp://h/d"}, // --resume is for get and put
		{"--resume", "ls", "ftp://h/"},
		{"get", "ftp://h/"}, // names no file
		{"get", "--resume", "ftp://h/f", "-"},
		{"rm", "ftp://h"},
		{"demo", "--size", "0"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			requireOneLineError(t, ftpc(args...), exitUsage)
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := ftpc(args...)
		require.Equal(t, 0, r.code)
		assert.Contains(t, r.stdout, "usage: ftpc")
		assert.Contains(t, r.stdout, "mkdir [-p] URL")
		for _, want := range []string{"mirror URL DIR", "mirror --reverse DIR URL", "--segments N", "--parallel N",
			"--delete", "--dry-run", "--proxy URL", "--progress", "--no-progress", "--json", "NETRC",
			"ftpc help COMMAND", "ftpc --version", "serve DIR"} {
			assert.Contains(t, r.stdout, want)
		}
		for _, name := range commandOrder {
			assert.Regexp(t, `(?m)^  `+name+`\b`, r.stdout)
		}
		for _, e := range exitCodes {
			assert.Regexp(t, fmt.Sprintf(`(?m)^  %d +\S`, e.code), r.stdout)
		}
	}
}

// TestCommandHelp: each command's help, through "ftpc help CMD", "ftpc CMD
// --help" and "ftpc CMD -h", lists every flag the command takes (its own,
// and the connection, progress and output flags that apply), one or two
// examples and the exit statuses.
func TestCommandHelp(t *testing.T) {
	for _, name := range commandOrder {
		t.Run(name, func(t *testing.T) {
			r := ftpc("help", name)
			require.Equal(t, 0, r.code, r.stderr)
			help := r.stdout
			for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {name, "ftp://h/x", "--help"}} {
				r := ftpc(args...)
				require.Equal(t, 0, r.code, r.stderr)
				require.Equal(t, help, r.stdout, "%v", args)
			}
			assert.True(t, strings.HasPrefix(help, "usage: ftpc "+name+" [flags]"), help)
			var o options
			n := 0
			commands[name].flagSet(&o).VisitAll(func(f *flag.Flag) {
				dash := "--"
				if len(f.Name) == 1 {
					dash = "-"
				}
				assert.Regexp(t, `(?m)^  `+dash+regexp.QuoteMeta(f.Name)+`( [A-Z]+)? `, help)
				n++
			})
			require.NotZero(t, n)
			examples := regexp.MustCompile(`(?m)^  ftpc `+name+`\b`).FindAllString(help, -1)
			assert.True(t, len(examples) == 1 || len(examples) == 2, "%d examples", len(examples))
			assert.Contains(t, help, "exit status:")
			if commands[name].groups&connFlags != 0 {
				for _, f := range []string{"--tls", "--cacert FILE", "--insecure", "--active", "--debug", "--timeout DURATION", "--proxy URL"} {
					assert.Contains(t, help, "  "+f+" ")
				}
			}
		})
	}
	help := ftpc("help", "get").stdout
	for _, f := range []string{"--resume", "--retries N", "--verify", "--segments N", "--progress", "--no-progress", "--json"} {
		assert.Contains(t, help, "  "+f+" ")
	}
	assert.NotContains(t, help, "--parallel")
	help = ftpc("help", "serve").stdout
	for _, f := range []string{"--tls", "--implicit", "--cert FILE", "--key FILE", "--listen ADDRESS", "--user USER"} {
		assert.Contains(t, help, "  "+f+" ")
	}
	requireOneLineError(t, ftpc("help", "frobnicate"), exitUsage)
	requireOneLineError(t, ftpc("help", "get", "put"), exitUsage)
}

// TestFlagsThatDoNotApply: a command refuses the flags of others, before
// or after it, and says so.
func TestFlagsThatDoNotApply(t *testing.T) {
	for _, args := range [][]string{
		{"ls", "--segments", "2", "ftp://h/"},
		{"--segments", "2", "ls", "ftp://h/"},
		{"size", "--progress", "ftp://h/f"},
		{"rm", "--json", "ftp://h/f"},
		{"--implicit", "get", "ftp://h/f"},
	} {
		r := ftpc(args...)
		requireOneLineError(t, r, exitUsage)
		assert.Contains(t, r.stderr, "does not apply to", "%v", args)
	}
	r := ftpc("ls", "--frobnicate", "ftp://h/")
	requireOneLineError(t, r, exitUsage)
	assert.Contains(t, r.stderr, "unknown flag --frobnicate")
}

func TestBadSchemeIsUsageError(t *testing.T) {
	r := ftpc("ls", "http://127.0.0.1/")
	requireOneLineError(t, r, exitUsage)
	assert.Contains(t, r.stderr, `unsupported URL scheme "http"`)
}

func TestTLSURLs(t *testing.T) {
	cert, err := embedded.NewCertificate()
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, cert.PEM, 0o600))
	data := randomBytes(100<<10, 7)
	local := filepath.Join(t.TempDir(), "in.bin")
	require.NoError(t, os.WriteFile(local, data, 0o600))
	auth := testUser + ":s3cr%23t%20p%40ss@"

	explicit, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(),
		TLS: cert.ServerConfig(), TLSRequired: ftpserver.MandatoryEncryption})
	require.NoError(t, err)
	t.Cleanup(func() { explicit.Close() })
	implicit, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(),
		TLS: cert.ServerConfig(), TLSRequired: ftpserver.ImplicitEncryption})
	require.NoError(t, err)
	t.Cleanup(func() { implicit.Close() })

	for _, base := range []string{
		"ftpes://" + auth + explicit.Addr + "/",
		"ftps://" + auth + implicit.Addr + "/",
	} {
		requireOK(t, ftpc("put", "--cacert", caFile, local, base+"x.bin"))
		out := filepath.Join(t.TempDir(), "out.bin")
		requireOK(t, ftpc("get", "--cacert", caFile, base+"x.bin", out))
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got))
	}
	onDisk, err := os.ReadFile(filepath.Join(explicit.Root, "x.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))

	// --tls on ftp:// is explicit TLS too.
	requireOK(t, ftpc("size", "--tls", "--cacert", caFile, "ftp://"+auth+explicit.Addr+"/x.bin"))
	// Without the CA the certificate is refused; --insecure accepts it.
	r := ftpc("size", "ftpes://"+auth+explicit.Addr+"/x.bin")
	requireOneLineError(t, r, exitTLS)
	assert.Contains(t, r.stderr, "certificate")
	requireOK(t, ftpc("size", "--insecure", "ftpes://"+auth+explicit.Addr+"/x.bin"))
}

func TestList(t *testing.T) {
	srv, base := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "hello.txt"), []byte("hello, world\n"))
	writeFile(t, filepath.Join(srv.Root, "sub", "inner.bin"), make([]byte, 1000))
	mt := time.Date(2024, 2, 29, 12, 34, 56, 0, time.UTC)
	require.NoError(t, os.Chtimes(filepath.Join(srv.Root, "hello.txt"), mt, mt))

	r := ftpc("ls", base)
	requireOK(t, r)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2, r.stdout)
	assert.Regexp(t, `^- +13 2024-02-29T12:34:56Z +hello\.txt$`, lines[0])
	assert.Regexp(t, `^d +\S+ +\S+ +sub$`, lines[1])

	r = ftpc("ls", base+"sub")
	requireOK(t, r)
	assert.Regexp(t, `^- +1000 \S+ +inner\.bin\n$`, r.stdout)

	// The absolute form names the same directory: the login directory is
	// the server's root.
	r = ftpc("ls", base+"/sub/")
	requireOK(t, r)
	assert.Contains(t, r.stdout, "inner.bin")
}

func TestListWithLIST(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{Root: t.TempDir(), DisableMLSD: true, DisableMLST: true})
	require.NoError(t, err)
	defer srv.Close()
	writeFile(t, filepath.Join(srv.Root, "a.txt"), []byte("abc"))
	require.NoError(t, os.Mkdir(filepath.Join(srv.Root, "d"), 0o755))

	r := ftpc("ls", "ftp://"+srv.Addr+"/")
	requireOK(t, r)
	assert.Regexp(t, `(?m)^- +3 \S+ +a\.txt$`, r.stdout)
	assert.Regexp(t, `(?m)^d +\S+ \S+ +d$`, r.stdout)
}

func TestListUnparsedLines(t *testing.T) {
	srv, base := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "good.txt"), []byte("x"))
	// A name with a line feed splits its listing line in two.
	if err := os.WriteFile(filepath.Join(srv.Root, "bad\nname"), nil, 0o644); err != nil {
		t.Skipf("cannot create a file name with a line feed: %v", err)
	}
	r := ftpc("ls", base)
	require.Equal(t, exitError, r.code, r.stderr)
	assert.Contains(t, r.stdout, "good.txt")
	assert.Contains(t, r.stderr, `listing line not understood: "name"`)
	assert.Contains(t, r.stderr, "not understood")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	for _, l := range lines {
		assert.True(t, strings.HasPrefix(l, "ftpc: "), l)
	}
}

func TestPutGetRoundTrip(t *testing.T) {
	for _, mode := range []string{"passive", "active"} {
		t.Run(mode, func(t *testing.T) {
			srv, base := startServer(t)
			var flags []string
			if mode == "active" {
				flags = []string{"--active"}
			}
			dir := t.TempDir()
			data := randomBytes(3<<20+17, 1)
			local := filepath.Join(dir, "data.bin")
			writeFile(t, local, data)

			requireOK(t, ftpc(append(flags, "put", local, base+"copy.bin")...))
			assert.Equal(t, data, readFile(t, filepath.Join(srv.Root, "copy.bin")))

			// A URL ending in "/" keeps the local name.
			require.NoError(t, os.Mkdir(filepath.Join(srv.Root, "in"), 0o755))
			requireOK(t, ftpc(append(flags, "put", local, base+"in/")...))
			assert.Equal(t, data, readFile(t, filepath.Join(srv.Root, "in", "data.bin")))

			back := filepath.Join(dir, "back.bin")
			requireOK(t, ftpc(append(flags, "get", base+"copy.bin", back)...))
			assert.Equal(t, data, readFile(t, back))

			// Overwriting truncates a longer local file.
			writeFile(t, back, make([]byte, len(data)+5000))
			requireOK(t, ftpc(append(flags, "get", base+"copy.bin", back)...))
			assert.Equal(t, data, readFile(t, back))

			// "-" is standard output.
			r := ftpc(append(flags, "get", base+"in/data.bin", "-")...)
			requireOK(t, r)
			assert.Equal(t, data, []byte(r.stdout))
		})
	}
}

func TestGetDefaultLocalName(t *testing.T) {
	srv, base := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "dir", "name.txt"), []byte("content"))
	t.Chdir(t.TempDir())
	requireOK(t, ftpc("get", base+"dir/name.txt"))
	assert.Equal(t, []byte("content"), readFile(t, "name.txt"))
}

func TestGetResume(t *testing.T) {
	srv, base := startServer(t)
	data := randomBytes(2<<20+123, 2)
	writeFile(t, filepath.Join(srv.Root, "big.bin"), data)

	// The local part differs from the remote one, so the result shows that
	// only the rest was fetched.
	const have = 700001
	local := filepath.Join(t.TempDir(), "big.bin")
	partial := bytes.Repeat([]byte{'L'}, have)
	writeFile(t, local, partial)

	// Flags may follow the arguments. Where it resumed is said.
	r := ftpc("get", base+"big.bin", local, "--resume")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "ftpc: get big.bin: resuming at 700001 bytes (33%)\n", r.stderr)
	got := readFile(t, local)
	require.Len(t, got, len(data))
	assert.Equal(t, partial, got[:have])
	assert.True(t, bytes.Equal(data[have:], got[have:]), "the rest differs")

	// Complete already: nothing to do, nothing changed.
	r = ftpc("--resume", "get", base+"big.bin", local)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "ftpc: get big.bin: already complete (2097275 bytes)\n", r.stderr)
	assert.Equal(t, got, readFile(t, local))

	// No local file: --resume downloads everything.
	fresh := filepath.Join(t.TempDir(), "fresh.bin")
	requireOK(t, ftpc("get", "--resume", base+"big.bin", fresh))
	assert.Equal(t, data, readFile(t, fresh))

	// A local file longer than the remote one is an error.
	writeFile(t, fresh, append(data, 'x'))
	r = ftpc("get", "--resume", base+"big.bin", fresh)
	requireOneLineError(t, r, exitError)
	assert.Contains(t, r.stderr, "more than")
}

func TestPutResume(t *testing.T) {
	srv, base := startServer(t)
	data := randomBytes(2<<20+321, 3)
	local := filepath.Join(t.TempDir(), "up.bin")
	writeFile(t, local, data)

	const held = 999999
	remote := filepath.Join(srv.Root, "up.bin")
	prefix := bytes.Repeat([]byte{'R'}, held)
	writeFile(t, remote, prefix)

	r := ftpc("put", "--resume", local, base+"up.bin")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "ftpc: put up.bin: resuming at 999999 bytes (47%)\n", r.stderr)
	got := readFile(t, remote)
	require.Len(t, got, len(data))
	assert.Equal(t, prefix, got[:held])
	assert.True(t, bytes.Equal(data[held:], got[held:]), "the rest differs")

	// Already complete.
	r = ftpc("put", local, base+"up.bin", "--resume")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "already complete")
	assert.Equal(t, got, readFile(t, remote))

	// No remote file: a whole upload.
	requireOK(t, ftpc("put", "--resume", local, base+"new.bin"))
	assert.Equal(t, data, readFile(t, filepath.Join(srv.Root, "new.bin")))

	// A remote file longer than the local one is an error.
	writeFile(t, remote, append(data, 'x'))
	r = ftpc("put", "--resume", local, base+"up.bin")
	requireOneLineError(t, r, exitError)
	assert.Contains(t, r.stderr, "more than")
}

// TestPutResumeFallsBackToAppend uses a minimal scripted server that refuses
// REST, so the upload must continue with APPE.
func TestPutResumeFallsBackToAppend(t *testing.T) {
	data := randomBytes(300000, 4)
	local := filepath.Join(t.TempDir(), "f.bin")
	writeFile(t, local, data)
	const held = 120000

	addr, got := restlessServer(t, held)
	r := ftpc("put", "--resume", local, "ftp://"+addr+"/f.bin")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "ftpc: put f.bin: resuming at 120000 bytes (40%)\n", r.stderr)
	select {
	case b := <-got:
		assert.True(t, bytes.Equal(data[held:], b), "APPE received %d bytes", len(b))
	case <-time.After(10 * time.Second):
		t.Fatal("no APPE")
	}
}

// restlessServer serves one session that knows SIZE (answering held), EPSV
// and APPE but not REST. What APPE receives is sent on the channel.
func restlessServer(t *testing.T, held int64) (string, <-chan []byte) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	got := make(chan []byte, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		reply := func(s string) { fmt.Fprintf(nc, "%s\r\n", s) }
		reply("220 scripted")
		var pasv net.Listener
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
			switch strings.ToUpper(verb) {
			case "USER":
				reply("230 in")
			case "TYPE":
				reply("200 ok")
			case "SIZE":
				reply("213 " + strconv.FormatInt(held, 10))
			case "REST":
				reply("502 REST not implemented")
			case "EPSV":
				pasv, err = net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					reply("425 no")
					continue
				}
				reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", pasv.Addr().(*net.TCPAddr).Port))
			case "APPE":
				dc, err := pasv.Accept()
				pasv.Close()
				if err != nil {
					reply("425 no")
					continue
				}
				reply("150 go")
				b, _ := io.ReadAll(dc)
				dc.Close()
				got <- b
				reply("226 done")
			case "QUIT":
				reply("221 bye")
				return
			default:
				reply("502 unknown")
			}
		}
	}()
	return l.Addr().String(), got
}

func TestMissingFile(t *testing.T) {
	_, base := startServer(t)
	dir := t.TempDir()
	local := filepath.Join(dir, "nothing.bin")

	r := ftpc("get", base+"nothing.bin", local)
	requireOneLineError(t, r, exitNotFound)
	assert.Contains(t, r.stderr, "550")
	assert.Contains(t, r.stderr, "RETR nothing.bin")
	assert.NoFileExists(t, local, "a failed download must not create the local file")

	for _, cmd := range []string{"size", "mdtm", "rm"} {
		r := ftpc(cmd, base+"nothing.bin")
		requireOneLineError(t, r, exitNotFound)
		assert.Contains(t, r.stderr, "550", cmd)
	}
}

func TestWrongPassword(t *testing.T) {
	srv, _ := startServer(t)
	r := ftpc("ls", "ftp://"+testUser+":wrong@"+srv.Addr+"/")
	requireOneLineError(t, r, exitLogin)
	assert.Contains(t, r.stderr, "530")
	assert.NotContains(t, r.stderr, "wrong")
}

func TestFTPPasswordEnv(t *testing.T) {
	srv, _ := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "f.txt"), []byte("x"))
	url := "ftp://" + testUser + "@" + srv.Addr + "/"

	t.Setenv("FTP_PASSWORD", "not it")
	r := ftpc("ls", url)
	requireOneLineError(t, r, exitLogin)
	assert.Contains(t, r.stderr, "530")

	t.Setenv("FTP_PASSWORD", testPassword)
	r = ftpc("ls", url)
	requireOK(t, r)
	assert.Contains(t, r.stdout, "f.txt")
}

func TestDebugNeverShowsPassword(t *testing.T) {
	srv, base := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "f.txt"), []byte("x"))
	local := filepath.Join(t.TempDir(), "f.txt")

	for _, args := range [][]string{
		{"ls", "--debug", base},
		{"--debug", "get", base + "f.txt", local},
		{"get", base + "missing", local, "--debug"},
	} {
		r := ftpc(args...)
		assert.Contains(t, r.stderr, "PASS ****")
		assert.Contains(t, r.stderr, "ftp command")
		assert.NotContains(t, r.stderr, testPassword)
		assert.NotContains(t, r.stderr, "s3cr")
		assert.NotContains(t, r.stdout, "s3cr")
	}

	t.Setenv("FTP_PASSWORD", testPassword)
	r := ftpc("--debug", "ls", "ftp://"+testUser+"@"+srv.Addr+"/")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "s3cr")
}

func TestRemove(t *testing.T) {
	srv, base := startServer(t)
	name := filepath.Join(srv.Root, "gone.txt")
	writeFile(t, name, []byte("x"))
	requireOK(t, ftpc("rm", base+"gone.txt"))
	assert.NoFileExists(t, name)
}

func TestMakeDirAndRemoveDir(t *testing.T) {
	srv, base := startServer(t)

	requireOK(t, ftpc("mkdir", base+"one"))
	assert.DirExists(t, filepath.Join(srv.Root, "one"))

	// Without -p a missing parent is an error, and an existing directory too.
	requireOneLineError(t, ftpc("mkdir", base+"x/y/z"), exitNotFound) // "no such file or directory"
	requireOneLineError(t, ftpc("mkdir", base+"one"), exitError)      // "file exists"

	requireOK(t, ftpc("mkdir", "-p", base+"x/y/z/"))
	assert.DirExists(t, filepath.Join(srv.Root, "x", "y", "z"))
	// -p on what exists is fine, and an absolute path works.
	requireOK(t, ftpc("mkdir", base+"/x/y", "-p"))

	requireOK(t, ftpc("rmdir", base+"x/y/z"))
	assert.NoDirExists(t, filepath.Join(srv.Root, "x", "y", "z"))
	// Not empty.
	requireOneLineError(t, ftpc("rmdir", base+"x"), exitError)
	assert.DirExists(t, filepath.Join(srv.Root, "x"))
}

func TestRename(t *testing.T) {
	srv, base := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "a.txt"), []byte("A"))
	require.NoError(t, os.Mkdir(filepath.Join(srv.Root, "d"), 0o755))

	requireOK(t, ftpc("mv", base+"a.txt", "d/b.txt"))
	assert.NoFileExists(t, filepath.Join(srv.Root, "a.txt"))
	assert.Equal(t, []byte("A"), readFile(t, filepath.Join(srv.Root, "d", "b.txt")))

	// NEWPATH may be a URL on the same server.
	requireOK(t, ftpc("mv", base+"d/b.txt", base+"c.txt"))
	assert.Equal(t, []byte("A"), readFile(t, filepath.Join(srv.Root, "c.txt")))

	r := ftpc("mv", base+"c.txt", "ftp://elsewhere.example/c.txt")
	requireOneLineError(t, r, exitUsage)

	r = ftpc("mv", base+"missing", "x")
	requireOneLineError(t, r, exitNotFound)
	assert.Contains(t, r.stderr, "RNFR")
}

func TestSizeAndModTime(t *testing.T) {
	srv, base := startServer(t)
	name := filepath.Join(srv.Root, "f.bin")
	writeFile(t, name, make([]byte, 12345))
	mt := time.Date(2021, 7, 8, 9, 10, 11, 0, time.UTC)
	require.NoError(t, os.Chtimes(name, mt, mt))

	r := ftpc("size", base+"f.bin")
	requireOK(t, r)
	assert.Equal(t, "12345\n", r.stdout)

	r = ftpc("mdtm", base+"f.bin")
	requireOK(t, r)
	assert.Equal(t, "2021-07-08T09:10:11Z\n", r.stdout)
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	r := ftpc("--timeout", "5s", "ls", "ftp://"+addr+"/")
	requireOneLineError(t, r, exitNetwork)
	assert.Contains(t, r.stderr, "dial")
}

func TestDemo(t *testing.T) {
	args := []string{"demo"}
	if testing.Short() {
		args = append(args, "--size", "8M")
	}
	r := ftpc(args...)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	assert.Empty(t, r.stderr, "no debug log without --debug")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	assert.True(t, strings.HasPrefix(last, "SHA-256 match: "), last)
	assert.Contains(t, r.stdout, "upload 1: cut after")
	assert.Contains(t, r.stdout, "random.bin")
	assert.Regexp(t, `control commands +\d+`, r.stdout)
}

func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"100": 100, "8K": 8 << 10, "64MiB": 64 << 20, "2m": 2 << 20, "1G": 1 << 30, "3MB": 3 << 20} {
		var s sizeFlag
		require.NoError(t, s.Set(in), in)
		assert.Equal(t, want, int64(s), in)
	}
	for _, in := range []string{"", "x", "-1", "0", "5T"} {
		var s sizeFlag
		assert.Error(t, s.Set(in), in)
	}
}

func TestPutGetVerifyAndRetries(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(), EnableHASH: true})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	base := "ftp://" + testUser + ":s3cr%23t%20p%40ss@" + srv.Addr + "/"
	data := randomBytes(300<<10, 11)
	local := filepath.Join(t.TempDir(), "v.bin")
	require.NoError(t, os.WriteFile(local, data, 0o600))

	r := ftpc("put", "--verify", "--retries", "3", local, base+"v.bin")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "verified by SHA-256")
	onDisk, err := os.ReadFile(filepath.Join(srv.Root, "v.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))

	// A stale, unrelated remote file is replaced without --resume.
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "v.bin"), []byte("old"), 0o600))
	r = ftpc("put", "--retries", "2", local, base+"v.bin")
	require.Equal(t, 0, r.code, r.stderr)
	onDisk, err = os.ReadFile(filepath.Join(srv.Root, "v.bin"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk))

	out := filepath.Join(t.TempDir(), "out.bin")
	require.NoError(t, os.WriteFile(out, data[:1000], 0o600))
	r = ftpc("get", "--resume", "--verify", base+"v.bin", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "verified by SHA-256")
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "served.txt"), []byte("hello"), 0o600))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	baseContext = func() context.Context { return ctx }
	defer func() { baseContext = context.Background }()
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"serve", "--listen", addr, dir}, &out, io.Discard) }()

	var r result
	for range 50 {
		if r = ftpc("size", "ftp://"+addr+"/served.txt"); r.code == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "5\n", r.stdout)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// lyingFs reports sizes of its own for the files it names.
type lyingFs struct {
	afero.Fs
	sizes map[string]int64
}

func (l lyingFs) Stat(name string) (os.FileInfo, error) {
	fi, err := l.Fs.Stat(name)
	if n, ok := l.sizes[filepath.Base(name)]; ok && err == nil {
		return sizedInfo{fi, n}, nil
	}
	return fi, err
}

type sizedInfo struct {
	os.FileInfo
	size int64
}

func (s sizedInfo) Size() int64 { return s.size }

// TestGetWrongLength: SIZE says 10,000 bytes, RETR sends 3,000 and 226;
// SIZE says 5 and RETR sends 64 KiB. Neither is a successful download.
func TestGetWrongLength(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(),
		WrapFs: func(fs afero.Fs) afero.Fs {
			return lyingFs{fs, map[string]int64{"short.bin": 10000, "long.bin": 5}}
		}})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	base := "ftp://" + testUser + ":" + "s3cr%23t%20p%40ss" + "@" + srv.Addr + "/"
	writeFile(t, filepath.Join(srv.Root, "short.bin"), randomBytes(3000, 7))
	long := randomBytes(64<<10, 8)
	writeFile(t, filepath.Join(srv.Root, "long.bin"), long)
	dir := t.TempDir()

	r := ftpc("get", base+"short.bin", filepath.Join(dir, "short.bin"))
	requireOneLineError(t, r, exitVerify)
	assert.Contains(t, r.stderr, "received 3000 of the 10000 bytes")

	r = ftpc("get", base+"long.bin", filepath.Join(dir, "long.bin"))
	requireOneLineError(t, r, exitVerify)
	assert.Contains(t, r.stderr, "more than the 5 bytes")
	assert.Equal(t, long[:5], readFile(t, filepath.Join(dir, "long.bin")), "nothing past the size is written")
}
