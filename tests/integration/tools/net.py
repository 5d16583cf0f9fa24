#!/usr/bin/env python3
"""Network helpers for the integration tests: servers and clients on addresses the tests own.

Every peer is on loopback or inside a namespace the test made; every wait is bounded.
"""
import argparse
import fcntl
import hashlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from dnswire import encode_name, parse_query

TIMEOUT = 10.0
CHUNK = 1 << 16


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ready(path):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(path + ".tmp", path)


def read_to_eof(c):
    """Everything the peer sends on C until it closes its side."""
    got = b""
    while True:
        data = c.recv(CHUNK)
        if not data:
            return got
        got += data


def tcp_listen(args, backlog):
    """A TCP socket listening on ADDR PORT, said ready (--ready) once it is."""
    s = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.addr, args.port))
    s.listen(backlog)
    ready(args.ready)
    return s


def serve_echo(args):
    """Echo TCP connections (each in a thread) or UDP datagrams until killed."""
    fam = family_of(args.addr)
    if args.proto == "tcp":
        s = tcp_listen(args, 256)

        def echo(c):
            with c:
                while True:
                    data = c.recv(CHUNK)
                    if not data:
                        break
                    c.sendall(data)

        while True:
            c, _ = s.accept()
            threading.Thread(target=echo, args=(c,), daemon=True).start()
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((args.addr, args.port))
    ready(args.ready)
    while True:
        data, peer = s.recvfrom(CHUNK)
        s.sendto(data, peer)


def serve_peer(args):
    """Answer each TCP connection with the address it came from (or --say TEXT), then close
    it."""
    s = tcp_listen(args, 64)
    while True:
        c, peer = s.accept()
        with c:
            said = args.say or peer[0].removeprefix("::ffff:")
            if args.with_port:
                said += f":{peer[1]}"
            c.sendall(said.encode())


def serve_count(args):
    """Accept TCP connections and log one line per connection to --log: who reached us."""
    s = tcp_listen(args, 64)
    while True:
        c, peer = s.accept()
        with open(args.log, "a") as log:
            log.write(f"{peer[0]} {peer[1]}\n")
        c.close()


def inet_csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def tap_macs(dev):
    """libslirp's gateway MAC and the netns's own on DEV: a guest frame's two ends."""
    slirp_gw_mac = bytes.fromhex("52550a000202")  # libslirp's: 52:55 and 10.0.2.2
    siocgifhwaddr = 0x8927  # /sys shows the host's netns: ask the netns's own kernel side
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as q:
        req = fcntl.ioctl(q.fileno(), siocgifhwaddr, struct.pack("256s", dev.encode()))
    return slirp_gw_mac, req[18:24]


def arp_for_gateway(mac, addr):
    """A broadcast ARP request for libslirp's gateway from MAC and ADDR (4 bytes): libslirp
    learns ADDR's MAC from it."""
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + addr + bytes(6) + \
        socket.inet_aton("10.0.2.2")
    return b"\xff" * 6 + mac + b"\x08\x06" + arp


def raw_frag(args):
    """Write IP fragments to ADDR (PORT: UDP's, in a first fragment's header) onto the tap:
    --count of them, each with its own IP ID, --offset in 8-byte units, MF when --more,
    --size bytes of payload; to an IPv6 ADDR, behind a Fragment header."""
    gw_mac, own_mac = tap_macs(args.dev)
    fam = family_of(args.addr)
    dst = socket.inet_pton(fam, args.addr)
    src = socket.inet_pton(fam, "10.0.2.100" if fam == socket.AF_INET else "fd00::100")
    payload = struct.pack("!HHHH", 40000, args.port, args.size, 0) + bytes(args.size - 8)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.dev, 0))
    for ident in range(1, args.count + 1):
        if fam == socket.AF_INET:
            frag = (0x2000 if args.more else 0) | args.offset
            ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(payload), ident & 0xFFFF, frag, 64,
                             socket.IPPROTO_UDP, 0)
            ip = ip[:10] + struct.pack("!H", inet_csum(ip + src + dst)) + src + dst
            frame = gw_mac + own_mac + b"\x08\x00" + ip + payload
        else:
            fh = struct.pack("!BBHI", socket.IPPROTO_UDP, 0,
                             (args.offset << 3) | (1 if args.more else 0), ident)
            ip = struct.pack("!IHBB", 6 << 28, len(fh) + len(payload), 44, 64) + src + dst
            frame = gw_mac + own_mac + b"\x86\xdd" + ip + fh + payload
        s.send(frame)


DUP_FIN_SETTLE_S = 0.3  # for the host's data to reach the tap


