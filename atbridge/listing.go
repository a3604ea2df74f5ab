// Listings as text: the AT commands pass a listing on as the server sent
// it, through the client's raw listing stream.

package atbridge

import (
	"context"
	"fmt"
	"io"

	"github.com/seed362563c3/ftp"
)

// maxListingText bounds a listing held for an AT command: the modules'
// own buffers are far smaller.
const maxListingText = 64 << 20

// listingText returns the listing of dir for verb (LIST, NLST or MLSD) as
// the server sends it (ftp.Conn.RawList), lines ending in CRLF. MLSD on a
// server without MLST in FEAT is not supported.
func listingText(ctx context.Context, conn *ftp.Conn, verb, dir string) ([]byte, error) {
	if verb == "MLSD" {
		feats, err := conn.Features(ctx)
		if err != nil {
			return nil, err
		}
		if !feats.Has("MLST") {
			return nil, fmt.Errorf("ftp: MLSD: %w", ftp.ErrNotSupported)
		}
	}
	r, err := conn.RawList(ctx, verb, dir)
	if err != nil {
		return nil, err
	}
	text, err := io.ReadAll(io.LimitReader(r, maxListingText+1))
	if err == nil && len(text) > maxListingText {
		err = fmt.Errorf("ftp: %s %s: %w: a listing of more than %d bytes", verb, dir, ftp.ErrLimit, maxListingText)
	}
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return text, nil
}
