package interop

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp"
)

// vsftpd 3.0.3: one process per address (listen=YES binds one IPv4
// address, listen_ipv6=YES one IPv6 address), in the foreground. Local
// users log in through a PAM service of the suite's own, which checks the
// password with pam_unix. Over TLS, logins and data must be protected and
// require_ssl_reuse=YES makes every data connection resume the control
// connection's session. TLS is capped at 1.2 on both sides: vsftpd 3.0.3
// fails TLS 1.3 uploads now and then with "426 Failure reading network
// stream" whatever the client; the cap goes through an OPENSSL_CONF file.
var vsftpd = &server{
	name:  "vsftpd",
	modes: []tlsMode{modePlain, modeExplicit, modeImplicit},
	find:  findVsftpd,
	start: startVsftpd,
}

var vsftpdBin string

const (
	// pamService is written to /etc/pam.d for vsftpd's local logins.
	pamService = "ftp-interop"
	pamConfig  = `# Written by the ftp client's interop suite (interop/vsftpd_test.go):
# vsftpd's logins of its local test user, checked against /etc/shadow.
auth	required	pam_unix.so
account	required	pam_unix.so
session	required	pam_permit.so
`
)

func findVsftpd() string {
	vsftpdBin = findFile(filepath.Join(installRoot(), "vsftpd/usr/sbin/vsftpd"), "/usr/sbin/vsftpd")
	if vsftpdBin == "" {
		return "vsftpd (/usr/sbin/vsftpd, Debian package vsftpd)"
	}
	if findFile("/lib/x86_64-linux-gnu/security/pam_unix.so", "/usr/lib/x86_64-linux-gnu/security/pam_unix.so",
		"/lib/security/pam_unix.so", "/usr/lib/security/pam_unix.so") == "" {
		return "pam_unix.so (Debian package libpam-modules)"
	}
	return ""
}

// writePAMService installs the PAM service vsftpd's config names.
func writePAMService(t *testing.T) {
	t.Helper()
	p := filepath.Join("/etc/pam.d", pamService)
	if b, err := os.ReadFile(p); err == nil && string(b) == pamConfig {
		return
	}
	if err := os.MkdirAll("/etc/pam.d", 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, pamConfig, 0o644)
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

func startVsftpd(t *testing.T, e *env, m tlsMode, hosts []string) *instance {
	writePAMService(t)
	conf := configDir(t, "vsftpd-"+m.name)
	data := e.dataDir(t, "vsftpd-"+m.name)
	// secure_chroot_dir: empty, owned by root, not writable by anyone else.
	empty := filepath.Join(conf, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	sslConf := filepath.Join(conf, "openssl.cnf")
	writeFile(t, sslConf, opensslMaxTLS12, 0o644)

	inst := &instance{addrs: map[string]string{}}
	if m.mode != ftp.TLSNone {
		inst.tlsVersion = tls.VersionTLS12
		inst.maxTLS = tls.VersionTLS12
		inst.reuseRequired = true
	}
	for i, h := range hosts {
		port := freePort(t, h)
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
		line("local_root=%s", data)
		line("chroot_local_user=NO")
		line("pam_service_name=%s", pamService)
		line("secure_chroot_dir=%s", empty)
		line("nopriv_user=nobody")
		line("seccomp_sandbox=NO")
		line("isolate=NO")
		line("isolate_network=NO")
		line("pasv_enable=YES")
		line("pasv_min_port=%d", pasv)
		line("pasv_max_port=%d", pasv+49)
		line("port_enable=YES")
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
		if m.mode == ftp.TLSNone {
			line("ssl_enable=NO")
		} else {
			line("ssl_enable=YES")
			line("implicit_ssl=%s", yesNo(m.mode == ftp.TLSImplicit))
			line("rsa_cert_file=%s", e.certFile)
			line("rsa_private_key_file=%s", e.keyFile)
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
		writeFile(t, confFile, sb.String(), 0o600)
		out := filepath.Join(conf, fmt.Sprintf("vsftpd-%d.out", i))
		p := startProc(t, "vsftpd", out, []string{"OPENSSL_CONF=" + sslConf}, vsftpdBin, confFile)
		addr := hostPort(h, port)
		var greetTLS *tls.Config
		if m.mode == ftp.TLSImplicit {
			greetTLS = &tls.Config{RootCAs: e.pool}
		}
		if err := waitReady(p, addr, greetTLS, logFile); err != nil {
			t.Fatal(err)
		}
		inst.addrs[h] = addr
		inst.logs = append(inst.logs, logFile)
		if m.mode != ftp.TLSNone {
			checkTLSCap(t, addr, m.mode == ftp.TLSImplicit, e)
		}
	}
	return inst
}

// checkTLSCap makes sure the server itself stops at TLS 1.2, whatever the
// client offers.
func checkTLSCap(t *testing.T, addr string, implicit bool, e *env) {
	t.Helper()
	v, err := negotiatedTLS(addr, implicit, &tls.Config{RootCAs: e.pool})
	if err != nil {
		t.Fatalf("vsftpd on %s: TLS probe: %v", addr, err)
	}
	if v != tls.VersionTLS12 {
		t.Fatalf("vsftpd on %s negotiated %s with an uncapped client: the OPENSSL_CONF cap did not hold", addr, tls.VersionName(v))
	}
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}
