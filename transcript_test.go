// Transcript tests: the client against the scripted fake server, asserting
// what it sends on the control connection byte for byte.

package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/fakeftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// retrieveSteps scripts a passive RETR of name that sends content.
func retrieveSteps(sc *fakeftp.Script, name string, content []byte) {
	sc.Expect("EPSV\r\n")
	sc.EPSV()
	sc.Expect("RETR " + name + "\r\n")
	sc.AcceptData()
	sc.Send("150 Opening BINARY mode data connection\r\n")
	sc.WriteData(content)
	sc.CloseData()
	sc.Send("226 Transfer complete\r\n")
}

func retrieveAll(t *testing.T, ctx context.Context, c *Conn, name string) []byte {
	t.Helper()
	r, err := c.Retrieve(ctx, name)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	return got
}

func TestTranscriptLoginRetrieve(t *testing.T) {
	content := []byte("hello, world\n")
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 Type set to I\r\n")
		retrieveSteps(sc, "f", content)
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	got := retrieveAll(t, fakeftp.Ctx(t), c, "f")
	assert.Equal(t, content, got)
	require.NoError(t, c.Close())

	tr := srv.Transcript()
	assert.Equal(t, "USER u\r\nPASS p\r\nTYPE I\r\nEPSV\r\nRETR f\r\nQUIT\r\n", tr)
	lines := fakeftp.Lines(tr)
	require.NotEmpty(t, lines)
	require.Equal(t, "QUIT", lines[len(lines)-1])
	n := len(lines) - 1
	t.Logf("commands before QUIT for login + one download: %d (curl spends 7)", n)
	assert.LessOrEqual(t, n, 5, "at most 5 control round trips")
}

func TestTranscriptGreeting(t *testing.T) {
	t.Run("120 then 220", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Send("120 Service ready in 1 minute\r\n")
			sc.Send("120-still\r\n busy\r\n120 starting\r\n")
			sc.Send("220 Ready now\r\n")
			sc.Expect("USER u\r\n")
			sc.Send("331 pass\r\n")
			sc.Expect("PASS p\r\n")
			sc.Send("230 ok\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		assert.Equal(t, "Ready now", c.Welcome())
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"QUIT\r\n", srv.Transcript())
	})
	t.Run("421", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Send("421 Too many connections\r\n")
			sc.ExpectEOF()
		})
		_, err := Dial(fakeftp.Ctx(t), srv.Addr, fakeConfig())
		var fe *Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, 421, fe.Code)
		assert.Equal(t, "Too many connections", fe.Msg)
		assert.True(t, fe.Temporary())
		// The error should say it concerns the greeting, as every other
		// greeting error does, not "ftp: : 421 ...".
		assert.Contains(t, err.Error(), "greeting")
		assert.Equal(t, "", srv.Transcript(), "nothing may be sent after a 421 greeting")
	})
	t.Run("other code", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Send("530 go away\r\n")
			sc.ExpectEOF()
		})
		_, err := Dial(fakeftp.Ctx(t), srv.Addr, fakeConfig())
		var fe *Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, 530, fe.Code)
		assert.Equal(t, "", srv.Transcript())
	})
	t.Run("garbage", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Send("SSH-2.0-OpenSSH_9.6\r\n")
			sc.ExpectEOF()
		})
		_, err := Dial(fakeftp.Ctx(t), srv.Addr, fakeConfig())
		var pe *ProtocolError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "", srv.Transcript())
	})
}

func TestTranscriptLogin(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(*Config)
		script func(sc *fakeftp.Script)
		want   string
	}{
		{
			name: "230 right after USER",
			script: func(sc *fakeftp.Script) {
				sc.Send("220 hi\r\n")
				sc.Expect("USER u\r\n")
				sc.Send("230 no password needed\r\n")
			},
			want: "USER u\r\n",
		},
		{
			name: "332 after PASS",
			cfg:  func(c *Config) { c.Account = "acct1" },
			script: func(sc *fakeftp.Script) {
				sc.Send("220 hi\r\n")
				sc.Expect("USER u\r\n")
				sc.Send("331 password\r\n")
				sc.Expect("PASS p\r\n")
				sc.Send("332 need account\r\n")
				sc.Expect("ACCT acct1\r\n")
				sc.Send("230 logged in\r\n")
			},
			want: "USER u\r\nPASS p\r\nACCT acct1\r\n",
		},
		{
			name: "332 after USER",
			cfg:  func(c *Config) { c.Account = "acct1" },
			script: func(sc *fakeftp.Script) {
				sc.Send("220 hi\r\n")
				sc.Expect("USER u\r\n")
				sc.Send("332 need account\r\n")
				sc.Expect("ACCT acct1\r\n")
				sc.Send("230 logged in\r\n")
			},
			want: "USER u\r\nACCT acct1\r\n",
		},
		{
			name: "202 to PASS",
			script: func(sc *fakeftp.Script) {
				sc.Send("220 hi\r\n")
				sc.Expect("USER u\r\n")
				sc.Send("331 password\r\n")
				sc.Expect("PASS p\r\n")
				sc.Send("202 superfluous\r\n")
			},
			want: "USER u\r\nPASS p\r\n",
		},
		{
			name: "anonymous",
			cfg:  func(c *Config) { c.User, c.Password = "", "" },
			script: func(sc *fakeftp.Script) {
				sc.Login("anonymous", "anonymous@")
			},
			want: "USER anonymous\r\nPASS anonymous@\r\n",
		},
		{
			name: "anonymous with a password",
			cfg:  func(c *Config) { c.User, c.Password = "", "me@example.org" },
			script: func(sc *fakeftp.Script) {
				sc.Login("anonymous", "me@example.org")
			},
			want: "USER anonymous\r\nPASS me@example.org\r\n",
		},
		{
			name: "HOST accepted",
			cfg:  func(c *Config) { c.Host = "ftp.example.org" },
			script: func(sc *fakeftp.Script) {
				sc.Send("220 hi\r\n")
				sc.Expect("HOST ftp.example.org\r\n")
				sc.Send("220 vhost selected\r\n")
				sc.Expect("USER u\r\n")
				sc.Send("331 password\r\n")
				sc.Expect("PASS p\r\n")
				sc.Send("230 ok\r\n")
			},
			want: "HOST ftp.example.org\r\nUSER u\r\nPASS p\r\n",
		},
		{
			name: "HOST answered 502",
			cfg:  func(c *Config) { c.Host = "ftp.example.org" },
			script: func(sc *fakeftp.Script) {
				sc.Send("220 hi\r\n")
				sc.Expect("HOST ftp.example.org\r\n")
				sc.Send("502 HOST not implemented\r\n")
				sc.Expect("USER u\r\n")
				sc.Send("331 password\r\n")
				sc.Expect("PASS p\r\n")
				sc.Send("230 ok\r\n")
			},
			want: "HOST ftp.example.org\r\nUSER u\r\nPASS p\r\n",
		},
		{
			name: "HOST answered 500",
			cfg:  func(c *Config) { c.Host = "ftp.example.org" },
			script: func(sc *fakeftp.Script) {
				sc.Send("220 hi\r\n")
				sc.Expect("HOST ftp.example.org\r\n")
				sc.Send("500 unknown command\r\n")
				sc.Expect("USER u\r\n")
				sc.Send("331 password\r\n")
				sc.Expect("PASS p\r\n")
				sc.Send("230 ok\r\n")
			},
			want: "HOST ftp.example.org\r\nUSER u\r\nPASS p\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				tt.script(sc)
				sc.Quit()
			})
			cfg := fakeConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			c := dialFake(t, srv, cfg)
			require.NoError(t, c.Close())
			assert.Equal(t, tt.want+"QUIT\r\n", srv.Transcript())
		})
	}
}

