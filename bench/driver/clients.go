package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// target is a running server as a client sees it.
type target struct {
	addr   string // 127.0.0.1:port
	user   string
	pass   string
	tls    bool   // explicit TLS, required by the server
	cacert string // PEM file that verifies the server's certificate
}

// client builds the command lines of one FTP client. Remote paths are
// relative to the login directory.
type client struct {
	key  string // short name: a file-name part and a column
	name string // as the table shows it

	get  func(t target, remote, local string) job
	put  func(t target, local, remote string) job
	ls   func(t target, dir string) job
	mput func(t target, localDir, remoteDir string, names []string) job
	mget func(t target, remoteDir, localDir string, names []string) job
	// mirror mirrors local and the remote directory up or down on
	// parallel connections; nil for the clients that do not mirror.
	mirror func(t target, up bool, local, remote string, parallel int) job
}

// ours is the column of this project's client: ftpc for single
// transfers, listings and round trips, ftplib (the library on one Conn)
// for many files.
func ours(ftpc, ftplib string) *client {
	flags := func(t target) []string {
		if t.tls {
			return []string{"--tls", "--cacert", t.cacert}
		}
		return nil
	}
	url := func(t target, p string) string { return "ftp://" + t.user + "@" + t.addr + "/" + p }
	env := func(t target) []string { return []string{"FTP_PASSWORD=" + t.pass} }
	lib := func(t target, args ...string) job {
		argv := []string{ftplib, "-addr", t.addr, "-user", t.user}
		if t.tls {
			argv = append(argv, "-tls", "-cacert", t.cacert)
		}
		return job{argv: append(argv, args...), env: env(t)}
	}
	return &client{
		key:  "ftp",
		name: "ftp",
		get: func(t target, remote, local string) job {
			return job{argv: append(append([]string{ftpc}, flags(t)...), "get", url(t, remote), local), env: env(t)}
		},
		put: func(t target, local, remote string) job {
			return job{argv: append(append([]string{ftpc}, flags(t)...), "put", local, url(t, remote)), env: env(t)}
		},
		ls: func(t target, dir string) job {
			return job{argv: append(append([]string{ftpc}, flags(t)...), "ls", url(t, dir+"/")), env: env(t)}
		},
		mput: func(t target, localDir, remoteDir string, names []string) job {
			return lib(t, append([]string{"mput", localDir, remoteDir}, names...)...)
		},
		mget: func(t target, remoteDir, localDir string, names []string) job {
			return lib(t, append([]string{"mget", remoteDir, localDir}, names...)...)
		},
		mirror: func(t target, up bool, local, remote string, parallel int) job {
			argv := append([]string{ftpc}, flags(t)...)
			argv = append(argv, "mirror", "--parallel", fmt.Sprint(parallel), "--no-progress")
			if up {
				argv = append(argv, "--reverse", local, url(t, remote))
			} else {
				argv = append(argv, url(t, remote), local)
			}
			return job{argv: argv, env: env(t)}
		},
	}
}

// oursLibrary lists with the library alone (bench/ftplib ls: Conn.ListSeq,
// each entry printed as ftpc ls prints it, as it is parsed, in the
// server's order), beside ftpc ls.
func oursLibrary(ftplib string) *client {
	return &client{
		key:  "ftp-library",
		name: "ftp (library)",
		ls: func(t target, dir string) job {
			return job{argv: []string{ftplib, "-addr", t.addr, "-user", t.user, "ls", dir}, env: []string{"FTP_PASSWORD=" + t.pass}}
		},
	}
}

