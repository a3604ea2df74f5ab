package faultproxy

import (
	"math/rand/v2"
	"time"
)

// Random is a Policy that gives the first FaultyControl control connections
// and the first FaultyData data connections a random fault, and the later
// ones none, so that a client that retries gets through in the end. Each
// connection's fault comes from a generator seeded with Seed, its class and
// its position in the class, so it does not depend on the order in which
// connections of different classes open.
type Random struct {
	Seed                      uint64
	FaultyControl, FaultyData int

	// Kinds are drawn from with equal weight; nil means Kinds.
	Kinds []Kind

	// ControlBytes bounds, per Dir, the offsets of control faults, drawn
	// uniformly in [0, ControlBytes[dir]); the direction is drawn too.
	ControlBytes [2]int64
	// WholeCommands moves cuts and resets of the client's commands to
	// the end of a line (Fault.Align "\n"), so that the server never
	// reads half a command. Servers run an unterminated last line as a
	// command: ftpserverlib (v0.32.3) then answers an unknown one without
	// its transfer lock, a data race with the transfer's own reply.
	WholeCommands bool
	// DataBytes bounds the offsets of data faults, which hit DataDir (the
	// direction the file goes). A tenth fire at once, a tenth in the last
	// 64 KiB, the rest anywhere in [0, DataBytes).
	DataBytes int64
	DataDir   Dir

	// ControlStall and DataStall are the [min, max] durations of stalls.
	ControlStall, DataStall [2]time.Duration
}

// Fault implements Policy.
func (p *Random) Fault(i Info) Fault {
	faulty := p.FaultyData
	if i.Class == Control {
		faulty = p.FaultyControl
	}
	if i.N >= faulty {
		return Fault{}
	}
	r := rand.New(rand.NewPCG(p.Seed, uint64(i.Class)<<32|uint64(i.N)))
	kinds := p.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	f := Fault{Kind: kinds[r.IntN(len(kinds))]}
	stall := p.DataStall
	if i.Class == Control {
		stall = p.ControlStall
		f.Dir = Dir(r.IntN(2))
		if n := p.ControlBytes[f.Dir]; n > 0 {
			f.After = r.Int64N(n)
		}
		if p.WholeCommands && f.Dir == Up && f.Kind != Stall {
			f.Align = []byte("\n")
		}
	} else {
		f.Dir = p.DataDir
		switch n := p.DataBytes; {
		case n <= 0:
		case r.IntN(10) == 0:
			f.After = 0
		case r.IntN(9) == 0:
			f.After = max(0, n-1-r.Int64N(64<<10))
		default:
			f.After = r.Int64N(n)
		}
	}
	if f.Kind == Stall {
		f.Stall = stall[0]
		if d := stall[1] - stall[0]; d > 0 {
			f.Stall += time.Duration(r.Int64N(int64(d)))
		}
	}
	return f
}