func TestTranscriptLoginRejected(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Send("220 hi\r\n")
		sc.Expect("USER u\r\n")
		sc.Send("331 password\r\n")
		sc.Expect("PASS p\r\n")
		sc.Send("530 Login incorrect\r\n")
		sc.ExpectEOF()
	})
	_, err := Dial(fakeftp.Ctx(t), srv.Addr, fakeConfig())
	var fe *Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 530, fe.Code)
	assert.Equal(t, "PASS ****", fe.Command)
	assert.ErrorIs(t, err, os.ErrPermission)
	assert.Equal(t, fakeftp.LoginLines, srv.Transcript())
}

// recordingDialer returns a DialContext that records every address and
// lets route decide what to do: return a different address to dial, or an
// error.
type recordingDialer struct {
	mu    sync.Mutex
	addrs []string
	route func(addr string) (string, error)
}

func (d *recordingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	target := addr
	if d.route != nil {
		var err error
		if target, err = d.route(addr); err != nil {
			return nil, err
		}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, target)
}

func (d *recordingDialer) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

var errForeignDial = errors.New("test dialer: refusing to dial a foreign address")

func TestTranscriptEPSVFallbackRemembered(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.Send("500 EPSV not understood\r\n")
		sc.Expect("PASV\r\n")
		sc.PASV()
		sc.Expect("RETR a\r\n")
		sc.AcceptData()
		sc.Send("150 here it comes\r\n")
		sc.WriteData([]byte("AAA"))
		sc.CloseData()
		sc.Send("226 done\r\n")
		sc.Expect("PASV\r\n") // remembered: no second EPSV
		sc.PASV()
		sc.Expect("RETR b\r\n")
		sc.AcceptData()
		sc.Send("150 here it comes\r\n")
		sc.WriteData([]byte("BBBB"))
		sc.CloseData()
		sc.Send("226 done\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	assert.Equal(t, "AAA", string(retrieveAll(t, ctx, c, "a")))
	assert.Equal(t, "BBBB", string(retrieveAll(t, ctx, c, "b")))
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"TYPE I\r\nEPSV\r\nPASV\r\nRETR a\r\nPASV\r\nRETR b\r\nQUIT\r\n", srv.Transcript())
}

func TestTranscriptPASVAddressPolicy(t *testing.T) {
	transferSteps := func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("PASV\r\n")
		sc.PASVNaming("10.1.2.3")
		sc.Expect("RETR f\r\n")
	}
	t.Run("control peer by default", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			transferSteps(sc)
			sc.AcceptData()
			sc.Send("150 ok\r\n")
			sc.WriteData([]byte("data"))
			sc.CloseData()
			sc.Send("226 ok\r\n")
			sc.Quit()
		})
		d := &recordingDialer{route: func(addr string) (string, error) {
			if strings.HasPrefix(addr, "10.1.2.3:") {
				return "", errForeignDial
			}
			return addr, nil
		}}
		cfg := fakeConfig()
		cfg.DisableEPSV = true
		cfg.DialContext = d.DialContext
		c := dialFake(t, srv, cfg)
		assert.Equal(t, "data", string(retrieveAll(t, fakeftp.Ctx(t), c, "f")))
		require.NoError(t, c.Close())
		srv.Wait()
		assert.Equal(t, []string{srv.Addr, "127.0.0.1:" + strconv.Itoa(srv.DataPort(0))}, d.dialed())
	})
	t.Run("PassiveServerAddress", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			transferSteps(sc)
			sc.Expect("ABOR\r\n")
			sc.Send("425 Can't open data connection\r\n226 ABOR successful\r\n")
			sc.Expect("NOOP\r\n")
			sc.Send("200 ok\r\n")
			sc.Quit()
		})
		d := &recordingDialer{route: func(addr string) (string, error) {
			if strings.HasPrefix(addr, "10.1.2.3:") {
				return "", errForeignDial
			}
			return addr, nil
		}}
		cfg := fakeConfig()
		cfg.DisableEPSV = true
		cfg.PassiveAddress = PassiveServerAddress
		cfg.DialContext = d.DialContext
		c := dialFake(t, srv, cfg)
		ctx := fakeftp.Ctx(t)
		r, err := c.Retrieve(ctx, "f")
		if r != nil {
			r.Close()
		}
		require.ErrorIs(t, err, errForeignDial)
		require.NoError(t, c.NoOp(ctx), "the dialogue stays in step after the abort")
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"TYPE I\r\nPASV\r\nRETR f\r\nABOR\r\nNOOP\r\nQUIT\r\n", srv.Transcript())
		assert.Equal(t, []string{srv.Addr, "10.1.2.3:" + strconv.Itoa(srv.DataPort(0))}, d.dialed())
	})
	t.Run("PassiveControlPeerThenServer", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			transferSteps(sc)
			sc.AcceptData()
			sc.Send("150 ok\r\n")
			sc.WriteData([]byte("data"))
			sc.CloseData()
			sc.Send("226 ok\r\n")
			sc.Quit()
		})
		var ctlAddr string
		d := &recordingDialer{}
		d.route = func(addr string) (string, error) {
			host, port, _ := net.SplitHostPort(addr)
			switch {
			case addr == ctlAddr:
				return addr, nil
			case host == "127.0.0.1":
				return "", errors.New("test dialer: control peer unreachable for data")
			default:
				return net.JoinHostPort("127.0.0.1", port), nil // 10.1.2.3 "routes" to the fake server
			}
		}
		cfg := fakeConfig()
		cfg.DisableEPSV = true
		cfg.PassiveAddress = PassiveControlPeerThenServer
		cfg.DialContext = d.DialContext
		ctlAddr = srv.Addr
		c := dialFake(t, srv, cfg)
		assert.Equal(t, "data", string(retrieveAll(t, fakeftp.Ctx(t), c, "f")))
		require.NoError(t, c.Close())
		srv.Wait()
		port := strconv.Itoa(srv.DataPort(0))
		assert.Equal(t, []string{srv.Addr, "127.0.0.1:" + port, "10.1.2.3:" + port}, d.dialed())
	})
}