// curlClient uses curl: one invocation per transfer; many files are one
// invocation with a URL glob, which reuses the connection.
func curlClient(smallCount int) *client {
	base := func(t target) []string {
		argv := []string{"curl", "-sS", "--user", t.user + ":" + t.pass}
		if t.tls {
			argv = append(argv, "--ssl-reqd", "--cacert", t.cacert)
		}
		return argv
	}
	url := func(t target, p string) string { return "ftp://" + t.addr + "/" + p }
	glob := fmt.Sprintf("[%04d-%04d]", 1, smallCount)
	return &client{
		key:  "curl",
		name: "curl",
		get: func(t target, remote, local string) job {
			return job{argv: append(base(t), "-o", local, url(t, remote)), secret: t.pass}
		},
		put: func(t target, local, remote string) job {
			return job{argv: append(base(t), "-T", local, url(t, remote)), secret: t.pass}
		},
		ls: func(t target, dir string) job {
			return job{argv: append(base(t), url(t, dir+"/")), secret: t.pass}
		},
		// The names are f0001.bin ... fNNNN.bin: curl's numeric range
		// glob names them all in one invocation.
		mput: func(t target, localDir, remoteDir string, names []string) job {
			return job{argv: append(base(t), "-T", filepath.Join(localDir, "f"+glob+".bin"), url(t, remoteDir+"/")), secret: t.pass}
		},
		mget: func(t target, remoteDir, localDir string, names []string) job {
			return job{argv: append(base(t), url(t, remoteDir+"/f"+glob+".bin"), "-o", filepath.Join(localDir, "f#1.bin")), secret: t.pass}
		},
	}
}

// lftpClient uses lftp -c with one script per session: the settings, the
// login, the command.
func lftpClient() *client {
	script := func(t target, cmd string) job {
		s := []string{"set cmd:interactive no", "set net:max-retries 1", "set net:timeout 30", "set xfer:clobber on"}
		if t.tls {
			s = append(s, "set ftp:ssl-force yes", "set ftp:ssl-protect-data yes",
				"set ssl:ca-file "+t.cacert, "set ssl:verify-certificate yes")
		} else {
			s = append(s, "set ftp:ssl-allow no")
		}
		s = append(s, "open -u "+t.user+","+t.pass+" ftp://"+t.addr, cmd)
		return job{argv: []string{"lftp", "-c", strings.Join(s, "; ")}, secret: t.pass}
	}
	return &client{
		key:  "lftp",
		name: "lftp",
		get: func(t target, remote, local string) job {
			return script(t, "get "+remote+" -o "+local)
		},
		put: func(t target, local, remote string) job {
			return script(t, "put "+local+" -o "+remote)
		},
		ls: func(t target, dir string) job {
			return script(t, "ls "+dir+"/")
		},
		mput: func(t target, localDir, remoteDir string, names []string) job {
			return script(t, "mput -O "+remoteDir+" "+filepath.Join(localDir, "*.bin"))
		},
		mget: func(t target, remoteDir, localDir string, names []string) job {
			return script(t, "mget -O "+localDir+" "+remoteDir+"/*.bin")
		},
		mirror: func(t target, up bool, local, remote string, parallel int) job {
			if up {
				return script(t, fmt.Sprintf("mirror -R --parallel=%d %s %s", parallel, local, remote))
			}
			return script(t, fmt.Sprintf("mirror --parallel=%d %s %s", parallel, remote, local))
		},
	}
}

// jlaffayeClient uses ftpjl, built on github.com/jlaffaye/ftp.
func jlaffayeClient(ftpjl string) *client {
	cmd := func(t target, args ...string) job {
		argv := []string{ftpjl, "-addr", t.addr, "-user", t.user}
		if t.tls {
			argv = append(argv, "-tls", "-cacert", t.cacert)
		}
		return job{argv: append(argv, args...), env: []string{"FTP_PASSWORD=" + t.pass}}
	}
	return &client{
		key:  "jlaffaye",
		name: "jlaffaye",
		get:  func(t target, remote, local string) job { return cmd(t, "get", remote, local) },
		put:  func(t target, local, remote string) job { return cmd(t, "put", local, remote) },
		ls:   func(t target, dir string) job { return cmd(t, "ls", dir) },
		mput: func(t target, localDir, remoteDir string, names []string) job {
			return cmd(t, append([]string{"mput", localDir, remoteDir}, names...)...)
		},
		mget: func(t target, remoteDir, localDir string, names []string) job {
			return cmd(t, append([]string{"mget", remoteDir, localDir}, names...)...)
		},
	}
}
