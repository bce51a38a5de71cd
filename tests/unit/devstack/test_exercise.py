"""devstack/exercises/ossn-0022.sh against stand-in nova, iptables-save,
systemctl, screen, sudo and sleep commands (tests/unit/devstack/standins)."""

from __future__ import absolute_import

import os

import fixtures
import testtools

from tests.unit.devstack import harness

GUEST_ID = '5f0c2d2e-8f5a-4c51-9d2b-0e3c4a7b9d10'
STOPPED_PATH = 'soft reboot of the stopped guest after a nova-compute restart'
PAUSED_PATH = 'unpause of the guest paused across a nova-compute restart'


class ExerciseTest(testtools.TestCase):

    def setUp(self):
        super(ExerciseTest, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.bin = os.path.join(self.tmp, 'bin')
        self.state = os.path.join(self.tmp, 'state')
        os.mkdir(self.state)
        harness.install_standins(self.bin)

    def exercise(self, mode='filtered', init='systemd', **extra):
        env = {
            'PATH': (self.bin + os.pathsep
                     + os.environ.get('PATH', '/usr/bin:/bin')),
            'HOME': self.tmp,
            'LC_ALL': 'C',
            'STANDIN_STATE': self.state,
            'STANDIN_MODE': mode,
            'STANDIN_INIT': init,
            'OS_AUTH_URL': 'http://192.0.2.1:5000/v2.0',
            'OS_USERNAME': 'admin',
            'OS_TENANT_NAME': 'admin',
            'OS_PASSWORD': 'secret',
            'OSSN0022_NAME': 'ossn-0022-test',
        }
        env.update(extra)
        return harness.run(['bash', harness.EXERCISE], env)

    def calls(self):
        path = os.path.join(self.state, 'calls')
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return f.read().splitlines()

    def restarts(self):
        path = os.path.join(self.state, 'restarts')
        if not os.path.exists(path):
            return 0
        with open(path) as f:
            return len(f.read().splitlines())

    def assertCleanedUp(self):
        calls = self.calls()
        self.assertIn('nova delete %s' % GUEST_ID, calls)
        self.assertIn('nova secgroup-delete ossn-0022-test', calls)
        self.assertTrue(os.path.exists(os.path.join(self.state, 'deleted')))
        self.assertTrue(
            os.path.exists(os.path.join(self.state, 'secgroup-deleted')))

    def test_filtered_host_passes_both_paths_and_cleans_up(self):
        status, out, err = self.exercise('filtered')
        self.assertEqual(0, status, out + err)
        self.assertIn('FILTERED: guest ossn-0022-test (%s) after %s'
                      % (GUEST_ID, STOPPED_PATH), out)
        self.assertIn('FILTERED: guest ossn-0022-test (%s) after %s'
                      % (GUEST_ID, PAUSED_PATH), out)
        self.assertNotIn('EXPOSED', out + err)
        self.assertEqual(2, self.restarts())
        self.assertIn('systemctl restart devstack@n-cpu.service', self.calls())
        self.assertCleanedUp()

    def test_guest_is_booted_in_a_group_allowing_only_tcp_22_from_cidr(self):
        status, out, err = self.exercise('filtered',
                                         OSSN0022_CIDR='203.0.113.0/24')
        self.assertEqual(0, status, out + err)
        calls = self.calls()
        self.assertIn('nova secgroup-add-rule ossn-0022-test '
                      'tcp 22 22 203.0.113.0/24', calls)
        self.assertIn('nova boot --flavor m1.tiny '
                      '--image 7e2d9a10-3b4c-4d5e-8f60-718293a4b5c6 '
                      '--security-groups ossn-0022-test ossn-0022-test', calls)
        self.assertEqual(1, len([c for c in calls
                                 if c.startswith('nova secgroup-add-rule')]))

    def test_exposed_host_fails_naming_the_guest_and_both_paths(self):
        status, out, err = self.exercise('exposed')
        self.assertEqual(1, status, out + err)
        self.assertIn('EXPOSED: guest ossn-0022-test (%s) '
                      '(fixed IP 192.0.2.10) after %s'
                      % (GUEST_ID, STOPPED_PATH), err)
        self.assertIn('EXPOSED: guest ossn-0022-test (%s) '
                      '(fixed IP 192.0.2.10) after %s'
                      % (GUEST_ID, PAUSED_PATH), err)
        self.assertIn('no jump from nova-compute-local -d 192.0.2.10/32', err)
        self.assertIn('FAILED: OSSN-0022: guest ossn-0022-test (%s) '
                      'was left open' % GUEST_ID, err)
        self.assertNotIn('SUCCESS', out)

    def test_exposed_host_still_cleans_up(self):
        status, out, err = self.exercise('exposed')
        self.assertEqual(1, status, out + err)
        self.assertCleanedUp()

    def test_unpause_exposure_alone_fails_the_exercise(self):
        status, out, err = self.exercise('exposed-unpause')
        self.assertEqual(1, status, out + err)
        self.assertIn('FILTERED: guest ossn-0022-test (%s) after %s'
                      % (GUEST_ID, STOPPED_PATH), out)
        self.assertIn('after %s' % PAUSED_PATH, err)
        self.assertNotIn('after %s' % STOPPED_PATH, err)
        self.assertCleanedUp()

    def test_api_refusing_stopped_soft_reboot_is_skipped_not_failed(self):
        status, out, err = self.exercise('reboot-409')
        self.assertEqual(0, status, out + err)
        self.assertIn('SKIPPED: the API refuses a soft reboot '
                      'of a stopped guest', out)
        self.assertIn('nova start %s' % GUEST_ID, self.calls())
        self.assertIn('FILTERED: guest ossn-0022-test (%s) after %s'
                      % (GUEST_ID, PAUSED_PATH), out)
        self.assertCleanedUp()

    def test_screen_devstack_restarts_the_n_cpu_window(self):
        status, out, err = self.exercise('filtered', init='screen')
        self.assertEqual(0, status, out + err)
        self.assertIn('Restarting nova-compute: '
                      'window n-cpu of screen session stack', out)
        calls = self.calls()
        self.assertIn("screen -S stack -p n-cpu -X stuff $'\\003'", calls)
        self.assertIn("screen -S stack -p n-cpu -X stuff $'\\E[A\\r'", calls)
        self.assertNotIn('systemctl restart devstack@n-cpu.service', calls)
        self.assertEqual(2, self.restarts())

    def test_screen_devstack_exposure_is_detected(self):
        status, out, err = self.exercise('exposed', init='screen')
        self.assertEqual(1, status, out + err)
        self.assertIn('EXPOSED: guest ossn-0022-test', err)
        self.assertCleanedUp()

    def test_restart_command_setting_overrides_detection(self):
        marker = os.path.join(self.state, 'custom-restart')
        status, out, err = self.exercise(
            'filtered',
            OSSN0022_RESTART_CMD='echo x >>%s; rm -f %s/filtered' % (
                marker, self.state))
        self.assertEqual(0, status, out + err)
        with open(marker) as f:
            self.assertEqual(2, len(f.read().splitlines()))
        self.assertNotIn('systemctl restart devstack@n-cpu.service',
                         self.calls())

    def test_no_known_restart_method_fails_with_reason_and_cleans_up(self):
        status, out, err = self.exercise('filtered', init='none')
        self.assertEqual(2, status, out + err)
        self.assertIn('cannot restart nova-compute', err)
        self.assertIn('OSSN0022_RESTART_CMD', err)
        self.assertCleanedUp()

    def test_guest_that_goes_to_error_is_cleaned_up(self):
        status, out, err = self.exercise('boot-error')
        self.assertEqual(2, status, out + err)
        self.assertIn('guest ossn-0022-test (%s) went to ERROR' % GUEST_ID,
                      err)
        self.assertCleanedUp()

    def test_guest_unfiltered_before_any_restart_is_a_setup_error(self):
        # A host that is not filtering at all (e.g. the wrong host) is not
        # evidence about OSSN-0022: report it as unable to run, not exposed.
        status, out, err = self.exercise('filtered',
                                         OSSN0022_CIDR='203.0.113.0/24',
                                         OSSN0022_PORT='2222')
        self.assertEqual(2, status, out + err)
        self.assertIn('is not filtered even before any restart', err)
        self.assertIn('has no rule accepting tcp/2222 from 203.0.113.0/24',
                      err)
        self.assertCleanedUp()

    def test_missing_credentials_fail_before_anything_is_created(self):
        status, out, err = self.exercise('filtered', OS_AUTH_URL='')
        self.assertEqual(2, status, out + err)
        self.assertIn('no cloud credentials', err)
        self.assertEqual([], [c for c in self.calls()
                              if c.startswith('nova ')])
