"""Parse ``iptables-save`` output into tables, chains and rules.

The audit reads a whole ruleset once into dictionaries, so that checking a
thousand guests against a hundred thousand rules stays linear: the rule
lines in bulk (:mod:`nova_sgfix.audit.fastparse`), each chain's rules kept
as text until they are needed. Anything the parser does not recognise, and
a table that is not closed by ``COMMIT`` (a truncated dump), raises
:class:`RulesetError`: a half-read ruleset must never let the audit answer
OK.
"""

from __future__ import absolute_import
from __future__ import print_function

import collections
import re

from nova_sgfix.audit import fastparse

# Targets after which no later rule of the same chain is reached and the
# packet is let through (ACCEPT) or handed back to the caller (RETURN).
PASSING_TARGETS = frozenset(['ACCEPT', 'RETURN'])

_QUOTED_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|\S+')
_JUMP_OPTIONS = frozenset(['-j', '--jump', '-g', '--goto'])
# iptables-save puts matches before -j, but iptables-restore input (what
# nova writes, e.g. ``-j ACCEPT -p tcp --dport 22 -s 0.0.0.0/0``) may put
# them after the target; such a rule must not look unconditional.
_MATCH_OPTIONS = frozenset(['!', '-p', '--protocol', '-s', '--source', '-d',
                            '--destination', '-i', '--in-interface', '-o',
                            '--out-interface', '-m', '--match', '-f',
                            '--fragment'])


class RulesetError(ValueError):
    """The ruleset text is malformed or truncated; says where."""


class Rule(collections.namedtuple('Rule', 'matches target goto')):
    """One ``-A`` line: match tokens (comments left out) and its target.

    ``target`` is None for a rule without ``-j``/``-g`` (a counting rule).
    """

    __slots__ = ()

    @property
    def unconditional(self):
        return not self.matches


class Chain(object):
    """A chain of one table: its policy (``-`` for user chains) and rules.

    The rules are kept as ``body``, the text after ``-A <chain>`` of each
    rule, one per line, and parsed on first use of ``rules``: most chains of
    a large table are never walked, and chains with the same body (instances
    in the same security group) are compiled once by the walk.
    """

    __slots__ = ('name', 'policy', '_pieces', '_body', '_rules')

    def __init__(self, name, policy):
        self.name = name
        self.policy = policy
        self._pieces = []
        self._body = None
        self._rules = None

    def _add(self, piece):
        """Append rules given as ``'\\n' + text`` for each rule."""
        self._pieces.append(piece)
        self._body = self._rules = None

    @property
    def body(self):
        """Every rule's text after ``-A <chain>``, each after a newline."""
        if self._body is None:
            self._body = ''.join(self._pieces)
            self._pieces = [self._body]
        return self._body

    @property
    def rules(self):
        if self._rules is None:
            self._rules = [parse_rule(text)
                           for text in self.body.split('\n')[1:]]
        return self._rules


class Ruleset(object):
    """Every table of one ``iptables-save`` dump, by table name."""

    def __init__(self, tables, source):
        self.tables = tables
        self.source = source

    def table(self, name):
        """Return ``{chain name: Chain}`` for the table, or None."""
        return self.tables.get(name)


def _tokens(text):
    if '"' in text:
        return _QUOTED_TOKENS.findall(text)
    return text.split()


def _strip_non_matches(tokens):
    """Drop comments and counters: they never change which packets match."""
    out = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if (tok == '-m' and i + 3 < len(tokens) and
                tokens[i + 1] == 'comment' and tokens[i + 2] == '--comment'):
            i += 4
            continue
        if tok in ('-c', '--set-counters') and i + 2 < len(tokens):
            i += 3
            continue
        out.append(tok)
        i += 1
    return tuple(out)


