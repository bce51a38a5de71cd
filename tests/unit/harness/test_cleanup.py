"""The topology leaves no namespace and no process behind, whatever fails.

A leaked namespace keeps its veths and listeners; a leaked loop keeps
connecting. Both would poison the next run's results, so every way out of
the with-block is covered here.
"""

from __future__ import absolute_import

import os
import shutil
import signal
import tempfile
import time

try:
    from unittest import mock
except ImportError:  # Python 2.7
    import mock  # noqa: H216

from tests.functional.harness import process
from tests.functional.harness import topology
from tests.unit.harness import base


def wait_for_signal_to_raise():
    """Give a self-sent signal's handler the chance to raise."""
    for _ in range(100):
        time.sleep(0.05)
    raise AssertionError('the signal handler did not raise')


class CleanupTest(base.NamespaceTestCase):

    def setUp(self):
        super(CleanupTest, self).setUp()
        self.scripts = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.scripts)

    def fake_probe_script(self, body):
        path = os.path.join(self.scripts, 'fake_probe.py')
        with open(path, 'w') as script:
            script.write(body)
        return path

    def test_namespaces_and_listeners_are_gone_after_a_normal_exit(self):
        topo = topology.Topology([('vm1', None)])
        with topo:
            self.assertEqual(4, len(topo.namespace_names))
            listeners = topo.process_ids()
            self.assertEqual(1, len(listeners))
            self.assertEqual(listeners, base.processes_with(topo.token))
        self.assertTopologyGone(topo)

    def test_namespaces_are_deleted_when_the_block_raises(self):
        topo = topology.Topology([('vm1', None), ('vm2', None)])
        with RaisesWithin(self, RuntimeError):
            with topo:
                raise RuntimeError('test failed inside the block')
        self.assertTopologyGone(topo)

    def test_namespaces_are_deleted_when_a_listener_fails_to_start(self):
        topo = topology.Topology([('vm1', None)], ports=(22, 22))
        exc = self.assertRaises(topology.TopologyError, topo.__enter__)
        self.assertIn('Address already in use', str(exc))
        self.assertTopologyGone(topo)

    def test_a_listener_that_never_gets_ready_is_killed(self):
        script = self.fake_probe_script('import time\ntime.sleep(30)\n')
        topo = topology.Topology([('vm1', None)])
        topo.ready_timeout = 0.5
        with mock.patch.object(process, 'PROBE_SCRIPT', script):
            self.assertRaises(topology.TopologyError, topo.__enter__)
        self.assertTopologyGone(topo)

    def test_namespaces_are_deleted_when_a_probe_raises(self):
        script = self.fake_probe_script(
            'import sys\nsys.stderr.write("probe broke")\nsys.exit(3)\n')
        topo = topology.Topology([('vm1', None)])
        with RaisesWithin(self, topology.TopologyError) as caught:
            with topo:
                with mock.patch.object(process, 'PROBE_SCRIPT', script):
                    topo.reachability('vm1')
        self.assertIn('probe broke', str(caught[0]))
        self.assertTopologyGone(topo)

    def test_a_hanging_probe_is_killed_and_raises(self):
        script = self.fake_probe_script('import time\ntime.sleep(30)\n')
        topo = topology.Topology([('vm1', None)])
        topo.grace = 0.3
        with topo:
            with mock.patch.object(process, 'PROBE_SCRIPT', script):
                self.assertRaises(topology.TopologyError,
                                  topo.probe, 'peer', 'vm1', 22, 0.1)
            self.assertEqual(1, len(base.processes_with(topo.token)))
        self.assertTopologyGone(topo)

    def test_a_probe_loop_is_killed_when_the_block_raises(self):
        topo = topology.Topology([('vm1', None)])
        with RaisesWithin(self, RuntimeError):
            with topo:
                with topology.ProbeLoop(topo, 'peer', 'vm1', 22):
                    self.assertEqual(2, len(base.processes_with(topo.token)))
                    raise RuntimeError('test failed while looping')
        self.assertTopologyGone(topo)

    def test_a_running_probe_loop_is_killed_by_teardown(self):
        topo = topology.Topology([('vm1', None)])
        with topo:
            loop = topology.ProbeLoop(topo, 'peer', 'vm1', 22)
            loop.__enter__()
        self.assertTopologyGone(topo)

    def check_signal_tears_down(self, signum, expected):
        before = signal.getsignal(signum)
        topo = topology.Topology([('vm1', None)])
        with RaisesWithin(self, expected):
            with topo:
                self.assertNotEqual(before, signal.getsignal(signum))
                os.kill(os.getpid(), signum)
                wait_for_signal_to_raise()
        self.assertTopologyGone(topo)
        self.assertEqual(before, signal.getsignal(signum))

    def test_sigterm_in_the_block_tears_down_and_restores_the_handler(self):
        self.check_signal_tears_down(signal.SIGTERM, topology.Terminated)

    def test_ctrl_c_in_the_block_tears_down_and_restores_the_handler(self):
        self.check_signal_tears_down(signal.SIGINT, KeyboardInterrupt)


class RaisesWithin(object):
    """Like assertRaises as a context manager, also for BaseException.

    Yields a list that holds the exception once the block has raised.
    """

    def __init__(self, test, expected):
        self.test, self.expected, self.caught = test, expected, []

    def __enter__(self):
        return self.caught

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.test.fail('%s not raised' % self.expected.__name__)
        if not issubclass(exc_type, self.expected):
            return False
        self.caught.append(exc)
        return True
