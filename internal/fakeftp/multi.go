package fakeftp

import (
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// multiServer is the listener of the fake servers that take any number
// of connections (Gen, Hostile): it serves each connection in its own
// goroutine, and Close ends them all.
type multiServer struct {
	Addr string
	ln   net.Listener
	wg   sync.WaitGroup

	connMu  sync.Mutex
	conns   []net.Conn
	stopped bool
}

// start listens on 127.0.0.1 and serves every connection with serve
// until Close, which the test's cleanup calls.
func (m *multiServer) start(t testing.TB, serve func(net.Conn)) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m.ln, m.Addr = ln, ln.Addr().String()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			m.connMu.Lock()
			if m.stopped {
				m.connMu.Unlock()
				nc.Close()
				return
			}
			m.conns = append(m.conns, nc)
			m.wg.Add(1)
			m.connMu.Unlock()
			go func() {
				defer m.wg.Done()
				serve(nc)
			}()
		}
	}()
	t.Cleanup(m.Close)
}

// Close stops the server and waits for its goroutines; it may be called
// more than once.
func (m *multiServer) Close() {
	m.connMu.Lock()
	m.stopped = true
	m.ln.Close()
	for _, c := range m.conns {
		c.Close()
	}
	m.connMu.Unlock()
	m.wg.Wait()
}
