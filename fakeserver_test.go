// A scripted fake FTP server for transcript tests: it accepts one control
// connection and runs a fixed list of steps, in order, in one goroutine. It
// records every byte the client sends on the control connection so that
// tests can assert the dialogue byte for byte.

package ftp

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

// fakeIOTimeout bounds every read, write and accept of the fake server.
const fakeIOTimeout = 5 * time.Second

// fakeStep is one action of a script.
type fakeStep struct {
	name string
	run  func(s *fakeSession) error
}

// fakeScript collects the steps of a fake server's script. Its methods only
// append steps; nothing runs until the server has accepted the client.
type fakeScript struct {
	steps []fakeStep
}

func (sc *fakeScript) add(name string, run func(s *fakeSession) error) {
	sc.steps = append(sc.steps, fakeStep{name: name, run: run})
}

// send writes raw bytes on the control connection (no CRLF is added).
func (sc *fakeScript) send(raw string) {
	sc.add(fmt.Sprintf("send(%.60q)", raw), func(s *fakeSession) error {
		return s.writeCtl([]byte(raw))
	})
}

// sendLoose writes raw bytes and ignores write errors: for floods that the
// client is expected to cut off.
func (sc *fakeScript) sendLoose(raw []byte) {
	sc.add(fmt.Sprintf("sendLoose(%d bytes)", len(raw)), func(s *fakeSession) error {
		s.writeCtl(raw)
		return nil
	})
}

// expect reads one line (through LF) from the client and compares it with
// line, which must include its line end.
func (sc *fakeScript) expect(line string) {
	sc.add(fmt.Sprintf("expect(%q)", line), func(s *fakeSession) error {
		got, err := s.readLine()
		if err != nil {
			return fmt.Errorf("want %q from the client, read failed: %w", line, err)
		}
		if got != line {
			return fmt.Errorf("client sent %q, want %q", got, line)
		}
		return nil
	})
}

// expectFunc reads one line and hands it to check.
func (sc *fakeScript) expectFunc(name string, check func(s *fakeSession, line string) error) {
	sc.add(name, func(s *fakeSession) error {
		got, err := s.readLine()
		if err != nil {
			return fmt.Errorf("read failed: %w", err)
		}
		return check(s, got)
	})
}

// expectEOF waits until the client closes the control connection (or resets
// it), recording whatever it still sends; it fails if the client sends a
// further command line or keeps the connection open past the timeout.
func (sc *fakeScript) expectEOF() {
	sc.add("expectEOF()", func(s *fakeSession) error {
		s.ctl.SetReadDeadline(time.Now().Add(fakeIOTimeout))
		b, err := io.ReadAll(s.br)
		if len(b) > 0 {
			return fmt.Errorf("client sent %q instead of closing", b)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("client did not close the control connection within %v", fakeIOTimeout)
		}
		return nil
	})
}

// sleep pauses the script.
// login is the usual greeting and USER/PASS exchange.
func (sc *fakeScript) login(user, pass string) {
	sc.send("220 fake server ready\r\n")
	sc.expect("USER " + user + "\r\n")
	sc.send("331 password please\r\n")
	sc.expect("PASS " + pass + "\r\n")
	sc.send("230 logged in\r\n")
}

// quit expects QUIT and answers 221.
func (sc *fakeScript) quit() {
	sc.expect("QUIT\r\n")
	sc.send("221 bye\r\n")
}

// epsv opens a data listener and sends a 229 reply with its port.
func (sc *fakeScript) epsv() {
	sc.add("epsv()", func(s *fakeSession) error {
		port, err := s.listenData()
		if err != nil {
			return err
		}
		return s.writeCtl([]byte(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)\r\n", port)))
	})
}

// pasv opens a data listener and sends a 227 reply naming 127.0.0.1.
func (sc *fakeScript) pasv() { sc.pasvNaming("127.0.0.1") }

// pasvNaming opens a data listener on 127.0.0.1 and sends a 227 reply that
// names ip with the listener's port.
func (sc *fakeScript) pasvNaming(ip string) {
	sc.add(fmt.Sprintf("pasvNaming(%s)", ip), func(s *fakeSession) error {
		port, err := s.listenData()
		if err != nil {
			return err
		}
		v4 := net.ParseIP(ip).To4()
		if v4 == nil {
			return fmt.Errorf("pasvNaming: %q is not IPv4", ip)
		}
		return s.writeCtl([]byte(fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).\r\n",
			v4[0], v4[1], v4[2], v4[3], port>>8, port&0xff)))
	})
}

