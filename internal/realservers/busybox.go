package realservers

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Busybox is busybox 1.35's ftpd, built by .ci/install-servers.sh from
// Debian's source with a minimal config (Debian's busybox has no ftpd):
// ftpd with uploads (-w) and logins, and tcpsvd, which runs one ftpd per
// connection, one tcpsvd per address, in the foreground.
//
// ftpd checks the password itself against /etc/shadow (busybox's own
// SHA-512 crypt), with no shell check, then chroots to the served
// directory, its argument, and switches to the user. -vv logs every
// command and reply to stderr, which goes to Logs with tcpsvd's
// connection log.
//
// Plain only. It has EPSV, PASV, PORT, SIZE, MDTM, REST and APPE; no
// MLSD, MFMT, or EPRT, so no active mode over IPv6 (PORT carries IPv4
// addresses). LIST runs its built-in "ls -lA" and shows dotfiles, owners
// as numbers (no passwd file in the chroot).
var Busybox = &Spec{
	Name:  "busybox",
	Modes: []TLSMode{Plain},
	Lacks: map[TLSMode]string{Explicit: busyboxNoTLS, Implicit: busyboxNoTLS},
	Without: map[Feature]string{
		FeatureActiveIPv6: "busybox ftpd has no EPRT, and PORT carries IPv4 addresses only",
	},
	Find:  func() error { _, err := findBusybox(); return err },
	Start: StartBusybox,
}

const busyboxNoTLS = "busybox ftpd has no TLS"

func findBusybox() (string, error) {
	bin := findFile(filepath.Join(InstallRoot(), "busybox/busybox"))
	if bin == "" {
		return "", missing("busybox with ftpd (%s/busybox/busybox, built from Debian's source busybox)", InstallRoot())
	}
	// Debian's own busybox would be no use: it has neither applet.
	for _, applet := range []string{"ftpd", "tcpsvd"} {
		if out, err := exec.Command(bin, applet, "--help").CombinedOutput(); !strings.Contains(string(out), "Usage: "+applet) {
			return "", missing("busybox's %s applet in %s (%v)", applet, bin, err)
		}
	}
	return bin, nil
}

// StartBusybox starts busybox ftpd under busybox tcpsvd on o's hosts, one
// tcpsvd each.
func StartBusybox(e *Env, o Options) (*Server, error) {
	bin, err := findBusybox()
	if err != nil {
		return nil, err
	}
	if o.TLS != Plain {
		return nil, errors.New("busybox: " + busyboxNoTLS)
	}
	return start("busybox", e, o, func(s *Server) error {
		conf, err := s.configDir()
		if err != nil {
			return err
		}
		for i, h := range o.hosts() {
			port, err := FreePort(h)
			if err != nil {
				return err
			}
			out := filepath.Join(conf, fmt.Sprintf("busybox-%d.log", i))
			// tcpsvd: -v logs connections, -E sets no environment, -c 50
			// sessions at once. ftpd: -w uploads, -vv every command to
			// stderr, -t 120 idle timeout, then the directory to serve.
			p, err := s.startProc(out, nil, bin, "tcpsvd", "-vE", "-c", "50", h, strconv.Itoa(port),
				bin, "ftpd", "-w", "-vv", "-t", "120", s.Root)
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