def raw_ooo(args):
    """A TCP handshake with ADDR:PORT written onto the tap from --src (an address the netns
    does not have, so that its kernel leaves libslirp's SYN-ACK alone), then --count one-byte
    segments at every second sequence number: each past a gap. Prints the SYN-ACK's window."""
    gw_mac, own_mac = tap_macs(args.dev)
    src, dst = socket.inet_aton(args.src), socket.inet_aton(args.addr)
    sport = 20000 + os.getpid() % 20000
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((args.dev, 0))
    # libslirp learns the source's MAC from its ARP request
    s.send(arp_for_gateway(own_mac, src))

    def seg(seq, ack, flags, data=b"", opts=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, args.port, seq, ack, 5 << 4, flags, 64240, 0,
                          0) + data
        pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", inet_csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH", 0x45 + len(opts) // 4, 0, 20 + len(opts) + len(tcp), 1,
                         0x4000, 64, socket.IPPROTO_TCP, 0)
        ip = ip[:10] + struct.pack("!H", inet_csum(ip + src + dst + opts)) + src + dst + opts
        return gw_mac + own_mac + b"\x08\x00" + ip + tcp

    isn = 1000
    s.send(seg(isn, 0, 0x02))
    s.settimeout(args.timeout)
    deadline = time.monotonic() + args.timeout
    while True:
        if time.monotonic() > deadline:
            sys.exit("raw-ooo: no SYN-ACK")
        d, a = s.recvfrom(70000)
        if a[2] == socket.PACKET_OUTGOING or d[12:14] != b"\x08\x00" or d[23] != 6:
            continue
        t = d[14 + (d[14] & 15) * 4:]
        if struct.unpack("!H", t[2:4])[0] == sport and t[13] & 0x12 == 0x12:
            srv, win = struct.unpack("!I", t[4:8])[0], struct.unpack("!H", t[14:16])[0]
            break
    ahead = 100000 if args.lead == "ack-ahead" else 0
    if args.lead == "dup-fin":
        # the host's data arrives, never acknowledged: libslirp's retransmit timer runs
        time.sleep(DUP_FIN_SETTLE_S)
    if args.reset_ahead:
        # --reset-ahead: in SYN_RECEIVED libslirp answers a bare ACK past its SYN with a RST
        # whose sequence number is that ACK: as if it had sent that far
        s.send(seg(isn + 1, srv + 1 + ahead, 0x10))
    s.send(seg(isn + 1, srv + 1, 0x10))
    if args.evict:
        # --evict: ARP requests from 20 other addresses push --src out of libslirp's
        # 16-entry ARP table; the netns answers none of libslirp's, so nothing libslirp
        # sends on the flow reaches the tap again
        for i in range(20):
            s.send(arp_for_gateway(bytes([2, 0, 0, 0, 0x99, i]),
                                   socket.inet_aton(f"10.0.2.{201 + i}")))
    if args.lead == "dup-fin":
        # --lead dup-fin: two duplicate ACKs, then FINs without data one byte apart, each a
        # duplicate ACK to libslirp, dropped unanswered; then the one-byte segments
        for _ in range(2):
            s.send(seg(isn + 1, srv + 1, 0x10))
        for k in range(2 * args.count + 2):
            s.send(seg(isn + 1 + k, srv + 1, 0x11))
    # --lead: before each, a large segment at the flow's next byte that libslirp drops
    # without an ACK (or, ack-ahead, after an ACK: it acknowledges bytes libslirp never
    # sent), whose end would have made room for it
    lead = seg(isn + 1, srv + 1 + ahead, 0x08 if args.lead == "no-ack" else 0x18,
               b"L" * (2 * args.count + 2))
    if args.lead == "bad-csum":
        lead = lead[:50] + bytes([lead[50] ^ 0xFF]) + lead[51:]
    for i in range(args.count):
        if args.lead not in ("none", "dup-fin"):
            s.send(lead)
        s.send(seg(isn + 2 + 2 * i, srv + 1, 0x18, b"X",
                   b"\x01\x01\x01\x00" if args.ip_options else b""))
    print("window", win)