// acceptData accepts the client's passive data connection.
func (sc *fakeScript) acceptData() {
	sc.add("acceptData()", func(s *fakeSession) error {
		if s.dataLn == nil {
			return errors.New("acceptData without a data listener (epsv or pasv)")
		}
		s.dataLn.SetDeadline(time.Now().Add(fakeIOTimeout))
		nc, err := s.dataLn.AcceptTCP()
		if err != nil {
			return fmt.Errorf("no data connection from the client: %w", err)
		}
		s.dataLn.Close()
		s.dataLn = nil
		s.setData(nc)
		return nil
	})
}

// expectActive reads an EPRT (or PORT, when verb is "PORT") line for an
// IPv4 address, remembers the address it names and answers reply.
func (sc *fakeScript) expectActive(verb, reply string) {
	sc.expectFunc(fmt.Sprintf("expectActive(%s)", verb), func(s *fakeSession, line string) error {
		addr, err := parseActiveLine(verb, line)
		if err != nil {
			return err
		}
		if reply[0] == '2' {
			s.activeAddr = addr
		}
		return s.writeCtl([]byte(reply))
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

// connectData connects to the address of the last EPRT or PORT.
func (sc *fakeScript) connectData() { sc.connectDataFrom("") }

// connectDataFrom connects to the announced address from the local IP
// localIP ("" for any); the connection becomes the data connection.
func (sc *fakeScript) connectDataFrom(localIP string) {
	sc.add(fmt.Sprintf("connectDataFrom(%q)", localIP), func(s *fakeSession) error {
		if s.activeAddr == "" {
			return errors.New("connectData without a previous EPRT or PORT")
		}
		d := net.Dialer{Timeout: fakeIOTimeout}
		if localIP != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
		}
		nc, err := d.Dial("tcp", s.activeAddr)
		if err != nil {
			return fmt.Errorf("connecting to the client's %s: %w", s.activeAddr, err)
		}
		s.setData(nc.(*net.TCPConn))
		return nil
	})
}

// writeData sends b on the data connection.
func (sc *fakeScript) writeData(b []byte) {
	sc.add(fmt.Sprintf("writeData(%d bytes)", len(b)), func(s *fakeSession) error {
		if s.data == nil {
			return errors.New("writeData without a data connection")
		}
		s.data.SetWriteDeadline(time.Now().Add(fakeIOTimeout))
		_, err := s.data.Write(b)
		return err
	})
}

// readDataAll reads the data connection until the client closes it; the
// bytes are available from fakeServer.upload afterwards.
func (sc *fakeScript) readDataAll() {
	sc.add("readDataAll()", func(s *fakeSession) error {
		if s.data == nil {
			return errors.New("readDataAll without a data connection")
		}
		s.data.SetReadDeadline(time.Now().Add(fakeIOTimeout))
		b, err := io.ReadAll(s.data)
		s.srv.mu.Lock()
		s.srv.uploads = append(s.srv.uploads, b)
		s.srv.mu.Unlock()
		if err != nil && !isConnReset(err) {
			return fmt.Errorf("reading the upload: %w", err)
		}
		return nil
	})
}

// closeData closes the data connection.
func (sc *fakeScript) closeData() {
	sc.add("closeData()", func(s *fakeSession) error {
		if s.data == nil {
			return errors.New("closeData without a data connection")
		}
		err := s.data.Close()
		s.data = nil
		return err
	})
}

// do runs custom code as a step.
func isConnReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// fakeServer is a running fake server.
type fakeServer struct {
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

// fakeSession is the state of the script goroutine.
type fakeSession struct {
	srv        *fakeServer
	ctl        *net.TCPConn
	br         *bufio.Reader
	dataLn     *net.TCPListener
	data       *net.TCPConn
	activeAddr string
}

// recorder copies what is read from the control connection into the
// server's transcript.
type recorder struct {
	srv *fakeServer
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

// startFake starts a fake server running the script that build describes.
// It ends when the script ends (after recording what the client still
// sends until it closes), or at the latest when the test ends.
func startFake(t testing.TB, build func(sc *fakeScript)) *fakeServer {
	t.Helper()
	var sc fakeScript
	build(&sc)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fake server: %v", err)
	}
	srv := &fakeServer{t: t, ln: l.(*net.TCPListener), Addr: l.Addr().String(), done: make(chan struct{})}
	go srv.run(sc.steps)
	t.Cleanup(func() {
		srv.stop()
		select {
		case <-srv.done:
		case <-time.After(2 * fakeIOTimeout):
			t.Errorf("fake server: goroutine did not end")
		}
		srv.report()
	})
	return srv
}

// track remembers c for closing at the end; it reports false (and closes c)
// when the server was already stopped.
func (srv *fakeServer) track(c io.Closer) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.stopped {
		c.Close()
		return false
	}
	srv.closers = append(srv.closers, c)
	return true
}

// stop closes every connection and listener, ending any blocked step.
func (srv *fakeServer) stop() {
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

func (srv *fakeServer) fail(err error) {
	srv.mu.Lock()
	srv.errs = append(srv.errs, err)
	srv.mu.Unlock()
}

func (srv *fakeServer) run(steps []fakeStep) {
	defer close(srv.done)
	srv.ln.SetDeadline(time.Now().Add(fakeIOTimeout))
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
	if !srv.track(nc) {
		return
	}
	s := &fakeSession{srv: srv, ctl: nc}
	s.br = bufio.NewReader(recorder{srv: srv, r: nc})
	defer func() {
		if s.dataLn != nil {
			s.dataLn.Close()
		}
		if s.data != nil {
			s.data.Close()
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
	nc.SetReadDeadline(time.Now().Add(fakeIOTimeout))
	io.Copy(io.Discard, s.br)
}

// wait waits for the script to end (the client must have closed the
// control connection, or the script must close it) and reports script
// failures as test errors.
func (srv *fakeServer) wait() {
	srv.t.Helper()
	select {
	case <-srv.done:
	case <-time.After(2 * fakeIOTimeout):
		srv.t.Errorf("fake server: script still running after %v", 2*fakeIOTimeout)
		return
	}
	srv.report()
}

// report turns the script's failures into test errors, once.
func (srv *fakeServer) report() {
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

// transcript waits for the server to end and returns every byte the client
// sent on the control connection.
func (srv *fakeServer) transcript() string {
	srv.t.Helper()
	srv.wait()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.rec.String()
}

// upload returns the bytes of the i-th readDataAll step.
func (srv *fakeServer) upload(i int) []byte {
	srv.t.Helper()
	srv.wait()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if i >= len(srv.uploads) {
		srv.t.Errorf("fake server: no upload %d (have %d)", i, len(srv.uploads))
		return nil
	}
	return srv.uploads[i]
}

// dataPort returns the port of the i-th data listener the script opened.
func (srv *fakeServer) dataPort(i int) int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if i >= len(srv.dataPorts) {
		return -1
	}
	return srv.dataPorts[i]
}

func (s *fakeSession) writeCtl(b []byte) error {
	s.ctl.SetWriteDeadline(time.Now().Add(fakeIOTimeout))
	_, err := s.ctl.Write(b)
	return err
}

// readLine reads one line through LF, bounded in time and size.
func (s *fakeSession) readLine() (string, error) {
	s.ctl.SetReadDeadline(time.Now().Add(fakeIOTimeout))
	var line []byte
	for {
		chunk, err := s.br.ReadSlice('\n')
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

func (s *fakeSession) listenData() (int, error) {
	if s.dataLn != nil {
		s.dataLn.Close()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	s.dataLn = l.(*net.TCPListener)
	if !s.srv.track(s.dataLn) {
		return 0, errors.New("server stopped")
	}
	port := s.dataLn.Addr().(*net.TCPAddr).Port
	s.srv.mu.Lock()
	s.srv.dataPorts = append(s.srv.dataPorts, port)
	s.srv.mu.Unlock()
	return port, nil
}

func (s *fakeSession) setData(nc *net.TCPConn) {
	if s.data != nil {
		s.data.Close()
	}
	s.data = nil
	if s.srv.track(nc) {
		s.data = nc
	}
}

// fakeTestCtx is a context that ends with the test.
func fakeTestCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fakeConfig is the Config of most transcript tests: user u, password p,
// and timeouts short enough that a broken script cannot hang a test.
func fakeConfig() *Config {
	return &Config{User: "u", Password: "p", ReplyTimeout: 5 * time.Second, DialTimeout: 5 * time.Second}
}

// dialFake connects to srv and logs in; the Conn is closed when the test
// ends (before the server is stopped).
func dialFake(t testing.TB, srv *fakeServer, cfg *Config) *Conn {
	t.Helper()
	if cfg == nil {
		cfg = fakeConfig()
	}
	c, err := Dial(fakeTestCtx(t), srv.Addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// commandLines splits a transcript into its CRLF-terminated lines.
func commandLines(transcript string) []string {
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
