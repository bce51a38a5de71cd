"""The gate's own logic that decides its verdicts (tools/gate.sh).

What the gate reads from the exercise's output and nova-compute's log, and
the process registry whose restart is the exercise's restart command, run
here against real processes (``sleep``), without a cloud.
"""

import os
import shutil
import signal
import tempfile
import time

import testtools

from tests.gate import proc
from tests.gate import run
from tests.gate import soak

EXERCISE_OUTPUT = """\
Guest ossn-0022-stock (1e75) is ACTIVE with fixed IP 10.77.0.2
FILTERED: guest ossn-0022-stock (1e75) after soft reboot of the stopped \
guest after a nova-compute restart
EXPOSED: guest ossn-0022-stock (1e75) (fixed IP 10.77.0.2) after unpause \
of the guest paused across a nova-compute restart: no jump from \
nova-compute-local -d 10.77.0.2/32 to a nova-compute-inst chain
"""


class ExposedPathsTest(testtools.TestCase):

    def test_names_each_path_the_exercise_reported_exposed(self):
        self.assertEqual(
            ['unpause of the guest paused across a nova-compute restart'],
            run.exposed_paths(EXERCISE_OUTPUT))

    def test_a_path_whose_name_holds_after_is_kept_whole(self):
        text = ('EXPOSED: guest g (1) (fixed IP 10.0.0.2) after soft reboot '
                'of the stopped guest after a nova-compute restart: gap\n')
        self.assertEqual(
            ['soft reboot of the stopped guest after a nova-compute restart'],
            run.exposed_paths(text))

    def test_filtered_output_names_no_path(self):
        self.assertEqual([], run.exposed_paths(
            EXERCISE_OUTPUT.replace('EXPOSED', 'FILTERED')))


class TracebackCountTest(testtools.TestCase):

    def test_counts_only_tracebacks_through_nova_sgfix_as_ours(self):
        log = ('x TRACE Traceback (most recent call last)\n'
               '  File "nova/compute/manager.py", line 1\n'
               'y TRACE Traceback (most recent call last)\n'
               '  File "nova_sgfix/filtering.py", line 2\n')
        self.assertEqual((2, 1), soak.sgfix_tracebacks(log))


def command_line(pid):
    """PID's command line once setsid has exec'd the service.

    It reads empty while the kernel is between the two execs.
    """
    for _ in range(100):
        with open('/proc/%d/cmdline' % pid) as f:
            line = f.read()
        if line and not line.startswith('setsid'):
            return line
        time.sleep(0.05)
    return line


class ProcessRegistryTest(testtools.TestCase):

    def setUp(self):
        super(ProcessRegistryTest, self).setUp()
        self.run_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.run_dir)
        self.addCleanup(proc.stop, self.run_dir, 'svc', signal.SIGKILL)

    def test_restart_kills_the_process_and_starts_the_same_command(self):
        first = proc.start(self.run_dir, 'svc', ['sleep', '60'])
        proc.restart(self.run_dir, 'svc', signal.SIGKILL)
        second = proc.pid_of(self.run_dir, 'svc')
        self.assertNotEqual(first, second)
        self.assertFalse(proc.alive(first))
        self.assertTrue(proc.alive(second))
        self.assertEqual('sleep\x0060\x00', command_line(second))

    def test_a_service_runs_in_a_session_of_its_own(self):
        pid = proc.start(self.run_dir, 'svc', ['sleep', '60'])
        command_line(pid)
        self.assertEqual(pid, os.getsid(pid))
        self.assertNotEqual(os.getsid(0), os.getsid(pid))

    def test_wait_for_log_reports_a_service_that_exited(self):
        proc.start(self.run_dir, 'svc', ['sh', '-c', 'echo starting; exit 3'])
        error = self.assertRaises(RuntimeError, proc.wait_for_log,
                                  self.run_dir, 'svc', 'ready', 10)
        self.assertIn('svc exited', str(error))
        self.assertIn('starting', str(error))


class ReleaseTableTest(testtools.TestCase):
    """Each release the gate knows enters nova-compute one way only."""

    def test_each_release_has_one_compute_entry_and_the_uuid_fix(self):
        from tests.gate import releases
        from tests.servicebed import workarounds
        self.assertEqual(['grizzly', 'havana'], sorted(releases.RELEASES))
        for name, entry in releases.RELEASES.items():
            self.assertEqual(1, [bool(entry.compute_module),
                                 bool(entry.compute_script)].count(True),
                             name)
            self.assertIn('patch_nwfilter_uuid', entry.compute_workarounds)
            for patch in entry.compute_workarounds:
                self.assertTrue(callable(getattr(workarounds, patch)), patch)