def raw_flush(args):
    """Outside attack B3 on the order guard: --conns TCP connections to ADDR:PORT made by hand
    from --src (an address the netns does not have), then --rounds rounds of --fakes data
    segments on made-up flows (libslirp holds no socket for them and answers each with a RST)
    followed by one 1-byte segment past a gap on every connection, two bytes further each
    round. Prints how many connections were made. --save FILE: only make the connections,
    kept in FILE; --load FILE: only the rounds, on the connections kept there."""
    gw_mac, own_mac = tap_macs(args.dev)
    src, dst = socket.inet_aton(args.src), socket.inet_aton(args.addr)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((args.dev, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.send(arp_for_gateway(own_mac, src))

    def seg(sport, dport, seq, ack, flags, data=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0,
                          0) + data
        pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", inet_csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64,
                         socket.IPPROTO_TCP, 0)
        ip = ip[:10] + struct.pack("!H", inet_csum(ip + src + dst)) + src + dst
        return gw_mac + own_mac + b"\x08\x00" + ip + tcp

    isn, base = 1000, 20000
    srv = {}
    if args.load:
        with open(args.load) as saved:
            srv = {int(k): v for k, v in json.load(saved).items()}
    deadline = time.monotonic() + args.timeout
    s.settimeout(0.2)
    while not args.load and len(srv) < args.conns and time.monotonic() < deadline:
        for i in range(args.conns):
            if base + i not in srv:
                s.send(seg(base + i, args.port, isn, 0, 0x02))
        end = time.monotonic() + 1
        while len(srv) < args.conns and time.monotonic() < end:
            try:
                d, a = s.recvfrom(70000)
            except socket.timeout:
                continue
            if a[2] == socket.PACKET_OUTGOING or d[12:14] != b"\x08\x00" or d[23] != 6:
                continue
            t = d[14 + (d[14] & 15) * 4:]
            sport = struct.unpack("!H", t[2:4])[0]
            if base <= sport < base + args.conns and t[13] & 0x12 == 0x12:
                srv[sport] = struct.unpack("!I", t[4:8])[0]
    if args.save:
        for sport, ack in srv.items():
            s.send(seg(sport, args.port, isn + 1, ack + 1, 0x10))
        with open(args.save, "w") as saved:
            json.dump(srv, saved)
        print("connections", len(srv))
        return
    fakes = [seg(1024 + i % 16384, args.port + 1 + i // 16384, 5000, 7000, 0x18, b"F")
             for i in range(args.fakes)]
    for r in range(args.rounds):
        for f in fakes:
            s.send(f)
        for sport, ack in srv.items():
            s.send(seg(sport, args.port, isn + 2 + 2 * r, ack + 1, 0x18, b"X"))
    print("connections", len(srv))


def raw_syn(args):
    """Write TCP SYNs to ADDR:PORT straight onto the tap, as a guest's own stack never would
    (to the host's loopback, say), from slirp's guest address to slirp's gateway MAC."""
    slirp_gw_mac = bytes.fromhex("52550a000202")  # libslirp's: 52:55 and 10.0.2.2
    siocgifhwaddr = 0x8927  # /sys shows the host's netns: ask the netns's own kernel side
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as q:
        req = fcntl.ioctl(q.fileno(), siocgifhwaddr, struct.pack("256s", args.dev.encode()))
    own_mac = req[18:24]
    fam = family_of(args.addr)
    dst = socket.inet_pton(fam, args.addr)
    src = socket.inet_pton(fam, "10.0.2.100" if fam == socket.AF_INET else "fd00::100")
    tcp = struct.pack("!HHIIBBHHH", 40000 + args.port % 20000, args.port, 1, 0, 5 << 4, 0x02,
                      64240, 0, 0)
    if fam == socket.AF_INET:
        pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", inet_csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(tcp), 1, 0, 64, socket.IPPROTO_TCP, 0)
        ip = ip[:10] + struct.pack("!H", inet_csum(ip + src + dst)) + src + dst
        frame = slirp_gw_mac + own_mac + b"\x08\x00" + ip + tcp
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(tcp), socket.IPPROTO_TCP)
        tcp = tcp[:16] + struct.pack("!H", inet_csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!IHBB", 6 << 28, len(tcp), socket.IPPROTO_TCP, 64) + src + dst
        frame = slirp_gw_mac + own_mac + b"\x86\xdd" + ip + tcp
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.dev, 0))
    for _ in range(args.count):
        s.send(frame)
        time.sleep(0.1)


def whoami(args):
    """Connect (from --bind when given) and print what the server says."""
    c = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    c.settimeout(args.timeout)
    if args.bind:
        c.bind((args.bind, 0))
    c.connect((args.addr, args.port))
    print(read_to_eof(c).decode())


def where(args):
    """Connect (TCP, or connected UDP with --udp), print "local=IP:PORT said=TEXT": whether the
    socket is the netns's own or the host's twin shows in its local address."""
    fam = family_of(args.addr)
    c = socket.socket(fam, socket.SOCK_DGRAM if args.udp else socket.SOCK_STREAM)
    c.settimeout(args.timeout)
    try:
        c.connect((args.addr, args.port))
        if args.udp:
            c.send(b"where")
            said = c.recv(CHUNK)
        else:
            said = read_to_eof(c)
    except OSError as e:
        print(f"where: {e}", file=sys.stderr)
        return 1
    local = c.getsockname()
    print(f"local={local[0].removeprefix('::ffff:')}:{local[1]} said={said.decode()}")
    return 0


def udp_connected(args):
    """Connect a UDP socket and echo N datagrams one by one through it; print "local=IP ok=N"."""
    c = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    c.settimeout(args.timeout)
    c.connect((args.addr, args.port))
    ok = 0
    for i in range(args.n):
        msg = f"datagram {i}".encode()
        c.send(msg)
        if c.recv(CHUNK) == msg:
            ok += 1
    print(f"local={c.getsockname()[0]} ok={ok}")
    return 0 if ok == args.n else 1


def udp_sendto(args):
    """One unconnected sendto() and its echo; print "local=IP from=IP"."""
    c = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    c.settimeout(args.timeout)
    c.sendto(b"sendto", (args.addr, args.port))
    got, peer = c.recvfrom(CHUNK)
    print(f"local={c.getsockname()[0]} from={peer[0]}")
    return 0 if got == b"sendto" else 1


