"""Parse ``iptables-save`` output into tables, chains and rules.

The audit reads a whole ruleset once into dictionaries, so that checking a
thousand guests against a hundred thousand rules stays linear. Anything the
parser does not recognise, and a table that is not closed by ``COMMIT`` (a
truncated dump), raises :class:`RulesetError`: a half-read ruleset must never
let the audit answer OK.
"""

from __future__ import absolute_import
from __future__ import print_function

import collections
import re

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
    """A chain of one table: its policy (``-`` for user chains) and rules."""

    __slots__ = ('name', 'policy', 'rules')

    def __init__(self, name, policy):
        self.name = name
        self.policy = policy
        self.rules = []


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


def parse(text, source='<ruleset>'):
    """Parse ``iptables-save`` (or ``ip6tables-save``) text.

    :param text: the whole dump, with or without ``-c`` counters
    :param source: a name for error messages (a file name or command)
    :returns: a :class:`Ruleset`
    :raises RulesetError: on an unknown line, a rule for an undeclared
        chain, or a table without ``COMMIT``
    """
    tables = {}
    table_name = None
    chains = None
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line[0] == '#':
            continue
        head = line[0]
        if head == '[':
            end = line.find(']')
            if end < 0:
                raise RulesetError('%s line %d: bad counters: %r'
                                   % (source, lineno, line))
            line = line[end + 1:].lstrip()
            head = line[:1]
        if head == '-':
            if chains is None:
                raise RulesetError('%s line %d: rule outside a table'
                                   % (source, lineno))
            parts = line.split(None, 2)
            if len(parts) < 2 or parts[0] != '-A':
                raise RulesetError('%s line %d: cannot parse %r'
                                   % (source, lineno, line))
            chain = chains.get(parts[1])
            if chain is None:
                raise RulesetError('%s line %d: rule for undeclared chain %s'
                                   % (source, lineno, parts[1]))
            try:
                chain.rules.append(parse_rule(parts[2] if len(parts) > 2
                                              else ''))
            except RulesetError as exc:
                raise RulesetError('%s line %d: %s' % (source, lineno, exc))
        elif head == ':':
            if chains is None:
                raise RulesetError('%s line %d: chain outside a table'
                                   % (source, lineno))
            parts = line[1:].split()
            if not parts:
                raise RulesetError('%s line %d: empty chain declaration'
                                   % (source, lineno))
            policy = parts[1] if len(parts) > 1 else '-'
            chains.setdefault(parts[0], Chain(parts[0], policy))
        elif head == '*':
            if table_name is not None:
                raise RulesetError('%s line %d: table %s has no COMMIT '
                                   '(truncated ruleset?)'
                                   % (source, lineno, table_name))
            table_name = line[1:].strip()
            chains = tables.setdefault(table_name, {})
        elif line == 'COMMIT':
            if table_name is None:
                raise RulesetError('%s line %d: COMMIT outside a table'
                                   % (source, lineno))
            table_name = None
            chains = None
        else:
            raise RulesetError('%s line %d: cannot parse %r'
                               % (source, lineno, line))
    if table_name is not None:
        raise RulesetError('%s: table %s has no COMMIT (truncated ruleset?)'
                           % (source, table_name))
    return Ruleset(tables, source)
