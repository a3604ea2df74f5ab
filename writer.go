// Writer: an upload stream, the zero-copy send from an *os.File
// (sendfile), Send, and STOU names.

package ftp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
)

// Writer streams an upload (STOR, APPE, STOU). It implements io.ReaderFrom
// so that io.Copy from an *os.File reaches sendfile(2). Close sends the end
// of the data and returns the server's verdict: only a nil error from Close
// means the server holds the data. The Conn is busy until Close.
type Writer struct {
	progress func(int64)
	own      *RateLimiter // SetRateLimit's
	t        *transfer
	dst      io.Writer // where data goes: the socket, TLS with flushing, or the ASCII converter
	ascii    *lfWriter
	n        int64
	closed   bool
	err      error
}

func newWriter(t *transfer, ascii bool) *Writer {
	t.upload = true
	if l := t.c.cfg.RateLimiter; l != nil {
		t.addLimit(l)
	}
	w := &Writer{t: t, dst: t.data}
	if tc, ok := t.data.(*tls.Conn); ok {
		if cc, ok := tc.NetConn().(*coalescingConn); ok {
			w.dst = flushWriter{w: tc, cc: cc}
		}
	}
	if ascii && t.data != nil {
		w.ascii = &lfWriter{w: w.dst}
		w.dst = w.ascii
	}
	return w
}

// Write sends p.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("ftp: %s: write after Close: %w", w.t.line, ErrClosed)
	}
	if w.t.data == nil {
		return 0, fmt.Errorf("ftp: %s: the server accepted no data", w.t.line)
	}
	w.t.armDeadline()
	n, err := w.out().Write(p)
	w.n += int64(n)
	if w.progress != nil && n > 0 {
		w.progress(w.n)
	}
	if err != nil {
		return n, w.t.dataErr(err)
	}
	return n, nil
}

// ReadFrom sends everything src holds. For a binary transfer over plain TCP
// an *os.File (or an io.LimitedReader around one) goes to the socket whole,
// so the kernel sends it with sendfile(2); other readers stream through a
// pooled buffer. An error of src comes back as a *SourceError.
func (w *Writer) ReadFrom(src io.Reader) (int64, error) {
	if w.closed {
		return 0, fmt.Errorf("ftp: %s: write after Close: %w", w.t.line, ErrClosed)
	}
	if w.t.data == nil {
		return 0, fmt.Errorf("ftp: %s: the server accepted no data", w.t.line)
	}
	if rf, ok := w.t.data.(io.ReaderFrom); ok && w.ascii == nil && zeroCopySource(src) {
		n, err := w.sendZeroCopy(rf, src)
		if err != nil {
			return n, w.t.dataErr(err)
		}
		return n, nil
	}
	tw := &trackedWriter{w: &countingWriter{w: w.out(), total: &w.n, progress: w.progress}}
	tr := &trackedReader{r: src}
	bp := bufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(tw, tr, *bp)
	bufPool.Put(bp)
	switch {
	case err == nil:
		return n, nil
	case tr.err != nil && tw.err == nil:
		return n, &SourceError{Command: w.t.line, Err: tr.err}
	default:
		return n, w.t.dataErr(err)
	}
}

// out is where Write and the buffered copy write: dst, paced when the
// transfer is rate limited.
func (w *Writer) out() io.Writer {
	if len(w.t.limits) > 0 {
		return pacedWriter{w: w.dst, t: w.t}
	}
	return w.dst
}

// SetRateLimit caps this upload at bytesPerSecond, on top of any
// Config.RateLimiter; zero or less lifts the cap it set before. Call it
// before sending: the zero-copy path stays zero-copy, sending one paced
// chunk at a time.
func (w *Writer) SetRateLimit(bytesPerSecond int64) {
	w.own = w.t.setOwnLimit(w.own, bytesPerSecond)
}

// sendZeroCopy hands src to the socket, in chunks when progress is
// reported: each chunk is an io.LimitedReader around the file, which
// sendfile(2) still takes.
func (w *Writer) sendZeroCopy(rf io.ReaderFrom, src io.Reader) (int64, error) {
	if w.progress == nil && w.t.idle <= 0 && len(w.t.limits) == 0 {
		n, err := rf.ReadFrom(src)
		w.n += n
		return n, err
	}
	inner, limit := src, int64(-1)
	if lr, ok := src.(*io.LimitedReader); ok {
		inner, limit = lr.R, lr.N
	}
	var total int64
	chunk := &io.LimitedReader{R: inner} // one for every chunk
	for limit != 0 {
		want := int64(w.t.paceChunk())
		if limit > 0 && limit < want {
			want = limit
		}
		if err := w.t.pace(int(want)); err != nil {
			return total, err
		}
		w.t.armDeadline()
		chunk.N = want
		m, err := rf.ReadFrom(chunk)
		w.t.unpace(int(want - m))
		total += m
		w.n += m
		if limit > 0 {
			limit -= m
		}
		if w.progress != nil {
			w.progress(w.n)
		}
		if err != nil || m < want {
			if lr, ok := src.(*io.LimitedReader); ok {
				lr.N = limit
			}
			return total, err
		}
	}
	if lr, ok := src.(*io.LimitedReader); ok {
		lr.N = 0
	}
	return total, nil
}

