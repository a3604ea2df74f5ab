// Steps that many scripts share: listings, a Stat without MLST, FEAT
// answers and ls -l lines.

package fakeftp

import "strings"

// LoginLines is what a client logging in as u/p sends.
const LoginLines = "USER u\r\nPASS p\r\n"

// FeatNoMLST is the FEAT answer of a server with SIZE and MDTM but without
// MLST, MFMT or UTF8, like Twisted's.
const FeatNoMLST = "211-Features:\r\n MDTM\r\n PASV\r\n SIZE\r\n TYPE A;I\r\n211 End\r\n"

// FeatMLST is the FEAT answer of a server with MLST.
const FeatMLST = "211-Features:\r\n MDTM\r\n MLST type*;size*;modify*;\r\n SIZE\r\n211 End\r\n"

// Listing scripts a passive listing command (cmd without CRLF) that sends
// lines and succeeds.
func (sc *Script) Listing(cmd string, lines ...string) {
	sc.Expect("EPSV\r\n")
	sc.EPSV()
	sc.Expect(cmd + "\r\n")
	sc.AcceptData()
	sc.Send("150 Here comes the directory listing.\r\n")
	if len(lines) > 0 {
		sc.WriteData([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	}
	sc.CloseData()
	sc.Send("226 Directory send OK.\r\n")
}

// RefusedListing scripts a passive listing command answered with reply
// before any data moves.
func (sc *Script) RefusedListing(cmd, reply string) {
	sc.Expect("EPSV\r\n")
	sc.EPSV()
	sc.Expect(cmd + "\r\n")
	sc.Send(reply)
}

// StatFile scripts the Stat of a file on a server without MLST once the
// working directory is known: SIZE, a CWD that fails, MDTM.
func (sc *Script) StatFile(p, size, mdtm string) {
	sc.Expect("SIZE " + p + "\r\n")
	sc.Send("213 " + size + "\r\n")
	sc.Expect("CWD " + p + "\r\n")
	sc.Send("550 " + p + ": Not a directory.\r\n")
	sc.Expect("MDTM " + p + "\r\n")
	sc.Send("213 " + mdtm + "\r\n")
}

// LsDir and LsFile are ls -l lines for a directory and a file.
func LsDir(name string) string {
	return "drwxr-xr-x    2 u        u            4096 Jan 02  2020 " + name
}

// LsFile is an ls -l line for a file of size bytes.
func LsFile(name string, size string) string {
	return "-rw-r--r--    1 u        u        " + size + " Jan 02  2020 " + name
}
