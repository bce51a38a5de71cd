"""Read the rule lines of an ``iptables-save`` dump in bulk.

A dump of a host with a thousand guests has a hundred thousand ``-A`` lines,
and iptables-save prints each chain's rules together. Rather than split and
look at each line in Python, one regular expression finds each run of lines
of one chain, and the run is stored as text (the chain's body); the rules
are parsed when the walk needs them (:class:`ruleset.Chain`). The lines
between runs (tables, chain declarations, ``COMMIT``) go through the line
reader as before.

The fast path takes only what it can read exactly as the line reader would:
a line it does not match (one that may end in ``-j`` without a target, or in
blanks, or holds another line end than ``\n``) is left to the line reader.
When the line reader refuses a line, or a run is for a chain that is not
declared, it gives up, and the caller parses the whole dump line by line,
which gives the error with its line number.
"""

from __future__ import absolute_import
from __future__ import print_function

import re

# Characters that str.splitlines() treats as line ends, other than \n: a
# line containing one is left to the line reader.
_LINE = u'[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]*'
_COUNTERS = r'(?:\[\d+:\d+\] )?'
# The rest of a rule line, up to its end. A line whose last word may be a
# jump option without its target (which the line reader refuses, with the
# line number), or that ends in blanks, is left to the line reader.
_REST = u'(?:%s\\S)?(?<!-j)(?<!-g)(?<!--jump)(?<!--goto)(?:\n|\\Z)' % _LINE
_RUN = re.compile(u'^%s-A (\\S+) %s(?:%s-A \\1 %s)*' % (
    _COUNTERS, _REST, _COUNTERS, _REST), re.M | re.U)
_RULE_TEXT = re.compile(u'%s-A \\S+ (%s)' % (_COUNTERS, _LINE), re.U)


class _Doubt(Exception):
    """The fast path cannot vouch for the result."""


def body_piece(block, name):
    """``'\\n' + text`` for each rule of a run of ``-A name`` lines."""
    if not block.endswith('\n'):
        block += '\n'
    lines = block.count('\n')
    block = '\n' + block
    for prefix in ('\n-A %s ' % name, '\n[0:0] -A %s ' % name):
        if block.count(prefix) == lines:
            return block.replace(prefix, '\n')[:-1]
    return ''.join('\n' + _RULE_TEXT.match(line).group(1)
                   for line in block[1:-1].split('\n'))


def _gap(reader, text):
    for line in text.splitlines():
        reader.line(0, line)


def parse(text, reader):
    """Fill ``reader`` (a ``ruleset._Reader``) from ``text``.

    :returns: the :class:`ruleset.Ruleset`, or None when the caller must
        parse line by line
    """
    pos = 0
    try:
        for match in _RUN.finditer(text):
            start = match.start()
            if start > pos:
                _gap(reader, text[pos:start])
            name = match.group(1)
            if reader.chains is None or name not in reader.chains:
                raise _Doubt()
            reader.chains[name]._add(body_piece(match.group(), name))
            pos = match.end()
        _gap(reader, text[pos:])
        return reader.finish()
    except (_Doubt, ValueError):  # RulesetError: the line reader says where
        return None
