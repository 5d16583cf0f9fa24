"""DNS names and questions on the wire, for the tests' own resolvers and clients (net.py,
dnsup.py): written here, not by the code under test."""
import struct


def encode_name(name):
    """NAME as labels, each after its length, ended by the root's empty label."""
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_query(q):
    """ID, flags, the name (as sent), type, class and the question's end of a DNS message."""
    ident, flags, _ = struct.unpack("!HHH", q[:6])
    pos, labels = 12, []
    while q[pos]:
        n = q[pos]
        labels.append(q[pos + 1:pos + 1 + n].decode())
        pos += n + 1
    qtype, qclass = struct.unpack("!HH", q[pos + 1:pos + 5])
    return ident, flags, ".".join(labels), qtype, qclass, pos + 5
