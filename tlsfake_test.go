// A small implicit-TLS FTP server for the tests of how data connections
// end and how TLS sessions are kept: unlike the in-process server it can
// pause before reading an upload, refuse a command after the data
// connection's handshake began, and insist that data connections resume
// the control connection's session, as vsftpd and proftpd do.

package ftp

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/embedded"
	"github.com/stretchr/testify/require"
)

// tlsFake is the server; its fields are set before the first client.
type tlsFake struct {
	t      *testing.T
	ln     net.Listener
	conf   *tls.Config
	Addr   string
	Pool   *embedded.Certificate
	files  map[string][]byte
	reuse  bool          // data connections must resume a session (else 425)
	pause  time.Duration // before an upload is read
	reject string        // RETR of this name: data handshake cut, then 550
	silent bool          // data connections are accepted, never answered
	// late, when set, is sent as a record on every data connection right
	// after its handshake. It stands in for the session tickets of an
	// OpenSSL server, which sends them once it has read the client's
	// Finished, so that they sit unread in the client's socket buffer
	// (Go's server sends them with its own Finished, where the client's
	// handshake reads them).
	late []byte

	mu       sync.Mutex
	uploads  map[string][]byte
	errs     []error  // of reading uploads: a reset shows here
	resumed  []bool   // per data connection: did it resume a session
	hellos   []int    // per connection, control and data: ClientHellos read (2 after a HelloRetryRequest)
	cmds     []string // every command line received, all sessions
	sessions int
	wg       sync.WaitGroup
}

func startTLSFake(t *testing.T, configure func(f *tlsFake)) *tlsFake {
	t.Helper()
	cert, err := embedded.NewCertificate()
	require.NoError(t, err)
	f := &tlsFake{t: t, Pool: cert, files: map[string][]byte{}, uploads: map[string][]byte{}}
	f.conf = cert.ServerConfig()
	f.conf.MinVersion = tls.VersionTLS12
	var key [32]byte
	rand.Read(key[:])
	f.conf.SetSessionTicketKeys([][32]byte{key}) // shared by every session's clone
	if configure != nil {
		configure(f)
	}
	f.ln, err = net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.Addr = f.ln.Addr().String()
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() {
		f.ln.Close()
		f.wg.Wait()
	})
	return f
}

// config returns a client Config for implicit TLS with this server.
func (f *tlsFake) config(maxVersion uint16) *Config {
	return &Config{User: "u", Password: "p", TLS: TLSImplicit, ReplyTimeout: 5 * time.Second, DialTimeout: 5 * time.Second,
		TLSConfig: &tls.Config{RootCAs: f.Pool.Pool, MaxVersion: maxVersion}}
}

func (f *tlsFake) serve() {
	defer f.wg.Done()
	for {
		nc, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(20 * time.Second))
			conf := f.sessionConfig()
			hc := f.countHellos(nc)
			f.session(tls.Server(hc, conf), conf)
		}()
	}
}

func (f *tlsFake) note(format string, args ...any) {
	f.mu.Lock()
	f.errs = append(f.errs, fmt.Errorf(format, args...))
	f.mu.Unlock()
}

// sessionConfig returns the TLS config of one control connection and its
// data connections. Its tickets carry the control connection's number and
// only tickets with that number resume, as a server that checks a data
// connection's session against its control connection's does.
func (f *tlsFake) sessionConfig() *tls.Config {
	f.mu.Lock()
	f.sessions++
	tag := []byte(fmt.Sprint("control connection ", f.sessions))
	f.mu.Unlock()
	conf := f.conf.Clone()
	conf.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		ss.Extra = [][]byte{tag}
		return conf.EncryptTicket(cs, ss)
	}
	conf.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := conf.DecryptTicket(identity, cs)
		if err != nil || ss == nil || len(ss.Extra) != 1 || !bytes.Equal(ss.Extra[0], tag) {
			return nil, nil // a full handshake instead
		}
		return ss, nil
	}
	return conf
}

