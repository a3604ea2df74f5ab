// The Quectel local storage: "RAM:", "UFS:" and "SD:" files kept in memory,
// and the AT+QF* commands that move data in and out of them (AT+QFUPL,
// AT+QFLST, AT+QFDEL, AT+QFOPEN, AT+QFREAD, AT+QFCLOSE), as the FTP
// application note's examples use them.

package atbridge

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Quectel file-system result codes (the FILE application note, the
// document [4] the FTP note refers to).
const (
	fileErrInvalid  cmeError = 400 // invalid input value
	fileErrNotFound cmeError = 405 // file not found
	fileErrExists   cmeError = 407 // file already exists
	fileErrHandle   cmeError = 416 // invalid file descriptor
)

// maxLocalName bounds a local file name, drive included.
const maxLocalName = 255

// fileStore holds the local files, keyed by canonical name ("RAM:a.txt").
type fileStore struct {
	files map[string][]byte
}

func newFileStore() *fileStore { return &fileStore{files: map[string][]byte{}} }

// canonLocal turns a local name into its canonical form: the drive in upper
// case ("RAM:", "UFS:" or "SD:"; none means "UFS:") and a non-empty file
// name without path separators.
func canonLocal(name string) (string, bool) {
	drive, file := "UFS:", name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		drive, file = strings.ToUpper(name[:i+1]), name[i+1:]
	}
	switch drive {
	case "RAM:", "UFS:", "SD:":
	default:
		return "", false
	}
	if file == "" || len(name) > maxLocalName || strings.ContainsAny(file, "/\\\x00") {
		return "", false
	}
	return drive + file, true
}

func (s *fileStore) get(name string) ([]byte, bool) {
	b, ok := s.files[name]
	return b, ok
}

func (s *fileStore) put(name string, b []byte) { s.files[name] = b }

