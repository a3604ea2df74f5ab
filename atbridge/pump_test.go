// The pump's early end: halt keeps the transfer's context alive when the
// Read in progress ends by itself, so that the ABOR after it can be sent
// (an ABOR on a cancelled context costs the connection: AT+QFTPGET with a
// <downloadlen> then left the next command a 606, about once in 80 runs
// of TestQuectelExample3_7Downloads).

package atbridge

import (
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heldReader blocks its first Read until release is closed, then returns
// a byte; later Reads block until cancel.
type heldReader struct {
	release  chan struct{}
	canceled chan struct{}
	reads    atomic.Int32
}

func (h *heldReader) Read(p []byte) (int, error) {
	if h.reads.Add(1) == 1 {
		select {
		case <-h.release:
			p[0] = 'x'
			return 1, nil
		case <-h.canceled:
			return 0, io.ErrUnexpectedEOF
		}
	}
	<-h.canceled
	return 0, io.ErrUnexpectedEOF
}

func newHeld() (*heldReader, func(), *atomic.Bool) {
	h := &heldReader{release: make(chan struct{}), canceled: make(chan struct{})}
	var called atomic.Bool
	cancel := func() {
		if called.CompareAndSwap(false, true) {
			close(h.canceled)
		}
	}
	return h, cancel, &called
}

func TestPumpHaltKeepsContext(t *testing.T) {
	h, cancel, called := newHeld()
	p := startPump(h, cancel, 1<<10, nil)
	for h.reads.Load() == 0 {
		time.Sleep(time.Millisecond) // the pump is inside its first Read
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		close(h.release) // the server's next bytes arrive
	}()
	p.halt(5 * time.Second)
	assert.False(t, called.Load(), "the context was cancelled though the Read ended by itself")
	assert.Equal(t, int32(1), h.reads.Load(), "no Read after halt")
}

func TestPumpHaltCutsStalledRead(t *testing.T) {
	h, cancel, called := newHeld()
	p := startPump(h, cancel, 1<<10, nil)
	for h.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		p.halt(20 * time.Millisecond) // the server stalled: no bytes come
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("halt did not return")
	}
	require.True(t, called.Load(), "a stalled Read is cut by cancelling")
}
