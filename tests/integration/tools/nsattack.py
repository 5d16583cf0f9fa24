#!/usr/bin/env python3
"""Routes a container with CAP_NET_ADMIN in its own netns might take into its network's infra
or another container's netns (issue 24), each tried with raw rtnetlink or setns().

Run inside the container's netns and user namespace (rootlet-netns exec). Each route prints
one line: "crossed: WHAT" when the kernel let it through, "refused: WHAT: ERRNO" when not,
and exits 0 either way; a route that could not even be set up exits non-zero.
"""
import ctypes
import errno
import os
import socket
import struct
import sys

NETLINK_ROUTE = 0
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWNSID = 88
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x300, 0x200, 0x400
IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND = 3, 18, 1
IFLA_NET_NS_PID, IFLA_LINK_NETNSID, IFLA_TARGET_NETNSID = 19, 37, 46
NETNSA_NSID, NETNSA_PID = 1, 2
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
# An nsid no netns of ours has yet: the one RTM_NEWNSID gives another container's netns.
FORGED_NSID = 77


def attr(kind, data):
    n = 4 + len(data)
    return struct.pack("HH", n, kind) + data + b"\0" * ((4 - n % 4) % 4)


def attr_u32(kind, v):
    return attr(kind, struct.pack("i", v))


def attr_str(kind, s):
    return attr(kind, s.encode() + b"\0")


def ifinfo(index=0):
    return struct.pack("BxHiII", socket.AF_UNSPEC, 0, index, 0, 0)


class Rtnl:
    def __init__(self):
        self.sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.sk.settimeout(5)
        self.sk.bind((0, 0))
        self.seq = 0

    def request(self, kind, flags, body):
        """Send one request; return (errno or 0, [messages of the answer])."""
        self.seq += 1
        msg = struct.pack("IHHII", 16 + len(body), kind, NLM_F_REQUEST | flags, self.seq, 0) + body
        self.sk.send(msg)
        got = []
        while True:
            data = self.sk.recv(65536)
            off = 0
            while off + 16 <= len(data):
                n, t, _, seq, _ = struct.unpack_from("IHHII", data, off)
                payload = data[off + 16:off + n]
                off += (n + 3) & ~3
                if seq != self.seq:
                    continue
                if t == NLMSG_ERROR:
                    return -struct.unpack_from("i", payload)[0], got
                if t == NLMSG_DONE:
                    # A dump that failed at its start says why here.
                    done = struct.unpack_from("i", payload)[0] if len(payload) >= 4 else 0
                    return -done if done < 0 else 0, got
                got.append((t, payload))
                if not flags & NLM_F_DUMP and not flags & NLM_F_ACK:
                    return 0, got


def attrs(payload, skip):
    out, off = {}, skip
    while off + 4 <= len(payload):
        n, t = struct.unpack_from("HH", payload, off)
        if n < 4:
            break
        out[t & 0x3FFF] = payload[off + 4:off + n]
        off += (n + 3) & ~3
    return out


def infra_nsid(nl):
    """The nsid the infra's netns has in ours: eth0's peer is there."""
    err, got = nl.request(RTM_GETLINK, 0, ifinfo() + attr_str(IFLA_IFNAME, "eth0"))
    if err or not got:
        sys.exit("nsattack: eth0: %s" % os.strerror(err or errno.ENODEV))
    a = attrs(got[0][1], 16)
    if IFLA_LINK_NETNSID not in a:
        sys.exit("nsattack: eth0 has no peer netns id")
    return struct.unpack("i", a[IFLA_LINK_NETNSID])[0]


def say(what, err):
    print("crossed: %s" % what if not err else "refused: %s: %s" % (what, errno.errorcode.get(err, err)))


def target_del(nl, nsid, ifname):
    err, _ = nl.request(RTM_DELLINK, NLM_F_ACK,
                        ifinfo() + attr_u32(IFLA_TARGET_NETNSID, nsid) + attr_str(IFLA_IFNAME, ifname))
    say("delete %s in netns id %d" % (ifname, nsid), err)


def target_create(nl, nsid, ifname):
    err, _ = nl.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
                        ifinfo() + attr_u32(IFLA_TARGET_NETNSID, nsid) + attr_str(IFLA_IFNAME, ifname) +
                        attr(IFLA_LINKINFO, attr_str(IFLA_INFO_KIND, "veth")))
    say("make veth %s in netns id %d" % (ifname, nsid), err)


def target_list(nl, nsid):
    err, got = nl.request(RTM_GETLINK, NLM_F_DUMP, ifinfo() + attr_u32(IFLA_TARGET_NETNSID, nsid))
    names = sorted(attrs(p, 16).get(IFLA_IFNAME, b"?").rstrip(b"\0").decode() for t, p in got)
    say("list the links of netns id %d (%s)" % (nsid, " ".join(names)), err)


def setns_route(pid, kind):
    libc = ctypes.CDLL(None, use_errno=True)
    path = "/proc/%d/ns/%s" % (pid, kind)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        say("open %s" % path, e.errno)
        return
    rc = libc.setns(fd, CLONE_NEWUSER if kind == "user" else CLONE_NEWNET)
    say("setns %s" % path, 0 if rc == 0 else ctypes.get_errno())


def move_into(nl, ifname, pid):
    err, got = nl.request(RTM_GETLINK, 0, ifinfo() + attr_str(IFLA_IFNAME, ifname))
    if err or not got:
        sys.exit("nsattack: %s: %s" % (ifname, os.strerror(err or errno.ENODEV)))
    index = struct.unpack_from("i", got[0][1], 4)[0]
    err, _ = nl.request(RTM_NEWLINK, NLM_F_ACK, ifinfo(index=index) + attr_u32(IFLA_NET_NS_PID, pid))
    say("move %s into the netns of pid %d" % (ifname, pid), err)


def forged_nsid_del(nl, pid, ifname):
    err, _ = nl.request(RTM_NEWNSID, NLM_F_ACK,
                        struct.pack("Bxxx", socket.AF_UNSPEC) + attr_u32(NETNSA_NSID, FORGED_NSID) +
                        attr_u32(NETNSA_PID, pid))
    if err and err != errno.EEXIST:
        say("give the netns of pid %d an id" % pid, err)
        return
    target_del(nl, FORGED_NSID, ifname)


def main():
    route, args = sys.argv[1], sys.argv[2:]
    nl = Rtnl()
    if route == "target-del":
        target_del(nl, infra_nsid(nl), args[0])
    elif route == "target-create":
        target_create(nl, infra_nsid(nl), args[0])
    elif route == "target-list":
        target_list(nl, infra_nsid(nl))
    elif route == "setns":
        setns_route(int(args[0]), args[1])
    elif route == "move-into":
        move_into(nl, args[0], int(args[1]))
    elif route == "forged-nsid-del":
        forged_nsid_del(nl, int(args[0]), args[1])
    else:
        sys.exit(2)


if __name__ == "__main__":
    main()
