// Running the Python servers (pyftpdlib, Twisted, aioftp): Debian's
// python3 with the server's module, a script embedded here, and a JSON
// config that the script reads as root before it drops to the user.

package realservers

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed pyftpdlib_server.py twisted_server.py aioftp_server.py
var pyScripts embed.FS

// systemPython is Debian's interpreter, the one the python3-* packages
// install for: a python3 found first in PATH (pyenv, a venv) may lack them.
const systemPython = "/usr/bin/python3"

// findPython checks that Debian's python3 imports every module; pkg names
// the Debian package that brings them.
func findPython(pkg string, modules ...string) error {
	if findFile(systemPython) == "" {
		return missing("python3 (%s, Debian package python3)", systemPython)
	}
	for _, m := range modules {
		if _, err := run("", systemPython, "-c", "import "+m); err != nil {
			return missing("Python module %s for %s (Debian package %s)", m, systemPython, pkg)
		}
	}
	return nil
}

// pyConfig is what a server script reads from the JSON file named by its
// first argument.
type pyConfig struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	User     string `json:"user"`
	Password string `json:"password"`
	Home     string `json:"home"` // the directory served, the login directory
	UID      int    `json:"uid"`  // the script switches to them once bound
	GID      int    `json:"gid"`
	TLS      string `json:"tls"` // "plain", "explicit" or "implicit"
	CertFile string `json:"certfile,omitempty"`
	KeyFile  string `json:"keyfile,omitempty"`
	PasvMin  int    `json:"pasv_min"` // passive ports, inclusive
	PasvMax  int    `json:"pasv_max"`
}

// newPyConfig fills what every script needs for one host.
func newPyConfig(s *Server, e *Env, host string, port, pasv int) pyConfig {
	c := pyConfig{
		Host: host, Port: port,
		User: e.User, Password: e.Password, Home: s.Root,
		UID: e.UID, GID: e.GID,
		TLS:     s.TLS.String(),
		PasvMin: pasv, PasvMax: pasv + 49,
	}
	if s.TLS != Plain {
		c.CertFile, c.KeyFile = e.CertFile, e.KeyFile
	}
	return c
}

// startPython writes the embedded script and the config (readable by root
// only: it holds the password) into conf and runs the script; its output,
// the server's log, goes to out.
func (s *Server) startPython(conf, script string, c pyConfig, out string) (*proc, error) {
	src, err := pyScripts.ReadFile(script)
	if err != nil {
		return nil, fmt.Errorf("%s: embedded script %s: %w", s.Name, script, err)
	}
	scriptFile := filepath.Join(conf, script)
	if err := os.WriteFile(scriptFile, src, 0o644); err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(conf, fmt.Sprintf("%s-%d.json", s.Name, c.Port))
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		return nil, err
	}
	// No .pyc files beside the script; output unbuffered, so that the log
	// is complete when a test reads it.
	env := []string{"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"}
	return s.startProc(out, env, systemPython, scriptFile, cfgFile)
}
