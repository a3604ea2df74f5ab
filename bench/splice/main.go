// Command splice is the benchmark's reference for the limit of a plain
// download on this machine: one process sends a file over loopback TCP
// with sendfile(2) (io.Copy from an *os.File to a *net.TCPConn), another
// receives it into a file with splice(2) (io.Copy from a *net.TCPConn to
// an *os.File). No FTP, no control connection.
//
//	splice serve FILE N    listen on 127.0.0.1, print the address, send
//	                       FILE to each of N connections in turn, exit
//	splice recv ADDR FILE  connect and write what arrives to FILE
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 4 && os.Args[1] == "serve":
		err = serve(os.Args[2], os.Args[3])
	case len(os.Args) == 4 && os.Args[1] == "recv":
		err = recv(os.Args[2], os.Args[3])
	default:
		err = fmt.Errorf("usage: splice serve FILE N | splice recv ADDR FILE")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "splice:", err)
		os.Exit(1)
	}
}

func serve(file, count string) error {
	n, err := strconv.Atoi(count)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println(l.Addr())
	for range n {
		if tl, ok := l.(*net.TCPListener); ok {
			tl.SetDeadline(time.Now().Add(5 * time.Minute))
		}
		c, err := l.Accept()
		if err != nil {
			return err
		}
		f, err := os.Open(file)
		if err != nil {
			c.Close()
			return err
		}
		_, err = io.Copy(c, f) // (*net.TCPConn).ReadFrom(*os.File): sendfile
		f.Close()
		if cerr := c.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func recv(addr, file string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, c) // (*os.File).ReadFrom(*net.TCPConn): splice
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
