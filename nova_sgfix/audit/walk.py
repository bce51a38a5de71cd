"""Follow a forwarded packet to one guest address through the filter table.

From ``FORWARD`` the walk follows every rule that can match a packet to the
address (see :mod:`nova_sgfix.audit.matches`): jumps, gotos, RETURN and the
end of a chain, into any chain, down to the built-in chain's policy. It
records every place the packet can be accepted. An ACCEPT is the guest's
security group only when it sits in the guest's own instance chain (which
holds nova's ESTABLISHED/RELATED, DHCP and same-subnet rules and the group's
rules); any other ACCEPT, or an ACCEPT policy reached, exposes the guest.

Each path carries a certainty: YES, or DOUBT once it depended on a match the
audit could not judge. Chains whose rules do not look at the destination are
walked once (once for all chains with the same rules) and their summary
reused; a chain that does look at it, itself or below, is walked for every
address. Rules with a plain ``-d host`` (the shape of nova's ``-local``
chain) are indexed by host, so a thousand guests cost little more than one.
"""

from __future__ import absolute_import
from __future__ import print_function

import collections

from nova_sgfix.audit import compiled
from nova_sgfix.audit import matches as matches_mod

NO, DOUBT, YES = 0, 1, 2
DROPPING = frozenset(['DROP', 'REJECT'])
# Targets after which the packet goes on to the next rule.
NON_TERMINATING = frozenset([
    'LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'AUDIT', 'SET', 'TRACE',
    'CLASSIFY', 'DSCP', 'TOS', 'SECMARK', 'CONNSECMARK', 'IDLETIMER', 'LED',
    'TCPMSS', 'CHECKSUM', 'RATEEST'])
MAX_EXPOSURES = 5

Summary = collections.namedtuple('Summary', 'exposures returns own')


class _Chain(object):
    """A chain by name; its rules are those of its (maybe shared) body."""

    __slots__ = ('name', 'policy', 'body', 'rules', 'by_host')

    def __init__(self, name, policy, body):
        self.name = name
        self.policy = policy
        self.body = body
        self.rules = body.rules
        self.by_host = body.by_host

    def indices(self, host):
        body = self.body
        extra = body.by_host.get(host)
        if not extra:
            return body.generic
        return sorted(body.generic + extra) if body.generic else extra


class _LazyChains(object):
    """Chains compiled on first use: most of a big table is never walked.

    Chains with the same rules (the instance chains of one security group)
    share one compiled body (:class:`compiled.Body`).
    """

    def __init__(self, raw):
        self._raw = raw
        self._done = {}
        self._bodies = {}
        self._lines = compiled.Lines()

    def __contains__(self, name):
        return name in self._raw

    def get(self, name):
        chain = self._done.get(name)
        if chain is None and name in self._raw:
            raw = self._raw[name]
            text = raw.body
            body = self._bodies.get(text)
            if body is None:
                body = self._bodies[text] = compiled.Body(text, self._lines)
            chain = _Chain(name, raw.policy, body)
            self._done[name] = chain
        return chain

    __getitem__ = get