def send_udp(args):
    """Send MESSAGE COUNT times (--count), INTERVAL seconds apart (--interval); expect nothing."""
    s = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    for _ in range(args.count):
        s.sendto(args.message.encode(), (args.addr, args.port))
        time.sleep(args.interval)
    return 0


def udp_from(args):
    """Send MESSAGE from --bind-port (on ADDR's loopback side: ADDR's family, bound to ADDR),
    connected first with --connect; print the reply."""
    c = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    if args.bind_port is not None:
        c.bind((args.addr, args.bind_port))
    c.settimeout(args.timeout)
    if args.connect:
        c.connect((args.addr, args.port))
    c.sendto(args.message.encode(), (args.addr, args.port))
    print(c.recv(512).decode())
    return 0


def udp_echo_leak(args):
    """A guest's or container's UDP service that echoes one datagram (with "-back"), then, once
    the file GO exists, sends "leak" to that datagram's sender: print what answers in 2 s,
    "reached (DATA, PEER)", or "silent"."""
    s = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    s.bind((args.addr, args.port))
    ready(args.ready)
    data, peer = s.recvfrom(512)
    s.sendto(data + b"-back", peer)
    while not os.path.exists(args.go):
        time.sleep(0.1)
    s.sendto(b"leak", peer)
    s.settimeout(2)
    try:
        print("reached", s.recvfrom(512))
    except socket.timeout:
        print("silent")
    return 0


def udp_answer_all(args):
    """A service that answers whatever it hears with "secret", printing "heard DATA PEER"."""
    s = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    s.bind((args.addr, args.port))
    ready(args.ready)
    while True:
        data, peer = s.recvfrom(512)
        print("heard", data, peer, flush=True)
        s.sendto(b"secret", peer)


def connect_after(args):
    """Wait for the file WAIT, then connect once: print "connected" or the error's errno name."""
    deadline = time.monotonic() + args.timeout
    while not os.path.exists(args.wait):
        if time.monotonic() > deadline:
            print("never told to go")
            return 2
        time.sleep(0.02)
    c = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    c.settimeout(args.timeout)
    try:
        c.connect((args.addr, args.port))
    except OSError as e:
        print(errno_name(e))
        return 0
    print("connected")
    return 0


def errno_name(e):
    import errno
    return errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__


def echo_client(args):
    """Send a message, print the echo; exit 1 if none comes back in time."""
    fam = family_of(args.addr)
    try:
        if args.proto == "tcp":
            with socket.create_connection((args.addr, args.port), timeout=args.timeout) as c:
                c.sendall(args.message.encode())
                c.shutdown(socket.SHUT_WR)
                got = read_to_eof(c)
        else:
            c = socket.socket(fam, socket.SOCK_DGRAM)
            c.settimeout(args.timeout)
            c.sendto(args.message.encode(), (args.addr, args.port))
            got, _ = c.recvfrom(CHUNK)
    except OSError as e:
        print(f"echo-client: {e}", file=sys.stderr)
        return 1
    print(got.decode(errors="replace"))
    return 0 if got == args.message.encode() else 1


def pattern(n):
    """Deterministic, incompressible-looking bytes: the same on both ends."""
    out = bytearray()
    block = hashlib.sha256(b"rootlet").digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:n])


def serve_sha(args):
    """Per connection: read to EOF, reply with the sha256 of what came and the byte count. With
    --hold FILE, a connection is read only once FILE exists (a transfer that stays under way)."""
    s = tcp_listen(args, 16)
    while True:
        c, _ = s.accept()
        while args.hold and not os.path.exists(args.hold):
            time.sleep(0.02)
        with c:
            h, n = hashlib.sha256(), 0
            while True:
                data = c.recv(CHUNK)
                if not data:
                    break
                h.update(data)
                n += len(data)
            c.sendall(f"{h.hexdigest()} {n}\n".encode())


def send_sha(args):
    """Send N MiB, half-close, compare the server's sha256 with ours."""
    data = pattern(args.mib << 20)
    want = f"{hashlib.sha256(data).hexdigest()} {len(data)}"
    with socket.create_connection((args.addr, args.port), timeout=args.timeout) as c:
        view = memoryview(data)
        while view:
            sent = c.send(view[:CHUNK * 4])
            view = view[sent:]
        c.shutdown(socket.SHUT_WR)
        got = read_to_eof(c)
    got = got.decode().strip()
    print(got)
    if got != want:
        print(f"send-sha: sent {want}, server saw {got}", file=sys.stderr)
        return 1
    return 0


def serve_source(args):
    """Per connection: send MIB of the pattern, then close."""
    data = pattern(args.mib << 20)
    s = tcp_listen(args, 16)
    while True:
        c, _ = s.accept()
        with c:
            c.sendall(data)


