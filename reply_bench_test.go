// Benchmarks of the reply reader: replies/s and allocations per reply.

package ftp

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// replyStream repeats reply until the stream holds at least 64 KiB, so that
// the reader is reset rarely, and returns it with the number of replies.
func replyStream(reply string) ([]byte, int) {
	var sb strings.Builder
	n := 0
	for sb.Len() < 64<<10 {
		sb.WriteString(reply)
		n++
	}
	return []byte(sb.String()), n
}

// multiLineReply is a 20-line reply in the style of a FEAT answer: a first
// line, 18 continuation lines, the closing line.
func multiLineReply() string {
	var sb strings.Builder
	sb.WriteString("211-Features:\r\n")
	for i := range 18 {
		fmt.Fprintf(&sb, " FEATURE%02d some argument text\r\n", i)
	}
	sb.WriteString("211 End\r\n")
	return sb.String()
}

// BenchmarkReadReply reads replies from a 4 KiB bufio.Reader, as the
// control connection does: a single-line reply (a transfer's 226) and a
// 20-line one.
func BenchmarkReadReply(b *testing.B) {
	for _, tc := range []struct {
		name  string
		reply string
		lines int
	}{
		{"single", "226 Transfer complete.\r\n", 1},
		{"multi20", multiLineReply(), 20},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data, per := replyStream(tc.reply)
			src := bytes.NewReader(data)
			rr := &replyReader{r: bufio.NewReaderSize(src, 4096)}
			left := per
			b.SetBytes(int64(len(tc.reply)))
			b.ReportAllocs()
			for b.Loop() {
				if left == 0 {
					src.Reset(data)
					rr.r.Reset(src)
					left = per
				}
				r, err := rr.readReply()
				if err != nil {
					b.Fatal(err)
				}
				if r.Code == 0 {
					b.Fatal("no code")
				}
				left--
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
			b.ReportMetric(float64(b.N*tc.lines)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
