// A socket wrapper beneath TLS data connections that turns crypto/tls's one
// write per 16 KiB record into one write per large chunk.

package ftp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// coalesceSize holds one pooled chunk (bufSize) of plain text with the
// overhead of its TLS records, so a chunk leaves in one write.
const coalesceSize = bufSize + 16<<10

var coalescePool = sync.Pool{New: func() any { b := make([]byte, coalesceSize); return &b }}

// coalescingConn buffers writes until Flush, until the buffer is full, or
// until a Read needs the peer's answer (a handshake message). crypto/tls
// sits on top of it; nothing else may use it.
type coalescingConn struct {
	net.Conn
	mu   sync.Mutex
	wbuf *[]byte
	wn   int
	// stopped records that a deadline in the past was set to stop I/O (a
	// cancelled context): Close then sends nothing more. Atomic, not under
	// mu: a Write blocked in the socket holds mu, and the deadline that
	// unblocks it must get through.
	stopped atomic.Bool
}

// SetDeadline and SetWriteDeadline note a cancellation; crypto/tls's own
// SetWriteDeadline(time.Now()) after its close_notify is not one.
func (c *coalescingConn) SetDeadline(t time.Time) error {
	err := c.Conn.SetDeadline(t)
	c.note(t)
	return err
}

func (c *coalescingConn) SetWriteDeadline(t time.Time) error {
	err := c.Conn.SetWriteDeadline(t)
	c.note(t)
	return err
}

func (c *coalescingConn) note(t time.Time) {
	c.stopped.Store(!t.IsZero() && !t.After(aLongTimeAgo))
}

func newCoalescingConn(nc net.Conn) *coalescingConn {
	return &coalescingConn{Conn: nc, wbuf: coalescePool.Get().(*[]byte)}
}

func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wbuf == nil {
		return c.Conn.Write(p)
	}
	written := 0
	for len(p) > 0 {
		if c.wn == 0 && len(p) >= len(*c.wbuf) {
			n, err := c.Conn.Write(p)
			return written + n, err
		}
		n := copy((*c.wbuf)[c.wn:], p)
		c.wn += n
		written += n
		p = p[n:]
		if c.wn == len(*c.wbuf) {
			if err := c.flushLocked(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// Flush writes what is buffered.
func (c *coalescingConn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

func (c *coalescingConn) flushLocked() error {
	if c.wn == 0 || c.wbuf == nil {
		return nil
	}
	_, err := c.Conn.Write((*c.wbuf)[:c.wn])
	c.wn = 0
	return err
}

func (c *coalescingConn) Read(p []byte) (int, error) {
	if err := c.Flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// flushWriter writes through TLS and then pushes the coalesced records out.
type flushWriter struct {
	w  net.Conn
	cc *coalescingConn
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil {
		return n, err
	}
	return n, f.cc.Flush()
}

// Close flushes, closes the socket and gives the buffers back.
func (c *coalescingConn) Close() error {
	if !c.stopped.Load() {
		// crypto/tls buffered its close_notify here and then set the write
		// deadline to now: give the flush the 5 s that tls.Conn.Close
		// gives close_notify.
		c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	}
	ferr := c.Flush()
	err := c.Conn.Close()
	c.mu.Lock()
	if c.wbuf != nil {
		coalescePool.Put(c.wbuf)
		c.wbuf = nil
	}
	c.mu.Unlock()
	if ferr != nil && err == nil {
		err = ferr
	}
	return err
}
