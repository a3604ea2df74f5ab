// Reader: a download or listing stream, its length checks and the zero-copy
// copy into an *os.File (splice).

package ftp

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Reader streams a download (RETR) or listing. It implements io.WriterTo so
// that io.Copy into an *os.File splices from the socket. Read returns io.EOF
// only after the server confirmed the transfer (226/250); a transfer the
// server reports as failed ends with its *Error instead, so a truncated file
// is never mistaken for a whole one. The Conn is busy until Close.
type Reader struct {
	t      *transfer
	src    io.Reader // t.data, or the ASCII converter around it
	ascii  bool
	n      int64
	eof    bool
	err    error // sticky end-of-stream result
	closed bool

	expect    int64 // bytes the stream must carry (ExpectSize), -1 unknown
	announced int64 // size in the 150 reply, -1 when none

	progress func(int64)
	own      *RateLimiter // SetRateLimit's
}

func newReader(t *transfer, ascii bool) *Reader {
	r := &Reader{t: t, src: t.data, ascii: ascii, expect: -1, announced: -1}
	if t.data == nil {
		r.src = eofReader{}
	} else if ascii {
		r.src = newCRLFReader(t.data)
	}
	return r
}

// newFileReader is newReader for RETR: the size the server announces in
// its 1xx reply ("(1234 bytes)") is checked at the end of a binary stream.
func newFileReader(t *transfer, ascii bool) *Reader {
	r := newReader(t, ascii)
	if l := t.c.cfg.RateLimiter; l != nil {
		t.addLimit(l)
	}
	if !ascii && t.prelim.Class() == 1 {
		r.announced = announcedSize(t.prelim.Message)
	}
	return r
}

// announcedSize reads the size that vsftpd, proftpd, inetutils, busybox
// and others put in their 150 reply to RETR: the last "(N bytes)"; -1 when
// there is none.
func announcedSize(msg string) int64 {
	lower := strings.ToLower(msg)
	for end := len(lower); ; {
		i := strings.LastIndex(lower[:end], " bytes)")
		if i < 0 {
			return -1
		}
		j := strings.LastIndexByte(lower[:i], '(')
		if j >= 0 {
			if n, err := strconv.ParseInt(lower[j+1:i], 10, 64); err == nil && n >= 0 {
				return n
			}
		}
		end = i
	}
}

// ExpectSize declares that the stream carries exactly n bytes (the REST
// offset excluded). Read and WriteTo then return no more than n bytes, and
// the stream ends with a *LengthError if the server sends fewer or more,
// even when its final reply is a success. Call it before reading.
func (r *Reader) ExpectSize(n int64) {
	if n >= 0 {
		r.expect = n
	}
}

// checkLength is called at the end of a stream the server confirmed.
func (r *Reader) checkLength() error {
	switch {
	case r.expect >= 0 && r.n != r.expect:
		return &LengthError{Command: r.t.line, Want: r.expect, Got: r.n, Source: "expected size"}
	case r.announced >= 0 && r.n != r.announced && r.n+r.t.offset != r.announced:
		// Servers announce either the whole file or what follows REST.
		want := r.announced
		if r.t.offset > 0 && r.announced >= r.t.offset {
			want = r.announced - r.t.offset
		}
		return &LengthError{Command: r.t.line, Want: want, Got: r.n, Source: "150 reply"}
	}
	return nil
}

// bound is the most the stream may carry: the expected size, else the
// size in the 150 reply (whichever way the server counts after REST, the
// part after the offset is no longer), -1 when none is known.
func (r *Reader) bound() (int64, string) {
	switch {
	case r.expect >= 0:
		return r.expect, "expected size"
	case r.announced >= 0:
		return r.announced, "150 reply"
	}
	return -1, ""
}

