#!/usr/bin/env python3
"""rootlet-dns's upstream and its clients, for the tests of what it forwards.

upstream: a resolver on ADDR:53 that logs every query it gets ("ID PORT NAME") and answers by
the query's name: "hold*" never; "late*" the right one after LATE_SECONDS; "CASE.spoof.*"
first a forged answer of that CASE (a wrong ID, question or source) carrying
192.0.2.<CASE's number>, then the right one; anything else the right one, 192.0.2.100 (A), at
once.

ask, sequential, burst: clients of rootlet-dns (their own IDs, checked on every answer).
randomness: what the log says of the IDs and source ports rootlet-dns used.
icmp-unreach: ICMP port-unreachables quoting a UDP datagram, sent from an address of our
choosing, as a container forging them would.
"""
import argparse
import collections
import os
import random
import select
import socket
import struct
import sys
import threading
import time

from dnswire import encode_name, parse_query

RIGHT = "192.0.2.100"
LATE_SECONDS = 2.0
ICMP_UNREACH, ICMP_PORT_UNREACH = 3, 3
UDP_HLEN = 8
T_A, T_AAAA, T_TXT, C_IN, C_CH = 1, 28, 16, 1, 3
RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
# The forged answers, each answered with its own address (192.0.2.N) so a leak says which.
SPOOFS = ["wrongid", "wrongname", "wrongtype", "wrongclass", "wrongport", "wrongaddr",
          "noquestion", "notananswer"]


def answer(ident, name, qtype, qclass, addr, qd=1, flags=0x8180):
    """A response: the question (name, type, class) and one A record of addr."""
    question = encode_name(name) + struct.pack("!HH", qtype, qclass) if qd else b""
    rr = struct.pack("!HHHIH", 0xC00C, T_A, C_IN, 60, 4) + socket.inet_aton(addr)
    return struct.pack("!HHHHHH", ident, flags, qd, 1, 0, 0) + question + rr


def forge(case, ident, name, qtype, qclass):
    """The forged answer of case: (the datagram, the socket to send it from: main/port/addr)."""
    addr = "192.0.2.%d" % (SPOOFS.index(case) + 1)
    if case == "wrongid":
        return answer(ident ^ 0x8001, name, qtype, qclass, addr), "main"
    if case == "wrongname":
        return answer(ident, "x" + name[1:], qtype, qclass, addr), "main"
    if case == "wrongtype":
        return answer(ident, name, T_TXT if qtype != T_TXT else T_A, qclass, addr), "main"
    if case == "wrongclass":
        return answer(ident, name, qtype, C_CH, addr), "main"
    if case == "noquestion":
        return answer(ident, name, qtype, qclass, addr, qd=0), "main"
    if case == "notananswer":
        return answer(ident, name, qtype, qclass, addr, flags=0x0100), "main"
    if case == "wrongport":
        return answer(ident, name, qtype, qclass, addr), "port"
    return answer(ident, name, qtype, qclass, addr), "addr"


def upstream(args):
    main = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    main.bind((args.addr, 53))
    others = {"main": main}
    if args.alt_addr:
        others["addr"] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        others["addr"].bind((args.alt_addr, 53))
        others["port"] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        others["port"].bind((args.addr, args.alt_port))
    log = open(args.log, "a", buffering=1)
    with open(args.ready, "w"):
        pass
    while True:
        q, peer = main.recvfrom(4096)
        try:
            ident, _, name, qtype, qclass, _ = parse_query(q)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue
        log.write("%d %d %s\n" % (ident, peer[1], name))
        labels = name.lower().split(".")
        if labels[0].startswith("hold"):
            continue
        if labels[0].startswith("late"):
            threading.Timer(LATE_SECONDS, main.sendto,
                            (answer(ident, name, qtype, qclass, RIGHT), peer)).start()
            continue
        if len(labels) > 1 and labels[1] == "spoof" and labels[0] in SPOOFS:
            msg, via = forge(labels[0], ident, name, qtype, qclass)
            others[via].sendto(msg, peer)
        main.sendto(answer(ident, name, qtype, qclass, RIGHT), peer)


def query(ident, name, qtype=T_A):
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack("!HH", qtype, C_IN)


def describe(r):
    """'RCODE [ADDRESS]' of a response to one A question."""
    rcode = RCODES.get(r[3] & 0x0F, str(r[3] & 0x0F))
    ancount = struct.unpack("!H", r[6:8])[0]
    return rcode + (" " + socket.inet_ntoa(r[-4:]) if ancount else "")


