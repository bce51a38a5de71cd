"""devstack/extras.d/70-nova-sgfix.sh, driven as Havana/Grizzly DevStack do.

Both source every readable ``extras.d/*.sh`` with the phase arguments; the
tests copy the dispatcher into a DevStack tree of their own and do the same.
"""

from __future__ import absolute_import

import os
import shutil

from tests.unit.devstack import harness

HAVANA_STACK = [('source',), ('stack', 'install'), ('stack', 'post-config'),
                ('stack', 'extra')]
HAVANA_UNSTACK = [('source',), ('unstack',)]
HAVANA_CLEAN = [('source',), ('clean',)]
GRIZZLY_STACK = [('stack',)]
GRIZZLY_UNSTACK = [('unstack',)]


class ExtrasDTest(harness.DevStackTestCase):

    def setUp(self):
        super(ExtrasDTest, self).setUp()
        self.top_dir = os.path.join(self.tmp, 'devstack')
        os.makedirs(os.path.join(self.top_dir, 'extras.d'))
        shutil.copy(harness.EXTRAS_D, os.path.join(self.top_dir, 'extras.d'))

    def run_hooks(self, hooks, env):
        lines = ['TOP_DIR=%s' % harness.quote(self.top_dir)]
        for args in hooks:
            lines.append('for i in "$TOP_DIR"/extras.d/*.sh; do')
            lines.append('    if [[ -r $i ]]; then source "$i" %s; fi'
                         % ' '.join(args))
            lines.append('done')
        return self.bash(lines, env)

    def grizzly_env(self, **extra):
        env = dict(NOVA_DIR=self.dest + '/nova', NOVA_BIN_DIR='/usr/local/bin',
                   SCREEN_NAME='stack', USE_SCREEN='True')
        env.update(extra)
        return self.env(**env)

    def test_havana_stack_points_nova_compute_at_sgfix_driver(self):
        status, out, err = self.run_hooks(HAVANA_STACK, self.env())
        self.assertEqual(0, status, out + err)
        conf = harness.load_nova_conf(self.nova_conf)
        self.assertEqual(harness.SGFIX_DRIVER, conf.compute_driver)
        self.assertIs(True, conf.sgfix.enabled)
        self.assertEqual(['setup_develop %s' % self.checkout],
                         self.devstack_calls())

    def test_havana_control_run_switches_the_fix_off(self):
        status, out, err = self.run_hooks(
            HAVANA_STACK, self.env(NOVA_SGFIX_ENABLED='False'))
        self.assertEqual(0, status, out + err)
        conf = harness.load_nova_conf(self.nova_conf)
        self.assertEqual(harness.SGFIX_DRIVER, conf.compute_driver)
        self.assertIs(False, conf.sgfix.enabled)

    def test_havana_neutron_deployment_is_left_alone(self):
        self.write_nova_conf(firewall=harness.NOOP_FIREWALL)
        before = self.read_nova_conf_text()
        status, out, err = self.run_hooks(
            HAVANA_STACK, self.env(services=harness.NEUTRON_SERVICES))
        self.assertEqual(0, status, out + err)
        self.assertDriverUntouched(before, out)

    def test_havana_non_libvirt_virt_driver_is_left_alone(self):
        self.write_nova_conf(driver='xenapi.XenAPIDriver')
        before = self.read_nova_conf_text()
        status, out, err = self.run_hooks(
            HAVANA_STACK, self.env(virt_driver='xenserver'))
        self.assertEqual(0, status, out + err)
        self.assertDriverUntouched(before, out)

    def test_havana_unstack_restores_the_stock_libvirt_driver(self):
        status, out, err = self.run_hooks(HAVANA_STACK + HAVANA_UNSTACK,
                                          self.env())
        self.assertEqual(0, status, out + err)
        self.assertEqual(
            harness.STOCK_DRIVER,
            harness.load_nova_conf(self.nova_conf).compute_driver)

    def test_havana_clean_restores_the_stock_libvirt_driver(self):
        status, out, err = self.run_hooks(HAVANA_STACK + HAVANA_CLEAN,
                                          self.env())
        self.assertEqual(0, status, out + err)
        self.assertEqual(
            harness.STOCK_DRIVER,
            harness.load_nova_conf(self.nova_conf).compute_driver)

    def test_havana_stack_without_checkout_stops_with_its_reason(self):
        os.unlink(self.checkout)
        before = self.read_nova_conf_text()
        status, out, err = self.run_hooks(HAVANA_STACK, self.env())
        self.assertNotEqual(0, status)
        self.assertIn('no checkout at NOVA_SGFIX_DIR=%s' % self.checkout, err)
        self.assertEqual(before, self.read_nova_conf_text())

    def test_havana_unstack_without_checkout_says_so_and_succeeds(self):
        os.unlink(self.checkout)
        status, out, err = self.run_hooks(HAVANA_UNSTACK + HAVANA_CLEAN,
                                          self.env())
        self.assertEqual(0, status, out + err)
        self.assertIn('nothing to do', out)

    def test_grizzly_single_stack_hook_configures_and_restarts_n_cpu(self):
        status, out, err = self.run_hooks(GRIZZLY_STACK, self.grizzly_env())
        self.assertEqual(0, status, out + err)
        conf = harness.load_nova_conf(self.nova_conf)
        self.assertEqual(harness.SGFIX_DRIVER, conf.compute_driver)
        self.assertIs(True, conf.sgfix.enabled)
        calls = self.devstack_calls()
        self.assertEqual('setup_develop %s' % self.checkout, calls[0])
        self.assertEqual('screen -S stack -p n-cpu -X kill', calls[1])
        self.assertTrue(calls[2].startswith('screen_it n-cpu '), calls)
        self.assertIn('/usr/local/bin/nova-compute --config-file %s'
                      % self.nova_conf, calls[2])
        self.assertEqual(3, len(calls), calls)

    def test_grizzly_neutron_deployment_left_alone_n_cpu_kept_running(self):
        self.write_nova_conf(firewall=harness.NOOP_FIREWALL)
        before = self.read_nova_conf_text()
        status, out, err = self.run_hooks(GRIZZLY_STACK, self.grizzly_env(
            ENABLED_SERVICES=harness.NEUTRON_SERVICES))
        self.assertEqual(0, status, out + err)
        self.assertDriverUntouched(before, out)
        self.assertEqual(['setup_develop %s' % self.checkout],
                         self.devstack_calls())

    def test_grizzly_without_screen_asks_for_a_manual_restart(self):
        status, out, err = self.run_hooks(
            GRIZZLY_STACK, self.grizzly_env(USE_SCREEN='False'))
        self.assertEqual(0, status, out + err)
        self.assertIn('restart nova-compute yourself', out)
        self.assertEqual(['setup_develop %s' % self.checkout],
                         self.devstack_calls())

    def test_grizzly_unstack_restores_the_stock_libvirt_driver(self):
        status, out, err = self.run_hooks(GRIZZLY_STACK + GRIZZLY_UNSTACK,
                                          self.grizzly_env())
        self.assertEqual(0, status, out + err)
        self.assertEqual(
            harness.STOCK_DRIVER,
            harness.load_nova_conf(self.nova_conf).compute_driver)
