package realservers

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Vsftpd is vsftpd 3.0.3: one process per address (listen=YES binds one
// IPv4 address, listen_ipv6=YES one IPv6 address), in the foreground.
// Local users log in through a PAM service of its own, which checks the
// password with pam_unix. Plain downloads go out with sendfile(2). Every
// command received is logged (log_ftp_protocol=YES) in CommandLogs. Over
// TLS, logins and data must be protected and require_ssl_reuse=YES makes
// every data connection resume the control connection's session. TLS is
// capped at 1.2 on both sides: vsftpd 3.0.3 fails TLS 1.3 uploads now and
// then with "426 Failure reading network stream" whatever the client; the
// cap goes through an OPENSSL_CONF file.
var Vsftpd = &Spec{
	Name:  "vsftpd",
	Modes: []TLSMode{Plain, Explicit, Implicit},
	Find:  func() error { _, err := findVsftpd(); return err },
	Start: StartVsftpd,
}

const (
	// PAMService is written to /etc/pam.d for vsftpd's local logins.
	PAMService = "ftp-interop"
	pamConfig  = `# Written by the ftp client's interop suite (internal/realservers):
# vsftpd's logins of its local test user, checked against /etc/shadow.
auth	required	pam_unix.so
account	required	pam_unix.so
session	required	pam_permit.so
`
)

func findVsftpd() (string, error) {
	bin := findFile(filepath.Join(InstallRoot(), "vsftpd/usr/sbin/vsftpd"), "/usr/sbin/vsftpd")
	if bin == "" {
		return "", missing("vsftpd (/usr/sbin/vsftpd, Debian package vsftpd)")
	}
	if findFile("/lib/x86_64-linux-gnu/security/pam_unix.so", "/usr/lib/x86_64-linux-gnu/security/pam_unix.so",
		"/lib/security/pam_unix.so", "/usr/lib/security/pam_unix.so") == "" {
		return "", missing("pam_unix.so (Debian package libpam-modules)")
	}
	return bin, nil
}

// writePAMService installs the PAM service vsftpd's config names.
func writePAMService() error {
	p := filepath.Join("/etc/pam.d", PAMService)
	if b, err := os.ReadFile(p); err == nil && string(b) == pamConfig {
		return nil
	}
	if err := os.MkdirAll("/etc/pam.d", 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(pamConfig), 0o644)
}

// opensslMaxTLS12 caps every OpenSSL context of the process at TLS 1.2.
const opensslMaxTLS12 = `openssl_conf = interop_init

[interop_init]
ssl_conf = interop_ssl

[interop_ssl]
system_default = interop_tls

[interop_tls]
MaxProtocol = TLSv1.2
`

// StartVsftpd starts vsftpd on o's hosts, one process each.
func StartVsftpd(e *Env, o Options) (*Server, error) {
	bin, err := findVsftpd()
	if err != nil {
		return nil, err
	}
	if err := writePAMService(); err != nil {
		return nil, err
	}
	return start("vsftpd", e, o, func(s *Server) error {
		conf, err := s.configDir()
		if err != nil {
			return err
		}
		// secure_chroot_dir: empty, owned by root, not writable by anyone else.
		empty := filepath.Join(conf, "empty")
		if err := os.Mkdir(empty, 0o755); err != nil {
			return err
		}
		sslConf := filepath.Join(conf, "openssl.cnf")
		if err := os.WriteFile(sslConf, []byte(opensslMaxTLS12), 0o644); err != nil {
			return err
		}
		if o.TLS != Plain {
			s.TLSVersion = tls.VersionTLS12
			s.MaxTLS = tls.VersionTLS12
			s.ReuseRequired = true
		}
		for i, h := range o.hosts() {
			port, err := FreePort(h)
			if err != nil {
				return err
			}
			pasv := 30000 + 50*i
			var sb strings.Builder
			line := func(format string, args ...any) { fmt.Fprintf(&sb, format+"\n", args...) }
			if strings.Contains(h, ":") {
				line("listen=NO")
				line("listen_ipv6=YES")
				line("listen_address6=%s", h)
			} else {
				line("listen=YES")
				line("listen_ipv6=NO")
				line("listen_address=%s", h)
			}
			logFile := filepath.Join(conf, fmt.Sprintf("vsftpd-%d.log", i))
			line("listen_port=%d", port)
			line("background=NO")
			line("anonymous_enable=NO")
			line("local_enable=YES")
			line("write_enable=YES")
			line("local_umask=022")
			line("local_root=%s", s.Root)
			line("chroot_local_user=NO")
			line("pam_service_name=%s", PAMService)
			line("secure_chroot_dir=%s", empty)
			line("nopriv_user=nobody")
			line("seccomp_sandbox=NO")
			line("isolate=NO")
			line("isolate_network=NO")
			line("pasv_enable=YES")
			line("pasv_min_port=%d", pasv)
			line("pasv_max_port=%d", pasv+49)
			line("port_enable=YES")
			line("port_promiscuous=%s", yesNo(o.AllowFXP))
			line("pasv_promiscuous=%s", yesNo(o.AllowFXP))
			line("connect_from_port_20=NO")
			line("use_localtime=NO")
			line("dirmessage_enable=NO")
			line("xferlog_enable=YES")
			line("xferlog_std_format=NO")
			line("log_ftp_protocol=YES")
			line("vsftpd_log_file=%s", logFile)
			line("syslog_enable=NO")
			line("idle_session_timeout=120")
			line("data_connection_timeout=60")
			line("accept_timeout=30")
			line("connect_timeout=30")
			if o.TLS == Plain {
				line("ssl_enable=NO")
			} else {
				line("ssl_enable=YES")
				line("implicit_ssl=%s", yesNo(o.TLS == Implicit))
				line("rsa_cert_file=%s", e.CertFile)
				line("rsa_private_key_file=%s", e.KeyFile)
				line("allow_anon_ssl=NO")
				line("force_local_logins_ssl=YES")
				line("force_local_data_ssl=YES")
				line("require_ssl_reuse=YES")
				line("ssl_ciphers=HIGH")
				line("ssl_sslv2=NO")
				line("ssl_sslv3=NO")
				line("ssl_tlsv1=YES")
				line("ssl_request_cert=NO")
				line("debug_ssl=YES")
			}
			confFile := filepath.Join(conf, fmt.Sprintf("vsftpd-%d.conf", i))
			if err := os.WriteFile(confFile, []byte(sb.String()), 0o600); err != nil {
				return err
			}
			out := filepath.Join(conf, fmt.Sprintf("vsftpd-%d.out", i))
			p, err := s.startProc(out, []string{"OPENSSL_CONF=" + sslConf}, bin, confFile)
			if err != nil {
				return err
			}
			addr := hostPort(h, port)
			var greetTLS *tls.Config
			if o.TLS == Implicit {
				greetTLS = &tls.Config{RootCAs: e.Pool}
			}
			if err := waitReady(p, addr, greetTLS, logFile); err != nil {
				return err
			}
			s.Addrs[h] = addr
			s.Logs = append(s.Logs, logFile)
			s.CommandLogs[h] = logFile
			if o.TLS != Plain {
				if err := checkTLSCap(addr, o.TLS == Implicit, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// checkTLSCap makes sure the server itself stops at TLS 1.2, whatever the
// client offers.
func checkTLSCap(addr string, implicit bool, e *Env) error {
	v, err := NegotiatedTLS(addr, implicit, &tls.Config{RootCAs: e.Pool})
	if err != nil {
		return fmt.Errorf("vsftpd on %s: TLS probe: %w", addr, err)
	}
	if v != tls.VersionTLS12 {
		return fmt.Errorf("vsftpd on %s negotiated %s with an uncapped client: the OPENSSL_CONF cap did not hold", addr, tls.VersionName(v))
	}
	return nil
}
