// Server: the test server, its options, and the client Config that fits it.

package ftptest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
)

// Credentials a Server accepts when Options leave them empty.
const (
	DefaultUser     = "user"
	DefaultPassword = "password"
)

// closeWait bounds how long Close waits for open sessions to end.
const closeWait = time.Second

// TLSMode says whether and how a Server offers TLS.
type TLSMode int

const (
	// TLSNone serves plain FTP and refuses AUTH TLS. This is the default.
	TLSNone TLSMode = iota
	// TLSExplicit requires AUTH TLS (RFC 4217) before login and protected
	// data connections (PROT P).
	TLSExplicit
	// TLSExplicitOptional offers AUTH TLS and also serves clients that stay
	// in plain text.
	TLSExplicitOptional
	// TLSImplicit speaks TLS from the first byte, as servers on port 990 do.
	TLSImplicit
)

// Options configures a Server. A nil *Options, like the zero value, serves
// a new temporary directory in plain FTP to the user DefaultUser with the
// password DefaultPassword.
type Options struct {
	// Root is the directory served. Empty means a new temporary directory,
	// removed by Close; a directory given here is left in place.
	Root string

	// User and Password are the only credentials accepted. Empty means
	// DefaultUser and DefaultPassword.
	User     string
	Password string
	// AnyUser accepts any user name and password, anonymous included, in
	// place of User and Password, which must then be empty. Config then
	// carries no credentials, so the client logs in anonymously.
	AnyUser bool

	// TLS chooses whether the server offers TLS, and how.
	TLS TLSMode
	// TLSConfig, when set, is copied as the server's TLS configuration,
	// for instance to bound its versions or watch its handshakes. When it
	// has no Certificates, the server's self-signed certificate is added.
	// It requires a TLS mode other than TLSNone. Nil means a configuration
	// with a certificate for 127.0.0.1, ::1 and localhost, made for this
	// server and valid for a day.
	TLSConfig *tls.Config

	// DisableMLSD and DisableMLST withdraw those commands from the server
	// and from its FEAT reply, as older servers lack them.
	DisableMLSD bool
	DisableMLST bool
	// DisableActive refuses active mode (PORT and EPRT).
	DisableActive bool
	// EnableHASH offers HASH and its older forms XCRC, XMD5 and XSHA*.
	EnableHASH bool
	// AllowFXP accepts data connections to and from hosts other than the
	// client, for server-to-server copies (ftp.FXP), as vsftpd's
	// port_promiscuous and pasv_promiscuous do.
	AllowFXP bool

	// Logger receives the server's log. Nil discards it.
	Logger *slog.Logger

	// WrapFS, when set, wraps the file system each session serves (Root, as
	// an afero.Fs). It makes servers that misbehave on purpose: that lie
	// about sizes, cut files short or stall.
	WrapFS func(afero.Fs) afero.Fs
}

// Server is an FTP server on 127.0.0.1, in the test's process. It is safe
// for concurrent use.
type Server struct {
	// Addr is the host:port to dial, such as "127.0.0.1:40123".
	Addr string
	// Root is the directory served: files put here can be retrieved, and
	// files stored by clients appear here.
	Root string
	// User and Password are the credentials the server accepts; both are
	// empty when it accepts any (Options.AnyUser).
	User     string
	Password string

	srv  *embedded.Server
	mode TLSMode
	leaf *x509.Certificate // nil without TLS

	closeOnce sync.Once
	closeErr  error
}

