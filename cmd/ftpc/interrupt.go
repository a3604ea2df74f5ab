// Ctrl-C: the first stops the command, which says what it leaves behind
// and how to resume it; the second quits at once.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
)

// errInterrupted is the cause of a command's context after Ctrl-C.
var errInterrupted = errors.New("interrupted")

// exitNow ends the process at the second Ctrl-C; tests replace it.
var exitNow = os.Exit

// notifyInterrupt is signal.Notify for os.Interrupt; tests replace it.
var notifyInterrupt = func(c chan<- os.Signal) { signal.Notify(c, os.Interrupt) }

// watchInterrupt returns a context that the first Ctrl-C cancels with the
// cause errInterrupted; a second one writes a line to stderr and ends the
// process with exitInterrupted, whatever the command is waiting for. stop
// releases the signal.
func watchInterrupt(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	notifyInterrupt(sigs)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel(errInterrupted)
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "ftpc: interrupted again: quitting")
			exitNow(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// release closes a connection or a pool when the command is done with
// it; after Ctrl-C, without waiting: the user asked to stop, and a server
// that is slow to answer QUIT must not hold the process.
func release(ctx context.Context, c io.Closer) {
	if interrupted(ctx) {
		go c.Close()
		return
	}
	c.Close()
}

// interrupted reports whether Ctrl-C ended ctx.
func interrupted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errInterrupted)
}

// interruptedError reports an interrupted command: what it left, and the
// command line that continues it ("" when none can).
type interruptedError struct {
	what   string // "get big.bin: 1048576 of 4194304 bytes (25%) are in big.bin"
	resume string
}

func (e *interruptedError) Error() string { return "interrupted: " + e.what }

func (e *interruptedError) Unwrap() error { return errInterrupted }

// lines are what report prints: the error, then how to resume.
func (e *interruptedError) lines() []string {
	if e.resume == "" {
		return []string{e.Error()}
	}
	return []string{e.Error(), "resume with: " + e.resume}
}

// rerunCommand is the command line the user typed, args, with the flag
// added after the command's name (unless it is there already, or flag is
// ""): for a transfer, --resume, the same transfer continued. Passwords in
// URLs are left out (FTP_PASSWORD or netrc supplies them), and every word
// is quoted for a POSIX shell.
func rerunCommand(args []string, name, flag string) string {
	words := []string{"ftpc"}
	need := flag != "" && !containsFlag(args, strings.TrimLeft(flag, "-"))
	for _, a := range args {
		words = append(words, shellQuote(withoutPassword(a)))
		if need && a == name {
			words = append(words, flag)
			need = false
		}
	}
	return strings.Join(words, " ")
}

// containsFlag reports whether args hold --name or --name=....
func containsFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && n == name {
			return true
		}
	}
	return false
}

// withoutPassword takes the password out of a URL ("ftp://alice@host/f"),
// leaving other words as they are; a URL that does not parse is redacted.
func withoutPassword(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return redactURL(s)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.User(u.User.Username())
			return u.String()
		}
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// percentOf formats "n of total bytes (p%)", or "n bytes" when the total
// is not known.
func percentOf(n, total int64) string {
	if total <= 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d of %d bytes (%d%%)", n, total, n*100/total)
}
