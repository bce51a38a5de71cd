"""devstack/plugin.sh and devstack/settings, driven as enable_plugin does."""

from __future__ import absolute_import

import os
import shutil
import subprocess
import sys

from tests.unit.devstack import harness

STACK_PHASES = ('pre-install', 'install', 'post-config', 'extra',
                'test-config')


class PluginTest(harness.DevStackTestCase):

    def run_plugin(self, phases, env, strict=True):
        """Source settings, then plugin.sh once per (mode, phase), in order."""
        lines = ['source %s' % harness.quote(harness.SETTINGS)]
        for mode, phase in phases:
            lines.append('source %s %s %s'
                         % (harness.quote(harness.PLUGIN_SH), mode, phase))
        return self.bash(lines, env, strict=strict)

    def stack(self, env):
        return self.run_plugin([('stack', p) for p in STACK_PHASES], env)

    def test_stack_points_nova_compute_at_sgfix_on_libvirt_nova_network(self):
        status, out, err = self.stack(self.env())
        self.assertEqual(0, status, out + err)
        conf = harness.load_nova_conf(self.nova_conf)
        self.assertEqual(harness.SGFIX_DRIVER, conf.compute_driver)
        self.assertIs(True, conf.sgfix.enabled)
        self.assertEqual(harness.IPTABLES_FIREWALL, conf.firewall_driver)

    def test_install_develops_the_checkout_from_dest(self):
        status, out, err = self.stack(self.env())
        self.assertEqual(0, status, out + err)
        self.assertEqual(['setup_develop %s' % self.checkout],
                         self.devstack_calls())

    def test_install_uses_nova_sgfix_dir_when_set(self):
        status, out, err = self.run_plugin(
            [('stack', 'install')],
            self.env(NOVA_SGFIX_DIR=harness.REPO_ROOT))
        self.assertEqual(0, status, out + err)
        self.assertEqual(['setup_develop %s' % harness.REPO_ROOT],
                         self.devstack_calls())

    def test_control_run_installs_the_driver_with_the_fix_switched_off(self):
        status, out, err = self.stack(self.env(NOVA_SGFIX_ENABLED='False'))
        self.assertEqual(0, status, out + err)
        conf = harness.load_nova_conf(self.nova_conf)
        self.assertEqual(harness.SGFIX_DRIVER, conf.compute_driver)
        self.assertIs(False, conf.sgfix.enabled)

    def test_post_config_twice_leaves_one_setting_of_each(self):
        status, out, err = self.run_plugin(
            [('stack', 'post-config'), ('stack', 'post-config')],
            self.env())
        self.assertEqual(0, status, out + err)
        sections = harness.conf_sections(self.nova_conf)
        self.assertEqual([harness.SGFIX_DRIVER],
                         sections['DEFAULT']['compute_driver'])
        self.assertEqual(['True'], sections['sgfix']['enabled'])

    def test_neutron_deployment_is_left_alone(self):
        self.write_nova_conf(firewall=harness.NOOP_FIREWALL)
        before = self.read_nova_conf_text()
        status, out, err = self.stack(
            self.env(services=harness.NEUTRON_SERVICES))
        self.assertEqual(0, status, out + err)
        self.assertDriverUntouched(before, out)
        self.assertIn('neutron', out)

    def test_neutron_with_n_net_still_enabled_is_left_alone(self):
        before = self.read_nova_conf_text()
        status, out, err = self.stack(
            self.env(services=harness.NOVA_NETWORK_SERVICES + ',q-agt'))
        self.assertEqual(0, status, out + err)
        self.assertDriverUntouched(before, out)
        self.assertIn('neutron', out)

    def test_non_libvirt_virt_driver_is_left_alone(self):
        self.write_nova_conf(driver='fake.FakeDriver')
        before = self.read_nova_conf_text()
        status, out, err = self.stack(self.env(virt_driver='fake'))
        self.assertEqual(0, status, out + err)
        self.assertDriverUntouched(before, out)
        self.assertIn("VIRT_DRIVER is 'fake'", out)

    def test_cloud_without_nova_network_is_left_alone(self):
        before = self.read_nova_conf_text()
        status, out, err = self.stack(
            self.env(services='key,n-api,n-cpu,n-cond,n-sch'))
        self.assertEqual(0, status, out + err)
        self.assertDriverUntouched(before, out)
        self.assertIn('n-net', out)

    def test_foreign_compute_driver_is_left_alone(self):
        self.write_nova_conf(driver='acme.virt.libvirt.AcmeDriver')
        before = self.read_nova_conf_text()
        status, out, err = self.stack(self.env())
        self.assertEqual(0, status, out + err)
        self.assertDriverUntouched(before, out)
        self.assertIn('acme.virt.libvirt.AcmeDriver', out)

    def test_phases_without_work_leave_nova_conf_untouched(self):
        before = self.read_nova_conf_text()
        phases = [('stack', 'pre-install'), ('stack', 'extra'),
                  ('stack', 'test-config'),
                  ('override_defaults', ''), ('source', '')]
        status, out, err = self.run_plugin(phases, self.env())
        self.assertEqual(0, status, out + err)
        self.assertEqual(before, self.read_nova_conf_text())
        self.assertEqual([], self.devstack_calls())

    def test_unstack_restores_the_stock_libvirt_driver(self):
        status, out, err = self.run_plugin(
            [('stack', 'install'), ('stack', 'post-config'), ('unstack', '')],
            self.env())
        self.assertEqual(0, status, out + err)
        conf = harness.load_nova_conf(self.nova_conf)
        self.assertEqual(harness.STOCK_DRIVER, conf.compute_driver)

    def test_clean_restores_the_stock_libvirt_driver(self):
        status, out, err = self.run_plugin(
            [('stack', 'post-config'), ('clean', '')], self.env())
        self.assertEqual(0, status, out + err)
        conf = harness.load_nova_conf(self.nova_conf)
        self.assertEqual(harness.STOCK_DRIVER, conf.compute_driver)

    def test_unstack_then_clean_restore_once_and_stay_restored(self):
        status, out, err = self.run_plugin(
            [('stack', 'post-config'), ('unstack', ''), ('clean', '')],
            self.env())
        self.assertEqual(0, status, out + err)
        sections = harness.conf_sections(self.nova_conf)
        self.assertEqual([harness.STOCK_DRIVER],
                         sections['DEFAULT']['compute_driver'])
        self.assertEqual(1, out.count('restored to'))

    def test_unstack_leaves_a_driver_it_did_not_set(self):
        self.write_nova_conf(driver='acme.virt.libvirt.AcmeDriver')
        before = self.read_nova_conf_text()
        status, out, err = self.run_plugin([('unstack', ''), ('clean', '')],
                                           self.env())
        self.assertEqual(0, status, out + err)
        self.assertEqual(before, self.read_nova_conf_text())

    def test_clean_without_nova_conf_succeeds(self):
        status, out, err = self.run_plugin(
            [('clean', '')], self.env(NOVA_CONF=self.nova_conf + '.gone'))
        self.assertEqual(0, status, out + err)
        self.assertIn('nothing to restore', out)

    def test_invalid_enabled_setting_stops_stack_with_its_reason(self):
        before = self.read_nova_conf_text()
        status, out, err = self.stack(self.env(NOVA_SGFIX_ENABLED='maybe'))
        self.assertNotEqual(0, status)
        self.assertIn("NOVA_SGFIX_ENABLED must be True or False, not 'maybe'",
                      err)
        self.assertEqual(before, self.read_nova_conf_text())

    def test_install_without_checkout_stops_stack_with_its_reason(self):
        status, out, err = self.run_plugin(
            [('stack', 'install')],
            self.env(NOVA_SGFIX_DIR=self.tmp + '/missing'))
        self.assertNotEqual(0, status)
        self.assertIn('no checkout at NOVA_SGFIX_DIR=%s/missing' % self.tmp,
                      err)

    def test_settings_keep_values_from_local_conf(self):
        lines = ['source %s' % harness.quote(harness.SETTINGS),
                 'echo "dir=$NOVA_SGFIX_DIR enabled=$NOVA_SGFIX_ENABLED"']
        status, out, err = self.bash(lines, self.env())
        self.assertEqual(0, status, out + err)
        self.assertIn('dir=%s enabled=True' % self.checkout, out)
        status, out, err = self.bash(
            lines,
            self.env(NOVA_SGFIX_DIR='/srv/sgfix', NOVA_SGFIX_ENABLED='False'))
        self.assertEqual(0, status, out + err)
        self.assertIn('dir=/srv/sgfix enabled=False', out)

    def test_sourcing_plugin_keeps_shell_running_and_options_unchanged(self):
        lines = ['source %s' % harness.quote(harness.SETTINGS),
                 'before=$-',
                 'source %s stack post-config'
                 % harness.quote(harness.PLUGIN_SH),
                 'source %s unstack' % harness.quote(harness.PLUGIN_SH),
                 'echo "options before=$before after=$-"']
        status, out, err = self.bash(
            lines, self.env(services=harness.NEUTRON_SERVICES), strict=False)
        self.assertEqual(0, status, out + err)
        line = [text for text in out.splitlines()
                if text.startswith('options before=')]
        self.assertEqual(1, len(line), out)
        before, after = line[0][len('options before='):].split(' after=')
        self.assertEqual(before, after)


