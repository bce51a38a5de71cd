"""Judge one iptables rule's matches against a packet to a guest address.

The packet the audit follows is any forwarded packet to one fixed IP of a
guest: the source, protocol, ports, state and input interface are the
sender's choice. A rule's matches are therefore judged as ALWAYS (every such
packet matches), NEVER (none does: a ``-d`` for another address), SOME (the
sender decides) or UNKNOWN (a match module or option the audit does not know:
it may match). Only ALWAYS and NEVER prune the walk, so they are given only
when certain; everything else keeps both outcomes open.
"""

from __future__ import absolute_import
from __future__ import print_function

import binascii
import socket

NEVER, SOME, UNKNOWN, ALWAYS = 0, 1, 2, 3

_GENERIC = {'-s': 'src', '--source': 'src', '--src': 'src',
            '-d': 'dst', '--destination': 'dst', '--dst': 'dst',
            '-p': 'proto', '--protocol': 'proto',
            '-i': 'iif', '--in-interface': 'iif',
            '-o': 'oif', '--out-interface': 'oif'}
_PORTS = {'--sport': 1, '--source-port': 1, '--dport': 1,
          '--destination-port': 1}
_TCP = dict(_PORTS, **{'--tcp-flags': 2, '--syn': 0, '--tcp-option': 1})
_CT = dict(('--ct' + o, 1) for o in (
    'state', 'proto', 'origsrc', 'origdst', 'replsrc', 'repldst',
    'origsrcport', 'origdstport', 'replsrcport', 'repldstport', 'status',
    'expire', 'dir'))
# Options of the match modules the audit understands, with their argument
# counts. A module not listed (set, physdev, recent, string, u32, ...) makes
# the rule UNKNOWN.
MODULES = {
    'tcp': _TCP, 'udp': _PORTS, 'udplite': _PORTS, 'sctp': _PORTS,
    'icmp': {'--icmp-type': 1}, 'icmp6': {'--icmpv6-type': 1},
    'multiport': {'--sports': 1, '--source-ports': 1, '--dports': 1,
                  '--destination-ports': 1, '--ports': 1},
    'state': {'--state': 1}, 'conntrack': _CT,
    'limit': {'--limit': 1, '--limit-burst': 1},
    'mac': {'--mac-source': 1}, 'iprange': {'--src-range': 1,
                                            '--dst-range': 1},
    'mark': {'--mark': 1}, 'connmark': {'--mark': 1},
    'pkttype': {'--pkt-type': 1}, 'length': {'--length': 1},
    'ttl': {'--ttl-eq': 1, '--ttl-gt': 1, '--ttl-lt': 1},
    'hl': {'--hl-eq': 1, '--hl-gt': 1, '--hl-lt': 1},
    'comment': {'--comment': 1},
    'addrtype': {'--src-type': 1, '--dst-type': 1, '--limit-iface-in': 0,
                 '--limit-iface-out': 0},
}
_PROTO_MODULE = {'tcp': 'tcp', '6': 'tcp', 'udp': 'udp', '17': 'udp',
                 'icmp': 'icmp', '1': 'icmp', 'ipv6-icmp': 'icmp6',
                 'icmpv6': 'icmp6', '58': 'icmp6', 'sctp': 'sctp',
                 'udplite': 'udplite'}
# Connection states whose packets belong to a connection that was already
# let through: accepting them opens nothing new (nova's own first rule).
RETURN_TRAFFIC = frozenset(['ESTABLISHED', 'RELATED'])


def parse_network(text):
    """``a.b.c.d[/n|/mask]`` or ``x::y[/n]`` to ``(family, net, mask)``."""
    addr, _sep, prefix = text.partition('/')
    for family, version, bits in ((socket.AF_INET, 4, 32),
                                  (socket.AF_INET6, 6, 128)):
        try:
            value = int(binascii.hexlify(socket.inet_pton(family, addr)),
                        16)
        except (socket.error, ValueError, UnicodeError):
            continue
        full = (1 << bits) - 1
        if not prefix:
            mask = full
        elif prefix.isdigit() and int(prefix) <= bits:
            mask = full ^ ((1 << (bits - int(prefix))) - 1)
        else:
            other = parse_network(prefix)
            if other is None or other[0] != version or other[2] != full:
                return None
            mask = other[1]
        return version, value & mask, mask
    return None


def address_value(text):
    """An address as ``(family, integer)``, or None."""
    parsed = parse_network(text)
    return (parsed[0], parsed[1]) if parsed else None


def format_address(address):
    """``(family, integer)`` back to canonical text."""
    family, value = address
    if family == 4:
        packed = binascii.unhexlify('%08x' % value)
        return socket.inet_ntop(socket.AF_INET, packed)
    return socket.inet_ntop(socket.AF_INET6,
                            binascii.unhexlify('%032x' % value))


