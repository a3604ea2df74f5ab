// Benchmarks of listings: ListSeq streaming against ListWith collecting,
// on a generated listing of 100,000 LIST lines over loopback.

package ftp

import (
	"testing"
)

func benchListing(b *testing.B, stream bool) {
	srv := sizedServer(b)
	ctx := b.Context()
	c, err := Dial(ctx, srv.Addr, fakeConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const n = 100_000
	b.ReportAllocs()
	for b.Loop() {
		got := 0
		if stream {
			for _, err := range c.ListSeq(ctx, "/n100000", nil) {
				if err != nil {
					b.Fatal(err)
				}
				got++
			}
		} else {
			entries, err := c.List(ctx, "/n100000")
			if err != nil {
				b.Fatal(err)
			}
			got = len(entries)
		}
		if got != n {
			b.Fatalf("%d entries, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkListSeq streams 100,000 entries.
func BenchmarkListSeq(b *testing.B) { benchListing(b, true) }

// BenchmarkListCollect collects the same into a slice (List).
func BenchmarkListCollect(b *testing.B) { benchListing(b, false) }
