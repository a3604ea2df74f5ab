package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// source serves size bytes of pattern to every connection, and records
// what each connection sent it.
func source(t *testing.T, size int) (addr string, got chan []byte) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got = make(chan []byte, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				read := make(chan struct{})
				go func() {
					b, _ := io.ReadAll(c)
					got <- b
					close(read)
				}()
				c.Write(pattern(size))
				c.(*net.TCPConn).CloseWrite()
				<-read
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String(), got
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func dialWith(t *testing.T, p *Proxy, addr string) net.Conn {
	t.Helper()
	c, err := p.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNoFault(t *testing.T) {
	addr, got := source(t, 1<<20)
	p := New(Options{ControlAddr: addr})
	defer p.Close()
	c := dialWith(t, p, addr)
	if c.RemoteAddr().String() != addr {
		t.Errorf("RemoteAddr %s, want %s", c.RemoteAddr(), addr)
	}
	c.Write([]byte("hello"))
	c.(interface{ CloseWrite() error }).CloseWrite()
	b, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(b, pattern(1<<20)) {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
	if s := <-got; string(s) != "hello" {
		t.Errorf("server got %q", s)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	r := p.Records()[0]
	if r.Class != Control || r.Up != 5 || r.Down != 1<<20 {
		t.Errorf("record %v", r)
	}
}

func TestCutAndReset(t *testing.T) {
	addr, _ := source(t, 1<<20)
	for _, k := range []Kind{Cut, Reset} {
		for _, after := range []int64{0, 1, 12345, 1<<20 - 1} {
			p := New(Options{Policy: PolicyFunc(func(Info) Fault { return Fault{Kind: k, Dir: Down, After: after} })})
			c := dialWith(t, p, addr)
			b, err := io.ReadAll(c)
			c.Close()
			// A RST discards what the client had not read yet.
			if int64(len(b)) != after && (k == Cut || int64(len(b)) > after) || !bytes.Equal(b, pattern(1 << 20)[:len(b)]) {
				t.Errorf("%s at %d: read %d bytes", k, after, len(b))
			}
			if k == Reset && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("reset at %d: err %v, want ECONNRESET", after, err)
			}
			if k == Cut && err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("cut at %d: err %v", after, err)
			}
			p.Close()
			if r := p.Records()[0]; !r.Fired || r.Class != Data || r.End.IsZero() {
				t.Errorf("record %v", r)
			}
		}
	}
}

func TestStall(t *testing.T) {
	addr, _ := source(t, 100)
	p := New(Options{Policy: PolicyFunc(func(Info) Fault {
		return Fault{Kind: Stall, Dir: Down, After: 10, Stall: 300 * time.Millisecond}
	})})
	defer p.Close()
	c := dialWith(t, p, addr)
	defer c.Close()
	start := time.Now()
	b, err := io.ReadAll(c)
	if err != nil || len(b) != 100 {
		t.Fatalf("read %d, %v", len(b), err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("took %v, want a 300ms stall", d)
	}
}

func TestMatch(t *testing.T) {
	addr, got := source(t, 10)
	for _, k := range []Kind{Cut, Stall} {
		p := New(Options{Policy: PolicyFunc(func(Info) Fault {
			return Fault{Kind: k, Dir: Up, Match: []byte("STOR "), Stall: 200 * time.Millisecond}
		})})
		c := dialWith(t, p, addr)
		c.Write([]byte("USER u\r\n"))
		time.Sleep(20 * time.Millisecond)
		start := time.Now()
		c.Write([]byte("TYPE I\r\nSTOR x\r\n"))
		c.(interface{ CloseWrite() error }).CloseWrite()
		io.ReadAll(c)
		want := "USER u\r\nTYPE I\r\n"
		if k == Stall {
			want += "STOR x\r\n"
		}
		if s := <-got; string(s) != want {
			t.Errorf("%s: server got %q, want %q", k, s, want)
		}
		if d := time.Since(start); k == Stall && d < 150*time.Millisecond {
			t.Errorf("stall took %v", d)
		}
		c.Close()
		p.Close()
		if r := p.Records()[0]; !r.Fired {
			t.Errorf("%s: not fired: %v", k, r)
		}
	}
}

func TestAlign(t *testing.T) {
	addr, got := source(t, 10)
	for _, after := range []int64{0, 3, 8, 9, 12, 100} {
		p := New(Options{Policy: PolicyFunc(func(Info) Fault {
			return Fault{Kind: Cut, Dir: Up, After: after, Align: []byte("\r\n")}
		})})
		c := dialWith(t, p, addr)
		c.Write([]byte("USER u\r\n"))
		time.Sleep(20 * time.Millisecond)
		c.Write([]byte("TYPE I\r\nSTOR x\r\n"))
		c.(interface{ CloseWrite() error }).CloseWrite()
		io.ReadAll(c)
		want := map[int64]string{0: "USER u\r\n", 3: "USER u\r\n", 8: "USER u\r\n", 9: "USER u\r\nTYPE I\r\n",
			12: "USER u\r\nTYPE I\r\n", 100: "USER u\r\nTYPE I\r\nSTOR x\r\n"}[after]
		if s := <-got; string(s) != want {
			t.Errorf("after %d: server got %q, want %q", after, s, want)
		}
		c.Close()
		p.Close()
	}
}

func TestCloseEndsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	addr, _ := source(t, 10)
	p := New(Options{Policy: PolicyFunc(func(Info) Fault {
		return Fault{Kind: Stall, Dir: Down, After: 0, Stall: time.Hour}
	})})
	paddr, err := p.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	c1 := dialWith(t, p, addr)
	c2, err := net.Dial("tcp", paddr)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for p.Live() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if p.Live() != 2 {
		t.Fatalf("%d relays live", p.Live())
	}
	p.Close()
	for _, c := range []net.Conn{c1, c2} {
		if b, _ := io.ReadAll(c); len(b) != 0 {
			t.Errorf("read %d bytes through a stall", len(b))
		}
		c.Close()
	}
	if p.Live() != 0 {
		t.Errorf("%d relays live after Close", p.Live())
	}
	if _, err := p.DialContext(context.Background(), "tcp", addr); !errors.Is(err, ErrClosed) {
		t.Errorf("dial after Close: %v", err)
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if runtime.NumGoroutine() <= before+2 { // the source's accept loop and its cleanup
			return
		}
	}
	t.Errorf("goroutines: %d, before %d", runtime.NumGoroutine(), before)
}

func TestRandomPolicy(t *testing.T) {
	p := &Random{Seed: 7, FaultyControl: 1, FaultyData: 2, ControlBytes: [2]int64{100, 1000}, DataBytes: 1 << 24, DataDir: Down,
		ControlStall: [2]time.Duration{time.Second, 2 * time.Second}, DataStall: [2]time.Duration{0, time.Second}}
	a := p.Fault(Info{Class: Data, N: 1})
	if b := p.Fault(Info{Class: Data, N: 1, Seq: 9}); a.String() != b.String() {
		t.Errorf("not deterministic: %v, %v", a, b)
	}
	if f := p.Fault(Info{Class: Data, N: 2}); f.Kind != None {
		t.Errorf("third data connection: %v", f)
	}
	if f := p.Fault(Info{Class: Control, N: 1}); f.Kind != None {
		t.Errorf("second control connection: %v", f)
	}
	for n := range 1000 {
		q := *p
		q.Seed = uint64(n)
		f := q.Fault(Info{Class: Control})
		if f.Kind == None || f.After >= q.ControlBytes[f.Dir] || f.Kind == Stall && (f.Stall < time.Second || f.Stall >= 2*time.Second) {
			t.Fatalf("seed %d: %v", n, f)
		}
		f = q.Fault(Info{Class: Data})
		if f.Kind == None || f.Dir != Down || f.After >= q.DataBytes {
			t.Fatalf("seed %d: %v", n, f)
		}
	}
}
