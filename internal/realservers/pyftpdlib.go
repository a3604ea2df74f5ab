package realservers

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
)

// Pyftpdlib is pyftpdlib 1.5.7 (Debian: python3-pyftpdlib, with
// python3-openssl for TLS) under Debian's python3: one process per address,
// in the foreground, running pyftpdlib_server.py, which binds as root, then
// switches to the user and forks a process per session
// (MultiprocessFTPServer): pyftpdlib's single-process server can lose a
// session's new active-mode data socket when another session closes one
// that had the same fd number (ABOR), and never answers that EPRT. The
// user is pyftpdlib's own (DummyAuthorizer) with every right, MFMT
// included; home is the served directory. Explicit TLS (PyOpenSSL, TLS
// 1.3) is required on the control and data connections, without requiring
// data connections to resume the control connection's session. It has
// MLSD, MLST, MFMT, EPSV and EPRT, and lists dotfiles. Quirk: an upload
// whose data connection ends in a reset (ECONNRESET) is taken as complete:
// the file keeps what arrived and the reply is 226. pyftpdlib has no
// implicit TLS.
var Pyftpdlib = &Spec{
	Name:  "pyftpdlib",
	Modes: []TLSMode{Plain, Explicit},
	Lacks: map[TLSMode]string{Implicit: pyftpdlibNoImplicit},
	Find:  findPyftpdlib,
	Start: StartPyftpdlib,
}

const pyftpdlibNoImplicit = "pyftpdlib has no implicit TLS"

func findPyftpdlib() error {
	return findPython("python3-pyftpdlib, python3-openssl", "pyftpdlib", "OpenSSL")
}

// StartPyftpdlib starts pyftpdlib on o's hosts, one process each.
func StartPyftpdlib(e *Env, o Options) (*Server, error) {
	if err := findPyftpdlib(); err != nil {
		return nil, err
	}
	if o.TLS == Implicit {
		return nil, errors.New("pyftpdlib: " + pyftpdlibNoImplicit)
	}
	return start("pyftpdlib", e, o, func(s *Server) error {
		conf, err := s.configDir()
		if err != nil {
			return err
		}
		if o.TLS != Plain {
			s.TLSVersion = tls.VersionTLS13
		}
		for i, h := range o.hosts() {
			port, err := FreePort(h)
			if err != nil {
				return err
			}
			out := filepath.Join(conf, fmt.Sprintf("pyftpdlib-%d.log", i))
			p, err := s.startPython(conf, "pyftpdlib_server.py", newPyConfig(s, e, h, port, 30300+50*i), out)
			if err != nil {
				return err
			}
			addr := hostPort(h, port)
			if err := waitReady(p, addr, nil); err != nil {
				return err
			}
			s.Addrs[h] = addr
			s.Logs = append(s.Logs, out)
		}
		return nil
	})
}