func TestTranscriptMalformedPassiveReply(t *testing.T) {
	tests := []struct {
		name  string
		pasv  bool
		reply string
	}{
		{"229 without parentheses", false, "229 Entering Extended Passive Mode\r\n"},
		{"229 port not a number", false, "229 Entering Extended Passive Mode (|||abc|)\r\n"},
		{"229 port out of range", false, "229 Entering Extended Passive Mode (|||65536|)\r\n"},
		{"229 port 0", false, "229 Entering Extended Passive Mode (|||0|)\r\n"},
		{"229 bad delimiters", false, "229 Entering Extended Passive Mode (|!|2121|)\r\n"},
		{"227 five numbers", true, "227 Entering Passive Mode (127,0,0,1,8)\r\n"},
		{"227 no numbers", true, "227 Entering Passive Mode\r\n"},
		{"227 number out of range", true, "227 Entering Passive Mode (127,0,0,1,256,1)\r\n"},
		{"227 port 0", true, "227 Entering Passive Mode (127,0,0,1,0,0)\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verb := "EPSV"
			if tt.pasv {
				verb = "PASV"
			}
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("TYPE I\r\n")
				sc.Send("200 ok\r\n")
				sc.Expect(verb + "\r\n")
				sc.Send(tt.reply)
				sc.ExpectEOF()
			})
			cfg := fakeConfig()
			cfg.DisableEPSV = tt.pasv
			c := dialFake(t, srv, cfg)
			ctx := fakeftp.Ctx(t)
			r, err := c.Retrieve(ctx, "f")
			assert.Nil(t, r)
			var pe *ProtocolError
			require.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, c.NoOp(ctx), ErrClosed, "the Conn is closed after a protocol error")
			assert.Equal(t, fakeftp.LoginLines+"TYPE I\r\n"+verb+"\r\n", srv.Transcript())
		})
	}
}

func TestTranscriptPWD(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		want    string
		wantErr string // "protocol" or "reply"
	}{
		{"plain", "257 \"/home/u\" is the current directory\r\n", "/home/u", ""},
		{"doubled quotes", "257 \"/a \"\"quoted\"\" dir\" is current\r\n", "/a \"quoted\" dir", ""},
		{"only doubled quotes", "257 \"\"\"\"\"\" ok\r\n", "\"\"", ""},
		{"multi-line", "257-\"/x\" is current\r\n257 end\r\n", "/x", ""},
		{"no closing quote", "257 \"/home/u is current\r\n", "", "protocol"},
		{"no quote at all", "257 /home/u is current\r\n", "", "protocol"},
		{"refused", "550 no such directory\r\n", "", "reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("PWD\r\n")
				sc.Send(tt.reply)
				sc.Quit()
			})
			c := dialFake(t, srv, nil)
			dir, err := c.CurrentDir(fakeftp.Ctx(t))
			switch tt.wantErr {
			case "":
				require.NoError(t, err)
				assert.Equal(t, tt.want, dir)
			case "protocol":
				var pe *ProtocolError
				require.ErrorAs(t, err, &pe)
			case "reply":
				var fe *Error
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, 550, fe.Code)
			}
			c.Close()
			srv.Wait()
		})
	}
}

func TestTranscriptMKD(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  string
		proto bool
	}{
		{"quoted path", "257 \"/home/u/new \"\"dir\"\"\" created\r\n", "/home/u/new \"dir\"", false},
		{"no path in reply", "257 Directory created\r\n", "new \"dir\"", false},
		{"250 reply", "250 ok\r\n", "new \"dir\"", false},
		{"unterminated quote", "257 \"/home/u/new created\r\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("MKD new \"dir\"\r\n")
				sc.Send(tt.reply)
				sc.Quit()
			})
			c := dialFake(t, srv, nil)
			got, err := c.MakeDir(fakeftp.Ctx(t), "new \"dir\"")
			if tt.proto {
				var pe *ProtocolError
				require.ErrorAs(t, err, &pe)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
			c.Close()
			srv.Wait()
		})
	}
}