def parse_rule(text):
    """Parse what follows ``-A CHAIN`` into a :class:`Rule`."""
    tokens = _tokens(text)
    for i, tok in enumerate(tokens):
        if tok in _JUMP_OPTIONS:
            if i + 1 >= len(tokens):
                raise RulesetError('%s without a target' % tok)
            matches = tokens[:i]
            rest = tokens[i + 2:]
            if rest and not _MATCH_OPTIONS.isdisjoint(rest):
                matches = matches + rest
            if 'comment' in matches or '-c' in matches:
                matches = _strip_non_matches(matches)
            return Rule(tuple(matches), tokens[i + 1], tok in ('-g', '--goto'))
    return Rule(_strip_non_matches(tokens), None, False)


class _Reader(object):
    """The state of one parse: the tables so far and the open table."""

    def __init__(self, source):
        self.source = source
        self.tables = {}
        self.table_name = None
        self.chains = None

    def error(self, lineno, text):
        return RulesetError('%s line %d: %s' % (self.source, lineno, text))

    def chain_for_rule(self, lineno, name):
        if self.chains is None:
            raise self.error(lineno, 'rule outside a table')
        chain = self.chains.get(name)
        if chain is None:
            raise self.error(lineno, 'rule for undeclared chain %s' % name)
        return chain

    def line(self, lineno, line):
        """Take one line of the dump; raises on anything unknown."""
        line = line.strip()
        if not line or line[0] == '#':
            return
        head = line[0]
        if head == '[':
            end = line.find(']')
            if end < 0:
                raise self.error(lineno, 'bad counters: %r' % line)
            line = line[end + 1:].lstrip()
            head = line[:1]
        if head == '-':
            if self.chains is None:
                raise self.error(lineno, 'rule outside a table')
            parts = line.split(None, 2)
            if len(parts) < 2 or parts[0] != '-A':
                raise self.error(lineno, 'cannot parse %r' % line)
            chain = self.chain_for_rule(lineno, parts[1])
            text = parts[2] if len(parts) > 2 else ''
            try:
                parse_rule(text)
            except RulesetError as exc:
                raise self.error(lineno, exc)
            chain._add('\n' + text)
        elif head == ':':
            if self.chains is None:
                raise self.error(lineno, 'chain outside a table')
            parts = line[1:].split()
            if not parts:
                raise self.error(lineno, 'empty chain declaration')
            policy = parts[1] if len(parts) > 1 else '-'
            self.chains.setdefault(parts[0], Chain(parts[0], policy))
        elif head == '*':
            if self.table_name is not None:
                raise self.error(lineno, 'table %s has no COMMIT (truncated '
                                 'ruleset?)' % self.table_name)
            self.table_name = line[1:].strip()
            self.chains = self.tables.setdefault(self.table_name, {})
        elif line == 'COMMIT':
            if self.table_name is None:
                raise self.error(lineno, 'COMMIT outside a table')
            self.table_name = self.chains = None
        else:
            raise self.error(lineno, 'cannot parse %r' % line)

    def finish(self):
        if self.table_name is not None:
            raise RulesetError('%s: table %s has no COMMIT (truncated '
                               'ruleset?)' % (self.source, self.table_name))
        return Ruleset(self.tables, self.source)


def _parse_lines(text, source='<ruleset>'):
    reader = _Reader(source)
    for lineno, line in enumerate(text.splitlines(), 1):
        reader.line(lineno, line)
    return reader.finish()


def parse(text, source='<ruleset>'):
    """Parse ``iptables-save`` (or ``ip6tables-save``) text.

    :param text: the whole dump, with or without ``-c`` counters
    :param source: a name for error messages (a file name or command)
    :returns: a :class:`Ruleset`
    :raises RulesetError: on an unknown line, a rule for an undeclared
        chain, a rule with ``-j`` and no target, or a table without
        ``COMMIT``
    """
    parsed = fastparse.parse(text, _Reader(source))
    if parsed is None:
        # Something the fast path does not take, or an error: this gives
        # the answer, or the error with its line.
        parsed = _parse_lines(text, source)
    return parsed
