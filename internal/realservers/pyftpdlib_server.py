# pyftpdlib for the ftp client's interop suite (internal/realservers,
# pyftpdlib.go): one user with full rights on one directory, plain or with
# explicit TLS required on the control and data connections.
#
# Run as root with a JSON config (pyConfig in python.go) as the only
# argument: it binds, loads the certificate and key (readable by root
# only), then switches to the user, so that files belong to the user as
# with the other servers. Logs every command and reply on stderr.
import json
import logging
import os
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import MultiprocessFTPServer


class HidePassword(logging.Filter):
    """Keeps the password out of the log, which failure reports print."""

    def filter(self, record):
        msg = record.getMessage()
        if "PASS " in msg.upper():
            record.msg, record.args = msg[: msg.upper().index("PASS ") + 5] + "****", ()
        return True


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(HidePassword())
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)

    authorizer = DummyAuthorizer()
    # e l r a d f m w M T: every right, MFMT included.
    authorizer.add_user(cfg["user"], cfg["password"], cfg["home"], perm="elradfmwMT")

    if cfg["tls"] == "explicit":
        class Handler(TLS_FTPHandler):
            pass
        Handler.certfile = cfg["certfile"]
        Handler.keyfile = cfg["keyfile"]
        Handler.tls_control_required = True
        Handler.tls_data_required = True
        # Made now, while the key can still be read.
        Handler.get_ssl_context()
    elif cfg["tls"] == "plain":
        class Handler(FTPHandler):
            pass
    else:
        sys.exit("pyftpdlib has no %s TLS" % cfg["tls"])
    Handler.authorizer = authorizer
    Handler.passive_ports = range(cfg["pasv_min"], cfg["pasv_max"] + 1)
    Handler.banner = "pyftpdlib interop server ready"

    # A process per session, as with the C servers: in one process, one
    # session closing an active-mode data socket (ABOR) can unregister
    # another session's new socket that got the same fd, whose EPRT is then
    # never answered.
    server = MultiprocessFTPServer((cfg["host"], cfg["port"]), Handler)
    server.max_cons = 50
    os.setgroups([])
    os.setgid(cfg["gid"])
    os.setuid(cfg["uid"])
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    main()