// argOps are the operations whose arguments must never reach the wire with
// CR, LF or NUL in them.
var argOps = []struct {
	name string
	run  func(ctx context.Context, c *Conn, bad string) error
}{
	{"ChangeDir", func(ctx context.Context, c *Conn, a string) error { return c.ChangeDir(ctx, a) }},
	{"MakeDir", func(ctx context.Context, c *Conn, a string) error { _, err := c.MakeDir(ctx, a); return err }},
	{"MakeDirAll", func(ctx context.Context, c *Conn, a string) error { return c.MakeDirAll(ctx, "/x/"+a) }},
	{"RemoveDir", func(ctx context.Context, c *Conn, a string) error { return c.RemoveDir(ctx, a) }},
	{"Delete", func(ctx context.Context, c *Conn, a string) error { return c.Delete(ctx, a) }},
	{"Rename from", func(ctx context.Context, c *Conn, a string) error { return c.Rename(ctx, a, "to") }},
	{"Rename to", func(ctx context.Context, c *Conn, a string) error { return c.Rename(ctx, "from", a) }},
	{"Retrieve", func(ctx context.Context, c *Conn, a string) error {
		r, err := c.Retrieve(ctx, a)
		if r != nil {
			r.Close()
		}
		return err
	}},
	{"RetrieveFrom", func(ctx context.Context, c *Conn, a string) error {
		r, err := c.RetrieveFrom(ctx, a, 10)
		if r != nil {
			r.Close()
		}
		return err
	}},
	{"StoreWriter", func(ctx context.Context, c *Conn, a string) error {
		w, err := c.StoreFrom(ctx, a, 0)
		if w != nil {
			w.Abort()
		}
		return err
	}},
	{"Store", func(ctx context.Context, c *Conn, a string) error {
		_, err := send(c.Store(ctx, a))(strings.NewReader("x"))
		return err
	}},
	{"Append", func(ctx context.Context, c *Conn, a string) error {
		w, err := c.Append(ctx, a)
		if w != nil {
			w.Abort()
		}
		return err
	}},
	{"Size", func(ctx context.Context, c *Conn, a string) error { _, err := c.Size(ctx, a); return err }},
	{"ModTime", func(ctx context.Context, c *Conn, a string) error { _, err := c.ModTime(ctx, a); return err }},
	{"SetModTime", func(ctx context.Context, c *Conn, a string) error { return c.SetModTime(ctx, a, time.Unix(0, 0)) }},
	{"Quote argument", func(ctx context.Context, c *Conn, a string) error {
		_, err := c.Quote(ctx, "SITE CHMOD 644 "+a)
		return err
	}},
	{"Quote verb", func(ctx context.Context, c *Conn, a string) error { _, err := c.Quote(ctx, "NOOP"+a); return err }},
	{"List", func(ctx context.Context, c *Conn, a string) error { _, err := c.List(ctx, a); return err }},
	{"NameList", func(ctx context.Context, c *Conn, a string) error { _, err := c.NameList(ctx, a); return err }},
	{"Stat", func(ctx context.Context, c *Conn, a string) error { _, err := c.Stat(ctx, a); return err }},
	{"Status", func(ctx context.Context, c *Conn, a string) error { _, err := c.Status(ctx, a); return err }},
	{"ListWith", func(ctx context.Context, c *Conn, a string) error { _, err := c.ListWith(ctx, a, nil); return err }},
	{"RawList", func(ctx context.Context, c *Conn, a string) error {
		r, err := c.RawList(ctx, "LIST", a)
		if r != nil {
			r.Close()
		}
		return err
	}},
}

// TestTranscriptInvalidArguments checks that every operation rejects CR, LF
// and NUL in its arguments before writing anything: after login the server
// must see nothing but the QUIT of Close. Each operation runs on a fresh
// connection, so that no earlier command (FEAT, TYPE) was sent already.
func TestTranscriptInvalidArguments(t *testing.T) {
	bad := []string{"a\rb", "a\nb", "a\x00b", "x\r\nDELE y", "\r\n", "é\n"}
	for _, op := range argOps {
		t.Run(op.name, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Quit()
			})
			c := dialFake(t, srv, nil)
			ctx := fakeftp.Ctx(t)
			for _, b := range bad {
				err := op.run(ctx, c, b)
				assert.ErrorIs(t, err, ErrInvalidArgument, "%s(%q)", op.name, b)
			}
			require.NoError(t, c.Close())
			assert.Equal(t, fakeftp.LoginLines+"QUIT\r\n", srv.Transcript(), "nothing may be written for a bad argument")
		})
	}
}

func TestTranscriptInvalidCredentials(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(*Config)
		script func(sc *fakeftp.Script)
		want   string // what reaches the server before the client gives up
	}{
		{"user", func(c *Config) { c.User = "u\r\nDELE x" }, func(sc *fakeftp.Script) {}, ""},
		{"host", func(c *Config) { c.Host = "h\x00" }, func(sc *fakeftp.Script) {}, ""},
		{"password", func(c *Config) { c.Password = "p\nDELE x" }, func(sc *fakeftp.Script) {
			sc.Expect("USER u\r\n")
			sc.Send("331 password\r\n")
		}, "USER u\r\n"},
		{"account", func(c *Config) { c.Account = "a\rb" }, func(sc *fakeftp.Script) {
			sc.Expect("USER u\r\n")
			sc.Send("332 need account\r\n")
		}, "USER u\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Send("220 hi\r\n")
				tt.script(sc)
				sc.ExpectEOF()
			})
			cfg := fakeConfig()
			tt.cfg(cfg)
			_, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
			require.ErrorIs(t, err, ErrInvalidArgument)
			assert.Equal(t, tt.want, srv.Transcript())
		})
	}
}

func TestTranscriptMultiLineReply(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("STAT\r\n")
		sc.Send("211-Status of fake server:\r\n" +
			" 123 starts with digits after a space\r\n" +
			"123 starts with another code\r\n" +
			"211-repeats the code with a dash\r\n" +
			"2110 four digits\r\n" +
			"999 not a code\r\n" +
			"  two spaces\r\n" +
			"\r\n" +
			"211 End of status\r\n")
		sc.Expect("HELP\r\n")
		sc.Send("214-The following commands are recognized.\n USER PASS\n214 Help OK.\n") // bare LF
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	msg, err := c.Status(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, "Status of fake server:\n"+
		" 123 starts with digits after a space\n"+
		"123 starts with another code\n"+
		"repeats the code with a dash\n"+
		"2110 four digits\n"+
		"999 not a code\n"+
		"  two spaces\n"+
		"\n"+
		"End of status", msg)
	r, err := c.Quote(ctx, "HELP")
	require.NoError(t, err)
	assert.Equal(t, 214, r.Code)
	assert.Equal(t, []string{"The following commands are recognized.", " USER PASS", "Help OK."}, r.Lines())
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"STAT\r\nHELP\r\nQUIT\r\n", srv.Transcript())
}

const featUTF8 = "211-Extensions supported:\r\n" +
	" MLST type*;size*;modify*;\r\n" +
	" SIZE\r\n" +
	" UTF8\r\n" +
	" REST STREAM\r\n" +
	"211 End\r\n"

const featNoUTF8 = "211-Extensions supported:\r\n" +
	" MLST type*;size*;modify*;\r\n" +
	" SIZE\r\n" +
	"211 End\r\n"

