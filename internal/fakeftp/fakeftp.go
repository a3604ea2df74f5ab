// Package fakeftp is a scripted fake FTP server for transcript tests: it accepts one control
// connection and runs a fixed list of steps, in order, in one goroutine. It
// records every byte the client sends on the control connection so that
// tests can assert the dialogue byte for byte. It imports nothing of the
// client, so that every package of the module can test with it.
package fakeftp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// IOTimeout bounds every read, write and accept of the fake server.
const IOTimeout = 5 * time.Second

// step is one action of a script.
type step struct {
	name string
	run  func(s *Session) error
}

// Script collects the steps of a fake server's script. Its methods only
// append steps; nothing runs until the server has accepted the client.
type Script struct {
	steps []step
}

func (sc *Script) Add(name string, run func(s *Session) error) {
	sc.steps = append(sc.steps, step{name: name, run: run})
}

// Send writes raw bytes on the control connection (no CRLF is added).
func (sc *Script) Send(raw string) {
	sc.Add(fmt.Sprintf("send(%.60q)", raw), func(s *Session) error {
		return s.WriteCtl([]byte(raw))
	})
}

// SendLoose writes raw bytes and ignores write errors: for floods that the
// client is expected to cut off.
func (sc *Script) SendLoose(raw []byte) {
	sc.Add(fmt.Sprintf("sendLoose(%d bytes)", len(raw)), func(s *Session) error {
		s.WriteCtl(raw)
		return nil
	})
}

// Expect reads one line (through LF) from the client and compares it with
// line, which must include its line end.
func (sc *Script) Expect(line string) {
	sc.Add(fmt.Sprintf("expect(%q)", line), func(s *Session) error {
		got, err := s.ReadLine()
		if err != nil {
			return fmt.Errorf("want %q from the client, read failed: %w", line, err)
		}
		if got != line {
			return fmt.Errorf("client sent %q, want %q", got, line)
		}
		return nil
	})
}

// ExpectFunc reads one line and hands it to check.
func (sc *Script) ExpectFunc(name string, check func(s *Session, line string) error) {
	sc.Add(name, func(s *Session) error {
		got, err := s.ReadLine()
		if err != nil {
			return fmt.Errorf("read failed: %w", err)
		}
		return check(s, got)
	})
}

// ExpectEOF waits until the client closes the control connection (or resets
// it), recording whatever it still sends; it fails if the client sends a
// further command line or keeps the connection open past the timeout.
func (sc *Script) ExpectEOF() {
	sc.Add("expectEOF()", func(s *Session) error {
		s.Ctl.SetReadDeadline(time.Now().Add(IOTimeout))
		b, err := io.ReadAll(s.BR)
		if len(b) > 0 {
			return fmt.Errorf("client sent %q instead of closing", b)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("client did not close the control connection within %v", IOTimeout)
		}
		return nil
	})
}

// Login is the usual greeting and USER/PASS exchange.
func (sc *Script) Login(user, pass string) {
	sc.Send("220 fake server ready\r\n")
	sc.Expect("USER " + user + "\r\n")
	sc.Send("331 password please\r\n")
	sc.Expect("PASS " + pass + "\r\n")
	sc.Send("230 logged in\r\n")
}

// Quit expects QUIT and answers 221.
func (sc *Script) Quit() {
	sc.Expect("QUIT\r\n")
	sc.Send("221 bye\r\n")
}

// EPSV opens a data listener and sends a 229 reply with its port.
func (sc *Script) EPSV() {
	sc.Add("epsv()", func(s *Session) error {
		port, err := s.ListenData()
		if err != nil {
			return err
		}
		return s.WriteCtl([]byte(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)\r\n", port)))
	})
}

// PASV opens a data listener and sends a 227 reply naming 127.0.0.1.
func (sc *Script) PASV() { sc.PASVNaming("127.0.0.1") }

// PASVNaming opens a data listener on 127.0.0.1 and sends a 227 reply that
// names ip with the listener's port.
func (sc *Script) PASVNaming(ip string) {
	sc.Add(fmt.Sprintf("pasvNaming(%s)", ip), func(s *Session) error {
		port, err := s.ListenData()
		if err != nil {
			return err
		}
		v4 := net.ParseIP(ip).To4()
		if v4 == nil {
			return fmt.Errorf("pasvNaming: %q is not IPv4", ip)
		}
		return s.WriteCtl([]byte(fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).\r\n",
			v4[0], v4[1], v4[2], v4[3], port>>8, port&0xff)))
	})
}

