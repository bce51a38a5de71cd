"""The audit's fast paths give the answers of the slow ones.

The bulk reader (:mod:`nova_sgfix.audit.fastparse`) must read every dump as
the line reader does, and fall back to it for the errors. The walk compiles
chains with the same rules once and reuses a chain's summary; that must
never carry one guest's verdict to another whose packet takes another path,
nor quote a rule under another chain's name.
"""

from __future__ import absolute_import
from __future__ import print_function

import random
import re
import unittest

from nova_sgfix.audit import check
from nova_sgfix.audit import compiled
from nova_sgfix.audit import fastparse
from nova_sgfix.audit import matches as matches_mod
from nova_sgfix.audit import ruleset
from nova_sgfix.audit import walk
from tests.unit.audit import nova_shapes
from tests.unit.audit import runner
from tests.unit.audit import test_check

INST1 = nova_shapes.Instance(1, ['10.0.0.3'])
INST2 = nova_shapes.Instance(2, ['10.0.0.4'])
SSH = '-s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT'


def guest(number):
    ip = '10.0.0.%d' % (number + 2)
    return test_check.make_guest(name='instance-%08x' % number,
                                 nics=(('fa:16:3e:00:00:%02x' % number,
                                        [ip]),))


def through_group(*rules, **chains):
    """Guests 1 and 2; FORWARD first jumps to other-group, holding rules."""
    text = nova_shapes.filter_table([INST1, INST2])
    for name, chain_rules in sorted(chains.items()):
        text = shared_chain(text, name, *chain_rules)
    text = shared_chain(text, 'other-group', *rules)
    return add_rule(text, 'FORWARD', '-j other-group')


def in_group(number, rule, verdict=check.CRITICAL):
    how = 'accepted by' if verdict == check.CRITICAL else 'may be accepted by'
    return verdict, "10.0.0.%d: %s '-A other-group %s'" % (
        number + 2, how, rule)


class line_by_line(object):
    """No runs of sender-chosen lines: every line compiled on its own."""

    def __enter__(self):
        self.saved = compiled._SENDER_CHOSEN_RUN
        compiled._SENDER_CHOSEN_RUN = re.compile('(?!)')

    def __exit__(self, *exc):
        compiled._SENDER_CHOSEN_RUN = self.saved


def contents(parsed):
    return dict((table, dict((name, (chain.policy, chain.rules))
                             for name, chain in chains.items()))
                for table, chains in parsed.tables.items())


def add_rule(text, chain, rule):
    """Put ``rule`` first in ``chain``."""
    marker = '[0:0] -A %s ' % chain
    assert marker in text, marker
    return text.replace(marker, '[0:0] -A %s %s\n%s' % (chain, rule, marker),
                        1)


def shared_chain(text, name, *rules):
    """Declare ``name`` holding ``rules``, after nova's instance chains."""
    text = text.replace('*filter\n', '*filter\n:%s - [0:0]\n' % name, 1)
    return text.replace('COMMIT\n', ''.join(
        '-A %s %s\n' % (name, rule) for rule in rules) + 'COMMIT\n', 1)