func TestTranscriptFeatures(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send(featUTF8)
		sc.Expect("OPTS UTF8 ON\r\n")
		sc.Send("200 UTF8 set to on\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx := fakeftp.Ctx(t)
	f, err := c.Features(ctx)
	require.NoError(t, err)
	assert.True(t, f.Has("MLST"))
	assert.True(t, f.Has("mlst"))
	assert.True(t, f.Has("utf8"))
	assert.True(t, f.Has("Size"))
	assert.False(t, f.Has("MDTM"))
	assert.False(t, f.Has("Extensions"))
	assert.False(t, f.Has("End"))
	assert.Equal(t, "type*;size*;modify*;", f["MLST"])
	assert.Equal(t, "STREAM", f["REST"])
	// Asked once per session.
	f2, err := c.Features(ctx)
	require.NoError(t, err)
	assert.Equal(t, f, f2)
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nOPTS UTF8 ON\r\nQUIT\r\n", srv.Transcript())
}

func TestTranscriptFeaturesRefused(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("FEAT\r\n")
		sc.Send("502 FEAT not implemented\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	f, err := c.Features(fakeftp.Ctx(t))
	require.NoError(t, err)
	assert.Empty(t, f)
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nQUIT\r\n", srv.Transcript())
}

// TestTranscriptUTF8 checks when FEAT and OPTS UTF8 ON are sent: FEAT only
// when a non-ASCII argument or List/Stat needs it, OPTS only when UTF8 is
// advertised and not disabled, each at most once.
func TestTranscriptUTF8(t *testing.T) {
	t.Run("ASCII paths send no FEAT", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("CWD /plain\r\n")
			sc.Send("250 ok\r\n")
			sc.Expect("DELE file.txt\r\n")
			sc.Send("250 ok\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		require.NoError(t, c.ChangeDir(ctx, "/plain"))
		require.NoError(t, c.Delete(ctx, "file.txt"))
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"CWD /plain\r\nDELE file.txt\r\nQUIT\r\n", srv.Transcript())
	})
	t.Run("non-ASCII path", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("CWD /plain\r\n")
			sc.Send("250 ok\r\n")
			sc.Expect("FEAT\r\n")
			sc.Send(featUTF8)
			sc.Expect("OPTS UTF8 ON\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("CWD /dé\r\n")
			sc.Send("250 ok\r\n")
			sc.Expect("CWD /ñ\r\n")
			sc.Send("250 ok\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		ctx := fakeftp.Ctx(t)
		require.NoError(t, c.ChangeDir(ctx, "/plain"))
		require.NoError(t, c.ChangeDir(ctx, "/dé"))
		require.NoError(t, c.ChangeDir(ctx, "/ñ"))
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"CWD /plain\r\nFEAT\r\nOPTS UTF8 ON\r\nCWD /dé\r\nCWD /ñ\r\nQUIT\r\n", srv.Transcript())
	})
	t.Run("UTF8 not advertised", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featNoUTF8)
			sc.Expect("CWD /dé\r\n")
			sc.Send("250 ok\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		require.NoError(t, c.ChangeDir(fakeftp.Ctx(t), "/dé"))
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nCWD /dé\r\nQUIT\r\n", srv.Transcript())
	})
	t.Run("DisableUTF8", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featUTF8)
			sc.Expect("CWD /dé\r\n")
			sc.Send("250 ok\r\n")
			sc.Quit()
		})
		cfg := fakeConfig()
		cfg.DisableUTF8 = true
		c := dialFake(t, srv, cfg)
		require.NoError(t, c.ChangeDir(fakeftp.Ctx(t), "/dé"))
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nCWD /dé\r\nQUIT\r\n", srv.Transcript())
	})
	t.Run("OPTS refused", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featUTF8)
			sc.Expect("OPTS UTF8 ON\r\n")
			sc.Send("501 no\r\n")
			sc.Expect("CWD /dé\r\n")
			sc.Send("250 ok\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		require.NoError(t, c.ChangeDir(fakeftp.Ctx(t), "/dé"))
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nOPTS UTF8 ON\r\nCWD /dé\r\nQUIT\r\n", srv.Transcript())
	})
	t.Run("Stat", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featUTF8)
			sc.Expect("OPTS UTF8 ON\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("MLST x.txt\r\n")
			sc.Send("250-Listing x.txt\r\n type=file;size=3;modify=20240102030405; /home/u/x.txt\r\n250 End\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		e, err := c.Stat(fakeftp.Ctx(t), "x.txt")
		require.NoError(t, err)
		assert.Equal(t, "x.txt", e.Name)
		assert.Equal(t, EntryFile, e.Type)
		assert.Equal(t, int64(3), e.Size)
		assert.Equal(t, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), e.ModTime)
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nOPTS UTF8 ON\r\nMLST x.txt\r\nQUIT\r\n", srv.Transcript())
	})
	t.Run("List", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("FEAT\r\n")
			sc.Send(featUTF8)
			sc.Expect("OPTS UTF8 ON\r\n")
			sc.Send("200 ok\r\n")
			sc.Expect("EPSV\r\n")
			sc.EPSV()
			sc.Expect("MLSD\r\n")
			sc.AcceptData()
			sc.Send("150 listing\r\n")
			sc.WriteData([]byte("type=cdir; .\r\ntype=file;size=3; a.txt\r\ntype=dir; sub\r\n"))
			sc.CloseData()
			sc.Send("226 done\r\n")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		entries, err := c.List(fakeftp.Ctx(t), "")
		require.NoError(t, err)
		require.Len(t, entries, 2)
		assert.Equal(t, "a.txt", entries[0].Name)
		assert.Equal(t, "sub", entries[1].Name)
		assert.Equal(t, EntryDir, entries[1].Type)
		require.NoError(t, c.Close())
		assert.Equal(t, fakeftp.LoginLines+"FEAT\r\nOPTS UTF8 ON\r\nEPSV\r\nMLSD\r\nQUIT\r\n", srv.Transcript())
	})
}

func TestTranscriptReplyTimeout(t *testing.T) {
	for _, partial := range []string{"200-first line of a reply\r\n", "200 a line without its end"} {
		t.Run(fmt.Sprintf("%q", partial), func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("NOOP\r\n")
				sc.Send(partial)
				sc.ExpectEOF()
			})
			cfg := fakeConfig()
			cfg.ReplyTimeout = 300 * time.Millisecond
			c := dialFake(t, srv, cfg)
			ctx := fakeftp.Ctx(t)
			start := time.Now()
			err := c.NoOp(ctx)
			elapsed := time.Since(start)
			require.Error(t, err)
			var ne net.Error
			assert.True(t, errors.As(err, &ne) && ne.Timeout(), "want a timeout, got %v", err)
			assert.GreaterOrEqual(t, elapsed, 250*time.Millisecond)
			assert.Less(t, elapsed, 3*time.Second, "the reply timeout bounds the wait")
			assert.ErrorIs(t, c.NoOp(ctx), ErrClosed)
			assert.Equal(t, fakeftp.LoginLines+"NOOP\r\n", srv.Transcript())
		})
	}
}

