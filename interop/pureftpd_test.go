package interop

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/seed362563c3/ftp"
)

// pure-ftpd 1.0.50 (Debian: pure-ftpd, unpacked with dpkg -x): one process
// per address (-S binds one), in the foreground, with a virtual user in a
// PureDB. The passwd line is written by hand with a SHA-512 crypt hash and
// compiled with `pure-pw mkdb`: `pure-pw useradd` would store an argon2
// hash that costs seconds of CPU per login. Debian builds pure-ftpd
// without implicit TLS, so it has no implicit column; explicit TLS is
// required for logins and data (-Y 3).
var pureFTPd = &server{
	name:  "pure-ftpd",
	modes: []tlsMode{modePlain, modeExplicit},
	lacks: map[string]string{"implicit": "Debian builds pure-ftpd without implicit TLS"},
	find:  findPureFTPd,
	start: startPureFTPd,
}

var pureFTPdBin, purePWBin string

func findPureFTPd() string {
	root := filepath.Join(installRoot(), "pure-ftpd")
	pureFTPdBin = findFile(filepath.Join(root, "usr/sbin/pure-ftpd"), "/usr/sbin/pure-ftpd")
	if pureFTPdBin == "" {
		return fmt.Sprintf("pure-ftpd (%s/usr/sbin/pure-ftpd, Debian package pure-ftpd)", root)
	}
	purePWBin = findFile(filepath.Join(root, "usr/bin/pure-pw"), "/usr/bin/pure-pw")
	if purePWBin == "" {
		return fmt.Sprintf("pure-pw (%s/usr/bin/pure-pw, Debian package pure-ftpd)", root)
	}
	return ""
}

func startPureFTPd(t *testing.T, e *env, m tlsMode, hosts []string) *instance {
	conf := configDir(t, "pure-ftpd-"+m.name)
	data := e.dataDir(t, "pure-ftpd-"+m.name)
	// account:hash:uid:gid:gecos:home (/./ chroots there), then twelve
	// empty fields: bandwidth, ratios, quotas, IP and time restrictions.
	passwd := filepath.Join(conf, "pureftpd.passwd")
	pdb := filepath.Join(conf, "pureftpd.pdb")
	writeFile(t, passwd, fmt.Sprintf("%s:%s:%d:%d::%s/./::::::::::::\n", ftpUser, e.hash, e.uid, e.gid, data), 0o600)
	if _, err := run("", purePWBin, "mkdb", pdb, "-f", passwd); err != nil {
		t.Fatal(err)
	}
	inst := &instance{addrs: map[string]string{}}
	if m.mode != ftp.TLSNone {
		inst.tlsVersion = tls.VersionTLS13
	}
	for i, h := range hosts {
		port := freePort(t, h)
		pasv := 30200 + 50*i
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
			"--altlog", "clf:" + filepath.Join(conf, fmt.Sprintf("transfers-%d.log", i)),
			"--verboselog",
		}
		if m.mode == ftp.TLSNone {
			args = append(args, "--tls", "0")
		} else {
			args = append(args, "--tls", "3", "--certfile", e.certFile+","+e.keyFile)
		}
		out := filepath.Join(conf, fmt.Sprintf("pure-ftpd-%d.out", i))
		p := startProc(t, "pure-ftpd", out, nil, pureFTPdBin, args...)
		addr := hostPort(h, port)
		if err := waitReady(p, addr, nil); err != nil {
			t.Fatal(err)
		}
		inst.addrs[h] = addr
		// pure-ftpd logs to syslog only: its output and transfer log are
		// what there is to show.
		inst.logs = append(inst.logs, out, filepath.Join(conf, fmt.Sprintf("transfers-%d.log", i)))
	}
	return inst
}
