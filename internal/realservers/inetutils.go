package realservers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Inetutils is GNU inetutils ftpd 2.4 (Debian: inetutils-ftpd, unpacked
// with dpkg -x since it conflicts with vsftpd), a BSD ftpd: an inetd
// service, run here per connection by socat (TCP-LISTEN with fork,
// EXEC with nofork so that the connection is ftpd's stdin and stdout),
// one socat per address, in the foreground; never through the system's
// inetd.
//
// It checks passwords itself (crypt(3) against the passwd entry's hash;
// PAM only with -a pam), refuses users whose shell is not in /etc/shells,
// and logs the user in to its home directory. The local user's shell is
// nologin and its home is not served, so ftpd runs under nss_wrapper
// (Debian: libnss-wrapper), which gives it a passwd file of the server's
// own: the same user and uid with the SHA-512 hash, /bin/sh as shell and
// the served directory as home. Nothing on the system changes. It logs to
// syslog only, which a test machine may not run: Logs hold socat's
// connection log.
//
// Plain only. It has EPSV, EPRT, SIZE, MDTM and REST, no MLSD or MFMT.
// Quirks of its BSD lineage: any command but REST and RNFR clears a
// pending REST offset, so REST before EPSV, PASV, PORT or EPRT is
// forgotten and the transfer starts at 0; LIST runs "ls -lgA" and shows
// dotfiles.
var Inetutils = &Spec{
	Name:  "inetutils",
	Modes: []TLSMode{Plain},
	Lacks: map[TLSMode]string{Explicit: inetutilsNoTLS, Implicit: inetutilsNoTLS},
	Find:  func() error { _, _, _, err := findInetutils(); return err },
	Start: StartInetutils,
}

const inetutilsNoTLS = "GNU inetutils ftpd has no TLS"

func findInetutils() (ftpd, socat, nssWrapper string, err error) {
	ftpd = findFile(filepath.Join(InstallRoot(), "inetutils/usr/sbin/ftpd"))
	if ftpd == "" {
		return "", "", "", missing("inetutils ftpd (%s/inetutils/usr/sbin/ftpd, Debian package inetutils-ftpd)", InstallRoot())
	}
	socat = findFile("/usr/bin/socat")
	if socat == "" {
		return "", "", "", missing("socat (/usr/bin/socat, Debian package socat)")
	}
	nssWrapper = findFile("/usr/lib/x86_64-linux-gnu/libnss_wrapper.so", "/usr/lib/aarch64-linux-gnu/libnss_wrapper.so", "/usr/lib/libnss_wrapper.so")
	if nssWrapper == "" {
		return "", "", "", missing("libnss_wrapper.so (Debian package libnss-wrapper)")
	}
	return ftpd, socat, nssWrapper, nil
}

// StartInetutils starts inetutils ftpd under socat on o's hosts, one socat
// each.
func StartInetutils(e *Env, o Options) (*Server, error) {
	ftpd, socat, nssWrapper, err := findInetutils()
	if err != nil {
		return nil, err
	}
	if o.TLS != Plain {
		return nil, errors.New("inetutils: " + inetutilsNoTLS)
	}
	// socat splits its EXEC address at spaces and its options at commas.
	if strings.ContainsAny(ftpd, " ,:!'\"\\") {
		return nil, fmt.Errorf("inetutils: socat cannot run %q: the path holds a space, comma, colon or quote", ftpd)
	}
	return start("inetutils", e, o, func(s *Server) error {
		conf, err := s.configDir()
		if err != nil {
			return err
		}
		passwd := filepath.Join(conf, "passwd")
		group := filepath.Join(conf, "group")
		if err := os.WriteFile(passwd, fmt.Appendf(nil, "%s:%s:%d:%d:ftp interop:%s:/bin/sh\n", e.User, e.Hash, e.UID, e.GID, s.Root), 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(group, fmt.Appendf(nil, "%s:x:%d:\n", e.User, e.GID), 0o600); err != nil {
			return err
		}
		env := []string{"LD_PRELOAD=" + nssWrapper, "NSS_WRAPPER_PASSWD=" + passwd, "NSS_WRAPPER_GROUP=" + group}
		for i, h := range o.hosts() {
			port, err := FreePort(h)
			if err != nil {
				return err
			}
			listen := fmt.Sprintf("TCP4-LISTEN:%d,bind=%s", port, h)
			if strings.Contains(h, ":") {
				listen = fmt.Sprintf("TCP6-LISTEN:%d,bind=[%s],ipv6only=1", port, h)
			}
			// -u 022: files 0644 as with the other servers (ftpd's default
			// umask is 027); -t 120: idle sessions end.
			out := filepath.Join(conf, fmt.Sprintf("socat-%d.log", i))
			p, err := s.startProc(out, env, socat, "-d", "-d",
				listen+",reuseaddr,fork,max-children=50",
				"EXEC:"+ftpd+" -u 022 -t 120,nofork")
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