class Walker(object):
    """One address family's filter table, ready for per-address walks."""

    def __init__(self, chains, inst_prefix):
        self.inst_prefix = inst_prefix
        self.chains = _LazyChains(chains)
        self._memo = {}

    def own_chain(self, local, host):
        """The instance chain ``local`` sends ``host`` to first, or None."""
        chain = self.chains.get(local)
        if chain is None:
            return None
        for index in chain.by_host.get(host, ()):
            target = chain.rules[index].target
            if target and target.startswith(self.inst_prefix):
                return target
        return None

    def _is_static(self, chain):
        """No rule looks at the destination, here or in any callee.

        A property of the body: chains with the same rules have the same
        callees. A chain that reaches its own body again (a loop) is not
        static, so a static chain's summary never holds its body's rules
        under another chain's name.
        """
        body = chain.body
        if body.static is None:
            body.static = False
            static = all(r.matches.address_free for r in body.rules)
            for rule in body.rules:
                if not static:
                    break
                callee = self.chains.get(rule.target)
                if callee is not None and callee.policy == '-':
                    static = (not rule.target.startswith(self.inst_prefix)
                              and self._is_static(callee))
            body.static = static
        return body.static

    @staticmethod
    def _located(rule, chain):
        """The rule, quoted as a rule of ``chain``."""
        return rule._replace(chain=chain.name)

    @staticmethod
    def _renamed(summary, was, name):
        """A static chain's summary, computed for ``was``, for ``name``.

        A static chain's walk never reaches a chain of its own body again,
        so only its own rules can carry the name ``was``.
        """
        if name == was:
            return summary
        return summary._replace(exposures=[
            (level, what._replace(chain=name) if (
                isinstance(what, compiled.Rule) and what.chain == was)
             else what) for level, what in summary.exposures])

    def walk(self, address, own, start='FORWARD'):
        """Summary of every path of a packet to ``address`` from ``start``.

        :param address: ``(family, integer)``
        :param own: the guest's instance chain (its ACCEPTs are the group's)
        """
        chain = self.chains.get(start)
        if chain is None:
            return Summary([(YES, 'no %s chain: the kernel accepts' % start)],
                           NO, NO)
        return self._walk(chain, address, own, frozenset())

    def _walk(self, chain, address, own, stack):
        is_own = chain.name == own
        key = None
        if self._is_static(chain):
            # A user chain's summary depends on its rules only; a built-in
            # chain's on its policy too.
            key = (chain.body if chain.policy == '-' else chain.name, is_own)
            if key in self._memo:
                summary, was = self._memo[key]
                return self._renamed(summary, was, chain.name)
        family, value = address
        exposures = []
        state, returns = YES, NO
        own_reached = YES if is_own else NO
        stack = stack | frozenset([chain.name])
        rules = chain.rules
        for index in chain.indices(address):
            if state == NO:
                break
            rule = rules[index]
            if rule.__class__ is compiled.SenderChosenRun:
                # SOME, ACCEPT: the group's in the guest's own chain, an
                # exposure elsewhere; the packet goes on either way.
                if not is_own:
                    exposures.extend((state, self._located(r, chain))
                                     for r in rule.first(MAX_EXPOSURES))
                continue
            m = rule.matches
            verdict = m.static if m.address_free else m.judge(family, value)
            if verdict == matches_mod.NEVER:
                continue
            hit = state if verdict != matches_mod.UNKNOWN else min(state,
                                                                   DOUBT)
            miss = NO if verdict == matches_mod.ALWAYS else state
            target = rule.target
            if target is None or target in NON_TERMINATING:
                continue
            if target == 'ACCEPT':
                if not m.return_traffic and not (
                        is_own and verdict == matches_mod.SOME):
                    exposures.append((hit, self._located(rule, chain)))
            elif target == 'RETURN':
                returns = max(returns, hit)
            elif target in DROPPING:
                pass
            elif target in self.chains and target not in stack and \
                    self.chains[target].policy == '-':
                sub = self._walk(self.chains[target], address, own, stack)
                for level, what in sub.exposures:
                    exposures.append((min(hit, level), what))
                own_reached = max(own_reached, min(hit, sub.own))
                back = min(hit, sub.returns)
                if rule.goto:
                    returns = max(returns, back)
                else:
                    miss = max(miss, back)
            else:
                # NFQUEUE, a missing chain, a loop...: it may accept.
                exposures.append((min(hit, DOUBT),
                                  self._located(rule, chain)))
                miss = max(miss, hit)
            state = miss
        returns = max(returns, state)
        if chain.policy != '-':
            if returns and chain.policy not in DROPPING:
                exposures.append((returns, 'the %s policy of %s' % (
                    chain.policy, chain.name)))
            returns = NO
        summary = Summary(_strongest(exposures), returns, own_reached)
        if key is not None:
            self._memo[key] = summary, chain.name
        return summary


def _strongest(exposures):
    """Keep the most certain few, the certain ones first, without repeats."""
    if len(exposures) <= 1:
        return exposures
    seen, out = set(), []
    for level, what in sorted(exposures, key=lambda e: -e[0]):
        name = what.text if isinstance(what, compiled.Rule) else what
        if name not in seen:
            seen.add(name)
            out.append((level, what))
            if len(out) >= MAX_EXPOSURES:
                break
    return out


def describe(what):
    """Text for an exposure: the rule quoted, with what was not judged."""
    if not isinstance(what, compiled.Rule):
        return what
    if what.matches.doubt:
        return "'%s' (cannot judge %s)" % (what.text, what.matches.doubt)
    return "'%s'" % what.text
