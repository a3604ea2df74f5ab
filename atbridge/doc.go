// Package atbridge speaks the AT command sets that cellular modules offer
// for FTP(S), on top of package ftp, so that a driver or a test harness can
// reach a real FTP server through the same AT dialogue it would have with
// the module.
//
// A Modem reads command lines and data from an io.Reader and writes
// responses, data and URCs to an io.Writer, in V.250 framing: every
// response line is framed by <CR><LF>, final result codes are OK, ERROR and
// "+CME ERROR: <err>", CONNECT starts data mode. Echo follows ATE0/ATE1
// (on at start, as on the modules). Commands are case-insensitive after AT
// and come in four forms: test (AT+X=?), query (AT+X?), set (AT+X=...) and
// execute (AT+X); several may share a line, separated by ';'. A/ repeats
// the last line, ATI identifies the dialect, AT+CMEE=0/1/2 chooses how
// errors read.
//
// # Quectel
//
// New(Quectel, ...) follows the EC200x/EC600x/EG912Y FTP(S) application
// note: AT+QFTPCFG (account, filetype, transmode, contextid, rsptimeout,
// ssltype, SSL_ctxID, data_address, cache) and AT+QFTPOPEN, CWD, PWD, PUT,
// GET, SIZE, DEL, MKDIR, RMDIR, LIST, NLST, MLSD, MDTM, RENAME, LEN, STAT,
// CLOSE. Commands answer OK at once and report with the URC
// "+QFTPxxx: <err>,<protocol_error>" when the server has answered. The
// settings map onto ftp.Config: rsptimeout is the reply timeout,
// transmode chooses passive or active mode, filetype TYPE I or A,
// data_address the ftp.PassiveAddressPolicy (0 server's address, 1 control
// peer, 2 control peer then server's), ssltype 1 implicit and 2 explicit
// TLS, <startpos> is REST. The PDP context (AT+QICSGP, AT+QIACT,
// AT+QIDEACT) must be active before AT+QFTPCFG="contextid" names it and
// AT+QFTPOPEN uses it. AT+QSSLCFG (sslversion, ciphersuite, seclevel,
// cacert, clientcert, clientkey) configures FTPS.
//
// The local name "COM:" means the port: CONNECT, then raw data. An upload
// ends with "+++" (one second of silence before and after, the three
// characters within one second; Options.EscapeGuard changes the second) or
// when <uploadlen> bytes arrived; with <beof> 0 the data connection stays
// open for the next AT+QFTPPUT to the same file. A download ends by itself
// or after <downloadlen> bytes; "+++" pauses it and ATO resumes it. Local
// names "RAM:", "UFS:" and "SD:" are files kept in memory, moved in and out
// with AT+QFUPL, AT+QFLST, AT+QFDEL, AT+QFOPEN, AT+QFREAD and AT+QFCLOSE.
//
// # Luat
//
// New(Luat, ...) follows the Luat (Air series) manual: the parameters
// AT+FTPPORT, FTPMODE, FTPTYPE, FTPPUTOPT, FTPCID, FTPREST, FTPSERV, FTPUN,
// FTPPW, FTPGETNAME, FTPGETPATH, FTPPUTNAME, FTPPUTPATH (and FTPTIMEOUT,
// which AT+FTPSCONT? lists), the operations AT+FTPMKD, FTPRMD, FTPSIZE,
// FTPGET, FTPPUT, FTPLIST, FTPQUIT, AT+FTPSCONT to save the context, and the
// bearer AT+SAPBR that AT+FTPCID refers to. AT+FTPGET=1 opens a download
// ("+FTPGET: 1,1"), AT+FTPGET=2,<n> reads at most 1460 bytes, and
// "+FTPGET: 1,0" (or "1,<error>") ends it; AT+FTPPUT and AT+FTPLIST follow
// the same pattern.
//
// # Errors
//
// One table turns the client's errors into both dialects' codes; the first
// row that matches applies.
//
//	| condition | Quectel <err> | <protocol_error> | Luat |
//	| no error | 0 | 0 | 0 |
//	| the session was closed earlier (ftp.ErrClosed) | 606 | 0 | 61 |
//	| cancelled (AT+QFTPCLOSE, AT+FTPQUIT, the port closed) | 601 | 0 | 86 |
//	| TLS: the server refused AUTH TLS | 631 | reply code | 82 |
//	| TLS: PBSZ or PROT refused | 631 | reply code | 83 |
//	| TLS: the server's certificate was not accepted | 631 | 0 | 81 |
//	| TLS: the handshake of a data connection failed | 631 | 0 | 84 |
//	| TLS: any other handshake or TLS failure | 631 | 0 | 80 |
//	| the data connection could not be opened | 615 | 0 | 75 passive, 76 active |
//	| DNS failure (*net.DNSError) | 604 | 0 | 62 |
//	| timeout (no reply, no data, deadline) | 609 | 0 | 64 |
//	| an FTP reply the command did not expect (*ftp.Error) | by reply code | reply code | by command |
//	| a reply that breaks the protocol (*ftp.ProtocolError) | 601 | 0 | 70 |
//	| connection refused | 605 | 0 | 63 |
//	| the data connection broke during the transfer | 607 | 0 | 79 download, 78 upload |
//	| connection reset by the peer | 608 | 0 | 61 |
//	| the server closed the control connection (EOF) | 606 | 0 | 61 |
//	| a transfer is in progress (ftp.ErrBusy) | 603 | 0 | 66 |
//	| invalid argument (ftp.ErrInvalidArgument) | 610 | 0 | 77 |
//	| not supported by the server (ftp.ErrNotSupported) | 622 | 0 | 77 |
//	| the bearer or PDP context is not active | 605 | 0 | 61 |
//	| local file not found | 611 | 0 | 85 |
//	| start position beyond the local file | 612 | 0 | 85 |
//	| other local file error | 613 | 0 | 85 |
//	| other network error | 605 | 0 | 61 |
//	| anything else | 601 | 0 | 61 |
//
// A row whose error carries a server reply beside its own cause (a refused
// AUTH TLS, a refusal that came with a timeout) gives that reply's code as
// <protocol_error> too, except a session closed earlier, whose reply
// answered an earlier command: <protocol_error> is 0 only when the server
// refused nothing.
//
// An *ftp.Error gives <protocol_error> its reply code and <err> by code
// (chapters 5 and 6 of the application note; 553 shares 627 with 550, as
// the note lists no 630; other codes give 601):
//
//	| 421 | 614 |
//	| 425 | 615 |
//	| 426 | 616 |
//	| 450 | 617 |
//	| 451 | 618 |
//	| 452 | 619 |
//	| 500 | 620 |
//	| 501 | 621 |
//	| 502 | 622 |
//	| 503 | 623 |
//	| 504 | 624 |
//	| 530 | 625 |
//	| 532 | 626 |
//	| 550 | 627 |
//	| 551 | 628 |
//	| 552 | 629 |
//	| 553 | 627 |
//
// and the Luat code by what was refused: 421 or the greeting 65; a refused
// USER 71, PASS or ACCT 72; a missing file (550 or 450 saying so) 85;
// otherwise by command, and 77 for any command not listed:
//
//	| USER | 71 |
//	| PASS | 72 |
//	| ACCT | 72 |
//	| TYPE | 73 |
//	| REST | 74 |
//	| EPSV | 75 |
//	| PASV | 75 |
//	| EPRT | 76 |
//	| PORT | 76 |
//	| STOR | 78 |
//	| APPE | 78 |
//	| STOU | 78 |
//	| RETR | 79 |
//	| LIST | 79 |
//	| NLST | 79 |
//	| MLSD | 79 |
//
// So a wrong password gives "+QFTPOPEN: 625,530" and "+FTPGET: 1,72", a
// missing file "+QFTPGET: 627,550" and "+FTPSIZE: 1,85,0", an unresolvable
// host 604 and 62, a server that is down 605 and 63, one that stops
// answering 609 and 64.
//
// # Where the documents slip or are silent
//
// The Quectel note names the AT+QFTPPWD answer +QFTPCWD in section 2.4, and
// prints it both unquoted (3.3) and quoted (3.4): "+QFTPPWD: 0,"<path>""
// is sent. Section 3.4 prints "+QFTPSIZE:0, 1000": the table's
// "+QFTPSIZE: 0,<file_size>" is sent. Section 3.6 writes "COM: " with a
// space: spaces around a local name are ignored. Section 3.7 lists local
// files unquoted where chapter 2 quotes them: they are quoted. Section 2.17
// puts +QFTPSTAT after OK, the example of 3.6 before it: the example is
// followed. The Luat manual gives AT+FTPCID the range 1-3 and "default 0":
// the default is 1; it prints some URCs without the space after the colon:
// the space is always sent; it documents no default for AT+FTPMODE: passive.
//
// Where the documents say nothing: AT+FTPPUT=2 is followed by
// "+FTPPUT: 1,1,1460" again when more may be sent, as on the SIMCom-family
// modules; a download with no data reports "+FTPGET: 1,0" without
// "+FTPGET: 1,1"; AT+FTPTIMEOUT (20-180 s, default 60), which
// AT+FTPSCONT? lists, bounds each reply and each wait for data. A transfer
// to or from COM: that fails before CONNECT answers with its URC alone.
// AT+QSSLCFG "seclevel" defaults to 1 (verify the server), not to the
// module's 0; "sslversion" 0-2 mean the client's floor, TLS 1.2. A change
// of transmode, rsptimeout or data_address while a session is open takes
// effect at once, as the note says, through a new login that returns to
// the working directory. Listings are passed on as the server sent them
// (LIST, NLST and MLSD alike). AT+QFTPMLSD on a server without MLSD (vsftpd:
// its FEAT lists no MLST, or it refuses MLSD with 500, 502 or 504) gets
// MLSD lines made from the parsed LIST -a, with the facts LIST gives:
// "type=file;size=1000;modify=20140708110000;perm=adfrw; name" (type file,
// dir or OS.unix=symlink; size for files and links; modify to the minute,
// in UTC; perm from the owner's mode bits); lines LIST gave that could not
// be parsed are left out. A refusal of the LIST is reported with its reply
// code ("+QFTPMLSD: 627,550").
//
// Errors found before anything is sent are immediate: "+CME ERROR: 610"
// for a parameter out of its documented range or length (Quectel; Luat
// answers ERROR, its manual's "输入格式有误"), 625 when no session is open,
// 603 while a transfer holds it, 611 and 612 for a local file that is
// missing or shorter than <startpos>, and the FILE note's 405 and 407 for
// AT+QF* commands.
package atbridge
