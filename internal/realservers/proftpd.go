package realservers

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Proftpd is proftpd 1.3.8 with mod_tls (Debian: proftpd-core and
// proftpd-mod-crypto, unpacked with dpkg -x): one standalone process in the
// foreground (-n) bound to every host. The user comes from an AuthUserFile
// with a SHA-512 crypt hash, without PAM. mod_tls keeps its default of
// requiring data connections to reuse the control connection's TLS
// session, and TLS 1.3 is allowed, so a client negotiates it.
var Proftpd = &Spec{
	Name:  "proftpd",
	Modes: []TLSMode{Plain, Explicit, Implicit},
	Find:  func() error { _, _, err := findProftpd(); return err },
	Start: StartProftpd,
}

func findProftpd() (bin, modules string, err error) {
	bin = findFile(filepath.Join(InstallRoot(), "proftpd/usr/sbin/proftpd"), "/usr/sbin/proftpd")
	if bin == "" {
		return "", "", missing("proftpd (%s/proftpd/usr/sbin/proftpd, Debian package proftpd-core)", InstallRoot())
	}
	// The modules sit beside the binary: <prefix>/usr/lib/proftpd.
	modules = filepath.Join(filepath.Dir(filepath.Dir(bin)), "lib/proftpd")
	if findFile(filepath.Join(modules, "mod_tls.so")) == "" {
		return "", "", missing("proftpd's mod_tls (%s/mod_tls.so, Debian package proftpd-mod-crypto)", modules)
	}
	return bin, modules, nil
}

// StartProftpd starts proftpd on o's hosts, one process for all.
func StartProftpd(e *Env, o Options) (*Server, error) {
	bin, modules, err := findProftpd()
	if err != nil {
		return nil, err
	}
	return start("proftpd", e, o, func(s *Server) error {
		conf, err := s.configDir()
		if err != nil {
			return err
		}
		hosts := o.hosts()
		passwd := filepath.Join(conf, "passwd")
		group := filepath.Join(conf, "group")
		if err := os.WriteFile(passwd, fmt.Appendf(nil, "%s:%s:%d:%d:ftp interop:%s:/bin/sh\n", e.User, e.Hash, e.UID, e.GID, s.Root), 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(group, fmt.Appendf(nil, "%s:x:%d:\n", e.User, e.GID), 0o600); err != nil {
			return err
		}
		port, err := FreePort(hosts...)
		if err != nil {
			return err
		}
		systemLog := filepath.Join(conf, "proftpd.log")
		tlsLog := filepath.Join(conf, "tls.log")
		ipv6 := false
		for _, h := range hosts {
			if strings.Contains(h, ":") {
				ipv6 = true
			}
		}

		var sb strings.Builder
		line := func(format string, args ...any) { fmt.Fprintf(&sb, format+"\n", args...) }
		line("ServerType standalone")
		line(`ServerName "ftp interop"`)
		line("DefaultServer on")
		line("UseIPv6 %s", onOff(ipv6))
		line("DefaultAddress %s", strings.Join(hosts, " "))
		line("SocketBindTight on")
		line("Port %d", port)
		line("User nobody")
		line("Group nogroup")
		line("PidFile %s", filepath.Join(conf, "proftpd.pid"))
		line("ScoreboardFile %s", filepath.Join(conf, "proftpd.scoreboard"))
		line("SystemLog %s", systemLog)
		line("TransferLog none")
		line("WtmpLog off")
		line("ControlsEngine off")
		line("DelayEngine off")
		line("UseReverseDNS off")
		line("AuthPAM off")
		line("AuthOrder mod_auth_file.c")
		line("AuthUserFile %s", passwd)
		line("AuthGroupFile %s", group)
		line("RequireValidShell off")
		line("DefaultRoot ~")
		line("PassivePorts 30100 30199")
		line("MaxInstances 50")
		line("TimesGMT on")
		line("Umask 022")
		line("<Directory />")
		line("  AllowOverwrite on")
		line("</Directory>")
		line("AllowStoreRestart on")
		line("AllowRetrieveRestart on")
		line("AllowForeignAddress %s", onOff(o.AllowFXP))
		if o.Checksums || o.TLS != Plain {
			line("ModulePath %s", modules)
		}
		if o.Checksums {
			line("LoadModule mod_digest.c")
			line("DigestEngine on")
		}
		if o.TLS != Plain {
			line("LoadModule mod_tls.c")
			line("TLSEngine on")
			line("TLSLog %s", tlsLog)
			line("TLSProtocol TLSv1.2 TLSv1.3")
			line("TLSRequired on")
			line("TLSRSACertificateFile %s", e.CertFile)
			line("TLSRSACertificateKeyFile %s", e.KeyFile)
			line("TLSVerifyClient off")
			if o.TLS == Implicit {
				line("TLSOptions UseImplicitSSL")
			}
		}
		confFile := filepath.Join(conf, "proftpd.conf")
		if err := os.WriteFile(confFile, []byte(sb.String()), 0o600); err != nil {
			return err
		}

		p, err := s.startProc(filepath.Join(conf, "proftpd.out"), nil, bin, "--nodaemon", "--config", confFile)
		if err != nil {
			return err
		}
		s.Logs = []string{systemLog}
		if o.TLS != Plain {
			s.TLSVersion = tls.VersionTLS13
			s.ReuseRequired = true
			s.Logs = append(s.Logs, tlsLog)
		}
		var greetTLS *tls.Config
		if o.TLS == Implicit {
			greetTLS = &tls.Config{RootCAs: e.Pool}
		}
		for _, h := range hosts {
			addr := hostPort(h, port)
			if err := waitReady(p, addr, greetTLS, s.Logs...); err != nil {
				return err
			}
			s.Addrs[h] = addr
		}
		return nil
	})
}
