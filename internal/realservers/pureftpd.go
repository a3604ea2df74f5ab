package realservers

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// PureFTPd is pure-ftpd 1.0.50 (Debian: pure-ftpd, unpacked with dpkg -x):
// one process per address (-S binds one), in the foreground, with a
// virtual user in a PureDB. The passwd line is written by hand with a
// SHA-512 crypt hash and compiled with `pure-pw mkdb`: `pure-pw useradd`
// would store an argon2 hash that costs seconds of CPU per login. Debian
// builds pure-ftpd without implicit TLS; explicit TLS is required for
// logins and data (--tls 3).
var PureFTPd = &Spec{
	Name:  "pure-ftpd",
	Modes: []TLSMode{Plain, Explicit},
	Lacks: map[TLSMode]string{Implicit: pureNoImplicit},
	Find:  func() error { _, _, err := findPureFTPd(); return err },
	Start: StartPureFTPd,
}

const pureNoImplicit = "Debian builds pure-ftpd without implicit TLS"

func findPureFTPd() (bin, pw string, err error) {
	root := filepath.Join(InstallRoot(), "pure-ftpd")
	bin = findFile(filepath.Join(root, "usr/sbin/pure-ftpd"), "/usr/sbin/pure-ftpd")
	if bin == "" {
		return "", "", missing("pure-ftpd (%s/usr/sbin/pure-ftpd, Debian package pure-ftpd)", root)
	}
	pw = findFile(filepath.Join(root, "usr/bin/pure-pw"), "/usr/bin/pure-pw")
	if pw == "" {
		return "", "", missing("pure-pw (%s/usr/bin/pure-pw, Debian package pure-ftpd)", root)
	}
	return bin, pw, nil
}

// StartPureFTPd starts pure-ftpd on o's hosts, one process each.
func StartPureFTPd(e *Env, o Options) (*Server, error) {
	bin, purePW, err := findPureFTPd()
	if err != nil {
		return nil, err
	}
	if o.TLS == Implicit {
		return nil, errors.New("pure-ftpd: " + pureNoImplicit)
	}
	return start("pure-ftpd", e, o, func(s *Server) error {
		conf, err := s.configDir()
		if err != nil {
			return err
		}
		// account:hash:uid:gid:gecos:home (/./ chroots there), then twelve
		// empty fields: bandwidth, ratios, quotas, IP and time restrictions.
		passwd := filepath.Join(conf, "pureftpd.passwd")
		pdb := filepath.Join(conf, "pureftpd.pdb")
		if err := os.WriteFile(passwd, fmt.Appendf(nil, "%s:%s:%d:%d::%s/./::::::::::::\n", e.User, e.Hash, e.UID, e.GID, s.Root), 0o600); err != nil {
			return err
		}
		if _, err := run("", purePW, "mkdb", pdb, "-f", passwd); err != nil {
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
			pasv := 30200 + 50*i
			xfers := filepath.Join(conf, fmt.Sprintf("transfers-%d.log", i))
			args := []string{
				"--bind", h + "," + strconv.Itoa(port),
				"--login", "puredb:" + pdb,
				"--noanonymous",
				"--dontresolve",
				"--passiveportrange", fmt.Sprintf("%d:%d", pasv, pasv+49),
				"--umask", "133:022",
				"--minuid", "1",
				"--maxclientsnumber", "50",
				"--maxclientsperip", "50",
				"--maxidletime", "5",
				"--pidfile", filepath.Join(conf, fmt.Sprintf("pure-ftpd-%d.pid", i)),
				"--altlog", "clf:" + xfers,
				"--verboselog",
			}
			if o.AllowFXP {
				args = append(args, "--allowuserfxp")
			}
			if o.TLS == Plain {
				args = append(args, "--tls", "0")
			} else {
				args = append(args, "--tls", "3", "--certfile", e.CertFile+","+e.KeyFile)
			}
			out := filepath.Join(conf, fmt.Sprintf("pure-ftpd-%d.out", i))
			p, err := s.startProc(out, nil, bin, args...)
			if err != nil {
				return err
			}
			addr := hostPort(h, port)
			if err := waitReady(p, addr, nil); err != nil {
				return err
			}
			s.Addrs[h] = addr
			// pure-ftpd logs to syslog only: its output and transfer log
			// are what there is to show.
			s.Logs = append(s.Logs, out, xfers)
		}
		return nil
	})
}