class BulkReaderTest(unittest.TestCase):
    """Every shape of dump reads as the line reader reads it."""

    def assertSameAsLineReader(self, text, fast=True):
        parsed = ruleset.parse(text, 'rules.txt')
        by_line = ruleset._parse_lines(text, 'rules.txt')
        self.assertEqual(contents(by_line), contents(parsed))
        taken = fastparse.parse(text, ruleset._Reader('rules.txt'))
        self.assertEqual(fast, taken is not None)
        return parsed

    def test_nova_dump_with_counters_is_read_in_bulk(self):
        text = nova_shapes.filter_table([INST1, INST2])
        parsed = self.assertSameAsLineReader(text)
        self.assertEqual(8, len(
            parsed.table('filter')['nova-compute-inst-2'].rules))

    def test_dumps_of_real_nova_hosts_are_read_in_bulk(self):
        for name in ('filtered.rules', 'after-restart.rules'):
            with open(runner.data(name)) as handle:
                self.assertSameAsLineReader(handle.read())

    def test_dump_without_counters_is_read_in_bulk(self):
        self.assertSameAsLineReader(
            nova_shapes.filter_table([INST1, INST2], counters=False))

    def test_interleaved_chains_keep_their_order(self):
        # nova's iptables-restore input need not group a chain's rules.
        text = ('*filter\n:FORWARD ACCEPT [0:0]\n:a - [0:0]\n:b - [0:0]\n'
                '-A a -s 10.0.0.1/32 -j ACCEPT\n-A b -j DROP\n'
                '[3:180] -A a -p tcp -j RETURN\n-A a -j DROP\n'
                '[0:0] -A b -j ACCEPT\nCOMMIT\n')
        parsed = self.assertSameAsLineReader(text)
        self.assertEqual(['ACCEPT', 'RETURN', 'DROP'],
                         [r.target for r in parsed.table('filter')['a'].rules])

    def test_unusual_lines_are_left_to_the_line_reader(self):
        text = ('# comment\n*filter\r\n:FORWARD ACCEPT [0:0]\n:a - [0:0]\n'
                ':b - [0:0]\n'
                '-A b -j LOG\r-A b -j DROP\n'
                '  -A a -j ACCEPT\n'
                '-A a\t-j DROP  \n'
                '-A a\n'
                '-A a -m comment --comment "x \\"y\\"" -j LOG\n'
                '[1:2]   -A a -j RETURN\n'
                '\n'
                '-A a -p tcp -j REJECT\r\n'
                'COMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n'
                '-A PREROUTING -d 1.2.3.4/32 -j DNAT --to-destination '
                '10.0.0.3\nCOMMIT')
        parsed = self.assertSameAsLineReader(text)
        self.assertEqual(['ACCEPT', 'DROP', None, 'LOG', 'RETURN', 'REJECT'],
                         [r.target for r in parsed.table('filter')['a'].rules])
        self.assertEqual(['LOG', 'DROP'],
                         [r.target for r in parsed.table('filter')['b'].rules])

    def test_last_line_without_newline_is_read(self):
        self.assertSameAsLineReader(
            nova_shapes.filter_table([INST1]).rstrip('\n'))

    def test_line_ending_in_a_jump_word_is_left_to_the_line_reader(self):
        text = ('*filter\n:a - [0:0]\n'
                '-A a -j ACCEPT -m comment --comment "ends in -j"\n'
                '-A a -j DROP -m comment --comment ends-j\n'
                '-A a -j RETURN -m comment --comment x"-g\n'
                '-A a -j REJECT --comment --goto \nCOMMIT\n')
        parsed = self.assertSameAsLineReader(text)
        self.assertEqual(['ACCEPT', 'DROP', 'RETURN', 'REJECT'],
                         [r.target for r in parsed.table('filter')['a'].rules])

    def test_jump_without_target_after_a_quote_is_rejected(self):
        self.assertRejectedAt('*filter\n:a - [0:0]\n-A a -j ACCEPT\n'
                              '-A a -m comment --comment "x"-j\nCOMMIT\n',
                              'rules.txt line 4: -j without a target')

    def assertRejectedAt(self, text, words):
        with self.assertRaises(ruleset.RulesetError) as ctx:
            ruleset.parse(text, 'rules.txt')
        self.assertIn(words, str(ctx.exception))

    def test_jump_without_target_inside_a_run_names_its_line(self):
        lines = nova_shapes.filter_table([INST1, INST2]).splitlines()
        at = lines.index('[0:0] -A nova-compute-inst-2 -j '
                         'nova-compute-provider')
        lines[at] = '[0:0] -A nova-compute-inst-2 -j'
        self.assertRejectedAt('\n'.join(lines) + '\n',
                              'rules.txt line %d: -j without a target'
                              % (at + 1))

    def test_run_for_an_undeclared_chain_names_its_line(self):
        text = nova_shapes.filter_table([INST1])
        lines = text.replace(':nova-compute-inst-1 - [0:0]\n',
                             '').splitlines()
        first = [n for n, line in enumerate(lines, 1)
                 if '-A nova-compute-inst-1 ' in line][0]
        self.assertRejectedAt('\n'.join(lines), 'rules.txt line %d: rule for '
                              'undeclared chain nova-compute-inst-1' % first)

    def test_run_outside_a_table_names_its_line(self):
        self.assertRejectedAt('*filter\n:a - [0:0]\nCOMMIT\n-A a -j ACCEPT\n',
                              'rules.txt line 4: rule outside a table')


