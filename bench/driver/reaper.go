package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER for prctl(2).
const prSetChildSubreaper = 36

// reap is the driver's "reap" mode, the wrapper each server runs under: it
// makes itself a child subreaper, starts argv as its child and waits for
// every process below it that ends orphaned (vsftpd's session processes
// may outlive their parent), so that the kernel adds their CPU time to its
// own children's time in /proc/PID/stat, where the driver reads it. It
// exits with the server's status when the server exits.
func reap(argv []string) int {
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "driver reap: no command")
		return 2
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		fmt.Fprintln(os.Stderr, "driver reap: prctl(PR_SET_CHILD_SUBREAPER):", e)
		return 1
	}
	// SIGTERM and the like reach the whole process group: the server
	// handles them and exits, and then so does the reaper. A caught
	// signal, unlike an ignored one, is not inherited through exec.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "driver reap:", err)
		return 1
	}
	p, err := os.StartProcess(path, argv, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "driver reap:", err)
		return 1
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "driver reap: wait4:", err)
			return 1
		}
		if pid == p.Pid {
			if ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		}
	}
}
