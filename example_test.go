package ftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/embedded"
)

// exampleServer starts the in-process server the examples run against.
func exampleServer() *embedded.Server {
	srv, err := embedded.Start(embedded.Options{User: "alice", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	return srv
}

func Example() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()

	c, err := ftp.Dial(ctx, srv.Addr, &ftp.Config{User: "alice", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.Store(ctx, "hello.txt", strings.NewReader("hello, world\n")); err != nil {
		log.Fatal(err)
	}
	r, err := c.Retrieve(ctx, "hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	io.Copy(os.Stdout, r)
	// Output: hello, world
}

func ExampleConn_RetrieveFrom() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()
	os.WriteFile(filepath.Join(srv.Root, "log.txt"), []byte("0123456789"), 0o644)

	c, err := ftp.Dial(ctx, srv.Addr, &ftp.Config{User: "alice", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Resume a download: we already hold the first 6 bytes.
	r, err := c.RetrieveFrom(ctx, "log.txt", 6)
	if err != nil {
		log.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", rest)
	// Output: 6789
}

func ExampleConn_StoreFrom() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()
	data := []byte("a resumable upload")

	c, err := ftp.Dial(ctx, srv.Addr, &ftp.Config{User: "alice", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	c.Store(ctx, "up.txt", bytes.NewReader(data[:5])) // an upload cut short
	held, err := c.Size(ctx, "up.txt")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.StoreFrom(ctx, "up.txt", bytes.NewReader(data[held:]), held); err != nil {
		log.Fatal(err)
	}
	full, _ := os.ReadFile(filepath.Join(srv.Root, "up.txt"))
	fmt.Printf("server held %d bytes, now holds %q\n", held, full)
	// Output: server held 5 bytes, now holds "a resumable upload"
}

func ExampleConn_List() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()
	os.Mkdir(filepath.Join(srv.Root, "docs"), 0o755)
	os.WriteFile(filepath.Join(srv.Root, "readme.txt"), []byte("hi"), 0o644)

	c, err := ftp.Dial(ctx, srv.Addr, &ftp.Config{User: "alice", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	entries, err := c.List(ctx, "/")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		if e.Type == ftp.EntryDir {
			fmt.Println(e.Type, e.Name)
		} else {
			fmt.Println(e.Type, e.Name, e.Size)
		}
	}
	// Unordered output:
	// dir docs
	// file readme.txt 2
}

func ExampleConn_Retrieve_notExist() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()

	c, err := ftp.Dial(ctx, srv.Addr, &ftp.Config{User: "alice", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.Retrieve(ctx, "missing.txt")
	var fe *ftp.Error
	if errors.As(err, &fe) {
		fmt.Println(fe.Command, fe.Code, errors.Is(err, fs.ErrNotExist))
	}
	// Output: RETR missing.txt 550 true
}

func ExampleConn_Quote() {
	srv := exampleServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := ftp.Dial(ctx, srv.Addr, &ftp.Config{User: "alice", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	reply, err := c.Quote(ctx, "SYST")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply.Code)
	// Output: 215
}

func ExampleUploadFile() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()
	local := filepath.Join(os.TempDir(), "example-upload.txt")
	os.WriteFile(local, []byte("resumable and verified\n"), 0o644)
	defer os.Remove(local)

	ep := ftp.Endpoint{Addr: srv.Addr, Config: &ftp.Config{User: "alice", Password: "secret"}}
	res, err := ftp.UploadFile(ctx, ep, local, "backup.txt", &ftp.ResumeOptions{Retries: 5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Size, res.Attempts, res.Verified)
	// Output: 23 1 size
}

func ExampleNewPool() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()
	p := ftp.NewPool(srv.Addr, &ftp.Config{User: "alice", Password: "secret"}, ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()

	// Safe for concurrent use: each call checks a connection out and back.
	if err := p.MakeDirAll(ctx, "/reports/2026"); err != nil {
		log.Fatal(err)
	}
	if _, err := p.Store(ctx, "/reports/2026/q4.csv", strings.NewReader("a,b\n")); err != nil {
		log.Fatal(err)
	}
	e, err := p.Stat(ctx, "/reports/2026/q4.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Name, e.Size, p.Stats().Dials)
	// Output: q4.csv 4 1
}

func ExampleNewFS() {
	srv := exampleServer()
	defer srv.Close()
	os.MkdirAll(filepath.Join(srv.Root, "docs/a"), 0o755)
	os.WriteFile(filepath.Join(srv.Root, "docs/a/x.md"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(srv.Root, "docs/y.md"), []byte("y"), 0o644)
	p := ftp.NewPool(srv.Addr, &ftp.Config{User: "alice", Password: "secret"}, ftp.PoolOptions{})
	defer p.Close()

	fsys := ftp.NewFS(context.Background(), p, "/docs")
	matches, err := fs.Glob(fsys, "*/*.md")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(matches)
	// Output: [a/x.md]
}
