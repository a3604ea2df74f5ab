package ftptest_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/ftptest"
)

// Example stores a file on a test server and reads it back from the
// directory the server serves.
func Example() {
	srv, err := ftptest.Start(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()

	c, err := ftp.Dial(ctx, srv.Addr, srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	w, err := c.Store(ctx, "hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := w.Send(strings.NewReader("hello, world\n")); err != nil {
		log.Fatal(err)
	}

	data, err := os.ReadFile(filepath.Join(srv.Root, "hello.txt"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	// Output: hello, world
}

// ExampleServer_Config retrieves a file over explicit TLS, verifying the
// server's self-signed certificate with the Config the server hands out.
func ExampleServer_Config() {
	srv, err := ftptest.Start(&ftptest.Options{TLS: ftptest.TLSExplicit})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if err := os.WriteFile(filepath.Join(srv.Root, "report.txt"), []byte("42\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	c, err := ftp.Dial(ctx, srv.Addr, srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	r, err := c.Retrieve(ctx, "report.txt")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.Copy(os.Stdout, r); err != nil {
		log.Fatal(err)
	}
	if err := r.Close(); err != nil {
		log.Fatal(err)
	}

	state, _ := c.TLSConnectionState()
	fmt.Println("certificate verified:", state.PeerCertificates[0].Equal(srv.Certificate()))
	// Output:
	// 42
	// certificate verified: true
}
