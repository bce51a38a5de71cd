"""A chain's rule lines compiled for the walk, each distinct line once.

A host's instance chains repeat the same lines (nova's state, provider,
DHCP and fallback rules, and the rules of shared security groups), so a
line is parsed and its matches compiled once, whatever chain it is in; a
compiled rule carries no chain name (the walk adds it to a rule it quotes).

Most lines of a large table are security group rules as nova writes them
and iptables-save prints them (``-s 10.0.0.0/24 -p tcp -m tcp --dport 22
-j ACCEPT``). Whatever their values, such a rule accepts what its sender
chooses (SOME): in the guest's own chain it is the group's, anywhere else
it exposes the guest. One regular expression finds each run of such lines,
and the walk takes the run as one rule (:class:`SenderChosenRun`). The
expression takes only what the general parser judges that way (no ``/0``
source, no negation, nothing after the target);
tests/unit/audit/test_fast_paths.py holds the two to the same result.
"""

from __future__ import absolute_import
from __future__ import print_function

import collections
import re

from nova_sgfix.audit import matches as matches_mod
from nova_sgfix.audit import ruleset

_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
_SOURCE = '-s %s(?:[.]%s){3}(?:/(?:3[0-2]|[12][0-9]|[1-9]))? ' % (_OCTET,
                                                                  _OCTET)
_PORTS = '[0-9]+(?::[0-9]+)?'
_PROTOCOL = ('(?:-p (?:tcp -m tcp|udp -m udp) --dport %s '
             '|-p (?:tcp|udp) -m multiport --dports %s(?:,%s)* '
             '|-p icmp (?:-m icmp --icmp-type [0-9A-Za-z][0-9A-Za-z/-]* )?)'
             % (_PORTS, _PORTS, _PORTS))
#: One line that accepts what its sender chooses: a source network other
#: than /0, a protocol with ports, or both.
SENDER_CHOSEN_ACCEPT = '(?:%s%s?|%s)-j ACCEPT' % (
    _SOURCE, _PROTOCOL, _PROTOCOL)
_SENDER_CHOSEN_RUN = re.compile('(?:\n%s(?=\n|\\Z))+'
                                % SENDER_CHOSEN_ACCEPT)
_SENDER_CHOSEN = matches_mod.Matches(('-p', 'tcp'))


class Rule(collections.namedtuple('Rule', 'matches target goto chain raw')):
    """A compiled rule; ``chain`` is set when the walk quotes it."""

    __slots__ = ()

    @property
    def text(self):
        jump = '-g' if self.goto else '-j'
        return ' '.join(('-A', self.chain) + tuple(self.raw) + (
            (jump, self.target) if self.target else ()))


class Lines(object):
    """Compiled rules by line text, and compiled matches by tokens."""

    def __init__(self):
        self._rules = {}
        self._matches = {}

    def rules(self, texts):
        """The compiled rules of lines (the text after ``-A <chain>``)."""
        cache, out = self._rules, []
        for text in texts:
            rule = cache.get(text)
            if rule is None:
                rule = cache[text] = self._compile(text)
            out.append(rule)
        return out

    def _compile(self, text):
        parsed = ruleset.parse_rule(text)
        compiled = self._matches.get(parsed.matches)
        if compiled is None:
            compiled = self._matches[parsed.matches] = matches_mod.Matches(
                parsed.matches)
        return Rule(compiled, parsed.target, parsed.goto, None,
                    parsed.matches)


class SenderChosenRun(object):
    """Consecutive lines that accept what the sender chooses, as one rule.

    Its matches are those of each of its lines; the walk quotes its first
    lines (:meth:`first`) when it is not the guest's own chain.
    """

    __slots__ = ('text',)
    matches = _SENDER_CHOSEN
    target = 'ACCEPT'
    goto = False

    def __init__(self, text):
        self.text = text

    def first(self, count):
        """The first ``count`` different lines, as :class:`Rule`."""
        out, seen = [], set()
        for line in self.text.split('\n')[1:]:
            if line not in seen:
                seen.add(line)
                # Single-spaced: the text before " -j ACCEPT" quotes it.
                out.append(Rule(_SENDER_CHOSEN, 'ACCEPT', False, None,
                                (line[:-len(' -j ACCEPT')],)))
                if len(out) >= count:
                    break
        return out


class Body(object):
    """The compiled rules of one chain body, shared by equal chains.

    ``by_host`` indexes the rules with a plain ``-d host`` (nova's
    ``-local`` chain) by host; ``generic`` lists every other rule.
    """

    __slots__ = ('rules', 'generic', 'by_host', 'static')

    def __init__(self, text, lines):
        self.rules = []
        pos = 0
        for run in _SENDER_CHOSEN_RUN.finditer(text):
            if run.start() > pos:
                self.rules.extend(lines.rules(
                    text[pos:run.start()].split('\n')[1:]))
            self.rules.append(SenderChosenRun(run.group()))
            pos = run.end()
        if pos < len(text):
            self.rules.extend(lines.rules(text[pos:].split('\n')[1:]))
        self.generic = []
        self.by_host = {}
        for index, rule in enumerate(self.rules):
            host = rule.matches.host
            if host is None:
                self.generic.append(index)
            else:
                self.by_host.setdefault(host, []).append(index)
        self.static = None