func TestTranscriptHostileReplies(t *testing.T) {
	longLine := append([]byte("200 "), bytes.Repeat([]byte("a"), 1<<20)...)
	var manyLines bytes.Buffer
	manyLines.WriteString("211-start\r\n")
	for range 1_000_000 {
		manyLines.WriteString(" 12\r\n")
	}
	tests := []struct {
		name string
		raw  []byte
	}{
		{"1 MiB line without CRLF", longLine},
		{"a million continuation lines without the end", manyLines.Bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("NOOP\r\n")
				sc.SendLoose(tt.raw)
				sc.ExpectEOF()
			})
			c := dialFake(t, srv, nil)
			ctx := fakeftp.Ctx(t)
			start := time.Now()
			err := c.NoOp(ctx)
			var pe *ProtocolError
			require.ErrorAs(t, err, &pe)
			assert.Less(t, time.Since(start), 4*time.Second)
			assert.Less(t, len(err.Error()), 1000, "the error holds a shortened line")
			assert.ErrorIs(t, c.NoOp(ctx), ErrClosed)
		})
	}
	// A NUL in a reply line is a protocol error, as in curl: "230 logged\0
	// in" reads as a login to one parser and as "230 logged" to another.
	for _, nul := range []string{"230 logged\x00 in\r\n", "200-\x00\r\n200 end\r\n", "2\x0000 NUL in the code\r\n", "200-a\r\n\x00\x00\r\n200 end\r\n"} {
		t.Run(fmt.Sprintf("NUL bytes %q", nul), func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("NOOP\r\n")
				sc.Send(nul)
				sc.ExpectEOF()
			})
			c := dialFake(t, srv, nil)
			ctx := fakeftp.Ctx(t)
			err := c.NoOp(ctx)
			var pe *ProtocolError
			require.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, c.NoOp(ctx), ErrClosed)
		})
	}
	t.Run("NUL in the password reply", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Send("220 ready\r\n")
			sc.Expect("USER u\r\n")
			sc.Send("331 password\r\n")
			sc.Expect("PASS p\r\n")
			sc.Send("230 logged\x00 in\r\n")
			sc.ExpectEOF()
		})
		_, err := Dial(fakeftp.Ctx(t), srv.Addr, fakeConfig())
		var pe *ProtocolError
		require.ErrorAs(t, err, &pe)
		srv.Wait()
	})
}

func TestTranscriptAbortDownload(t *testing.T) {
	tests := []struct {
		name    string
		replies string
	}{
		{"426 then 226", "426 Transfer aborted\r\n226 ABOR successful\r\n"},
		{"226 then 225", "226 Transfer complete\r\n225 ABOR ok, no transfer\r\n"},
		{"226 then 226", "226 Transfer complete\r\n226 ABOR ok\r\n"},
		{"225 only", "225 ABOR ok\r\n"},
		{"restart marker first", "110 MARK 10 = 10\r\n426 aborted\r\n226 ABOR ok\r\n"},
		{"pure-ftpd: one 226 for both", "150 0.003 seconds (measured here), 8.52 Mbytes per second\r\n226 Since you see this ABOR must've succeeded\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("TYPE I\r\n")
				sc.Send("200 ok\r\n")
				sc.Expect("EPSV\r\n")
				sc.EPSV()
				sc.Expect("RETR big\r\n")
				sc.AcceptData()
				sc.Send("150 Opening\r\n")
				sc.WriteData([]byte("0123456789abcdef"))
				sc.Expect("ABOR\r\n")
				sc.Send(tt.replies)
				sc.CloseData()
				sc.Expect("NOOP\r\n")
				sc.Send("200 still here\r\n")
				sc.Quit()
			})
			c := dialFake(t, srv, nil)
			ctx := fakeftp.Ctx(t)
			r, err := c.Retrieve(ctx, "big")
			require.NoError(t, err)
			buf := make([]byte, 4)
			n, err := r.Read(buf)
			require.NoError(t, err)
			assert.Positive(t, n)
			require.NoError(t, r.Close())
			require.NoError(t, r.Close(), "Close twice")
			require.NoError(t, c.NoOp(ctx), "the Conn is usable after the abort")
			require.NoError(t, c.Close())
			assert.Equal(t, fakeftp.LoginLines+"TYPE I\r\nEPSV\r\nRETR big\r\nABOR\r\nNOOP\r\nQUIT\r\n", srv.Transcript())
		})
	}
}

// TestTranscriptTruncatedDownload: the server closes the data connection and
// reports failure; the reader must not report io.EOF.
func TestTranscriptTruncatedDownload(t *testing.T) {
	readers := []struct {
		name string
		read func(r *Reader) ([]byte, error)
	}{
		{"ReadAll", func(r *Reader) ([]byte, error) { return io.ReadAll(r) }},
		{"io.Copy", func(r *Reader) ([]byte, error) {
			var b bytes.Buffer
			_, err := io.Copy(&b, r)
			return b.Bytes(), err
		}},
		{"io.Copy to a plain writer", func(r *Reader) ([]byte, error) {
			var b bytes.Buffer
			_, err := io.Copy(struct{ io.Writer }{&b}, r)
			return b.Bytes(), err
		}},
	}
	for _, code := range []int{426, 451} {
		for _, rd := range readers {
			t.Run(fmt.Sprintf("%d/%s", code, rd.name), func(t *testing.T) {
				srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
					sc.Login("u", "p")
					sc.Expect("TYPE I\r\n")
					sc.Send("200 ok\r\n")
					sc.Expect("EPSV\r\n")
					sc.EPSV()
					sc.Expect("RETR f\r\n")
					sc.AcceptData()
					sc.Send("150 Opening\r\n")
					sc.WriteData([]byte("partial"))
					sc.CloseData()
					sc.Send(fmt.Sprintf("%d Connection closed; transfer aborted\r\n", code))
					sc.Expect("NOOP\r\n")
					sc.Send("200 ok\r\n")
					sc.Quit()
				})
				c := dialFake(t, srv, nil)
				ctx := fakeftp.Ctx(t)
				r, err := c.Retrieve(ctx, "f")
				require.NoError(t, err)
				got, err := rd.read(r)
				assert.Equal(t, "partial", string(got))
				require.Error(t, err, "a failed transfer must not look like success")
				assert.NotErrorIs(t, err, io.EOF)
				var fe *Error
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, code, fe.Code)
				// Further reads and Close repeat the verdict.
				_, err = r.Read(make([]byte, 10))
				assert.ErrorAs(t, err, &fe)
				assert.NotErrorIs(t, err, io.EOF)
				cerr := r.Close()
				require.ErrorAs(t, cerr, &fe)
				assert.Equal(t, code, fe.Code)
				require.NoError(t, c.NoOp(ctx))
				require.NoError(t, c.Close())
				assert.Equal(t, fakeftp.LoginLines+"TYPE I\r\nEPSV\r\nRETR f\r\nNOOP\r\nQUIT\r\n", srv.Transcript())
			})
		}
	}
}

