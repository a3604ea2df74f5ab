package interop

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp"
)

// proftpd 1.3.8 with mod_tls (Debian: proftpd-core and proftpd-mod-crypto,
// unpacked with dpkg -x): one standalone process in the foreground (-n)
// bound to both loopback addresses. The user comes from an AuthUserFile
// with a SHA-512 crypt hash, without PAM. mod_tls keeps its default of
// requiring data connections to reuse the control connection's TLS
// session, and TLS 1.3 is allowed, so the client negotiates it.
var proftpd = &server{
	name:  "proftpd",
	modes: []tlsMode{modePlain, modeExplicit, modeImplicit},
	find:  findProftpd,
	start: startProftpd,
}

var proftpdBin, proftpdModules string

func findProftpd() string {
	proftpdBin = findFile(filepath.Join(installRoot(), "proftpd/usr/sbin/proftpd"), "/usr/sbin/proftpd")
	if proftpdBin == "" {
		return fmt.Sprintf("proftpd (%s/proftpd/usr/sbin/proftpd, Debian package proftpd-core)", installRoot())
	}
	// The modules sit beside the binary: <prefix>/usr/lib/proftpd.
	proftpdModules = filepath.Join(filepath.Dir(filepath.Dir(proftpdBin)), "lib/proftpd")
	if findFile(filepath.Join(proftpdModules, "mod_tls.so")) == "" {
		return fmt.Sprintf("proftpd's mod_tls (%s/mod_tls.so, Debian package proftpd-mod-crypto)", proftpdModules)
	}
	return ""
}

func startProftpd(t *testing.T, e *env, m tlsMode, hosts []string) *instance {
	conf := configDir(t, "proftpd-"+m.name)
	data := e.dataDir(t, "proftpd-"+m.name)
	passwd := filepath.Join(conf, "passwd")
	group := filepath.Join(conf, "group")
	writeFile(t, passwd, fmt.Sprintf("%s:%s:%d:%d:ftp interop:%s:/bin/sh\n", ftpUser, e.hash, e.uid, e.gid, data), 0o600)
	writeFile(t, group, fmt.Sprintf("%s:x:%d:\n", ftpUser, e.gid), 0o600)
	port := freePort(t, hosts...)
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
	if m.mode != ftp.TLSNone {
		line("ModulePath %s", proftpdModules)
		line("LoadModule mod_tls.c")
		line("TLSEngine on")
		line("TLSLog %s", tlsLog)
		line("TLSProtocol TLSv1.2 TLSv1.3")
		line("TLSRequired on")
		line("TLSRSACertificateFile %s", e.certFile)
		line("TLSRSACertificateKeyFile %s", e.keyFile)
		line("TLSVerifyClient off")
		if m.mode == ftp.TLSImplicit {
			line("TLSOptions UseImplicitSSL")
		}
	}
	confFile := filepath.Join(conf, "proftpd.conf")
	writeFile(t, confFile, sb.String(), 0o600)

	p := startProc(t, "proftpd", filepath.Join(conf, "proftpd.out"), nil, proftpdBin, "--nodaemon", "--config", confFile)
	inst := &instance{addrs: map[string]string{}, logs: []string{systemLog}}
	if m.mode != ftp.TLSNone {
		inst.tlsVersion = tls.VersionTLS13
		inst.reuseRequired = true
		inst.logs = append(inst.logs, tlsLog)
	}
	var greetTLS *tls.Config
	if m.mode == ftp.TLSImplicit {
		greetTLS = &tls.Config{RootCAs: e.pool}
	}
	for _, h := range hosts {
		addr := hostPort(h, port)
		if err := waitReady(p, addr, greetTLS, inst.logs...); err != nil {
			t.Fatal(err)
		}
		inst.addrs[h] = addr
	}
	return inst
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