class SharedChainTest(unittest.TestCase):
    """Chains with the same rules, and summaries reused across guests."""

    def verdicts(self, text, order=(1, 2)):
        report = check.audit([guest(n) for n in order], ruleset.parse(text))
        return dict((r.name, (r.verdict, r.reason)) for r in report.results)

    def assertVerdicts(self, text, first, second):
        """Guest 1 gets ``first``, guest 2 ``second``, in either order.

        The same with sender-chosen lines compiled one by one.
        """
        expected = {'instance-00000001': first, 'instance-00000002': second}
        for order in ((1, 2), (2, 1)):
            self.assertEqual(expected, self.verdicts(text, order), order)
            with line_by_line():
                self.assertEqual(expected, self.verdicts(text, order), order)

    def test_equal_instance_chains_share_one_compiled_body(self):
        text = nova_shapes.filter_table([INST1, INST2])
        text = text.replace('[0:0] -A nova-compute-inst-2 -m state --state '
                            'INVALID', '[7:420] -A nova-compute-inst-2 -m '
                            'state --state INVALID')
        view = check.FamilyView(ruleset.parse(text))
        chains = view.walker.chains
        self.assertIs(chains.get('nova-compute-inst-1').body,
                      chains.get('nova-compute-inst-2').body)
        self.assertVerdicts(text, (check.OK, 'filtered'),
                            (check.OK, 'filtered'))

    def test_shared_rule_for_one_destination_exposes_only_that_guest(self):
        # Both instance chains have the same rules; the chain they jump to
        # accepts one guest's address. Whichever guest is judged first, the
        # other must be judged on its own address.
        text = nova_shapes.filter_table([INST1, INST2])
        for inst in ('nova-compute-inst-1', 'nova-compute-inst-2'):
            text = add_rule(text, inst, '-j open-one')
        text = shared_chain(text, 'open-one', '-d 10.0.0.4/32 -j ACCEPT')
        self.assertVerdicts(text, (check.OK, 'filtered'),
                            (check.CRITICAL, "10.0.0.4: accepted by '-A "
                             "open-one -d 10.0.0.4/32 -j ACCEPT'"))

    def test_destination_rule_in_equal_instance_chains_is_judged_per_guest(
            self):
        text = nova_shapes.filter_table([INST1, INST2])
        for inst in ('nova-compute-inst-1', 'nova-compute-inst-2'):
            text = add_rule(text, inst, '-d 10.0.0.3/32 -j ACCEPT')
        self.assertVerdicts(text, (check.CRITICAL, "10.0.0.3: accepted by "
                                   "'-A nova-compute-inst-1 -d 10.0.0.3/32 "
                                   "-j ACCEPT'"), (check.OK, 'filtered'))

    def test_rule_of_a_shared_body_is_quoted_under_each_chain_name(self):
        text = nova_shapes.filter_table([INST1, INST2])
        for inst in ('nova-compute-inst-1', 'nova-compute-inst-2'):
            text = add_rule(text, inst, '-j ACCEPT')
        self.assertVerdicts(
            text, (check.CRITICAL, "10.0.0.3: accepted by '-A "
                   "nova-compute-inst-1 -j ACCEPT'"),
            (check.CRITICAL, "10.0.0.4: accepted by '-A "
             "nova-compute-inst-2 -j ACCEPT'"))

    def test_shared_open_chain_is_quoted_under_each_chain_name(self):
        # Two provider-like chains with the same rules, one per guest.
        text = nova_shapes.filter_table([INST1, INST2])
        text = shared_chain(text, 'open-a', '-j ACCEPT')
        text = shared_chain(text, 'open-b', '-j ACCEPT')
        text = add_rule(text, 'nova-compute-inst-1', '-j open-a')
        text = add_rule(text, 'nova-compute-inst-2', '-j open-b')
        self.assertVerdicts(
            text, (check.CRITICAL, "10.0.0.3: accepted by '-A open-a "
                   "-j ACCEPT'"),
            (check.CRITICAL, "10.0.0.4: accepted by '-A open-b -j ACCEPT'"))

    def test_chains_differing_in_one_rule_are_judged_apart(self):
        text = nova_shapes.filter_table([INST1, INST2])
        text = text.replace('[0:0] -A nova-compute-inst-2 -j '
                            'nova-compute-sg-fallback',
                            '[0:0] -A nova-compute-inst-2 -j ACCEPT\n'
                            '[0:0] -A nova-compute-inst-2 -j '
                            'nova-compute-sg-fallback')
        self.assertVerdicts(text, (check.OK, 'filtered'),
                            (check.CRITICAL, "10.0.0.4: accepted by '-A "
                             "nova-compute-inst-2 -j ACCEPT'"))

    def test_group_rules_outside_the_guest_chain_expose_it(self):
        # Lines nova writes for a security group, in a chain on the path
        # before nova's: they accept what the sender chooses, for anyone.
        text = through_group(SSH, '-p icmp -j ACCEPT')
        self.assertVerdicts(text, in_group(1, SSH), in_group(2, SSH))

    def test_group_rules_after_a_dropping_rule_expose_only_others(self):
        text = through_group('-d 10.0.0.3/32 -j DROP', SSH)
        self.assertVerdicts(
            text, (check.WARNING, '10.0.0.3: nova-compute-inst-1 is not '
                   'reached from FORWARD'), in_group(2, SSH))

    def test_group_rules_reached_in_doubt_make_a_warning(self):
        # "maybe" is what is left of the packet after a chain that returns
        # it only on a match the audit cannot judge.
        text = through_group('-j maybe', '-p icmp -j ACCEPT', maybe=[
            '-m set --match-set x dst -j RETURN', '-j DROP'])
        self.assertVerdicts(
            text, in_group(1, '-p icmp -j ACCEPT', check.WARNING),
            in_group(2, '-p icmp -j ACCEPT', check.WARNING))


