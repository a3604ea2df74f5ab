// Progress reporting: bars on a terminal (github.com/vbauerster/mpb), plain
// lines elsewhere when asked for, nothing by default off a terminal.
//
// The numbers come from the library's own progress callbacks
// (Reader.SetProgress, Writer.SetProgress, resume.Options.Progress,
// mirror.Options.Progress), which keep the zero-copy paths: nothing here
// wraps a reader or a writer.

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	ftp "github.com/seed362563c3/ftp"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progressMode is what --progress and --no-progress asked for.
type progressMode int

const (
	progressAuto progressMode = iota // bars on a terminal, nothing otherwise
	progressOn                       // bars on a terminal, plain lines otherwise
	progressOff                      // nothing
)

// progressFlag is --progress (neg false) or --no-progress (neg true): a
// boolean flag setting one progressMode. --no-progress=false restores the
// default.
type progressFlag struct {
	mode *progressMode
	neg  bool
}

func (f *progressFlag) IsBoolFlag() bool { return true }

func (f *progressFlag) String() string {
	if f == nil || f.mode == nil {
		return "false"
	}
	on := *f.mode == progressOn
	if f.neg {
		on = *f.mode == progressOff
	}
	return strconv.FormatBool(on)
}

func (f *progressFlag) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return err
	}
	switch {
	case !f.neg && b:
		*f.mode = progressOn
	case !f.neg || b:
		*f.mode = progressOff
	default:
		*f.mode = progressAuto
	}
	return nil
}

// isTerminal reports whether w is a terminal: only an *os.File can be.
// Tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Intervals between updates.
const (
	lineInterval = time.Second            // plain lines, per transfer
	barInterval  = 100 * time.Millisecond // updates handed to a bar
)

// errWriter is the session's standard error. While bars are drawn, what
// is written to it (the --debug log) goes through the bar container, which
// prints it above the bars instead of across them.
type errWriter struct {
	raw io.Writer
	mu  sync.Mutex
	bar *mpb.Progress
	// gone is closed once the container has drawn its last: a write that
	// finds it shutting down waits for that before writing raw, so as not
	// to write across its last drawing.
	gone chan struct{}
}