// AcceptData accepts the client's passive data connection.
func (sc *Script) AcceptData() {
	sc.Add("acceptData()", func(s *Session) error {
		if s.DataLn == nil {
			return errors.New("acceptData without a data listener (epsv or pasv)")
		}
		s.DataLn.SetDeadline(time.Now().Add(IOTimeout))
		nc, err := s.DataLn.AcceptTCP()
		if err != nil {
			return fmt.Errorf("no data connection from the client: %w", err)
		}
		s.DataLn.Close()
		s.DataLn = nil
		s.SetData(nc)
		return nil
	})
}

// ExpectActive reads an EPRT (or PORT, when verb is "PORT") line for an
// IPv4 address, remembers the address it names and answers reply.
func (sc *Script) ExpectActive(verb, reply string) {
	sc.ExpectFunc(fmt.Sprintf("expectActive(%s)", verb), func(s *Session, line string) error {
		addr, err := parseActiveLine(verb, line)
		if err != nil {
			return err
		}
		if reply[0] == '2' {
			s.ActiveAddr = addr
		}
		return s.WriteCtl([]byte(reply))
	})
}

// parseActiveLine reads "EPRT |1|h|p|\r\n" or "PORT h1,h2,h3,h4,p1,p2\r\n".
func parseActiveLine(verb, line string) (string, error) {
	arg, ok := strings.CutPrefix(line, verb+" ")
	if !ok || !strings.HasSuffix(arg, "\r\n") {
		return "", fmt.Errorf("client sent %q, want a %s line", line, verb)
	}
	arg = strings.TrimSuffix(arg, "\r\n")
	switch verb {
	case "EPRT":
		f := strings.Split(arg, "|")
		if len(f) != 5 || f[0] != "" || f[1] != "1" || f[4] != "" {
			return "", fmt.Errorf("malformed EPRT line %q", line)
		}
		if _, err := strconv.Atoi(f[3]); err != nil {
			return "", fmt.Errorf("malformed EPRT port in %q", line)
		}
		return net.JoinHostPort(f[2], f[3]), nil
	case "PORT":
		f := strings.Split(arg, ",")
		if len(f) != 6 {
			return "", fmt.Errorf("malformed PORT line %q", line)
		}
		var n [6]int
		for i, x := range f {
			v, err := strconv.Atoi(x)
			if err != nil || v < 0 || v > 255 {
				return "", fmt.Errorf("malformed PORT line %q", line)
			}
			n[i] = v
		}
		return net.JoinHostPort(fmt.Sprintf("%d.%d.%d.%d", n[0], n[1], n[2], n[3]), strconv.Itoa(n[4]<<8|n[5])), nil
	}
	return "", fmt.Errorf("unknown verb %s", verb)
}

// ConnectData connects to the address of the last EPRT or PORT.
func (sc *Script) ConnectData() { sc.ConnectDataFrom("") }

// ConnectDataFrom connects to the announced address from the local IP
// localIP ("" for any); the connection becomes the data connection.
func (sc *Script) ConnectDataFrom(localIP string) {
	sc.Add(fmt.Sprintf("connectDataFrom(%q)", localIP), func(s *Session) error {
		if s.ActiveAddr == "" {
			return errors.New("connectData without a previous EPRT or PORT")
		}
		d := net.Dialer{Timeout: IOTimeout}
		if localIP != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
		}
		nc, err := d.Dial("tcp", s.ActiveAddr)
		if err != nil {
			return fmt.Errorf("connecting to the client's %s: %w", s.ActiveAddr, err)
		}
		s.SetData(nc.(*net.TCPConn))
		return nil
	})
}

// WriteData sends b on the data connection.
func (sc *Script) WriteData(b []byte) {
	sc.Add(fmt.Sprintf("writeData(%d bytes)", len(b)), func(s *Session) error {
		if s.Data == nil {
			return errors.New("writeData without a data connection")
		}
		s.Data.SetWriteDeadline(time.Now().Add(IOTimeout))
		_, err := s.Data.Write(b)
		return err
	})
}