// NewServer starts a Server for the test t and registers its Close with
// t.Cleanup. It ends the test with t.Fatal if the server cannot start.
// opts may be nil.
func NewServer(t testing.TB, opts *Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Start starts a Server without a testing.TB, as runnable examples need.
// The caller must Close it. opts may be nil.
func Start(opts *Options) (*Server, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &Server{User: DefaultUser, Password: DefaultPassword, mode: opts.TLS}
	if opts.User != "" {
		s.User = opts.User
	}
	if opts.Password != "" {
		s.Password = opts.Password
	}
	eo := embedded.Options{
		Root:          opts.Root,
		User:          s.User,
		Password:      s.Password,
		DisableMLSD:   opts.DisableMLSD,
		DisableMLST:   opts.DisableMLST,
		DisableActive: opts.DisableActive,
		EnableHASH:    opts.EnableHASH,
		ForeignData:   opts.AllowFXP,
		Logger:        opts.Logger,
		WrapFs:        opts.WrapFS,
	}
	if opts.AnyUser {
		if opts.User != "" || opts.Password != "" {
			return nil, errors.New("ftptest: AnyUser with a User or Password")
		}
		s.User, s.Password = "", ""
		eo.User, eo.Password = "", ""
	}
	switch opts.TLS {
	case TLSNone:
		if opts.TLSConfig != nil {
			return nil, errors.New("ftptest: TLSConfig without a TLS mode")
		}
	case TLSExplicit:
		eo.TLSRequired = ftpserver.MandatoryEncryption
	case TLSExplicitOptional:
		eo.TLSRequired = ftpserver.ClearOrEncrypted
	case TLSImplicit:
		eo.TLSRequired = ftpserver.ImplicitEncryption
	default:
		return nil, fmt.Errorf("ftptest: unknown TLSMode %d", opts.TLS)
	}
	if opts.TLS != TLSNone {
		tc, leaf, err := serverTLS(opts.TLSConfig)
		if err != nil {
			return nil, err
		}
		eo.TLS, s.leaf = tc, leaf
	}
	srv, err := embedded.Start(eo)
	if err != nil {
		return nil, fmt.Errorf("ftptest: %w", err)
	}
	s.srv, s.Addr, s.Root = srv, srv.Addr, srv.Root
	return s, nil
}

// serverTLS returns the server's TLS configuration, a copy of base with a
// certificate, and the certificate clients are to trust.
func serverTLS(base *tls.Config) (*tls.Config, *x509.Certificate, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		tc = base.Clone()
	}
	if len(tc.Certificates) == 0 {
		cert, err := embedded.NewCertificate()
		if err != nil {
			return nil, nil, fmt.Errorf("ftptest: making a certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert.TLS}
	}
	first := tc.Certificates[0]
	if first.Leaf != nil {
		return tc, first.Leaf, nil
	}
	if len(first.Certificate) == 0 {
		return nil, nil, errors.New("ftptest: TLSConfig.Certificates[0] is empty")
	}
	leaf, err := x509.ParseCertificate(first.Certificate[0])
	if err != nil {
		return nil, nil, fmt.Errorf("ftptest: TLSConfig.Certificates[0]: %w", err)
	}
	return tc, leaf, nil
}

// Config returns a new client configuration for this server: its User and
// Password and, on a TLS server, the matching TLS mode (TLSExplicit for
// both explicit modes) with a tls.Config whose RootCAs trust the server's
// certificate. Other fields are zero. The caller may change it.
func (s *Server) Config() *ftp.Config {
	cfg := &ftp.Config{User: s.User, Password: s.Password}
	switch s.mode {
	case TLSExplicit, TLSExplicitOptional:
		cfg.TLS = ftp.TLSExplicit
	case TLSImplicit:
		cfg.TLS = ftp.TLSImplicit
	}
	if s.leaf != nil {
		cfg.TLSConfig = &tls.Config{RootCAs: s.CertPool()}
	}
	return cfg
}

// Certificate returns the certificate the server presents, or nil when it
// serves plain FTP.
func (s *Server) Certificate() *x509.Certificate { return s.leaf }

// CertPool returns a new pool holding the server's certificate, for a
// tls.Config's RootCAs, or nil when the server serves plain FTP.
func (s *Server) CertPool() *x509.CertPool {
	if s.leaf == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.leaf)
	return pool
}

// Clients returns how many control connections the server has accepted.
func (s *Server) Clients() int { return s.srv.Clients() }

// Close shuts the server down: it refuses new control connections, closes
// those still open with their data connections, waits up to a second for
// their sessions to end, stops listening and removes a temporary Root. A
// transfer stuck in a file system from Options.WrapFS goes on until that
// file system lets it. Close may be called more than once; later calls
// return the first one's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.srv.CloseClients(closeWait)
		if err := s.srv.Close(); err != nil {
			s.closeErr = fmt.Errorf("ftptest: %w", err)
		}
	})
	return s.closeErr
}
