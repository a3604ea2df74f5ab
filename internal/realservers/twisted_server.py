# Twisted's FTP server (twisted.protocols.ftp) for the ftp client's interop
# suite (internal/realservers, twisted.go): one user whose home is the
# served directory, plain only (Twisted's FTP has no TLS).
#
# Run as root with a JSON config (pyConfig in python.go) as the only
# argument: it binds, then switches to the user, so that files belong to
# the user as with the other servers. Logs every command and reply on
# stderr, the password masked.
import json
import os
import sys

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import Portal
from twisted.internet import reactor
from twisted.protocols.ftp import FTP, BaseFTPRealm, FTPFactory
from twisted.python import filepath, log


class Realm(BaseFTPRealm):
    """Gives the user the served directory, not a directory below it."""

    def __init__(self, home):
        BaseFTPRealm.__init__(self, home)
        self.home = filepath.FilePath(home)

    def getHomeDirectory(self, avatarId):
        return self.home


class LoggingFTP(FTP):
    """FTP that logs the dialogue, which Twisted does not."""

    def lineReceived(self, line):
        shown = line
        if line[:5].upper() == b"PASS ":
            shown = b"PASS ****"
        log.msg("<- %s" % shown.decode("utf-8", "replace"))
        return FTP.lineReceived(self, line)

    def sendLine(self, line):
        if isinstance(line, str):
            shown = line
        else:
            shown = line.decode("utf-8", "replace")
        log.msg("-> %s" % shown)
        return FTP.sendLine(self, line)


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    if cfg["tls"] != "plain":
        sys.exit("Twisted's FTP server has no TLS")
    log.startLogging(sys.stderr)
    checker = InMemoryUsernamePasswordDatabaseDontUse()
    # Twisted hands the checker the name and password as str.
    checker.addUser(cfg["user"], cfg["password"])
    factory = FTPFactory(Portal(Realm(cfg["home"]), [checker]))
    factory.protocol = LoggingFTP
    factory.allowAnonymous = False
    factory.passivePortRange = range(cfg["pasv_min"], cfg["pasv_max"] + 1)
    reactor.listenTCP(cfg["port"], factory, interface=cfg["host"])
    os.setgroups([])
    os.setgid(cfg["gid"])
    os.setuid(cfg["uid"])
    reactor.run()


if __name__ == "__main__":
    main()
