// Resume records: what an upload is sending, kept in a directory the
// caller names (Options.Journal), so that a later call continues a
// partial remote file only when it came from the same source: the same
// size, modification time and sampled content for a file (the quick check
// of rsync and make, with the content of both ends as well), the same
// SHA-256 for any other source.

package resume

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/seed362563c3/ftp"
)

// resumeRecord identifies the source of an upload to one remote file.
type resumeRecord struct {
	Server  string    `json:"server"` // the control connection's peer and user
	Target  string    `json:"target"` // the remote file written
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime,omitzero"` // zero when the source has none
	// Sample is a SHA-256 of the source: for a file with a modification
	// time (which changes when it is written), of its first and last MiB,
	// where a file rewritten with the same size and time most likely
	// differs; for any other source, of all of it.
	Sample string `json:"sample"`
}

// sampleSpan is how much of each end of the source Sample covers.
const sampleSpan = 1 << 20

// recordOf describes src (size bytes) as the source of an upload to
// target on the server p dials.
func recordOf(p *ftp.Pool, target string, src io.ReaderAt, size int64) (*resumeRecord, error) {
	r := &resumeRecord{Server: serverID(p), Target: target, Size: size}
	if st, ok := src.(sizer); ok {
		if fi, err := st.Stat(); err == nil {
			r.ModTime = fi.ModTime().UTC()
		}
	}
	h := sha256.New()
	if r.ModTime.IsZero() {
		if _, err := io.Copy(h, io.NewSectionReader(src, 0, size)); err != nil {
			return nil, &ftp.SourceError{Command: "STOR " + target, Err: err}
		}
		r.Sample = hex.EncodeToString(h.Sum(nil))
		return r, nil
	}
	head := min(size, sampleSpan)
	if _, err := io.Copy(h, io.NewSectionReader(src, 0, head)); err != nil {
		return nil, &ftp.SourceError{Command: "STOR " + target, Err: err}
	}
	if tail := max(head, size-sampleSpan); tail < size {
		if _, err := io.Copy(h, io.NewSectionReader(src, tail, size-tail)); err != nil {
			return nil, &ftp.SourceError{Command: "STOR " + target, Err: err}
		}
	}
	r.Sample = hex.EncodeToString(h.Sum(nil))
	return r, nil
}

// serverID names the server and account of p in resume records.
func serverID(p *ftp.Pool) string {
	return p.Addr() + " " + p.Config().User
}

// path is where the record of r's server and target lives in dir.
func (r *resumeRecord) path(dir string) string {
	sum := sha256.Sum256([]byte(r.Server + "\x00" + r.Target))
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+".json")
}

// matches reports whether the record in dir for r's server and target
// describes the same source as r.
func (r *resumeRecord) matches(dir string) (bool, error) {
	b, err := os.ReadFile(r.path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ftp: resume journal: %w", err)
	}
	var old resumeRecord
	if json.Unmarshal(b, &old) != nil {
		return false, nil // unreadable: as good as none
	}
	return old.Server == r.Server && old.Target == r.Target && old.Size == r.Size &&
		old.ModTime.Equal(r.ModTime) && old.Sample == r.Sample, nil
}

// save writes r into dir, whole or not at all (a temporary file renamed).
func (r *resumeRecord) save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("ftp: resume journal: %w", err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".record-*")
	if err != nil {
		return fmt.Errorf("ftp: resume journal: %w", err)
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), r.path(dir))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("ftp: resume journal: %w", err)
	}
	return nil
}

// remove deletes r's record from dir once the upload is complete.
func (r *resumeRecord) remove(dir string) {
	os.Remove(r.path(dir))
}