// ReadDataAll reads the data connection until the client closes it; the
// bytes are available from Server.upload afterwards.
func (sc *Script) ReadDataAll() {
	sc.Add("readDataAll()", func(s *Session) error {
		if s.Data == nil {
			return errors.New("readDataAll without a data connection")
		}
		s.Data.SetReadDeadline(time.Now().Add(IOTimeout))
		b, err := io.ReadAll(s.Data)
		s.Srv.mu.Lock()
		s.Srv.uploads = append(s.Srv.uploads, b)
		s.Srv.mu.Unlock()
		if err != nil && !IsConnReset(err) {
			return fmt.Errorf("reading the upload: %w", err)
		}
		return nil
	})
}

// CloseData closes the data connection.
func (sc *Script) CloseData() {
	sc.Add("closeData()", func(s *Session) error {
		if s.Data == nil {
			return errors.New("closeData without a data connection")
		}
		err := s.Data.Close()
		s.Data = nil
		return err
	})
}

func IsConnReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// Server is a running fake server.
type Server struct {
	t    testing.TB
	ln   *net.TCPListener
	Addr string // 127.0.0.1:port

	done chan struct{} // closed when the goroutine has ended

	mu        sync.Mutex
	rec       bytes.Buffer // every byte the client sent on the control connection
	errs      []error
	reported  bool
	uploads   [][]byte
	dataPorts []int
	closers   []io.Closer // connections and listeners to close at the end
	stopped   bool
}

// Session is the state of the script goroutine.
type Session struct {
	Srv        *Server
	Ctl        *net.TCPConn     // the control connection
	BR         *bufio.Reader    // reads Ctl, recording what the client sent
	DataLn     *net.TCPListener // the passive data listener, if any
	Data       *net.TCPConn     // the data connection, if any
	ActiveAddr string           // the address of the last EPRT or PORT
}

// recorder copies what is read from the control connection into the
// server's transcript.
type recorder struct {
	srv *Server
	r   io.Reader
}

func (r recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.srv.mu.Lock()
		r.srv.rec.Write(p[:n])
		r.srv.mu.Unlock()
	}
	return n, err
}

// Start starts a fake server running the script that build describes.
// It ends when the script ends (after recording what the client still
// sends until it closes), or at the latest when the test ends.
func Start(t testing.TB, build func(sc *Script)) *Server {
	t.Helper()
	var sc Script
	build(&sc)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fake server: %v", err)
	}
	srv := &Server{t: t, ln: l.(*net.TCPListener), Addr: l.Addr().String(), done: make(chan struct{})}
	go srv.run(sc.steps)
	t.Cleanup(func() {
		srv.Stop()
		select {
		case <-srv.done:
		case <-time.After(2 * IOTimeout):
			t.Errorf("fake server: goroutine did not end")
		}
		srv.Report()
	})
	return srv
}

// Track remembers c for closing at the end; it reports false (and closes c)
// when the server was already stopped.
func (srv *Server) Track(c io.Closer) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.stopped {
		c.Close()
		return false
	}
	srv.closers = append(srv.closers, c)
	return true
}

// Stop closes every connection and listener, ending any blocked step.
func (srv *Server) Stop() {
	srv.mu.Lock()
	srv.stopped = true
	closers := srv.closers
	srv.closers = nil
	srv.mu.Unlock()
	srv.ln.Close()
	for _, c := range closers {
		c.Close()
	}
}

func (srv *Server) fail(err error) {
	srv.mu.Lock()
	srv.errs = append(srv.errs, err)
	srv.mu.Unlock()
}