def recv_sha(args):
    """Read to EOF; compare with the pattern of MIB."""
    want = hashlib.sha256(pattern(args.mib << 20)).hexdigest()
    h, n = hashlib.sha256(), 0
    with socket.create_connection((args.addr, args.port), timeout=args.timeout) as c:
        while True:
            d = c.recv(CHUNK * 4)
            if not d:
                break
            h.update(d)
            n += len(d)
    print(f"{h.hexdigest()} {n}")
    if h.hexdigest() != want:
        print(f"recv-sha: got {n} bytes that differ from what was sent", file=sys.stderr)
        return 1
    return 0


def many_echo(args):
    """N connections at once, each sending its own message and half-closing; all must echo."""
    import selectors
    sel = selectors.DefaultSelector()
    socks = {}
    for i in range(args.n):
        c = socket.create_connection((args.addr, args.port), timeout=args.timeout)
        c.setblocking(False)
        socks[c] = [f"message-{i}-".encode() * 8, b""]
    for c, (msg, _) in socks.items():
        c.send(msg)
        c.shutdown(socket.SHUT_WR)
        sel.register(c, selectors.EVENT_READ)
    deadline = time.monotonic() + args.timeout
    done = 0
    while done < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            c = key.fileobj
            d = c.recv(CHUNK)
            if d:
                socks[c][1] += d
            else:
                sel.unregister(c)
                done += 1
    good = sum(1 for msg, got in socks.values() if msg == got)
    print(f"{good} of {args.n} echoed intact")
    for c in socks:
        c.close()
    return 0 if good == args.n else 1


def short_connections(args):
    """N connections one after another: connect, send, read the echo, close."""
    for i in range(args.n):
        with socket.create_connection((args.addr, args.port), timeout=args.timeout) as c:
            c.sendall(b"x")
            c.shutdown(socket.SHUT_WR)
            if c.recv(16) != b"x":
                print(f"short-connections: connection {i} got no echo", file=sys.stderr)
                return 1
    print(f"{args.n} connections")
    return 0


def load(args):
    """TOTAL short connections, CONCURRENCY at a time (a thread each): connect, send a byte,
    read its echo, close. Print how many failed; exit 1 unless none did."""
    per, extra = divmod(args.total, args.concurrency)
    errors = []

    def worker(n):
        for _ in range(n):
            try:
                with socket.create_connection((args.addr, args.port), timeout=args.timeout) as c:
                    c.sendall(b"x")
                    if c.recv(1) != b"x":
                        errors.append("no echo")
            except OSError as e:
                errors.append(str(e))

    threads = [threading.Thread(target=worker, args=(per + (i < extra),))
               for i in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{args.total} connections, {len(errors)} failed" +
          (f" (first: {errors[0]})" if errors else ""))
    return 1 if errors else 0


def udp_echoed(s, msg, addr, port):
    """Send MSG on S and read the echo: None if it came back intact, else what went wrong."""
    s.sendto(msg, (addr, port))
    try:
        got, _ = s.recvfrom(CHUNK)
    except socket.timeout:
        return "no echo"
    return None if got == msg else "came back different"


def udp_echo_each(args, what, message, own_socket):
    """N datagrams, message(i) the i-th, each echoed intact before the next goes: from one
    socket, or (own_socket) each from a socket (a port) of its own. Exit 1 at the first that
    is not, naming it "WHAT i"."""
    s = None
    try:
        for i in range(args.n):
            if s is None or own_socket:
                if s:
                    s.close()
                s = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
                s.settimeout(args.timeout)
            why = udp_echoed(s, message(i), args.addr, args.port)
            if why:
                print(f"{args.cmd_name}: {what} {i}: {why}", file=sys.stderr)
                return 1
    finally:
        if s:
            s.close()
    return 0


def udp_clients(args):
    """N clients one after another, each from a socket (a port) of its own: one datagram each,
    echoed intact. Exit 1 at the first that is not."""
    if udp_echo_each(args, "client", lambda i: f"client {i}".encode(), own_socket=True):
        return 1
    print(f"{args.n} clients echoed")
    return 0


def udp_many(args):
    """N datagrams, each different, each echoed intact before the next goes."""
    if udp_echo_each(args, "datagram",
                     lambda i: hashlib.sha256(str(i).encode()).hexdigest().encode() * (1 + i % 16),
                     own_socket=False):
        return 1
    print(f"{args.n} datagrams echoed intact")
    return 0


def cps(args):
    """Short connections for SECONDS: connect, one byte each way, close; print the rate."""
    n, end = 0, time.monotonic() + args.seconds
    while time.monotonic() < end:
        with socket.create_connection((args.addr, args.port), timeout=5) as c:
            c.sendall(b"x")
            c.recv(1)
        n += 1
    print(f"{n / args.seconds:.0f}")
    return 0