class SenderChosenLinesTest(unittest.TestCase):
    """Lines taken as one run are those the general parser judges SOME."""

    TAKEN = [
        '-s 10.0.0.0/24 -p tcp -m tcp --dport 22 -j ACCEPT',
        '-s 192.0.2.7/32 -p udp -m udp --dport 1000:2000 -j ACCEPT',
        '-s 10.0.0.5 -p icmp -m icmp --icmp-type 8 -j ACCEPT',
        '-p icmp -m icmp --icmp-type echo-request -j ACCEPT',
        '-p icmp -j ACCEPT', '-p tcp -m tcp --dport 0 -j ACCEPT',
        '-s 10.0.0.0/8 -j ACCEPT', '-s 255.255.255.255/1 -j ACCEPT',
        '-s 0.0.0.0/1 -p udp -m udp --dport 53 -j ACCEPT',
        '-s 10.0.0.0/24 -p tcp -m multiport --dports 80:90 -j ACCEPT',
        '-p udp -m multiport --dports 53,67:68,123 -j ACCEPT']
    LEFT = [
        '-j ACCEPT', '-s 10.0.0.0/0 -j ACCEPT',
        '-s 0.0.0.0/0 -p tcp -m tcp --dport 22 -j ACCEPT',
        '-s 256.0.0.1/32 -j ACCEPT', '-s 10.0.0.1/33 -j ACCEPT',
        '-s 10.0.0.1/0 -p icmp -j ACCEPT', '-s 01.0.0.1/32 -j ACCEPT',
        '-s 10.0.0.0/255.0.0.0 -j ACCEPT', '! -s 10.0.0.0/8 -j ACCEPT',
        '-d 10.0.0.3/32 -p tcp -m tcp --dport 22 -j ACCEPT',
        '-s 10.0.0.0/8 -d 10.0.0.3/32 -j ACCEPT',
        '-s 10.0.0.0/8 -j ACCEPT -m set --match-set x src',
        '-s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT ',
        '-s 10.0.0.0/8  -j ACCEPT', '-p tcp -m tcp ! --dport 22 -j ACCEPT',
        '-p tcp -m udp --dport 22 -j ACCEPT', '-p all -j ACCEPT',
        '-p icmp -m icmp --icmp-type ! 8 -j ACCEPT',
        '-s 10.0.0.0/8 -j ACCEPTED', '-s 10.0.0.0/8 -g ACCEPT',
        '-s 10.0.0.0/8 -j RETURN',
        '-p tcp -m tcp --dport 22 -m state --state NEW -j ACCEPT',
        '-m state --state RELATED,ESTABLISHED -j ACCEPT',
        '-p tcp -m multiport --dports 80:90, -j ACCEPT',
        '-p tcp -m multiport ! --dports 80 -j ACCEPT',
        '-p tcp -m multiport --ports 80 -j ACCEPT',
        '-p icmp -m multiport --dports 80 -j ACCEPT']

    def body(self, lines):
        return compiled.Body(''.join('\n' + line for line in lines),
                             compiled.Lines())

    def test_taken_lines_are_judged_sender_chosen_by_the_parser(self):
        for line in self.TAKEN:
            rule = compiled.Lines().rules([line])[0]
            m = rule.matches
            self.assertEqual(
                (matches_mod.SOME, True, None, None, False, 'ACCEPT', False),
                (m.static, m.address_free, m.host, m.doubt,
                 m.return_traffic, rule.target, rule.goto), line)
            run = self.body([line]).rules
            self.assertEqual(1, len(run), line)
            self.assertIsInstance(run[0], compiled.SenderChosenRun)
            quoted = run[0].first(5)[0]._replace(chain='f')
            self.assertEqual(rule._replace(chain='f').text, quoted.text)

    def test_other_lines_are_compiled_one_by_one(self):
        for line in self.LEFT:
            rules = self.body(self.TAKEN[:1] + [line] + self.TAKEN[1:2]).rules
            self.assertEqual(
                [compiled.SenderChosenRun, compiled.Rule,
                 compiled.SenderChosenRun], [r.__class__ for r in rules],
                line)

    def test_a_run_quotes_its_first_different_lines(self):
        run = self.body(self.TAKEN[:1] * 3 + self.TAKEN).rules[0]
        self.assertEqual(self.TAKEN[:5],
                         [r._replace(chain='f').text[len('-A f '):]
                          for r in run.first(5)])


