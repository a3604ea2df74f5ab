// Chmod: permission bits with SITE CHMOD, the form vsftpd, proftpd,
// pure-ftpd and most others take.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// Chmod sets the permission bits of name to mode (SITE CHMOD 644 name).
// Only the nine permission bits may be set: a mode with setuid, setgid or
// the sticky bit is refused with ErrInvalidArgument, never sent. A server
// without SITE CHMOD answers with an error that matches ErrNotSupported,
// and later calls return it without asking again.
func (c *Conn) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	if mode&^fs.ModePerm != 0 {
		return fmt.Errorf("ftp: SITE CHMOD: %w: mode %v has bits beyond the permissions", ErrInvalidArgument, mode)
	}
	if name == "" {
		return fmt.Errorf("ftp: SITE CHMOD: %w: empty path", ErrInvalidArgument)
	}
	if err := validateArg("SITE", name); err != nil {
		return err
	}
	if err := c.usable(); err != nil {
		return err
	}
	n := c.notes()
	if n.noChmod {
		return fmt.Errorf("ftp: SITE CHMOD %s: %w: the server refused SITE CHMOD before", name, ErrNotSupported)
	}
	if err := c.prepareArg(ctx, name); err != nil {
		return err
	}
	_, err := c.cmd(ctx, "SITE", fmt.Sprintf("CHMOD %03o %s", uint32(mode), name), 2)
	if errors.Is(err, ErrNotSupported) {
		n.noChmod = true
	}
	return err
}