// match returns the canonical names that a pattern ("RAM:*", "*.txt")
// selects, sorted.
func (s *fileStore) match(pattern string) []string {
	drive, pat := "UFS:", pattern
	if i := strings.IndexByte(pattern, ':'); i >= 0 {
		drive, pat = strings.ToUpper(pattern[:i+1]), pattern[i+1:]
	}
	var names []string
	for name := range s.files {
		if !strings.HasPrefix(name, drive) {
			continue
		}
		if ok, err := path.Match(pat, name[len(drive):]); err == nil && ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// checksum is the AT+QFUPL checksum: the XOR of the data's 16-bit big-endian
// words, an odd last byte taken as the high byte of a word.
func checksum(b []byte) uint16 {
	var sum uint16
	for i := 0; i+1 < len(b); i += 2 {
		sum ^= uint16(b[i])<<8 | uint16(b[i+1])
	}
	if len(b)%2 == 1 {
		sum ^= uint16(b[len(b)-1]) << 8
	}
	return sum
}

// fileHandle is a file opened with AT+QFOPEN.
type fileHandle struct {
	name string
	pos  int
}

// localArg reads parameter 0, the <filename> of a file command, as the
// canonical name of the file.
func localArg(c *call) (string, bool) {
	raw, err := c.str(0, maxLocalName)
	if err != nil {
		return "", false
	}
	return canonLocal(raw)
}

// AT+QFUPL=<filename>[,<file_size>[,<timeout>[,<ackmode>]]]
func (q *quectel) cmdQFUPL(ctx context.Context, c *call) error {
	if done, err := c.only(formSet, `+QFUPL: <filename>[,(1-<freesize>)[,(1-65535)[,(0,1)]]]`); done {
		return err
	}
	name, ok := localArg(c)
	if !ok {
		return fileErrInvalid
	}
	size, err := c.numOr(1, 1, 10<<20, 10240)
	if err != nil {
		return fileErrInvalid
	}
	timeout, err := c.numOr(2, 1, 65535, 5)
	if err != nil {
		return fileErrInvalid
	}
	ack, err := c.numOr(3, 0, 1, 0)
	if err != nil {
		return fileErrInvalid
	}
	if _, exists := q.files.get(name); exists {
		return fileErrExists
	}
	m := q.m
	m.line("CONNECT")
	deadline := time.Now().Add(time.Duration(timeout) * m.opts.second())
	data := make([]byte, 0, size)
	err = m.receiveRaw(ctx, size, deadline, func(b []byte) {
		before := len(data) / 1024
		data = append(data, b...)
		if ack == 1 && len(data)/1024 > before && len(data) < size {
			m.raw([]byte("A"))
		}
	})
	if err != nil && err != errInputTimeout {
		return errHandled
	}
	q.files.put(name, data)
	m.line(fmt.Sprintf("+QFUPL: %d,%x", len(data), checksum(data)))
	m.line("OK")
	return errHandled
}

// AT+QFLST[=<name_pattern>]
func (q *quectel) cmdQFLST(_ context.Context, c *call) error {
	pattern := "*"
	switch c.form {
	case formTest:
		return nil
	case formSet:
		p, err := c.str(0, maxLocalName)
		if err != nil {
			return fileErrInvalid
		}
		pattern = p
	case formExec:
	default:
		return errSyntax
	}
	for _, name := range q.files.match(pattern) {
		b, _ := q.files.get(name)
		c.info = append(c.info, fmt.Sprintf("+QFLST: %s,%d", quote(name), len(b)))
	}
	return nil
}

// AT+QFDEL=<filename> (a pattern deletes every file it selects)
func (q *quectel) cmdQFDEL(_ context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFDEL: <filename>"); done {
		return err
	}
	p, err := c.str(0, maxLocalName)
	if err != nil {
		return fileErrInvalid
	}
	names := q.files.match(p)
	if len(names) == 0 {
		return fileErrNotFound
	}
	for _, name := range names {
		delete(q.files.files, name)
		for h, fh := range q.handles {
			if fh.name == name {
				delete(q.handles, h)
			}
		}
	}
	return nil
}

// AT+QFOPEN=<filename>[,<mode>]: mode 0 opens or creates, 1 creates or
// truncates, 2 opens an existing file read-only.
func (q *quectel) cmdQFOPEN(_ context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFOPEN: <filename>,(0-2)"); done {
		return err
	}
	name, ok := localArg(c)
	if !ok {
		return fileErrInvalid
	}
	mode, err := c.numOr(1, 0, 2, 0)
	if err != nil {
		return fileErrInvalid
	}
	_, exists := q.files.get(name)
	switch {
	case mode == 2 && !exists:
		return fileErrNotFound
	case mode == 1 || !exists:
		q.files.put(name, nil)
	}
	q.nextHandle++
	q.handles[q.nextHandle] = &fileHandle{name: name}
	c.info = append(c.info, "+QFOPEN: "+strconv.Itoa(q.nextHandle))
	return nil
}

// handleArg reads parameter 0, a <filehandle>, and finds its open file.
func (q *quectel) handleArg(c *call) (int, *fileHandle, error) {
	h, err := c.num(0, 0, 1<<30)
	if err != nil {
		return 0, nil, fileErrInvalid
	}
	fh := q.handles[h]
	if fh == nil {
		return 0, nil, fileErrHandle
	}
	return h, fh, nil
}

// AT+QFREAD=<filehandle>[,<length>]: CONNECT <read_length>, the data, OK.
func (q *quectel) cmdQFREAD(_ context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFREAD: <filehandle>[,<length>]"); done {
		return err
	}
	_, fh, err := q.handleArg(c)
	if err != nil {
		return err
	}
	data, _ := q.files.get(fh.name)
	rest := data[min(fh.pos, len(data)):]
	n, err := c.numOr(1, 1, 1<<30, len(rest))
	if err != nil {
		return fileErrInvalid
	}
	n = min(n, len(rest))
	fh.pos += n
	m := q.m
	m.line("CONNECT " + strconv.Itoa(n))
	m.raw(rest[:n])
	m.line("OK")
	return errHandled
}

// AT+QFCLOSE=<filehandle>
func (q *quectel) cmdQFCLOSE(_ context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFCLOSE: <filehandle>"); done {
		return err
	}
	h, _, err := q.handleArg(c)
	if err != nil {
		return err
	}
	delete(q.handles, h)
	return nil
}
