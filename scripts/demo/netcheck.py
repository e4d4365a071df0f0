#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tiny traffic helper for scripts/demo.sh (no netcat/socat needed).

  netcheck.py listen --tcp 22,80 --udp 53 [--seconds N]
      Serve TCP ports (send a one-line greeting, close) and echo UDP
      datagrams, on every address (IPv4 and IPv6), for at most N seconds.
  netcheck.py tcp HOST PORT [--src ADDR] [--timeout S]
  netcheck.py udp HOST PORT [--src ADDR] [--timeout S]
      Exit 0 if the server answered (the packets went through), 1 if the
      probe timed out (dropped somewhere), 2 if the connection was refused
      or failed otherwise. Prints nothing on success.
"""
import argparse
import select
import socket
import sys
import time


def ports(text):
    return [int(p) for p in text.split(",") if p]


def bound(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    return s


def listen(args):
    tcp = {bound(socket.SOCK_STREAM, p): p for p in ports(args.tcp)}
    udp = {bound(socket.SOCK_DGRAM, p): p for p in ports(args.udp)}
    for s in tcp:
        s.listen(16)
    deadline = time.monotonic() + args.seconds
    socks = list(tcp) + list(udp)
    while time.monotonic() < deadline:
        ready, _, _ = select.select(socks, [], [], 1.0)
        for s in ready:
            if s in tcp:
                c, _ = s.accept()
                try:
                    c.sendall(b"hello from port %d\n" % tcp[s])
                finally:
                    c.close()
            else:
                data, peer = s.recvfrom(2048)
                s.sendto(data, peer)
    return 0


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def probe(args):
    kind = socket.SOCK_STREAM if args.cmd == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(family(args.host), kind)
    s.settimeout(args.timeout)
    try:
        if args.src:
            s.bind((args.src, 0))
        s.connect((args.host, args.port))
        if kind == socket.SOCK_DGRAM:
            s.send(b"netcheck")
            data = s.recv(2048)
            return 0 if data == b"netcheck" else 2
        data = s.recv(100)
        return 0 if data.startswith(b"hello") else 2
    except socket.timeout:
        return 1
    except OSError as e:
        print(e, file=sys.stderr)
        return 2
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("listen")
    lp.add_argument("--tcp", default="")
    lp.add_argument("--udp", default="")
    lp.add_argument("--seconds", type=float, default=600)
    for name in ("tcp", "udp"):
        pp = sub.add_parser(name)
        pp.add_argument("host")
        pp.add_argument("port", type=int)
        pp.add_argument("--src")
        pp.add_argument("--timeout", type=float, default=1.5)
    args = ap.parse_args()
    return listen(args) if args.cmd == "listen" else probe(args)


if __name__ == "__main__":
    sys.exit(main())
