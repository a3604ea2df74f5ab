package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// mirrorOp is one of the mirror workloads: a direction and a number of
// connections.
type mirrorOp struct {
	key, label string
	up         bool
	parallel   int
}

var mirrorOps = []mirrorOp{
	{"mirror-up-1", "mirror up, 1 connection", true, 1},
	{"mirror-up-4", "mirror up, 4 connections", true, 4},
	{"mirror-down-1", "mirror down, 1 connection", false, 1},
	{"mirror-down-4", "mirror down, 4 connections", false, 4},
}

// mirrors runs each mirror workload with the clients that mirror (ftpc
// mirror, lftp mirror): the tree of small files in 10 directories, up
// into a new remote directory, down into a new local one, on vsftpd. One
// warm-up round, whose result is compared byte for byte, then three; every
// round checks that each file arrived with its size.
func (b *bench) mirrors(ctx context.Context) error {
	var clients []*client
	for _, c := range b.clients {
		if c.mirror != nil {
			clients = append(clients, c)
		}
	}
	const rounds = 3
	for _, op := range mirrorOps {
		for r := 0; r <= rounds; r++ {
			var line []string
			for i := range clients {
				c := clients[(i+r)%len(clients)]
				secs, err := b.mirrorRun(ctx, c, op, r == 0)
				if err != nil {
					return err
				}
				line = append(line, fmt.Sprintf("%s %.2f s", c.key, secs))
				if r > 0 {
					b.res.mirrorSecs(op.key, c.key, secs)
				}
			}
			progress("%s, round %d: %s", op.label, r, strings.Join(line, ", "))
		}
	}
	return nil
}

// mirrorRun runs one mirror and checks what arrived: every file with its
// size, and its content when full is set.
func (b *bench) mirrorRun(ctx context.Context, c *client, op mirrorOp, full bool) (float64, error) {
	var j job
	var dst string
	if op.up {
		remote := "up/mirror-" + c.key
		dst = serverPath(b.plain, remote)
		if err := b.userDir(dst); err != nil {
			return 0, err
		}
		os.Remove(dst) // the mirror creates it
		j = c.mirror(b.tPlain, true, b.treeDir, remote, op.parallel)
	} else {
		dst = filepath.Join(b.dl, "mirror-"+c.key)
		if err := os.RemoveAll(dst); err != nil {
			return 0, err
		}
		j = c.mirror(b.tPlain, false, dst, "tree", op.parallel)
	}
	j.server = b.plain.PIDs()
	b.res.command(c.key, op.label, j)
	// The warm-up round records the commands vsftpd logged for the run.
	s, cmds, err := b.measureLogged(ctx, 5*time.Minute, j, full)
	if err != nil {
		return 0, err
	}
	if full {
		b.res.perFileCommands(op.label, mirrorName(c.key), b.cfg.small, cmds)
	}
	for i, name := range b.names {
		rel := filepath.Join(fmt.Sprintf("d%d", i%10), name)
		got := filepath.Join(dst, rel)
		fi, err := os.Stat(got)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", j.shown(), err)
		}
		if fi.Size() != int64(b.cfg.smallLen) {
			return 0, fmt.Errorf("%s: %s holds %d bytes, want %d", j.shown(), got, fi.Size(), b.cfg.smallLen)
		}
		if full {
			if err := sameContent(filepath.Join(b.treeDir, rel), got); err != nil {
				return 0, fmt.Errorf("%s: %w", j.shown(), err)
			}
		}
	}
	os.RemoveAll(dst)
	return s.wall.Seconds(), nil
}

// mirrorName names a client's mirror as the mirror table does.
func mirrorName(key string) string {
	if key == "ftp" {
		return "ftpc mirror"
	}
	return key + " mirror"
}