// zeroCopySource reports whether the socket's own ReadFrom can send src
// without copying it through user space: an *os.File, or what io.Copy
// makes of one on its way here (os.File.WriteTo hands a wrapper without
// WriteTo to our ReadFrom; net's sendfile takes any syscall.Conn).
func zeroCopySource(src io.Reader) bool {
	switch s := src.(type) {
	case *io.LimitedReader:
		return zeroCopySource(s.R)
	case syscall.Conn:
		return true
	}
	return false
}

// trackedReader and trackedWriter remember which side of a copy failed.
type trackedReader struct {
	r   io.Reader
	err error
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

type trackedWriter struct {
	w   io.Writer
	err error
}

func (t *trackedWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		t.err = err
	}
	return n, err
}

// Send copies everything src holds into the upload and closes it,
// returning the bytes sent and the server's verdict: a nil error means the
// server confirmed them. An *os.File source goes to the socket with
// sendfile(2) on plain connections. If src fails, the upload is aborted
// (ABOR) and the error is a *SourceError; if the data connection fails,
// the server's final reply, when it gives one, is the error.
func (w *Writer) Send(src io.Reader) (int64, error) {
	n, err := w.ReadFrom(src)
	if err != nil {
		var se *SourceError
		if errors.As(err, &se) {
			w.Abort()
			return n, err
		}
		// The data connection failed: the server's reply says why.
		if cerr := w.Close(); cerr != nil {
			return n, cerr
		}
		return n, err
	}
	return n, w.Close()
}

// UniqueName returns the name the server chose for a StoreUnique upload:
// from its 1xx reply ("150 FILE: name", RFC 1123 4.1.2.9, or a quoted
// name), else from its final reply once Close has read it; "" when the
// server did not say.
func (w *Writer) UniqueName() string {
	name := uniqueName(w.t.prelim.Message)
	if name == "" && w.t.finalReply.Code != 0 {
		name = uniqueName(w.t.finalReply.Message)
	}
	return name
}

// N returns the number of bytes written to the data connection so far
// (before ASCII conversion). They are confirmed only by a nil Close.
func (w *Writer) N() int64 { return w.n }

// SetProgress arranges for p to be called as data is sent: after each
// Write, and every MiB on the zero-copy path, which stays zero-copy. The
// name is the remote path; done counts from the start of the file (the
// REST offset included); total is -1 (the Writer does not know the size
// of its source). p runs on the writing goroutine.
func (w *Writer) SetProgress(p Progress) {
	if p == nil {
		w.progress = nil
		return
	}
	w.progress = func(n int64) { p(w.t.arg, w.t.offset+n, -1) }
}

// Close ends the data stream and reads the server's final reply. Safe to
// call twice; the second call returns the first one's result.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.ascii != nil {
		if err := w.ascii.flush(); err != nil {
			w.t.finish()
			w.err = w.t.dataErr(err)
			return w.err
		}
	}
	w.err = w.t.finish()
	return w.err
}

// Abort closes the data stream and sends ABOR instead of completing the
// upload; the server may keep what it already received.
func (w *Writer) Abort() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	w.err = w.t.abort()
	return w.err
}

// lfWriter converts bare LF to CRLF while writing an ASCII stream.
type lfWriter struct {
	w      io.Writer
	buf    []byte
	lastCR bool
}

func (l *lfWriter) Write(p []byte) (int, error) {
	if l.buf == nil {
		l.buf = make([]byte, 0, 64<<10)
	}
	for _, b := range p {
		if b == '\n' && !l.lastCR {
			l.buf = append(l.buf, '\r')
		}
		l.buf = append(l.buf, b)
		l.lastCR = b == '\r'
		if len(l.buf) >= cap(l.buf)-1 {
			if err := l.flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := l.flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (l *lfWriter) flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.w.Write(l.buf)
	l.buf = l.buf[:0]
	return err
}

// uniqueName finds the name a server chose for STOU: "150 FILE: name"
// (RFC 1123 4.1.2.9) or a quoted name in the reply.
func uniqueName(msgs ...string) string {
	for _, m := range msgs {
		if i := strings.Index(asciiUpper(m), "FILE:"); i >= 0 { // asciiUpper keeps byte offsets
			name := strings.TrimSpace(m[i+5:])
			if j := strings.IndexAny(name, "\r\n"); j >= 0 {
				name = name[:j]
			}
			return name
		}
		if name, err := parseQuoted(m); err == nil && name != "" {
			return name
		}
	}
	return ""
}
