# aioftp's server for the ftp client's interop suite (internal/realservers,
# aioftp.go): one user with full rights on the served directory, plain or
# with TLS from the first byte on every connection (aioftp's only TLS: the
# listening sockets are TLS sockets; it has no AUTH TLS).
#
# Run as root with a JSON config (pyConfig in python.go) as the only
# argument: it binds, loads the certificate and key (readable by root
# only), then switches to the user, so that files belong to the user as
# with the other servers. Logs every command and reply on stderr (aioftp
# masks the password itself).
import asyncio
import json
import logging
import os
import ssl
import sys

import aioftp


async def serve(cfg):
    context = None
    if cfg["tls"] == "implicit":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cfg["certfile"], cfg["keyfile"])
    elif cfg["tls"] != "plain":
        sys.exit("aioftp has no %s TLS" % cfg["tls"])
    user = aioftp.User(cfg["user"], cfg["password"], base_path=cfg["home"], home_path="/")
    server = aioftp.Server(
        [user],
        data_ports=range(cfg["pasv_min"], cfg["pasv_max"] + 1),
        ssl=context,
        idle_timeout=120,
        socket_timeout=60,
    )
    await server.start(cfg["host"], cfg["port"])
    os.setgroups([])
    os.setgid(cfg["gid"])
    os.setuid(cfg["uid"])
    await server.serve_forever()


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format="%(asctime)s %(message)s")
    asyncio.run(serve(cfg))


if __name__ == "__main__":
    main()