func (w *errWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	p, gone := w.bar, w.gone
	w.mu.Unlock()
	if p != nil {
		if n, err := p.Write(b); err == nil {
			return n, nil
		}
		// Shutting down (or broken: then do not wait long).
		select {
		case <-gone:
		case <-time.After(time.Second):
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.raw.Write(b)
}

func (w *errWriter) setBars(p *mpb.Progress) {
	w.mu.Lock()
	w.bar, w.gone = p, make(chan struct{})
	w.mu.Unlock()
}

func (w *errWriter) clearBars() {
	w.mu.Lock()
	close(w.gone)
	w.bar, w.gone = nil, nil
	w.mu.Unlock()
}

// progress reports the transfers of one command. A nil *progress reports
// nothing.
type progress struct {
	bars bool // else plain lines
	out  *errWriter

	mu sync.Mutex
	p  *mpb.Progress // created with the first bar
}

// newProgress returns the reporter --progress, --no-progress and the
// terminal call for, or nil.
func newProgress(mode progressMode, out *errWriter) *progress {
	tty := isTerminal(out.raw)
	switch {
	case mode == progressOff, mode == progressAuto && !tty:
		return nil
	}
	return &progress{bars: tty, out: out}
}

// start begins reporting one transfer, labelled e.g. "get big.bin", of
// total bytes (negative when unknown) of which base were there before it
// began. A negative base means unknown, as when a library helper reports
// a resumed transfer: the speed is then measured from the first report
// on. With remove the bar disappears when the transfer ends (mirror).
func (p *progress) start(label string, total, base int64, remove bool) *tracker {
	if p == nil {
		return nil
	}
	now := time.Now()
	t := &tracker{p: p, label: label, total: total, base: max(base, 0), begin: now, last: now, lazy: base < 0}
	t.done = t.base
	if p.bars {
		t.bar = p.addBar(label, total, t.base, remove)
	}
	return t
}

func (p *progress) addBar(label string, total, base int64, remove bool) *mpb.Bar {
	p.mu.Lock()
	if p.p == nil {
		p.p = mpb.New(mpb.WithOutput(p.out.raw), mpb.WithAutoRefresh(), mpb.WithWidth(40))
		p.out.setBars(p.p)
	}
	container := p.p
	p.mu.Unlock()
	size := decor.SizeB1024(0)
	bar := container.AddBar(max(total, 0),
		mpb.BarOptional(mpb.BarRemoveOnComplete(), remove),
		mpb.PrependDecorators(
			decor.Name(shorten(label, 40), decor.WCSyncSpaceR),
			decor.Counters(size, "% .1f / % .1f", decor.WCSyncSpace),
		),
		mpb.AppendDecorators(
			decor.OnAbort(decor.Percentage(decor.WCSyncSpace), "failed"),
			decor.OnAbort(decor.EwmaSpeed(size, "% .1f", 30, decor.WCSyncSpace), ""),
		),
	)
	if base > 0 {
		bar.SetCurrent(base)
	}
	return bar
}

// wait lets the bars finish drawing; every tracker must have finished.
func (p *progress) wait() {
	if p == nil {
		return
	}
	p.mu.Lock()
	container := p.p
	p.p = nil
	p.mu.Unlock()
	if container != nil {
		container.Wait()
		p.out.clearBars()
	}
}

// shorten keeps the end of s, which names the file, within n characters.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}

// tracker follows one transfer. Its methods may be called from several
// goroutines (the segments of a download); a nil *tracker does nothing.
type tracker struct {
	p     *progress
	label string
	bar   *mpb.Bar

	mu          sync.Mutex
	total       int64     // negative when unknown
	base        int64     // bytes there before the transfer started
	done        int64     // the most reported so far
	begin, last time.Time // the start (of measuring), the last line or bar update
	lazy        bool      // base and begin are set by the first report
	finished    bool
}

// update reports that the destination holds done bytes of total
// (negative: unchanged). Counts never go back: segments report out of
// order.
func (t *tracker) update(done, total int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished {
		return
	}
	if total >= 0 && total != t.total {
		t.total = total
		if t.bar != nil {
			t.bar.SetTotal(total, false) // a no-op once the total was known
		}
	}
	now := time.Now()
	if t.lazy {
		t.lazy = false
		t.base, t.done, t.begin, t.last = done, done, now, now
		if t.bar != nil {
			t.bar.SetCurrent(done)
		}
		return
	}
	t.done = max(t.done, done)
	complete := t.total >= 0 && t.done >= t.total
	if t.bar != nil {
		if now.Sub(t.last) >= barInterval || complete {
			t.bar.EwmaSetCurrent(t.done, now.Sub(t.last))
			t.last = now
		}
		return
	}
	if now.Sub(t.last) >= lineInterval {
		t.printLine(now, "")
		t.last = now
	}
}

// callback returns t.update as a resume.Options.Progress, nil for a nil
// tracker: a callback set for nothing would only slow the transfer.
func (t *tracker) callback() ftp.Progress {
	if t == nil {
		return nil
	}
	return func(_ string, done, total int64) { t.update(done, total) }
}

// finish ends the report: err nil for a transfer that succeeded.
func (t *tracker) finish(err error) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished {
		return
	}
	t.finished = true
	if err == nil && t.total >= 0 {
		t.done = max(t.done, t.total)
	}
	if t.bar == nil {
		suffix := ""
		if err != nil {
			suffix = ", failed"
		}
		t.printLine(time.Now(), suffix)
		return
	}
	if err != nil {
		t.bar.Abort(false)
		return
	}
	t.bar.EwmaSetCurrent(t.done, time.Since(t.last))
	// A bar made without its total completes here, at its current count; one
	// made with it has completed on reaching it, and ignores this.
	t.bar.SetTotal(-1, true)
}

// printLine writes "get big.bin: 52.4 MiB / 100.0 MiB (52%) 210.3 MiB/s".
func (t *tracker) printLine(now time.Time, suffix string) {
	line := t.label + ": " + sizeString(t.done)
	if t.total >= 0 {
		pct := int64(100)
		if t.total > 0 {
			pct = min(t.done*100/t.total, 100)
		}
		line += fmt.Sprintf(" / %s (%d%%)", sizeString(t.total), pct)
	}
	if d := now.Sub(t.begin); d > 0 && t.done > t.base {
		line += " " + sizeString(int64(float64(t.done-t.base)/d.Seconds())) + "/s"
	}
	fmt.Fprintln(t.p.out, line+suffix)
}

// sizeString formats n bytes in binary units with one decimal.
func sizeString(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= 1024
		if v < 1024 || unit == "TiB" {
			return fmt.Sprintf("%.1f %s", v, unit)
		}
	}
	panic("unreachable")
}

// mirrorProgress follows the files of a mirror, which reports only bytes
// done: a tracker starts with a file's first report and ends when the
// file is complete, or, for one that failed, when the mirror returns.
type mirrorProgress struct {
	p        *progress
	op       string // "get" or "put"
	mu       sync.Mutex
	all      map[string]*tracker
	finished map[string]bool // reports may repeat the last count
}

func newMirrorProgress(p *progress, op string) *mirrorProgress {
	if p == nil {
		return nil
	}
	return &mirrorProgress{p: p, op: op, all: map[string]*tracker{}, finished: map[string]bool{}}
}

// report is the mirror's Progress callback.
func (m *mirrorProgress) report(name string, done, total int64) {
	m.mu.Lock()
	if m.finished[name] {
		m.mu.Unlock()
		return
	}
	t := m.all[name]
	if t == nil {
		t = m.p.start(m.op+" "+escapeText(name), total, -1, true) // a remote name
		m.all[name] = t
	}
	complete := total >= 0 && done >= total
	if complete {
		delete(m.all, name)
		m.finished[name] = true
	}
	m.mu.Unlock()
	t.update(done, total)
	if complete {
		t.finish(nil)
	}
}

var errIncomplete = errors.New("incomplete")

// end finishes the files that never completed.
func (m *mirrorProgress) end() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, t := range m.all {
		t.finish(errIncomplete)
		delete(m.all, name)
	}
}

// callback returns the mirror.Options.Progress for m, nil without one.
func (m *mirrorProgress) callback() func(name string, done, total int64) {
	if m == nil {
		return nil
	}
	return m.report
}
