// The client calls the external tests make, kept here few and simple so
// that they follow the root package's transfer API when it changes.

package ftptest_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/seed362563c3/ftp"
)

// testCtx bounds a test's network operations.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial logs in to addr with cfg and closes the connection when the test
// ends.
func dial(t *testing.T, addr string, cfg *ftp.Config) *ftp.Conn {
	t.Helper()
	c, err := ftp.Dial(testCtx(t), addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// store uploads data as name.
func store(t *testing.T, c *ftp.Conn, name string, data []byte) error {
	t.Helper()
	w, err := c.Store(testCtx(t), name)
	if err != nil {
		return err
	}
	_, err = w.Send(bytes.NewReader(data))
	return err
}

// retrieve downloads name.
func retrieve(t *testing.T, c *ftp.Conn, name string) ([]byte, error) {
	t.Helper()
	r, err := c.Retrieve(testCtx(t), name)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return data, err
}
