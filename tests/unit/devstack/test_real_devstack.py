"""The plugin under DevStack's real function library, one class per era.

See real_devstack for where the library comes from. Each class pairs a
DevStack era with a nova release of that era (its nova.egg-info/PKG-INFO);
MasterTest also runs master's library with a Train nova where a test needs a
nova that still has nova-network.
"""

from __future__ import absolute_import

import os
import re

from tests.unit.devstack import harness
from tests.unit.devstack import real_devstack

CELLS_SERVICES = harness.NOVA_NETWORK_SERVICES + ',n-cell'


def expected_driver(version):
    major = int(version.split('.')[0])
    if major >= 2013 or major in (12, 13):
        return harness.SGFIX_DRIVER
    if major <= 20:
        return harness.SGFIX_VIRT_DRIVER
    return None


class _EraTests(object):
    """Mixed into one RealDevStackTestCase per era."""

    NOVA_VERSION = None
    # A release the plugin configures (master's own nova has no
    # nova-network, so there the library is driven with a Train nova).
    CONFIGURED_VERSION = None
    CELLS_V1 = False
    COPIES_CPU_CONF = False

    def prepare(self, version):
        self.write_nova_version(version)
        if expected_driver(version) == harness.SGFIX_VIRT_DRIVER:
            self.module = self.use_checkout_with_virt_module()

    def assertConfigured(self, path, version, enabled=True):
        conf = harness.load_nova_conf(path)
        self.assertEqual(expected_driver(version), conf.compute_driver)
        self.assertIs(enabled, conf.sgfix.enabled)
        self.assertEqual(harness.IPTABLES_FIREWALL, conf.firewall_driver)

    def assertStock(self, *paths):
        """compute_driver is DevStack's, [sgfix] enabled unset, in each."""
        self.assertEqual(
            [(path, harness.STOCK_DRIVER) for path in paths],
            [(path, harness.load_nova_conf(path).compute_driver)
             for path in paths])
        for path in paths:
            self.assertNotIn('enabled', harness.conf_sections(path).get(
                'sgfix', {}), path)

    def test_stack_sets_the_compute_driver_this_nova_release_loads(self):
        self.prepare(self.NOVA_VERSION)
        status, out, err = self.run_stack(self.env())
        self.assertEqual(0, status, out + err)
        self.assertIn('stack.sh completed', out)
        driver = expected_driver(self.NOVA_VERSION)
        if driver is None:
            self.assertStock(self.nova_conf)
            self.assertIn('nova-sgfix is not needed', out)
            self.assertEqual([], self.devstack_calls())
            return
        self.assertConfigured(self.nova_conf, self.NOVA_VERSION)
        self.assertEqual(['setup_develop %s' % self.checkout],
                         self.devstack_calls())
        if driver == harness.SGFIX_VIRT_DRIVER:
            link = os.path.join(self.nova_dir, 'nova', 'virt', 'sgfix')
            self.assertEqual(self.module, os.readlink(link))

    def test_cells_v1_configures_the_conf_nova_compute_reads(self):
        if not self.CELLS_V1:
            self.skipTest('%s has no cells v1 (n-cell)' % self.ERA.ref)
        self.prepare(self.CONFIGURED_VERSION)
        status, out, err = self.run_stack(
            self.env(services=CELLS_SERVICES), cells=True)
        self.assertEqual(0, status, out + err)
        self.assertConfigured(self.nova_cells_conf, self.CONFIGURED_VERSION)

    def test_unstack_restores_every_conf_it_changed(self):
        self.prepare(self.CONFIGURED_VERSION)
        status, out, err = self.run_stack(self.env())
        self.assertEqual(0, status, out + err)
        if self.COPIES_CPU_CONF:
            # start_nova_compute: nova-compute reads the copy.
            status, out, err = self.start_nova_compute_conf()
            self.assertEqual(0, status, out + err)
            self.assertConfigured(self.nova_cpu_conf, self.CONFIGURED_VERSION)
        status, out, err = self.run_unstack(self.env())
        self.assertEqual(0, status, out + err)
        confs = [self.nova_conf]
        if self.COPIES_CPU_CONF:
            confs.append(self.nova_cpu_conf)
        self.assertStock(*confs)
        self.assertFalse(os.path.lexists(
            os.path.join(self.nova_dir, 'nova', 'virt', 'sgfix')))

    def test_cells_v1_unstack_restores_the_conf_nova_compute_read(self):
        if not self.CELLS_V1:
            self.skipTest('%s has no cells v1 (n-cell)' % self.ERA.ref)
        self.prepare(self.CONFIGURED_VERSION)
        env = self.env(services=CELLS_SERVICES)
        status, out, err = self.run_stack(env, cells=True)
        self.assertEqual(0, status, out + err)
        status, out, err = self.run_unstack(env)
        self.assertEqual(0, status, out + err)
        self.assertStock(self.nova_cells_conf)
        self.assertStock(self.nova_conf)

    def test_a_failed_nova_conf_write_stops_stack_sh(self):
        # iniset failing as on a full or read-only /etc (sed -i fails).
        self.prepare(self.CONFIGURED_VERSION)
        inject = ['function iniset { echo "iniset $1: No space left on'
                  ' device" >&2; return 4; }']
        status, out, err = self.run_stack(self.env(), before_hooks=inject)
        self.assertNotEqual(0, status, out + err)
        self.assertNotIn('stack.sh completed', out)

    def test_stack_sh_runs_hooks_under_the_options_used_here(self):
        text = real_devstack.stack_sh_text(self.ERA.ref)
        options = set(re.findall(r'^set -o (\w+)', text, re.M))
        nounset = re.search(r'if \[\[ -n "\$NOUNSET" \]\]; then\s+'
                            r'set -o nounset', text)
        functions = os.path.join(real_devstack.tree(self.ERA.ref),
                                 'functions-common')
        if self.ERA.hooks == 'extras.d':
            self.assertIn('\ntrap failed ERR\n', text)
            self.assertIn('[[ -r $i ]] && source $i stack post-config', text)
            self.assertEqual({'xtrace'}, options)
            self.assertNotIn('errtrace', text)
            self.assertIsNone(nounset)
        else:
            self.assertIn('\ntrap err_trap ERR\n', text)
            self.assertIn('\nrun_phase stack post-config\n', text)
            self.assertEqual({'errexit', 'xtrace'}, options)
            # NOUNSET=1 stops stack.sh at its first one-argument run_phase.
            self.assertIsNotNone(nounset)
            self.assertIn('\nrun_phase override_defaults\n', text)
            with open(functions) as f:
                run_phase = re.search(r'function run_phase \{\n\s+local '
                                      r'mode=\$1\n\s+local phase=\$2\n',
                                      f.read())
            self.assertIsNotNone(run_phase)


class HavanaTest(_EraTests, real_devstack.RealDevStackTestCase):
    ERA = real_devstack.HAVANA
    NOVA_VERSION = CONFIGURED_VERSION = '2013.2.4'
    CELLS_V1 = True


class LibertyTest(_EraTests, real_devstack.RealDevStackTestCase):
    ERA = real_devstack.LIBERTY
    NOVA_VERSION = CONFIGURED_VERSION = '12.0.6'
    CELLS_V1 = True


class TrainTest(_EraTests, real_devstack.RealDevStackTestCase):
    ERA = real_devstack.TRAIN
    NOVA_VERSION = CONFIGURED_VERSION = '20.6.1'
    COPIES_CPU_CONF = True


class MasterTest(_EraTests, real_devstack.RealDevStackTestCase):
    ERA = real_devstack.MASTER
    NOVA_VERSION = '34.0.0'
    CONFIGURED_VERSION = '20.6.1'
    COPIES_CPU_CONF = True