# (nova version, compute_driver the plugin must write; None: not needed)
RELEASES = (
    ('2013.1.5', harness.SGFIX_DRIVER),        # Grizzly
    ('2013.2.4', harness.SGFIX_DRIVER),        # Havana
    ('2013.2.5.dev3', harness.SGFIX_DRIVER),   # stable/havana after 2013.2.4
    ('2014.1.5', harness.SGFIX_DRIVER),        # Icehouse
    ('2014.2.4', harness.SGFIX_DRIVER),        # Juno
    ('2015.1.4', harness.SGFIX_DRIVER),        # Kilo
    ('12.0.6', harness.SGFIX_DRIVER),          # Liberty
    ('13.1.4', harness.SGFIX_DRIVER),          # Mitaka
    ('14.0.0', harness.SGFIX_VIRT_DRIVER),     # Newton
    ('15.1.5', harness.SGFIX_VIRT_DRIVER),     # Ocata
    ('18.3.0', harness.SGFIX_VIRT_DRIVER),     # Rocky
    ('20.6.1', harness.SGFIX_VIRT_DRIVER),     # Train
    ('20.6.2.dev4', harness.SGFIX_VIRT_DRIVER),
    ('21.0.0', None),                          # Ussuri: no nova-network
    ('21.0.0.0rc2.dev1', None),
    ('34.0.0', None),
)