def pingpong(args):
    """N round trips of 64 bytes on one connection; print the median in microseconds."""
    msg = b"p" * 64
    samples = []
    with socket.create_connection((args.addr, args.port), timeout=5) as c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(args.n):
            t0 = time.perf_counter()
            c.sendall(msg)
            got = b""
            while len(got) < len(msg):
                got += c.recv(64)
            samples.append((time.perf_counter() - t0) * 1e6)
    samples.sort()
    print(f"{samples[len(samples) // 2]:.1f}")
    return 0


def hold_port(args):
    """Bind and listen on ADDR:PORT until killed (to make it busy), as servers do: with
    SO_REUSEADDR, so that connections left from an earlier listener do not count."""
    s = tcp_listen(args, 1)
    signal.pause()


def steal_udp(args):
    """Bind ADDR:PORT for UDP with SO_REUSEADDR, as a port thief would; exit 0 if that worked."""
    s = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((args.addr, args.port))
    except OSError as e:
        print(f"steal-udp: {os.strerror(e.errno)}")
        return 1
    print("stolen")
    return 0


def dns_answer(query, table):
    """A reply to a one-question DNS query: the A/AAAA record from table, else NXDOMAIN."""
    ident, _, name, qtype, _, end = parse_query(query)
    question = query[12:end]
    name = name.lower()
    addr = table.get((name, qtype))
    if addr is None:
        return struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question
    rdata = socket.inet_pton(socket.AF_INET if qtype == 1 else socket.AF_INET6, addr)
    answer = struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(rdata)) + rdata
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + answer


def serve_dns(args):
    """Answer NAME with A and AAAA records on each ADDR:53, until killed."""
    table = {(args.name.lower(), 1): args.a, (args.name.lower(), 28): args.aaaa}
    socks = []
    for addr in args.listen:
        s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
        s.bind((addr, args.port))
        socks.append(s)
    ready(args.ready)
    while True:
        r, _, _ = select.select(socks, [], [])
        for s in r:
            q, peer = s.recvfrom(512)
            s.sendto(dns_answer(q, table), peer)


