package realservers

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Twisted is Twisted 22.4's FTP server (twisted.protocols.ftp; Debian:
// python3-twisted) under Debian's python3: one process per address, in
// the foreground, running twisted_server.py, which binds as root and then
// switches to the user. The user is checked by an in-memory checker; the
// realm gives it the served directory as home. Plain only. Quirks: no
// EPSV or EPRT, so no data connection over IPv6 (PASV and PORT carry IPv4
// addresses only); no REST, APPE, MLSD, MLST or MFMT; SIZE answers for a
// directory too (213 and the directory's size, 4096), as for a file.
var Twisted = &Spec{
	Name:  "twisted",
	Modes: []TLSMode{Plain},
	Lacks: map[TLSMode]string{Explicit: twistedNoTLS, Implicit: twistedNoTLS},
	Without: map[Feature]string{
		FeatureIPv6: "Twisted's FTP server has no EPSV or EPRT, and PASV and PORT carry IPv4 addresses only",
		FeatureREST: "Twisted's FTP server has no REST",
		FeatureAPPE: "Twisted's FTP server has no APPE",
	},
	Find:  findTwisted,
	Start: StartTwisted,
}

const twistedNoTLS = "Twisted's FTP server has no TLS"

func findTwisted() error {
	return findPython("python3-twisted", "twisted.protocols.ftp")
}

// StartTwisted starts Twisted's FTP server on o's hosts, one process each.
func StartTwisted(e *Env, o Options) (*Server, error) {
	if err := findTwisted(); err != nil {
		return nil, err
	}
	if o.TLS != Plain {
		return nil, errors.New("twisted: " + twistedNoTLS)
	}
	return start("twisted", e, o, func(s *Server) error {
		conf, err := s.configDir()
		if err != nil {
			return err
		}
		for i, h := range o.hosts() {
			port, err := FreePort(h)
			if err != nil {
				return err
			}
			out := filepath.Join(conf, fmt.Sprintf("twisted-%d.log", i))
			p, err := s.startPython(conf, "twisted_server.py", newPyConfig(s, e, h, port, 30500+50*i), out)
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