// failingReader returns its data, then an error instead of io.EOF.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

var errSourceBroken = errors.New("test: the source broke")

func TestTranscriptUploadSourceError(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("STOR up\r\n")
		sc.AcceptData()
		sc.Send("150 Ok to send data\r\n")
		sc.ReadDataAll()
		sc.Expect("ABOR\r\n")
		sc.Send("426 Transfer aborted\r\n226 ABOR successful\r\n")
		sc.Expect("NOOP\r\n")
		sc.Send("200 ok\r\n")
		sc.Quit()
	})
	cfg := fakeConfig()
	cfg.ReplyTimeout = 2 * time.Second // a missing ABOR must not cost the full default
	c := dialFake(t, srv, cfg)
	ctx := fakeftp.Ctx(t)
	n, err := send(c.Store(ctx, "up"))(&failingReader{data: []byte("abc"), err: errSourceBroken})
	var se *SourceError
	require.ErrorAs(t, err, &se, "got %v", err)
	assert.ErrorIs(t, err, errSourceBroken)
	assert.Equal(t, "STOR up", se.Command)
	assert.Equal(t, int64(3), n)
	require.NoError(t, c.NoOp(ctx))
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"TYPE I\r\nEPSV\r\nSTOR up\r\nABOR\r\nNOOP\r\nQUIT\r\n", srv.Transcript())
	assert.Equal(t, "abc", string(srv.Upload(0)))
}

func TestTranscriptUpload(t *testing.T) {
	data := bytes.Repeat([]byte("upload "), 10000)
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("STOR up\r\n")
		sc.AcceptData()
		sc.Send("150 Ok to send data\r\n")
		sc.ReadDataAll()
		sc.Send("226 stored\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	n, err := send(c.Store(fakeftp.Ctx(t), "up"))(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"TYPE I\r\nEPSV\r\nSTOR up\r\nQUIT\r\n", srv.Transcript())
	assert.Equal(t, data, srv.Upload(0))
}

func TestTranscriptUploadRefused(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("TYPE I\r\n")
		sc.Send("200 ok\r\n")
		sc.Expect("EPSV\r\n")
		sc.EPSV()
		sc.Expect("STOR up\r\n")
		sc.AcceptData()
		sc.Send("150 Ok to send data\r\n")
		sc.ReadDataAll()
		sc.Send("552 Exceeded storage allocation\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	_, err := send(c.Store(fakeftp.Ctx(t), "up"))(strings.NewReader("data"))
	var fe *Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 552, fe.Code)
	require.NoError(t, c.Close())
	assert.Equal(t, "data", string(srv.Upload(0)))
}

func TestTranscriptContextCancel(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("NOOP\r\n")
		sc.ExpectEOF() // no answer: the client must give up on its own
	})
	cfg := fakeConfig()
	cfg.ReplyTimeout = 10 * time.Second
	c := dialFake(t, srv, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := c.NoOp(ctx)
	elapsed := time.Since(start)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, elapsed, 2*time.Second, "cancellation must not wait for the reply timeout")
	assert.ErrorIs(t, c.NoOp(context.Background()), ErrClosed)
	assert.Equal(t, fakeftp.LoginLines+"NOOP\r\n", srv.Transcript())
}

func TestTranscriptContextAlreadyCancelled(t *testing.T) {
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", "p")
		sc.Expect("NOOP\r\n")
		sc.Send("200 ok\r\n")
		sc.Quit()
	})
	c := dialFake(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, c.NoOp(ctx), context.Canceled)
	require.NoError(t, c.NoOp(fakeftp.Ctx(t)), "nothing was sent, the Conn is still usable")
	require.NoError(t, c.Close())
	assert.Equal(t, fakeftp.LoginLines+"NOOP\r\nQUIT\r\n", srv.Transcript())
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestTranscriptPasswordNeverLogged(t *testing.T) {
	const secret = "s3cr3t-Pw"
	var logBuf lockedBuffer
	srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
		sc.Login("u", secret)
		sc.Expect("PASS " + secret + "\r\n")
		sc.Send("503 already logged in\r\n")
		sc.Quit()
	})
	cfg := fakeConfig()
	cfg.Password = secret
	cfg.Logger = slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := dialFake(t, srv, cfg)
	r, err := c.Quote(fakeftp.Ctx(t), "PASS "+secret)
	require.NoError(t, err)
	assert.Equal(t, 503, r.Code)
	require.NoError(t, c.Close())
	srv.Wait()
	log := logBuf.String()
	assert.Contains(t, log, "USER u", "the dialogue is logged")
	assert.Contains(t, log, "PASS ****")
	assert.NotContains(t, log, secret)
	assert.NotContains(t, log, "s3cr3t")
}

func TestTranscriptPasswordNotInErrors(t *testing.T) {
	t.Run("rejected", func(t *testing.T) {
		const secret = "s3cr3t-Pw"
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Send("220 hi\r\n")
			sc.Expect("USER u\r\n")
			sc.Send("331 password\r\n")
			sc.Expect("PASS " + secret + "\r\n")
			sc.Send("530 Login incorrect\r\n")
			sc.ExpectEOF()
		})
		cfg := fakeConfig()
		cfg.Password = secret
		_, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "s3cr3t")
		assert.Contains(t, err.Error(), "PASS ****")
	})
	t.Run("invalid", func(t *testing.T) {
		const secret = "s3cr3t\nPw"
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Send("220 hi\r\n")
			sc.Expect("USER u\r\n")
			sc.Send("331 password\r\n")
			sc.ExpectEOF()
		})
		cfg := fakeConfig()
		cfg.Password = secret
		_, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.NotContains(t, err.Error(), "s3cr3t", "a rejected password must not appear in the error")
	})
	t.Run("Quote PASS invalid", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Quit()
		})
		c := dialFake(t, srv, nil)
		_, err := c.Quote(fakeftp.Ctx(t), "PASS s3cr3t\x00")
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.NotContains(t, err.Error(), "s3cr3t", "a rejected password must not appear in the error")
	})
}