// session runs one control connection.
func (f *tlsFake) session(ctl *tls.Conn, conf *tls.Config) {
	br := bufio.NewReader(ctl)
	reply := func(s string) { io.WriteString(ctl, s+"\r\n") }
	var dataLn net.Listener
	defer func() {
		if dataLn != nil {
			dataLn.Close()
		}
	}()
	reply("220 tls fake")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		f.cmds = append(f.cmds, line)
		f.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch verb {
		case "USER":
			reply("331 password")
		case "PASS":
			reply("230 in")
		case "PBSZ", "PROT", "TYPE", "NOOP":
			reply("200 ok")
		case "EPSV":
			if dataLn != nil {
				dataLn.Close()
			}
			dataLn, err = net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				reply("425 no port")
				continue
			}
			reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", dataLn.Addr().(*net.TCPAddr).Port))
		case "SIZE":
			f.mu.Lock()
			b, ok := f.files[arg]
			if up, upOK := f.uploads[arg]; upOK {
				b, ok = up, true
			}
			f.mu.Unlock()
			if !ok {
				reply("550 no such file")
				continue
			}
			reply(fmt.Sprintf("213 %d", len(b)))
		case "RETR", "STOR":
			if dataLn == nil {
				reply("425 use EPSV first")
				continue
			}
			ln := dataLn
			dataLn = nil
			f.transfer(verb, arg, ln, conf, reply)
			ln.Close()
		case "ABOR":
			reply("225 nothing to abort")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not here")
		}
	}
}

// transfer serves one RETR or STOR on the data listener ln.
func (f *tlsFake) transfer(verb, name string, ln net.Listener, conf *tls.Config, reply func(string)) {
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	raw, err := ln.Accept()
	if err != nil {
		reply("425 no data connection")
		return
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	if f.silent {
		// Hold the connection without a word until the client gives up.
		io.Copy(io.Discard, raw)
		reply("425 no TLS handshake on the data connection")
		return
	}
	if verb == "RETR" && name == f.reject {
		// The handshake began (the ClientHello is read), then the
		// server refuses the command and drops the connection.
		raw.Read(make([]byte, 512))
		raw.Close()
		reply("550 " + name + ": no such file")
		return
	}
	data := tls.Server(f.countHellos(raw), conf)
	if err := data.Handshake(); err != nil {
		f.note("data handshake: %v", err)
		reply("425 TLS handshake failed")
		return
	}
	resumed := data.ConnectionState().DidResume
	f.mu.Lock()
	f.resumed = append(f.resumed, resumed)
	f.mu.Unlock()
	if f.reuse && !resumed {
		reply("425 data connection must resume the control connection's TLS session")
		return
	}
	if len(f.late) > 0 {
		data.Write(f.late)
	}
	reply("150 ok")
	switch verb {
	case "RETR":
		f.mu.Lock()
		b, ok := f.files[name]
		f.mu.Unlock()
		if !ok {
			reply("550 no such file")
			return
		}
		data.Write(b)
		data.Close() // close_notify, then FIN
		reply("226 sent")
	case "STOR":
		time.Sleep(f.pause)
		b, err := io.ReadAll(data)
		f.mu.Lock()
		f.uploads[name] = b
		f.mu.Unlock()
		if err != nil {
			f.note("reading the upload of %s after %d bytes: %v", name, len(b), err)
		}
		// Like pyftpdlib: what arrived is kept and confirmed.
		reply("226 received")
	}
}

func (f *tlsFake) upload(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.uploads[name]
}

func (f *tlsFake) errors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

func (f *tlsFake) resumes() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.resumed...)
}

// countHellos wraps nc so that the ClientHellos read through it are
// counted in f.hellos, in the order the connections were accepted.
func (f *tlsFake) countHellos(nc net.Conn) net.Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hellos = append(f.hellos, 0)
	return &helloCounter{Conn: nc, f: f, i: len(f.hellos) - 1}
}

// helloCounts returns the ClientHellos read on each connection so far.
func (f *tlsFake) helloCounts() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.hellos...)
}

// helloCounter follows the TLS records read through it while they are in
// plain text, counting handshake records that begin a ClientHello: a
// second one on a connection answers a HelloRetryRequest.
type helloCounter struct {
	net.Conn
	f       *tlsFake
	i       int
	pending []byte // the start of a record not yet whole
	done    bool   // encrypted records seen: no ClientHello can follow
}

func (h *helloCounter) Read(p []byte) (int, error) {
	n, err := h.Conn.Read(p)
	if !h.done {
		h.pending = append(h.pending, p[:n]...)
		for len(h.pending) >= 5 {
			typ, size := h.pending[0], int(h.pending[3])<<8|int(h.pending[4])
			if len(h.pending) < 5+size {
				break
			}
			switch {
			case typ == 22 && size > 0 && h.pending[5] == 1: // handshake, ClientHello
				h.f.mu.Lock()
				h.f.hellos[h.i]++
				h.f.mu.Unlock()
			case typ == 23: // application data: the handshake is encrypted from here
				h.done = true
			}
			h.pending = h.pending[5+size:]
		}
		if h.done {
			h.pending = nil
		}
	}
	return n, err
}