class DstTest(object):
    """``-d``/``--dst-range`` of a rule, decided per guest address."""

    __slots__ = ('nets', 'ranges', 'negate', 'bad')

    def __init__(self, spec, negate, is_range=False):
        self.negate = negate
        self.nets, self.ranges, self.bad = [], [], False
        for item in spec.split(','):
            if is_range:
                low, _sep, high = item.partition('-')
                lo, hi = address_value(low), address_value(high or low)
                if lo is None or hi is None or lo[0] != hi[0]:
                    self.bad = True
                else:
                    self.ranges.append((lo[0], lo[1], hi[1]))
                continue
            net = parse_network(item)
            if net is None:
                self.bad = True
            else:
                self.nets.append(net)

    def judge(self, family, value):
        if self.bad:
            return UNKNOWN
        hit = any(f == family and value & m == n for f, n, m in self.nets) or \
            any(f == family and lo <= value <= hi
                for f, lo, hi in self.ranges)
        return ALWAYS if hit != self.negate else NEVER


class Matches(object):
    """A rule's matches, compiled once.

    ``static`` is the verdict of every match that does not look at the
    destination; ``dst`` the destination tests; ``host`` the single host a
    plain ``-d`` names (the shape of nova's jumps), for indexing; ``doubt``
    says what could not be judged; ``return_traffic`` that the rule is
    limited to ESTABLISHED/RELATED packets.
    """

    __slots__ = ('static', 'dst', 'host', 'doubt', 'return_traffic')

    def __init__(self, tokens):
        self.static, self.dst, self.host = ALWAYS, [], None
        self.doubt, self.return_traffic = None, False
        try:
            self._compile(list(tokens))
        except IndexError:
            self._unknown('an option without its argument')
        if len(self.dst) == 1 and not self.dst[0].negate and \
                len(self.dst[0].nets) == 1 and not self.dst[0].ranges:
            fam, net, mask = self.dst[0].nets[0]
            if mask == (1 << (32 if fam == 4 else 128)) - 1:
                self.host = (fam, net)

    def _some(self):
        if self.static == ALWAYS:
            self.static = SOME

    def _unknown(self, why):
        if self.static != NEVER:
            self.static = UNKNOWN
        self.doubt = self.doubt or why

    def _compile(self, tokens):
        modules = set()
        negate = False
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            i += 1
            if tok == '!':
                negate = True
                continue
            kind = _GENERIC.get(tok)
            if kind is not None:
                arg = tokens[i]
                i += 1
                if arg == '!':  # iptables before 1.4.3: -d ! x
                    negate, arg = True, tokens[i]
                    i += 1
                self._generic(kind, arg, negate, modules)
            elif tok in ('-f', '--fragment'):
                self._some()
            elif tok in ('-m', '--match'):
                name = tokens[i]
                i += 1
                if name not in MODULES:
                    self._unknown('match module %s' % name)
                modules.add(name)
            elif tok.startswith('--'):
                i = self._module_option(tok, tokens, i, negate, modules)
            else:
                self._unknown('%s is not an option' % tok)
            negate = False

    def _generic(self, kind, arg, negate, modules):
        if kind == 'dst':
            self.dst.append(DstTest(arg, negate))
            if self.dst[-1].bad:
                self.doubt = self.doubt or 'destination %s' % arg
        elif kind == 'proto':
            if arg.lower() in ('all', '0'):
                if negate:
                    self.static = NEVER
            else:
                self._some()
                modules.add(_PROTO_MODULE.get(arg.lower(), ''))
        elif kind == 'src':
            net = parse_network(arg)
            if net is not None and net[2] == 0:
                if negate:
                    self.static = NEVER
            elif net is None and ',' not in arg:
                self._unknown('source %s' % arg)
            else:
                self._some()
        elif arg == '+':  # an interface wildcard matching every interface
            if negate:
                self.static = NEVER
        else:
            self._some()

    def _module_option(self, tok, tokens, i, negate, modules):
        owners = [m for m in modules if tok in MODULES.get(m, ())]
        if not owners:
            self._unknown('option %s' % tok)
            while i < len(tokens) and not tokens[i].startswith('-'):
                i += 1
            return i
        nargs = MODULES[owners[0]][tok]
        args = tokens[i:i + nargs]
        if args and args[0] == '!':
            negate = True
            i += 1
            args = tokens[i:i + nargs]
        i += nargs
        if tok == '--dst-range':
            self.dst.append(DstTest(args[0], negate, is_range=True))
            if self.dst[-1].bad:
                self.doubt = self.doubt or 'range %s' % args[0]
        elif tok in ('--state', '--ctstate'):
            self._some()
            states = frozenset(args[0].upper().split(','))
            if not negate and states <= RETURN_TRAFFIC:
                self.return_traffic = True
        elif tok != '--comment':
            self._some()
        return i

    def judge(self, family, value):
        """The rule's verdict for a packet to the address ``value``."""
        result = self.static
        for test in self.dst:
            if result == NEVER:
                break
            verdict = test.judge(family, value)
            if verdict == NEVER:
                return NEVER
            if verdict == UNKNOWN:
                result = UNKNOWN
        return result

    @property
    def address_free(self):
        return not self.dst
