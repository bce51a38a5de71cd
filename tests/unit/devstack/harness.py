"""Drive the nova-sgfix DevStack scripts in bash with stand-ins.

The plugin and the extras.d dispatcher are sourced, as DevStack does, into a
bash shell that has the stand-in DevStack functions of ``fake_devstack.sh``;
the exercise runs with stand-in commands (``standins/``) first on PATH. No
test touches the host's firewall, services or /etc.
"""

from __future__ import absolute_import

import os
import shutil
import stat
import subprocess

import fixtures
from oslo_config import cfg
import testtools

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
DEVSTACK_DIR = os.path.join(REPO_ROOT, 'devstack')
PLUGIN_SH = os.path.join(DEVSTACK_DIR, 'plugin.sh')
SETTINGS = os.path.join(DEVSTACK_DIR, 'settings')
EXTRAS_D = os.path.join(DEVSTACK_DIR, 'extras.d', '70-nova-sgfix.sh')
EXERCISE = os.path.join(DEVSTACK_DIR, 'exercises', 'ossn-0022.sh')
FAKE_DEVSTACK = os.path.join(HERE, 'fake_devstack.sh')
STANDINS = os.path.join(HERE, 'standins')

STOCK_DRIVER = 'libvirt.LibvirtDriver'
# compute_driver for nova Grizzly..Mitaka, and for Newton..Train (a module
# under nova.virt); from Ussuri (21.0.0) on there is no nova-network.
SGFIX_DRIVER = 'nova_sgfix.virt.libvirt.LibvirtDriver'
SGFIX_VIRT_DRIVER = 'sgfix.LibvirtDriver'
HAVANA_VERSION = '2013.2.4'
IPTABLES_FIREWALL = 'nova.virt.libvirt.firewall.IptablesFirewallDriver'
NOOP_FIREWALL = 'nova.virt.firewall.NoopFirewallDriver'

# What Havana DevStack's lib/nova leaves in nova.conf on a libvirt +
# nova-network host, trimmed to the options that matter here.
NOVA_CONF = """[DEFAULT]
verbose = True
network_manager = nova.network.manager.FlatDHCPManager
compute_driver = %(driver)s
firewall_driver = %(firewall)s
libvirt_type = qemu

[keymgr]
fixed_key = 0123456789ABCDEF
"""

NOVA_NETWORK_SERVICES = ('key,g-api,g-reg,n-api,n-crt,n-obj,n-cpu,n-net,'
                         'n-cond,n-sch,mysql,rabbit')
NEUTRON_SERVICES = ('key,g-api,g-reg,n-api,n-crt,n-cpu,n-cond,n-sch,'
                    'q-svc,q-agt,q-dhcp,q-l3,q-meta,mysql,rabbit')
TIMEOUT = '120'