// overlong is called when the bound has been read: it reports whether
// more data follows (then the transfer is aborted).
func (r *Reader) overlong() error {
	var one [1]byte
	r.t.armDeadline()
	n, err := io.ReadAtLeast(r.src, one[:], 1)
	if n == 0 {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return r.end(io.EOF)
		}
		return r.end(err)
	}
	bound, source := r.bound()
	r.eof = true
	r.err = &LengthError{Command: r.t.line, Want: bound, Got: bound + 1, Source: source}
	r.t.abort()
	return r.err
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// Read reads data; see Reader for what io.EOF promises.
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("ftp: %s: read after Close: %w", r.t.line, ErrClosed)
	}
	if r.eof {
		return 0, r.err
	}
	if bound, _ := r.bound(); bound >= 0 {
		left := bound - r.n
		if left <= 0 {
			return 0, r.overlong()
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	r.t.armDeadline()
	n, err := r.source().Read(p)
	r.n += int64(n)
	if r.progress != nil && n > 0 {
		r.progress(r.n)
	}
	return n, r.end(err)
}

// end handles the result of a read: io.EOF reads the final reply.
func (r *Reader) end(err error) error {
	switch {
	case err == nil:
		return nil
	case err == io.EOF, err == io.ErrUnexpectedEOF && r.t.tls:
		// Over TLS a server may close without close_notify; the final
		// reply below, not the socket, says whether the data is whole.
		r.eof = true
		r.err = io.EOF
		if ferr := r.t.finish(); ferr != nil {
			r.err = ferr
		} else if lerr := r.checkLength(); lerr != nil {
			r.err = lerr
		}
		return r.err
	default:
		return r.t.dataErr(err)
	}
}

// WriteTo copies the rest of the stream to w. With a binary transfer and a
// w that implements io.ReaderFrom (an *os.File, a *net.TCPConn, an upload
// Writer), w reads straight from the socket, which reaches splice(2).
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	bound, _ := r.bound()
	if bound < 0 || r.closed || r.eof {
		return r.writeTo(w, -1)
	}
	n, err := r.writeTo(w, max(bound-r.n, 0))
	if err == nil && !r.eof {
		// The expected length arrived: the stream must end here.
		if err = r.overlong(); err == io.EOF {
			err = nil
		}
	}
	return n, err
}

// WriteToN copies at most n bytes of the stream to w, as WriteTo does
// (splice(2) into an *os.File on plain connections). It returns when n
// bytes are copied, leaving the transfer open (Close then aborts it: ABOR,
// as a segmented download does at the end of its range), or when the
// stream ends, with the verdict of the final reply.
func (r *Reader) WriteToN(w io.Writer, n int64) (int64, error) {
	if n < 0 {
		return 0, fmt.Errorf("ftp: %s: %w: a negative count %d", r.t.line, ErrInvalidArgument, n)
	}
	if bound, _ := r.bound(); bound >= 0 && r.n+n > bound {
		return r.WriteTo(w) // the bound stops it where it must
	}
	return r.writeTo(w, n)
}

// writeTo copies to w up to limit bytes (all of the stream when limit is
// negative). Stopping at the limit leaves the transfer open: the caller
// Closes it, which aborts it.
func (r *Reader) writeTo(w io.Writer, limit int64) (int64, error) {
	if r.closed {
		return 0, fmt.Errorf("ftp: %s: read after Close: %w", r.t.line, ErrClosed)
	}
	if r.eof {
		if r.err == io.EOF {
			return 0, nil
		}
		return 0, r.err
	}
	var n int64
	var err error
	if rf, ok := w.(io.ReaderFrom); ok && !r.ascii && !r.t.tls && r.t.data != nil {
		if r.progress == nil && r.t.idle <= 0 && limit < 0 && len(r.t.limits) == 0 {
			n, err = rf.ReadFrom(r.t.data)
			r.n += n
		} else {
			// Splice a chunk at a time, for progress, the idle deadline
			// and the limit: os.File.ReadFrom still reaches splice(2)
			// through an io.LimitedReader around the socket.
			chunk := &io.LimitedReader{R: r.t.data} // one for every chunk
			for limit != 0 {
				want := int64(r.t.paceChunk())
				if limit > 0 {
					want = min(want, limit)
				}
				if err = r.t.pace(int(want)); err != nil {
					break
				}
				r.t.armDeadline()
				chunk.N = want
				m, cerr := rf.ReadFrom(chunk)
				r.t.unpace(int(want - m))
				n += m
				r.n += m
				if limit > 0 {
					limit -= m
				}
				if r.progress != nil {
					r.progress(r.n)
				}
				if cerr != nil || m < want {
					err = cerr
					break
				}
			}
			if limit == 0 {
				return n, nil
			}
		}
	} else {
		bp := bufPool.Get().(*[]byte)
		cw := &countingWriter{w: w, total: &r.n, progress: r.progress}
		if limit >= 0 {
			n, err = io.CopyBuffer(cw, io.LimitReader(readerOnly{r.source()}, limit), *bp)
			if err == nil && n == limit {
				bufPool.Put(bp)
				return n, nil
			}
		} else {
			n, err = io.CopyBuffer(cw, readerOnly{r.source()}, *bp)
		}
		bufPool.Put(bp)
	}
	if err == nil {
		err = io.EOF
	}
	if err = r.end(err); err == io.EOF {
		err = nil
	}
	return n, err
}

