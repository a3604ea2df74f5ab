// Package embedded runs an in-process FTP server (fclairamb/ftpserverlib over
// a directory) on loopback, for the tests, the examples and `ftpc demo`.
package embedded

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
)

// Options configures a Server. The zero value serves a new temporary
// directory to any user and password on 127.0.0.1 with a random port.
type Options struct {
	Root     string // directory served; "" creates a temporary one, removed by Close
	User     string // when set, only this user and Password may log in
	Password string
	Listen   string // listen address, "" means 127.0.0.1:0

	DisableMLSD   bool
	DisableMLST   bool
	DisableActive bool
	EnableHASH    bool
	// ForeignData accepts data connections to and from hosts other than
	// the client (FXP), as vsftpd's port_promiscuous and pasv_promiscuous.
	ForeignData bool
	TLS         *tls.Config // enables AUTH TLS when set
	TLSRequired ftpserver.TLSRequirement
	Logger      *slog.Logger // server log; nil discards it
	// WrapFs, when set, wraps the file system each session serves: tests
	// make a server that lies about sizes or cuts files short with it.
	WrapFs func(afero.Fs) afero.Fs
}

// Server is a running in-process FTP server.
type Server struct {
	Addr string // host:port to dial
	Root string // the directory served

	srv     *ftpserver.FtpServer
	done    chan error
	tempDir bool
	opts    Options

	mu       sync.Mutex
	clients  int
	conns    map[*trackedConn]struct{}            // control connections not yet closed
	sessions map[ftpserver.ClientContext]struct{} // sessions whose command loop runs
	left     chan struct{}                        // signalled when a session ends
	closing  bool                                 // CloseClients was called: refuse newcomers
}

// Start listens and serves in the background until Close.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts, Root: opts.Root, done: make(chan error, 1),
		conns: make(map[*trackedConn]struct{}), sessions: make(map[ftpserver.ClientContext]struct{}),
		left: make(chan struct{}, 1)}
	if s.Root == "" {
		dir, err := os.MkdirTemp("", "ftp-embedded-*")
		if err != nil {
			return nil, err
		}
		s.Root, s.tempDir = dir, true
	}
	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		s.cleanup()
		return nil, err
	}
	s.Addr = l.Addr().String()
	l = trackingListener{l, s}
	if opts.TLSRequired == ftpserver.ImplicitEncryption && opts.TLS != nil {
		l = tls.NewListener(l, opts.TLS)
	}
	s.srv = ftpserver.NewFtpServer(&driver{s: s, listener: l})
	if opts.Logger != nil {
		s.srv.Logger = opts.Logger
	} else {
		s.srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := s.srv.Listen(); err != nil {
		l.Close()
		s.cleanup()
		return nil, err
	}
	go func() { s.done <- s.srv.Serve() }()
	return s, nil
}

// Clients returns how many control connections the server has accepted.
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients
}

// CloseClients refuses control connections from now on, closes those still
// open, and waits, at most wait, for their sessions to end; a session ending
// closes its data connection. It reports whether they all ended. A transfer
// runs on a goroutine of its own: one stuck in a wrapped file system goes on
// until that file system lets it. Close does not call CloseClients.
func (s *Server) CloseClients(wait time.Duration) bool {
	s.mu.Lock()
	s.closing = true
	open := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c.Conn)
	}
	s.mu.Unlock()
	// The sockets are closed under ftpserverlib rather than through
	// ClientContext.Close, which races with the session's own ending. The
	// session then fails to read, and on its way out closes its transfer.
	for _, c := range open {
		c.Close()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		n := len(s.sessions)
		s.mu.Unlock()
		if n == 0 {
			return true
		}
		select {
		case <-s.left:
		case <-timer.C:
			return false
		}
	}
}

// Close stops the server and removes a temporary root.
func (s *Server) Close() error {
	err := s.srv.Stop()
	<-s.done
	s.cleanup()
	return err
}

func (s *Server) cleanup() {
	if s.tempDir {
		os.RemoveAll(s.Root)
	}
}

// trackingListener records the control connections it accepts, so that
// CloseClients can close them.
type trackingListener struct {
	net.Listener
	s *Server
}

func (l trackingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &trackedConn{Conn: nc, s: l.s}
	l.s.mu.Lock()
	l.s.conns[c] = struct{}{}
	l.s.mu.Unlock()
	return c, nil
}

// trackedConn is a control connection that leaves Server.conns on Close.
type trackedConn struct {
	net.Conn
	s *Server
}

func (c *trackedConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	return c.Conn.Close()
}

// driver implements ftpserver.MainDriver.
type driver struct {
	s        *Server
	listener net.Listener
}

func (d *driver) GetSettings() (*ftpserver.Settings, error) {
	o := d.s.opts
	check := ftpserver.IPMatchRequired
	if o.ForeignData {
		check = ftpserver.IPMatchDisabled
	}
	return &ftpserver.Settings{
		ActiveConnectionsCheck:  check,
		PasvConnectionsCheck:    check,
		Listener:                d.listener,
		DisableMLSD:             o.DisableMLSD,
		DisableMLST:             o.DisableMLST,
		DisableActiveMode:       o.DisableActive,
		ActiveTransferPortNon20: true,
		EnableHASH:              o.EnableHASH,
		TLSRequired:             o.TLSRequired,
		DefaultTransferType:     ftpserver.TransferTypeASCII,
		ConnectionTimeout:       10,
		IdleTimeout:             300,
	}, nil
}

func (d *driver) ClientConnected(cc ftpserver.ClientContext) (string, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	if d.s.closing {
		return "server closing", errClosing
	}
	d.s.clients++
	d.s.sessions[cc] = struct{}{}
	return "embedded test server", nil
}

func (d *driver) ClientDisconnected(cc ftpserver.ClientContext) {
	d.s.mu.Lock()
	delete(d.s.sessions, cc)
	d.s.mu.Unlock()
	select {
	case d.s.left <- struct{}{}:
	default:
	}
}

var (
	errAuth    = errors.New("bad user or password")
	errClosing = errors.New("server closing")
)

func (d *driver) AuthUser(_ ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	if d.s.opts.User != "" && (user != d.s.opts.User || pass != d.s.opts.Password) {
		return nil, errAuth
	}
	fs := afero.NewBasePathFs(afero.NewOsFs(), d.s.Root)
	if d.s.opts.WrapFs != nil {
		return d.s.opts.WrapFs(fs), nil
	}
	return fs, nil
}

func (d *driver) GetTLSConfig() (*tls.Config, error) {
	if d.s.opts.TLS == nil {
		return nil, errors.New("TLS is not configured")
	}
	return d.s.opts.TLS, nil
}