class slow_paths(object):
    """Lines read one by one, compiled one by one, no summary reused."""

    def __enter__(self):
        self.lines = line_by_line()
        self.lines.__enter__()
        self.saved = walk.Walker._is_static
        walk.Walker._is_static = lambda self, chain: False

    def __exit__(self, *exc):
        walk.Walker._is_static = self.saved
        self.lines.__exit__()


class RandomRulesetsTest(unittest.TestCase):
    """Rulesets made of random rules: the fast paths give the slow answers."""

    MATCHES = ['', '-d 10.0.0.3/32 ', '-d 10.0.0.4/32 ', '! -d 10.0.0.3/32 ',
               '-d 10.0.0.0/24 ', '-s 10.0.0.0/8 ', '-s 0.0.0.0/0 ',
               '-p tcp -m tcp --dport 22 ', '-p icmp ',
               '-s 10.1.0.0/16 -p tcp -m tcp --dport 80 ',
               '-m set --match-set x dst ', '-m state --state NEW ',
               '-m state --state RELATED,ESTABLISHED ', '-i br100 ',
               '-d 10.0.0.3/32 -p tcp -m tcp --dport 22 ']
    TARGETS = ['ACCEPT', 'DROP', 'RETURN', 'LOG', 'c1', 'c2',
               'nova-compute-inst-1', 'nova-compute-provider', 'NFQUEUE']
    CHAINS = ['c1', 'c2', 'FORWARD', 'nova-compute-inst-1',
              'nova-compute-inst-2', 'nova-compute-provider',
              'nova-filter-top', 'nova-compute-local']

    def ruleset(self, rand):
        lines = nova_shapes.filter_table(
            [INST1, INST2], counters=rand.random() < 0.5).replace(
                '*filter\n', '*filter\n:c1 - [0:0]\n:c2 - [0:0]\n',
                1).split('\n')
        for chain in rand.sample(self.CHAINS, rand.randint(1, 4)):
            for _n in range(rand.randint(1, 3)):
                at = [i for i, line in enumerate(lines)
                      if '-A %s ' % chain in line] + [lines.index('COMMIT')]
                lines.insert(rand.choice(at), '-A %s %s-%s %s' % (
                    chain, rand.choice(self.MATCHES), rand.choice('jjg'),
                    rand.choice(self.TARGETS)))
        return '\n'.join(lines)

    def audit(self, text, parse):
        both = [guest(1), guest(2)]
        return [sorted((r.name, r.verdict, r.reason) for r in check.audit(
            order, parse(text)).results) for order in (both, both[::-1])]

    def test_random_rulesets_get_the_slow_paths_verdicts(self):
        rand = random.Random(1316822)
        found = set()
        for _n in range(80):
            text = self.ruleset(rand)
            fast = self.audit(text, ruleset.parse)
            with slow_paths():
                self.assertEqual(self.audit(text, ruleset._parse_lines),
                                 fast, text)
            found.update(v for _name, v, _reason in fast[0])
        # The rulesets cover every verdict but UNKNOWN.
        self.assertEqual(set([check.OK, check.WARNING, check.CRITICAL]),
                         found)


if __name__ == '__main__':
    unittest.main()
