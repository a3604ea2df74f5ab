package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The tests that need a process of their own (a signal, the build's
// version information) build ftpc once, into the test's temporary
// directory (testDir, removed by TestMain).

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryOut  []byte
)

// goTool is the go command that builds the binary: the one on PATH, or
// the one of the toolchain that built the test (GOROOT, as go test sets it).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// ftpcBinary returns the path of a freshly built ftpc, built with VCS
// information where the source tree has it.
func ftpcBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binaryOnce.Do(func() {
		binaryPath = filepath.Join(testDir, "ftpc")
		cmd := exec.Command(goTool(), "build", "-buildvcs=auto", "-o", binaryPath, ".")
		cmd.Env = append(buildEnv, "CGO_ENABLED=0")
		binaryOut, binaryErr = cmd.CombinedOutput()
	})
	require.NoError(t, binaryErr, "%s", binaryOut)
	return binaryPath
}

// process is a running ftpc.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
}

// startFtpc starts the binary with args and env added to the test's
// environment.
func startFtpc(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(ftpcBinary(t), args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits for the process to end and returns its exit status.
func (p *process) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("ftpc did not end within %v; stderr so far: %s", d, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// runShell runs a command line in sh with the ftpc binary first on PATH,
// as a user pasting a printed command would.
func runShell(t *testing.T, env []string, line string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Env = append(os.Environ(), append(env, "PATH="+filepath.Dir(ftpcBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = cmd.ProcessState.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}