class PluginReleaseTest(harness.DevStackTestCase):

    def stack(self, env):
        lines = ['source %s' % harness.quote(harness.SETTINGS)]
        for phase in ('install', 'post-config'):
            lines.append('source %s stack %s'
                         % (harness.quote(harness.PLUGIN_SH), phase))
        return self.bash(lines, env)

    def unstack(self, env):
        return self.bash(['source %s' % harness.quote(harness.SETTINGS),
                          'source %s unstack'
                          % harness.quote(harness.PLUGIN_SH)], env)

    def test_each_release_gets_the_compute_driver_it_can_load(self):
        self.use_checkout_with_virt_module()
        for version, driver in RELEASES:
            self.write_nova_conf()
            self.write_nova_version(version)
            status, out, err = self.stack(self.env())
            self.assertEqual(0, status, version + out + err)
            conf = harness.load_nova_conf(self.nova_conf)
            if driver is None:
                self.assertEqual(harness.STOCK_DRIVER, conf.compute_driver)
                self.assertNotIn('sgfix', harness.conf_sections(
                    self.nova_conf))
                self.assertIn('nova %s (Ussuri 21.0.0 or later) has no '
                              'nova-network: nova-sgfix is not needed'
                              % version, out)
            else:
                self.assertEqual((version, driver),
                                 (version, conf.compute_driver))
            status, out, err = self.unstack(self.env())
            self.assertEqual(0, status, version + out + err)

    def test_ussuri_and_later_install_nothing(self):
        self.write_nova_version('21.0.0')
        status, out, err = self.stack(self.env())
        self.assertEqual(0, status, out + err)
        self.assertEqual([], self.devstack_calls())
        self.assertIn('nova-sgfix is not needed: not installed', out)
        self.assertFalse(os.path.exists(self.data_dir))

    def test_newton_to_train_link_the_virt_module_into_nova_and_back(self):
        module = self.use_checkout_with_virt_module()
        self.write_nova_version('14.0.0')
        link = os.path.join(self.nova_dir, 'nova', 'virt', 'sgfix')
        status, out, err = self.stack(self.env())
        self.assertEqual(0, status, out + err)
        self.assertEqual(module, os.readlink(link))
        status, out, err = self.unstack(self.env())
        self.assertEqual(0, status, out + err)
        self.assertFalse(os.path.lexists(link))

    def test_newton_checkout_without_virt_module_stops_stack(self):
        self.use_checkout_without_virt_module()
        self.write_nova_version('14.0.0')
        before = self.read_nova_conf_text()
        status, out, err = self.stack(self.env())
        self.assertNotEqual(0, status)
        self.assertIn('this checkout has no nova/virt/sgfix module', err)
        self.assertEqual(before, self.read_nova_conf_text())

    def test_unknown_release_stops_stack_with_its_reason(self):
        for version in ('2012.2.4', 'banana'):
            self.write_nova_version(version)
            status, out, err = self.stack(self.env())
            self.assertNotEqual(0, status, version)
            self.assertIn("cannot tell which nova release is installed", err)
            self.assertIn("version '%s'" % version, err)

    def test_unknown_release_on_a_neutron_cloud_is_no_error(self):
        self.write_nova_version('banana')
        status, out, err = self.stack(
            self.env(services=harness.NEUTRON_SERVICES))
        self.assertEqual(0, status, out + err)
        self.assertIn('neutron is enabled', out)

    def test_nova_sgfix_nova_version_overrides_the_metadata(self):
        self.write_nova_version('34.0.0')
        status, out, err = self.stack(
            self.env(NOVA_SGFIX_NOVA_VERSION='2014.1.5'))
        self.assertEqual(0, status, out + err)
        self.assertEqual(harness.SGFIX_DRIVER,
                         harness.load_nova_conf(self.nova_conf).compute_driver)

    def test_without_metadata_the_release_comes_from_nova_version(self):
        code = 'from nova import version; print(version.version_string())'
        proc = subprocess.Popen([sys.executable, '-c', code],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                universal_newlines=True)
        version = proc.communicate()[0].strip()
        if proc.returncode != 0:
            self.skipTest('nova is not importable in %s' % sys.executable)
        self.use_checkout_with_virt_module()
        shutil.rmtree(os.path.join(self.nova_dir, 'nova.egg-info'))
        status, out, err = self.stack(self.env(PYTHON=sys.executable))
        self.assertEqual(0, status, out + err)
        if int(version.split('.')[0]) >= 21:
            said = 'nova-sgfix: nova %s (Ussuri 21.0.0 or later) ' % version
        else:
            said = 'nova-sgfix: nova %s: ' % version
        self.assertIn(said, out)
        conf = harness.load_nova_conf(self.nova_conf)
        expected = harness.SGFIX_VIRT_DRIVER
        if int(version.split('.')[0]) >= 21:
            expected = harness.STOCK_DRIVER
        self.assertEqual(expected, conf.compute_driver)

    def test_unstack_puts_back_an_sgfix_value_set_before(self):
        with open(self.nova_conf, 'a') as f:
            f.write('\n[sgfix]\nenabled = False\n')
        status, out, err = self.stack(self.env())
        self.assertEqual(0, status, out + err)
        self.assertIs(True, harness.load_nova_conf(self.nova_conf)
                      .sgfix.enabled)
        status, out, err = self.unstack(self.env())
        self.assertEqual(0, status, out + err)
        conf = harness.load_nova_conf(self.nova_conf)
        self.assertEqual(harness.STOCK_DRIVER, conf.compute_driver)
        self.assertIs(False, conf.sgfix.enabled)

    def test_unstack_leaves_an_option_changed_after_stack(self):
        status, out, err = self.stack(self.env())
        self.assertEqual(0, status, out + err)
        status, out, err = self.bash(
            ['iniset %s DEFAULT compute_driver acme.AcmeDriver'
             % harness.quote(self.nova_conf)], self.env())
        self.assertEqual(0, status, out + err)
        status, out, err = self.unstack(self.env())
        self.assertEqual(0, status, out + err)
        self.assertEqual('acme.AcmeDriver',
                         harness.load_nova_conf(self.nova_conf).compute_driver)
        self.assertIn('compute_driver changed since the plugin set it', out)
