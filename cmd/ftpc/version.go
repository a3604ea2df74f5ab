// ftpc --version: what the binary was built from, as the Go toolchain
// recorded it (runtime/debug.ReadBuildInfo).

package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildInfo is what --version reports.
type buildInfo struct {
	Version  string `json:"version"`  // the module's version: v0.1.0, a pseudo-version, or (devel)
	Module   string `json:"module"`   // the module's path
	Revision string `json:"revision"` // the VCS revision built, "" when not recorded
	Time     string `json:"time"`     // the revision's commit time, RFC 3339
	Modified bool   `json:"modified"` // the working tree had changes
	Go       string `json:"go"`       // the Go version that built it
	Platform string `json:"platform"` // GOOS/GOARCH
}

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

func currentBuild() buildInfo {
	b := buildInfo{Version: "(unknown)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := readBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	b.Module, b.Go = bi.Main.Path, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// writeVersion writes the version: "ftpc v0.1.0", the module, the
// revision with its time (and "modified" for a tree with changes), and
// the Go version and platform; with asJSON, one JSON object.
func writeVersion(w io.Writer, asJSON bool) error {
	b := currentBuild()
	if asJSON {
		return writeJSON(w, b)
	}
	fmt.Fprintf(w, "ftpc %s\n", b.Version)
	if b.Module != "" {
		fmt.Fprintf(w, "module   %s\n", b.Module)
	}
	rev := "not recorded (built without VCS information)"
	if b.Revision != "" {
		rev = b.Revision
		if b.Time != "" {
			rev += " " + b.Time
		}
		if b.Modified {
			rev += " (modified)"
		}
	}
	fmt.Fprintf(w, "revision %s\n", rev)
	_, err := fmt.Fprintf(w, "go       %s %s\n", b.Go, b.Platform)
	return err
}