// source is where Read and the buffered copy read: src, paced when the
// transfer is rate limited.
func (r *Reader) source() io.Reader {
	if len(r.t.limits) > 0 {
		return pacedReader{r: r.src, t: r.t}
	}
	return r.src
}

// SetRateLimit caps this download at bytesPerSecond, on top of any
// Config.RateLimiter; zero or less lifts the cap it set before. The
// zero-copy path stays zero-copy, splicing one paced chunk at a time.
func (r *Reader) SetRateLimit(bytesPerSecond int64) {
	r.own = r.t.setOwnLimit(r.own, bytesPerSecond)
}

// N returns the number of bytes read so far.
func (r *Reader) N() int64 { return r.n }

// SetProgress arranges for p to be called as data arrives: after each
// Read, and every MiB on the zero-copy path, which stays zero-copy. The
// name is the remote path; done counts from the start of the file (the
// REST offset included), total is the offset plus the expected size
// (ExpectSize), or the size of the 150 reply when no offset makes it
// ambiguous, or -1. p runs on the reading goroutine.
func (r *Reader) SetProgress(p Progress) {
	if p == nil {
		r.progress = nil
		return
	}
	r.progress = func(n int64) {
		total := int64(-1)
		switch {
		case r.expect >= 0:
			total = r.t.offset + r.expect
		case r.announced >= 0 && r.t.offset == 0:
			total = r.announced
		}
		p(r.t.arg, r.t.offset+n, total)
	}
}

// Progress reports how a transfer advances: name is the file (the remote
// path of a Reader or Writer, the path relative to the tree in a mirror),
// done the bytes the destination holds so far, total what it will hold in
// all, or -1 when unknown. It is called from the goroutine that moves the
// data; where several transfers run at once (a mirror, a segmented
// download), from several goroutines.
type Progress func(name string, done, total int64)

// zeroCopyChunk is how much the zero-copy paths move between progress
// calls and idle deadlines.
const zeroCopyChunk = 1 << 20

// countingWriter adds what it writes to *total and reports it.
type countingWriter struct {
	w        io.Writer
	total    *int64
	progress func(int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.total += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(*c.total)
	}
	return n, err
}

// Close ends the transfer. After a complete read it returns the result of
// the final reply again; before that, it closes the data connection and
// sends ABOR, after which the Conn is usable. Safe to call twice.
func (r *Reader) Close() error {
	if r.closed {
		if r.err == io.EOF {
			return nil
		}
		return r.err
	}
	r.closed = true
	if r.eof {
		if r.err == io.EOF {
			return nil
		}
		return r.err
	}
	r.eof = true
	r.err = r.t.abort()
	if r.err == nil {
		r.err = io.EOF
		return nil
	}
	return r.err
}

// readerOnly hides WriterTo where io.CopyBuffer must use the buffer it is
// given.
type readerOnly struct{ io.Reader }

// crlfReader converts CRLF to LF while reading an ASCII stream.
type crlfReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	cr         bool // a CR was read and not yet emitted
	err        error
}

func newCRLFReader(r io.Reader) *crlfReader {
	return &crlfReader{r: r, buf: make([]byte, 32<<10)}
}

func (a *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if a.start == a.end {
			if n > 0 {
				return n, nil
			}
			if a.err != nil {
				if a.cr {
					a.cr = false
					p[n] = '\r'
					n++
					continue
				}
				return n, a.err
			}
			m, err := a.r.Read(a.buf)
			a.start, a.end, a.err = 0, m, err
			continue
		}
		b := a.buf[a.start]
		if a.cr {
			a.cr = false
			if b == '\n' {
				p[n] = '\n'
				n++
				a.start++
				continue
			}
			p[n] = '\r'
			n++
			continue
		}
		if b == '\r' {
			a.cr = true
			a.start++
			continue
		}
		p[n] = b
		n++
		a.start++
	}
	return n, nil
}