def client(args):
    """A client's socket, from --source ADDR when given (another container, as it were)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.source:
        s.bind((args.source, 0))
    return s


def ask(args):
    """One question; print the first answer to it, then 'extra N': datagrams after it."""
    s = client(args)
    s.settimeout(args.timeout)
    ident = random.getrandbits(16)
    s.sendto(query(ident, args.name), (args.server, 53))
    try:
        r = s.recv(4096)
    except socket.timeout:
        print("no answer")
        return 1
    if struct.unpack("!H", r[:2])[0] != ident:
        print("answer under another ID")
        return 1
    print(describe(r))
    extra = 0
    s.settimeout(args.linger)
    try:
        while s.recv(4096):
            extra += 1
    except socket.timeout:
        pass
    print("extra %d" % extra)
    return 0


def sequential(args):
    """N questions one after the other, each answered (its ID, RIGHT) before the next."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    for i in range(args.n):
        ident = i & 0xFFFF
        s.sendto(query(ident, "q%d.example" % i), (args.server, 53))
        try:
            r = s.recv(4096)
        except socket.timeout:
            print("query %d: no answer" % i, file=sys.stderr)
            return 1
        if struct.unpack("!H", r[:2])[0] != ident or describe(r) != "NOERROR " + RIGHT:
            print("query %d: wrong answer: %s" % (i, describe(r)), file=sys.stderr)
            return 1
    return 0


def burst(args):
    """N questions for hold<i>.example, CHUNK at a time (each chunk sent once every query
    before it is either in the upstream's LOG or answered: a socket's buffer holds only so
    many); count the answers by rcode until none come for --quiet seconds: 'SERVFAIL 20 first
    256' lines (the rcode, how many, the first one's ID)."""
    s = client(args)
    counts, first = collections.Counter(), {}

    def take(timeout):
        r, _, _ = select.select([s], [], [], timeout)
        if not r:
            return False
        msg = s.recv(4096)
        rcode = describe(msg).split()[0]
        counts[rcode] += 1
        first.setdefault(rcode, struct.unpack("!H", msg[:2])[0])
        return True

    def upstream_got():
        with open(args.log) as f:
            return sum(1 for _ in f)

    deadline = time.monotonic() + args.timeout
    for i in range(args.n):
        s.sendto(query(i, "hold%d.example" % i), (args.server, 53))
        if (i + 1) % args.chunk and i + 1 < args.n:
            continue
        while upstream_got() + sum(counts.values()) < i + 1:
            if time.monotonic() > deadline:
                print("%d queries neither upstream nor answered" % (i + 1), file=sys.stderr)
                return 1
            take(0.01)
    while take(args.quiet):
        pass
    for rcode in sorted(counts):
        print("%s %d first %d" % (rcode, counts[rcode], first[rcode]))
    return 0


def randomness(args):
    """Of the log's queries (in order): how many, distinct IDs, distinct source ports, how
    often the commonest step from one ID to the next occurs, and how often one (ID, port)
    pair follows itself."""
    rows = [tuple(int(x) for x in line.split()[:2]) for line in open(args.log)]
    steps = collections.Counter((b[0] - a[0]) & 0xFFFF for a, b in zip(rows, rows[1:]))
    repeats = sum(1 for a, b in zip(rows, rows[1:]) if a == b)
    print("queries %d ids %d ports %d commonest-step %d repeated-pairs %d" % (
        len(rows), len({r[0] for r in rows}), len({r[1] for r in rows}),
        steps.most_common(1)[0][1] if steps else 0, repeats))
    return 0


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    total = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp_unreach(args):
    """For each quoted source address: a port-unreachable to it, quoting a datagram from it
    (port --sport) to DST:DPORT, sent from --from."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((args.source, 0))
    for src in args.quoted_src:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + UDP_HLEN + 20, 0, 0, 64,
                         socket.IPPROTO_UDP, 0, socket.inet_aton(src),
                         socket.inet_aton(args.dst))
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        quoted = ip + struct.pack("!HHHH", args.sport, args.dport, UDP_HLEN + 20, 0)
        head = struct.pack("!BBHI", ICMP_UNREACH, ICMP_PORT_UNREACH, 0, 0)
        msg = head + quoted
        msg = msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]
        s.sendto(msg, (src, 0))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(required=True)
    p = sub.add_parser("upstream")
    p.add_argument("addr")
    p.add_argument("--log", required=True)
    p.add_argument("--alt-addr")
    p.add_argument("--alt-port", type=int, default=5353)
    p.add_argument("--ready", required=True)
    p.set_defaults(fn=upstream)
    p = sub.add_parser("ask")
    p.add_argument("name")
    p.add_argument("server")
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--linger", type=float, default=0.3)
    p.add_argument("--source")
    p.set_defaults(fn=ask)
    p = sub.add_parser("sequential")
    p.add_argument("n", type=int)
    p.add_argument("server")
    p.add_argument("--timeout", type=float, default=3.0)
    p.set_defaults(fn=sequential)
    p = sub.add_parser("burst")
    p.add_argument("n", type=int)
    p.add_argument("server")
    p.add_argument("--log", required=True)
    p.add_argument("--chunk", type=int, default=32)
    p.add_argument("--quiet", type=float, default=0.5)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--source")
    p.set_defaults(fn=burst)
    p = sub.add_parser("icmp-unreach")
    p.add_argument("dst")
    p.add_argument("dport", type=int)
    p.add_argument("sport", type=int)
    p.add_argument("quoted_src", nargs="+")
    p.add_argument("--from", dest="source", required=True)
    p.set_defaults(fn=icmp_unreach)
    p = sub.add_parser("randomness")
    p.add_argument("log")
    p.set_defaults(fn=randomness)
    args = ap.parse_args()
    sys.exit(args.fn(args) or 0)


if __name__ == "__main__":
    main()
