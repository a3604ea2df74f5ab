package realservers

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
)

// Aioftp is aioftp 0.21.4's server (Debian: python3-aioftp) under Debian's
// python3: one process per address, in the foreground, running
// aioftp_server.py, which binds as root and then switches to the user.
// The user is aioftp's own, with full rights on the served directory. Its
// TLS is implicit: the listening sockets, the passive ones too, are TLS
// sockets (TLS 1.3); it has no AUTH TLS. Quirks: no FEAT, SIZE or MDTM
// (size and time come from MLST and MLSD only), no PORT or EPRT (passive
// mode only).
var Aioftp = &Spec{
	Name:  "aioftp",
	Modes: []TLSMode{Plain, Implicit},
	Lacks: map[TLSMode]string{Explicit: aioftpNoExplicit},
	Without: map[Feature]string{
		FeatureActive: "aioftp has no PORT or EPRT",
	},
	Find:  findAioftp,
	Start: StartAioftp,
}

const aioftpNoExplicit = "aioftp has no AUTH TLS, only TLS from the first byte"

func findAioftp() error {
	return findPython("python3-aioftp", "aioftp")
}

// StartAioftp starts aioftp on o's hosts, one process each.
func StartAioftp(e *Env, o Options) (*Server, error) {
	if err := findAioftp(); err != nil {
		return nil, err
	}
	if o.TLS == Explicit {
		return nil, errors.New("aioftp: " + aioftpNoExplicit)
	}
	return start("aioftp", e, o, func(s *Server) error {
		conf, err := s.configDir()
		if err != nil {
			return err
		}
		var greetTLS *tls.Config
		if o.TLS == Implicit {
			s.TLSVersion = tls.VersionTLS13
			greetTLS = &tls.Config{RootCAs: e.Pool}
		}
		for i, h := range o.hosts() {
			port, err := FreePort(h)
			if err != nil {
				return err
			}
			out := filepath.Join(conf, fmt.Sprintf("aioftp-%d.log", i))
			p, err := s.startPython(conf, "aioftp_server.py", newPyConfig(s, e, h, port, 30400+50*i), out)
			if err != nil {
				return err
			}
			addr := hostPort(h, port)
			if err := waitReady(p, addr, greetTLS); err != nil {
				return err
			}
			s.Addrs[h] = addr
			s.Logs = append(s.Logs, out)
		}
		return nil
	})
}