def dns_query(args):
    """Ask SERVER for NAME (A, or AAAA with --aaaa) over UDP; print the address."""
    qtype = 28 if args.aaaa else 1
    q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    q += encode_name(args.name) + struct.pack("!HH", qtype, 1)
    s = socket.socket(family_of(args.server), socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    try:
        s.sendto(q, (args.server, 53))
        r, _ = s.recvfrom(512)
    except OSError as e:
        print(f"dns-query: {e}", file=sys.stderr)
        return 1
    if r[3] & 0x0F or struct.unpack("!H", r[6:8])[0] == 0:
        print("dns-query: no answer", file=sys.stderr)
        return 1
    rdata = r[-(16 if args.aaaa else 4):]
    print(socket.inet_ntop(socket.AF_INET6 if args.aaaa else socket.AF_INET, rdata))
    return 0


def api(args):
    """Send a request to an API socket (raw bytes, optionally without closing) and print the
    reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    s.connect(args.socket)
    payload = args.request.encode()
    if args.repeat > 1:
        payload = payload * args.repeat
    try:
        s.sendall(payload)
        if not args.no_shutdown:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    got = b""
    try:
        while True:
            d = s.recv(CHUNK)
            if not d:
                break
            got += d
    except (socket.timeout, ConnectionResetError):
        pass
    print(got.decode(errors="replace"))
    return 0 if got else 1


def api_drip(args):
    """CLIENTS clients each trickle one request of about BYTES to SOCKET over --seconds, a
    --chunk at a time, and read their replies; print how many got an answer, exit 1 unless all."""
    head, tail = b'{"execute":"list_hostfwd","pad":"', b'"}'
    socks = []
    for _ in range(args.clients):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(args.socket)
        c.sendall(head)
        socks.append(c)
    chunks = max(1, (args.bytes - len(head) - len(tail)) // args.chunk)
    for _ in range(chunks):
        for c in socks:
            c.sendall(b"a" * args.chunk)
        time.sleep(args.seconds / chunks)
    answered = 0
    for c in socks:
        c.sendall(tail)
        c.settimeout(TIMEOUT)
        got = read_to_eof(c)
        answered += b"error" not in got and len(got) > 0
        c.close()
    print(f"{answered} of {args.clients} answered")
    return 0 if answered == args.clients else 1


def fdrun(args):
    """Run CMD with a ready pipe at READY_FD and an exit pipe at EXIT_FD. Print 'ready' when
    it wrote 1, then wait for our stdin to close, close the exit pipe and print 'exit N'."""
    ready_r, ready_w = os.pipe()
    exit_r, exit_w = os.pipe()

    def child_fds():
        os.dup2(ready_w, args.ready_fd)
        os.dup2(exit_r, args.exit_fd)

    stdin = open(args.stdin) if args.stdin else subprocess.DEVNULL
    p = subprocess.Popen(args.cmd, preexec_fn=child_fds, pass_fds=(args.ready_fd, args.exit_fd),
                         stdin=stdin, stdout=sys.stderr)
    os.close(ready_w)
    os.close(exit_r)
    r, _, _ = select.select([ready_r], [], [], TIMEOUT)
    got = os.read(ready_r, 1) if r else b""
    print("ready" if got == b"1" else f"not-ready {got!r}", flush=True)
    if got != b"1":
        p.kill()
        return 1
    sys.stdin.read()
    os.close(exit_w)
    try:
        print(f"exit {p.wait(TIMEOUT)}", flush=True)
    except subprocess.TimeoutExpired:
        p.kill()
        print("exit timeout", flush=True)
        return 1
    return 0


def activated(args):
    """A socket-activated server (sd_listen_fds' protocol): on each of the LISTEN_FDS
    sockets from fd 3, answer one client with what it was given and where it runs, then exit."""
    fds = int(os.environ.get("LISTEN_FDS", "0"))
    names = os.environ.get("LISTEN_FDNAMES", "").split(":")
    pid_ok = os.environ.get("LISTEN_PID") == str(os.getpid())
    netns = os.readlink("/proc/self/ns/net")
    for i in range(fds):
        s = socket.socket(fileno=3 + i)
        c, peer = s.accept()
        name = names[i] if i < len(names) else ""
        c.sendall(f"pid_ok={pid_ok} fds={fds} name={name} peer={peer[0]} netns={netns}\n"
                  .encode())
        c.close()
    return 0 if fds else 1


def notify_listen(args):
    """A NOTIFY_SOCKET of systemd's kind at PATH: print each datagram on a line of its own,
    its assignments space-separated and the sender's pid first ("from=PID READY=1 ...")."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(args.path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    ready(args.ready)
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = "?"
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        print(f"from={pid} " + " ".join(msg.decode().split("\n")).strip(), flush=True)


def notify(args):
    """sd_notify's client: send TEXT ("\\n" between assignments) to NOTIFY_SOCKET, with
    MAINPID= our own pid (as our pid namespace numbers it) when --mainpid; print that pid,
    then stay --linger seconds so that the pid still names us."""
    text = args.text.replace("\\n", "\n")
    if args.mainpid:
        text += f"\nMAINPID={os.getpid()}"
    path = os.environ["NOTIFY_SOCKET"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect("\0" + path[1:] if path.startswith("@") else path)
    s.send(text.encode())
    print(os.getpid(), flush=True)
    time.sleep(args.linger)


def listen_fd(args):
    """Bind and listen on ADDR PORT (TCP, or UDP with --udp), then exec CMD with the socket at
    fd 3 as a socket unit hands it: LISTEN_FDS=1, LISTEN_PID, and LISTEN_FDNAMES with --name."""
    kind = socket.SOCK_DGRAM if args.udp else socket.SOCK_STREAM
    s = socket.socket(family_of(args.addr), kind)
    s.bind((args.addr, args.port))
    if not args.udp:
        s.listen(64)
    if s.fileno() != 3:
        os.dup2(s.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
    if args.name:
        os.environ["LISTEN_FDNAMES"] = args.name
    os.execvp(args.cmd[0], args.cmd)


def endpoint_command(sub, name, fn, proto=False, count=None, timeout=None):
    """A subcommand whose first arguments are [PROTO] ADDR PORT, then the whole number named
    count (how many connections, MiB...) and --timeout in seconds (its default timeout), each
    where given; the parser, for the rest."""
    p = sub.add_parser(name)
    if proto:
        p.add_argument("proto", choices=["tcp", "udp"])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    if count:
        p.add_argument(count, type=int)
    if timeout is not None:
        p.add_argument("--timeout", type=float, default=timeout)
    p.set_defaults(fn=fn)
    return p


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd_name", required=True)
    p = endpoint_command(sub, "serve-echo", serve_echo, proto=True)
    p.add_argument("--ready")
    p = endpoint_command(sub, "serve-peer", serve_peer)
    p.add_argument("--ready")
    p.add_argument("--say")
    p.add_argument("--with-port", action="store_true")
    p = endpoint_command(sub, "serve-count", serve_count)
    p.add_argument("--ready")
    p.add_argument("--log", required=True)
    p = endpoint_command(sub, "raw-frag", raw_frag)
    p.add_argument("--dev", default="tap0")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--more", action="store_true")
    p.add_argument("--size", type=int, default=8)
    p = endpoint_command(sub, "raw-ooo", raw_ooo, timeout=5.0)
    p.add_argument("--dev", default="tap0")
    p.add_argument("--src", default="10.0.2.77")
    p.add_argument("--lead", choices=["none", "bad-csum", "no-ack", "ack-ahead", "dup-fin"],
                   default="none")
    p.add_argument("--evict", action="store_true")
    p.add_argument("--reset-ahead", action="store_true")
    p.add_argument("--ip-options", action="store_true")
    p.add_argument("--count", type=int, default=30000)
    p = endpoint_command(sub, "raw-flush", raw_flush, timeout=10.0)
    p.add_argument("--dev", default="tap0")
    p.add_argument("--src", default="10.0.2.60")
    p.add_argument("--conns", type=int, default=50)
    p.add_argument("--fakes", type=int, default=16000)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--save")
    p.add_argument("--load")
    p = endpoint_command(sub, "raw-syn", raw_syn)
    p.add_argument("--dev", default="tap0")
    p.add_argument("--count", type=int, default=3)
    p = endpoint_command(sub, "whoami", whoami, timeout=3.0)
    p.add_argument("--bind")
    p = endpoint_command(sub, "where", where, timeout=5.0)
    p.add_argument("--udp", action="store_true")
    endpoint_command(sub, "udp-connected", udp_connected, count="n", timeout=3.0)
    endpoint_command(sub, "udp-sendto", udp_sendto, timeout=3.0)
    p = endpoint_command(sub, "udp-from", udp_from, timeout=5.0)
    p.add_argument("message")
    p.add_argument("--bind-port", type=int)
    p.add_argument("--connect", action="store_true")
    p = endpoint_command(sub, "udp-echo-leak", udp_echo_leak)
    p.add_argument("--ready")
    p.add_argument("--go", required=True)
    p = endpoint_command(sub, "udp-answer-all", udp_answer_all)
    p.add_argument("--ready")
    p = endpoint_command(sub, "send-udp", send_udp)
    p.add_argument("message")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--interval", type=float, default=0.0)
    p = endpoint_command(sub, "connect-after", connect_after, timeout=10.0)
    p.add_argument("wait")
    p = endpoint_command(sub, "echo-client", echo_client, proto=True, timeout=3.0)
    p.add_argument("message")
    p = endpoint_command(sub, "serve-sha", serve_sha)
    p.add_argument("--ready")
    p.add_argument("--hold")
    endpoint_command(sub, "send-sha", send_sha, count="mib", timeout=60.0)
    p = endpoint_command(sub, "serve-source", serve_source, count="mib")
    p.add_argument("--ready")
    endpoint_command(sub, "recv-sha", recv_sha, count="mib", timeout=60.0)
    endpoint_command(sub, "many-echo", many_echo, count="n", timeout=30.0)
    endpoint_command(sub, "short-connections", short_connections, count="n", timeout=5.0)
    p = endpoint_command(sub, "load", load, count="total", timeout=10.0)
    p.add_argument("--concurrency", type=int, default=50)
    endpoint_command(sub, "udp-clients", udp_clients, count="n", timeout=3.0)
    endpoint_command(sub, "udp-many", udp_many, count="n", timeout=3.0)
    p = endpoint_command(sub, "cps", cps)
    p.add_argument("--seconds", type=float, default=2.0)
    p = endpoint_command(sub, "pingpong", pingpong)
    p.add_argument("--n", type=int, default=2000)
    endpoint_command(sub, "steal-udp", steal_udp)
    p = endpoint_command(sub, "hold-port", hold_port)
    p.add_argument("--ready")
    p = sub.add_parser("serve-dns")
    p.add_argument("name")
    p.add_argument("a")
    p.add_argument("aaaa")
    p.add_argument("listen", nargs="+")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--ready")
    p.set_defaults(fn=serve_dns)
    p = sub.add_parser("dns-query")
    p.add_argument("name")
    p.add_argument("server")
    p.add_argument("--aaaa", action="store_true")
    p.add_argument("--timeout", type=float, default=3.0)
    p.set_defaults(fn=dns_query)
    p = sub.add_parser("api")
    p.add_argument("socket")
    p.add_argument("request")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--no-shutdown", action="store_true")
    p.add_argument("--timeout", type=float, default=TIMEOUT)
    p.set_defaults(fn=api)
    p = sub.add_parser("api-drip")
    p.add_argument("socket")
    p.add_argument("clients", type=int)
    p.add_argument("bytes", type=int)
    p.add_argument("--chunk", type=int, default=64)
    p.add_argument("--seconds", type=float, default=3.0)
    p.set_defaults(fn=api_drip)
    sub.add_parser("activated").set_defaults(fn=activated)
    p = sub.add_parser("notify-listen")
    p.add_argument("path")
    p.add_argument("--ready")
    p.set_defaults(fn=notify_listen)
    p = sub.add_parser("notify")
    p.add_argument("text")
    p.add_argument("--mainpid", action="store_true")
    p.add_argument("--linger", type=float, default=0)
    p.set_defaults(fn=notify)
    p = endpoint_command(sub, "listen-fd", listen_fd)
    p.add_argument("--udp", action="store_true")
    p.add_argument("--name")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p = sub.add_parser("fdrun")
    p.add_argument("--stdin")
    p.add_argument("ready_fd", type=int)
    p.add_argument("exit_fd", type=int)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.set_defaults(fn=fdrun)
    args = ap.parse_args()
    if getattr(args, "cmd", None) and args.cmd[:1] == ["--"]:
        args.cmd = args.cmd[1:]
    sys.exit(args.fn(args) or 0)


if __name__ == "__main__":
    main()