def run(argv, env, cwd=None):
    """Run argv under coreutils ``timeout``.

    Return (status, stdout, stderr).
    """
    proc = subprocess.Popen(['timeout', TIMEOUT] + list(argv),
                            env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    out, err = proc.communicate()
    return proc.returncode, out, err


def load_nova_conf(path):
    """Parse path with oslo.config, as nova-compute and nova-sgfix would."""
    conf = cfg.ConfigOpts()
    conf.register_opts([cfg.StrOpt('compute_driver'),
                        cfg.StrOpt('firewall_driver')])
    conf.register_opts([cfg.BoolOpt('enabled', default=True)], group='sgfix')
    conf(args=[], default_config_files=[path], default_config_dirs=[])
    return conf


def conf_sections(path):
    """The sections of path as oslo.config's own INI parser sees them."""
    sections = {}
    cfg.ConfigParser(path, sections).parse()
    return sections


class DevStackTestCase(testtools.TestCase):
    """A temporary DEST with a nova.conf, and a bash sourcing DevStack code."""

    def setUp(self):
        super(DevStackTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.dest = os.path.join(self.tmp, 'stack')
        os.mkdir(self.dest)
        # Where enable_plugin clones the plugin repository.
        self.checkout = os.path.join(self.dest, 'nova-sgfix')
        os.symlink(REPO_ROOT, self.checkout)
        self.nova_conf = os.path.join(self.tmp, 'nova.conf')
        self.log = os.path.join(self.tmp, 'devstack-calls.log')
        self.data_dir = os.path.join(self.dest, 'data')
        # $NOVA_DIR after DevStack's setup_develop: a nova tree with the
        # pbr metadata pip wrote (nova.egg-info/PKG-INFO).
        self.nova_dir = os.path.join(self.dest, 'nova')
        os.makedirs(os.path.join(self.nova_dir, 'nova', 'virt'))
        self.write_nova_version(HAVANA_VERSION)
        self.write_nova_conf()

    def write_nova_version(self, version):
        egg_info = os.path.join(self.nova_dir, 'nova.egg-info')
        if not os.path.isdir(egg_info):
            os.mkdir(egg_info)
        with open(os.path.join(egg_info, 'PKG-INFO'), 'w') as f:
            f.write('Metadata-Version: 1.1\nName: nova\nVersion: %s\n'
                    'Summary: Cloud computing fabric controller\n' % version)

    def use_checkout_with_virt_module(self):
        """The checkout's nova/virt/sgfix (Newton..Train name) module.

        ``compute_driver = sgfix.LibvirtDriver`` needs that module; the
        checkout under test ships it.
        """
        module = os.path.join(self.checkout, 'nova', 'virt', 'sgfix')
        assert os.path.isfile(os.path.join(module, '__init__.py')), module
        return module

    def use_checkout_without_virt_module(self):
        """Replace the checkout by one that lacks nova/virt/sgfix."""
        os.unlink(self.checkout)
        os.makedirs(self.checkout)
        for name in ('setup.py', 'devstack'):
            os.symlink(os.path.join(REPO_ROOT, name),
                       os.path.join(self.checkout, name))

    def write_nova_conf(self, driver=STOCK_DRIVER, firewall=IPTABLES_FIREWALL):
        with open(self.nova_conf, 'w') as f:
            f.write(NOVA_CONF % {'driver': driver, 'firewall': firewall})

    def read_nova_conf_text(self):
        with open(self.nova_conf) as f:
            return f.read()

    def devstack_calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().splitlines()

    def env(self, services=NOVA_NETWORK_SERVICES, virt_driver='libvirt',
            **extra):
        env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': self.tmp,
            'LC_ALL': 'C',
            'DEST': self.dest,
            'DATA_DIR': self.data_dir,
            'NOVA_DIR': self.nova_dir,
            'NOVA_CONF': self.nova_conf,
            'VIRT_DRIVER': virt_driver,
            'ENABLED_SERVICES': services,
            'FAKE_DEVSTACK_LOG': self.log,
        }
        env.update(extra)
        return env

    def bash(self, script_lines, env, strict=True, fake_devstack=True):
        """Run script_lines in a bash with the fake DevStack functions.

        strict runs the way Kilo and later stack.sh can (errexit, and
        nounset as with NOUNSET=1), so a plugin that trips either fails.
        """
        lines = []
        if strict:
            lines.append('set -o errexit -o nounset')
        if fake_devstack:
            lines.append('source %s' % quote(FAKE_DEVSTACK))
        lines.extend(script_lines)
        return run(['bash', '-c', '\n'.join(lines)], env)

    def assertDriverUntouched(self, before, out):
        self.assertEqual(before, self.read_nova_conf_text())
        self.assertNotIn('sgfix', conf_sections(self.nova_conf))
        self.assertIn('nova.conf left as it is', out)


def quote(word):
    return "'" + word.replace("'", "'\\''") + "'"


def install_standins(bin_dir):
    """Copy the stand-in commands into bin_dir, executable."""
    os.mkdir(bin_dir)
    for name in os.listdir(STANDINS):
        target = os.path.join(bin_dir, name)
        shutil.copy(os.path.join(STANDINS, name), target)
        os.chmod(target, (os.stat(target).st_mode
                          | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
