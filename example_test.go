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
	"github.com/seed362563c3/ftp/ftptest"
)

// exampleServer starts the in-process test server the examples run
// against (see ftptest).
func exampleServer() *ftptest.Server {
	srv, err := ftptest.Start(&ftptest.Options{User: "alice", Password: "secret"})
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

	// Upload: Store opens the data stream, Send fills it and returns the
	// server's verdict.
	w, err := c.Store(ctx, "hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := w.Send(strings.NewReader("hello, world\n")); err != nil {
		log.Fatal(err)
	}
	// Download: Retrieve opens the stream; io.Copy into an *os.File would
	// splice it.
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

	// An upload cut short: the server holds the first 5 bytes.
	os.WriteFile(filepath.Join(srv.Root, "up.txt"), data[:5], 0o644)

	held, err := c.Size(ctx, "up.txt")
	if err != nil {
		log.Fatal(err)
	}
	w, err := c.StoreFrom(ctx, "up.txt", held) // REST, then STOR
	if err != nil {
		log.Fatal(err)
	}
	if _, err := w.Send(bytes.NewReader(data[held:])); err != nil {
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

func ExampleNewPool() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()
	p := ftp.NewPool(srv.Addr, &ftp.Config{User: "alice", Password: "secret"}, &ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()

	// Safe for concurrent use: each call checks a connection out and back.
	if err := p.MakeDirAll(ctx, "/reports/2026"); err != nil {
		log.Fatal(err)
	}
	// A stream needs a connection of its own for its duration.
	pc, err := p.Conn(ctx)
	if err != nil {
		log.Fatal(err)
	}
	w, err := pc.Store(ctx, "/reports/2026/q4.csv")
	if err == nil {
		_, err = w.Send(strings.NewReader("a,b\n"))
	}
	pc.Close() // back to the pool
	if err != nil {
		log.Fatal(err)
	}
	e, err := p.Stat(ctx, "/reports/2026/q4.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Name, e.Size, p.Stats().Dials)
	// Output: q4.csv 4 1
}

func ExampleRateLimiter() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()
	os.WriteFile(filepath.Join(srv.Root, "backup.tar"), bytes.Repeat([]byte("x"), 300<<10), 0o644)

	// Every transfer of every connection made with cfg (a Pool's, say)
	// shares 10 MB/s between them.
	cfg := &ftp.Config{User: "alice", Password: "secret", RateLimiter: ftp.NewRateLimiter(10_000_000)}
	c, err := ftp.Dial(ctx, srv.Addr, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	r, err := c.Retrieve(ctx, "backup.tar")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	// This download alone is further held to 1 MB/s, as curl --limit-rate
	// does; io.Copy into an *os.File still splices, a paced chunk at a time.
	r.SetRateLimit(1_000_000)
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "bytes")
	// Output: 307200 bytes
}

func ExampleFXP() {
	// Two servers that allow server-to-server copies (vsftpd needs
	// port_promiscuous and pasv_promiscuous, proftpd AllowForeignAddress).
	opts := &ftptest.Options{User: "alice", Password: "secret", AllowFXP: true}
	a, err := ftptest.Start(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := ftptest.Start(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	os.WriteFile(filepath.Join(a.Root, "db.dump"), []byte("the nightly dump\n"), 0o644)

	ctx := context.Background()
	cfg := &ftp.Config{User: "alice", Password: "secret"}
	src, err := ftp.Dial(ctx, a.Addr, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	dst, err := ftp.Dial(ctx, b.Addr, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer dst.Close()

	// The bytes go from a to b directly; the client only directs.
	n, err := ftp.FXP(ctx, dst, "db.dump", src, "db.dump")
	if errors.Is(err, ftp.ErrFXPRefused) {
		log.Fatal(err) // it names the server setting; or copy through the client
	}
	if err != nil {
		log.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(b.Root, "db.dump"))
	fmt.Printf("%d bytes: %s", n, got)
	// Output: 17 bytes: the nightly dump
}