func TestTranscriptStoreUnique(t *testing.T) {
	tests := []struct {
		name   string
		prelim string
		want   string
	}{
		{"FILE:", "150 FILE: unique.0001\r\n", "unique.0001"},
		{"quoted", "150 Opening BINARY connection for \"stou.42\"\r\n", "stou.42"},
		{"nameless", "150 Ok to send data\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
				sc.Login("u", "p")
				sc.Expect("TYPE I\r\n")
				sc.Send("200 ok\r\n")
				sc.Expect("EPSV\r\n")
				sc.EPSV()
				sc.Expect("STOU\r\n")
				sc.AcceptData()
				sc.Send(tt.prelim)
				sc.ReadDataAll()
				sc.Send("226 Transfer complete\r\n")
				sc.Quit()
			})
			c := dialFake(t, srv, nil)
			w, err := c.StoreUnique(fakeftp.Ctx(t))
			require.NoError(t, err)
			n, err := w.Send(strings.NewReader("unique data"))
			require.NoError(t, err)
			assert.Equal(t, tt.want, w.UniqueName())
			assert.Equal(t, int64(11), n)
			require.NoError(t, c.Close())
			assert.Equal(t, fakeftp.LoginLines+"TYPE I\r\nEPSV\r\nSTOU\r\nQUIT\r\n", srv.Transcript())
			assert.Equal(t, "unique data", string(srv.Upload(0)))
		})
	}
}

func TestTranscriptActive(t *testing.T) {
	activeRetrieve := func(sc *fakeftp.Script, name, content string) {
		sc.Expect("RETR " + name + "\r\n")
		sc.Send("150 Opening data connection\r\n")
		sc.ConnectData()
		sc.WriteData([]byte(content))
		sc.CloseData()
		sc.Send("226 done\r\n")
	}
	t.Run("EPRT", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.ExpectActive("EPRT", "200 EPRT ok\r\n")
			activeRetrieve(sc, "f", "active data")
			sc.Quit()
		})
		cfg := fakeConfig()
		cfg.Active = &ActiveConfig{AcceptTimeout: 5 * time.Second}
		c := dialFake(t, srv, cfg)
		assert.Equal(t, "active data", string(retrieveAll(t, fakeftp.Ctx(t), c, "f")))
		require.NoError(t, c.Close())
		lines := fakeftp.Lines(srv.Transcript())
		require.Len(t, lines, 6, "%q", lines)
		assert.Equal(t, []string{"USER u", "PASS p", "TYPE I"}, lines[:3])
		assert.Regexp(t, `^EPRT \|1\|127\.0\.0\.1\|[1-9][0-9]*\|$`, lines[3])
		assert.Equal(t, []string{"RETR f", "QUIT"}, lines[4:])
	})
	t.Run("PORT after EPRT 500", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.ExpectActive("EPRT", "500 EPRT not understood\r\n")
			sc.ExpectActive("PORT", "200 PORT ok\r\n")
			activeRetrieve(sc, "a", "first")
			sc.ExpectActive("PORT", "200 PORT ok\r\n") // remembered: no second EPRT
			activeRetrieve(sc, "b", "second")
			sc.Quit()
		})
		cfg := fakeConfig()
		cfg.Active = &ActiveConfig{AcceptTimeout: 5 * time.Second}
		c := dialFake(t, srv, cfg)
		ctx := fakeftp.Ctx(t)
		assert.Equal(t, "first", string(retrieveAll(t, ctx, c, "a")))
		assert.Equal(t, "second", string(retrieveAll(t, ctx, c, "b")))
		require.NoError(t, c.Close())
		lines := fakeftp.Lines(srv.Transcript())
		require.Len(t, lines, 9, "%q", lines)
		assert.Regexp(t, `^EPRT \|1\|127\.0\.0\.1\|[0-9]+\|$`, lines[3])
		assert.Regexp(t, `^PORT 127,0,0,1,[0-9]+,[0-9]+$`, lines[4])
		assert.Equal(t, "RETR a", lines[5])
		assert.Regexp(t, `^PORT 127,0,0,1,[0-9]+,[0-9]+$`, lines[6])
		assert.Equal(t, []string{"RETR b", "QUIT"}, lines[7:])
	})
	t.Run("foreign data connection refused", func(t *testing.T) {
		srv := fakeftp.Start(t, func(sc *fakeftp.Script) {
			sc.Login("u", "p")
			sc.Expect("TYPE I\r\n")
			sc.Send("200 ok\r\n")
			sc.ExpectActive("EPRT", "200 EPRT ok\r\n")
			sc.Expect("RETR f\r\n")
			sc.Send("150 Opening data connection\r\n")
			sc.ConnectDataFrom("127.0.0.2")
			sc.WriteData([]byte("from a third host"))
			sc.Expect("ABOR\r\n")
			sc.Send("426 aborted\r\n226 ABOR ok\r\n")
			sc.Expect("NOOP\r\n")
			sc.Send("200 ok\r\n")
			sc.Quit()
		})
		cfg := fakeConfig()
		cfg.Active = &ActiveConfig{AcceptTimeout: 300 * time.Millisecond}
		c := dialFake(t, srv, cfg)
		ctx := fakeftp.Ctx(t)
		start := time.Now()
		r, err := c.Retrieve(ctx, "f")
		if r != nil {
			b, _ := io.ReadAll(r)
			r.Close()
			t.Errorf("read %q from a foreign data connection", b)
		}
		require.ErrorIs(t, err, ErrForeignDataConnection)
		assert.Contains(t, err.Error(), "127.0.0.2")
		assert.Less(t, time.Since(start), 3*time.Second)
		require.NoError(t, c.NoOp(ctx))
		require.NoError(t, c.Close())
		lines := fakeftp.Lines(srv.Transcript())
		require.Len(t, lines, 8, "%q", lines)
		assert.Equal(t, []string{"RETR f", "ABOR", "NOOP", "QUIT"}, lines[4:])
	})
}