func (srv *Server) run(steps []step) {
	defer close(srv.done)
	srv.ln.SetDeadline(time.Now().Add(IOTimeout))
	nc, err := srv.ln.AcceptTCP()
	srv.ln.Close()
	if err != nil {
		srv.mu.Lock()
		stopped := srv.stopped
		srv.mu.Unlock()
		if !stopped || len(steps) > 0 {
			srv.fail(fmt.Errorf("no control connection: %w", err))
		}
		return
	}
	if !srv.Track(nc) {
		return
	}
	s := &Session{Srv: srv, Ctl: nc}
	s.BR = bufio.NewReader(recorder{srv: srv, r: nc})
	defer func() {
		if s.DataLn != nil {
			s.DataLn.Close()
		}
		if s.Data != nil {
			s.Data.Close()
		}
		nc.Close()
	}()
	for i, st := range steps {
		if err := st.run(s); err != nil {
			srv.fail(fmt.Errorf("step %d %s: %w", i+1, st.name, err))
			return // closing the connection unblocks the client
		}
	}
	// The script is over: the client reads EOF from now on, and whatever it
	// still sends (typically QUIT) is recorded until it closes.
	nc.CloseWrite()
	nc.SetReadDeadline(time.Now().Add(IOTimeout))
	io.Copy(io.Discard, s.BR)
}

// Wait waits for the script to end (the client must have closed the
// control connection, or the script must close it) and reports script
// failures as test errors.
func (srv *Server) Wait() {
	srv.t.Helper()
	select {
	case <-srv.done:
	case <-time.After(2 * IOTimeout):
		srv.t.Errorf("fake server: script still running after %v", 2*IOTimeout)
		return
	}
	srv.Report()
}

// Report turns the script's failures into test errors, once.
func (srv *Server) Report() {
	srv.t.Helper()
	srv.mu.Lock()
	errs := srv.errs
	already := srv.reported
	srv.reported = true
	srv.mu.Unlock()
	if already {
		return
	}
	for _, err := range errs {
		srv.t.Errorf("fake server script failed: %v", err)
	}
}

// Transcript waits for the server to end and returns every byte the client
// sent on the control connection.
func (srv *Server) Transcript() string {
	srv.t.Helper()
	srv.Wait()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.rec.String()
}

// Upload returns the bytes of the i-th readDataAll step.
func (srv *Server) Upload(i int) []byte {
	srv.t.Helper()
	srv.Wait()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if i >= len(srv.uploads) {
		srv.t.Errorf("fake server: no upload %d (have %d)", i, len(srv.uploads))
		return nil
	}
	return srv.uploads[i]
}

// DataPort returns the port of the i-th data listener the script opened.
func (srv *Server) DataPort(i int) int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if i >= len(srv.dataPorts) {
		return -1
	}
	return srv.dataPorts[i]
}

func (s *Session) WriteCtl(b []byte) error {
	s.Ctl.SetWriteDeadline(time.Now().Add(IOTimeout))
	_, err := s.Ctl.Write(b)
	return err
}

// ReadLine reads one line through LF, bounded in time and size.
func (s *Session) ReadLine() (string, error) {
	s.Ctl.SetReadDeadline(time.Now().Add(IOTimeout))
	var line []byte
	for {
		chunk, err := s.BR.ReadSlice('\n')
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull && len(line) < 64<<10 {
			continue
		}
		if err != nil {
			if len(line) > 0 {
				return "", fmt.Errorf("after %q: %w", line, err)
			}
			return "", err
		}
		return string(line), nil
	}
}

func (s *Session) ListenData() (int, error) {
	if s.DataLn != nil {
		s.DataLn.Close()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	s.DataLn = l.(*net.TCPListener)
	if !s.Srv.Track(s.DataLn) {
		return 0, errors.New("server stopped")
	}
	port := s.DataLn.Addr().(*net.TCPAddr).Port
	s.Srv.mu.Lock()
	s.Srv.dataPorts = append(s.Srv.dataPorts, port)
	s.Srv.mu.Unlock()
	return port, nil
}

func (s *Session) SetData(nc *net.TCPConn) {
	if s.Data != nil {
		s.Data.Close()
	}
	s.Data = nil
	if s.Srv.Track(nc) {
		s.Data = nc
	}
}

// Ctx is a context that ends with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Lines splits a transcript into its CRLF-terminated lines.
func Lines(transcript string) []string {
	var out []string
	for transcript != "" {
		i := strings.Index(transcript, "\r\n")
		if i < 0 {
			out = append(out, transcript)
			break
		}
		out = append(out, transcript[:i])
		transcript = transcript[i+2:]
	}
	return out
}
