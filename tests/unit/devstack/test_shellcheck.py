"""Each shell script of the DevStack plugin and its tests passes shellcheck."""

from __future__ import absolute_import

import os
import subprocess

import testtools

from tests.unit.devstack import harness

SCRIPTS = (
    'devstack/settings',
    'devstack/plugin.sh',
    'devstack/lib/nova-sgfix',
    'devstack/extras.d/70-nova-sgfix.sh',
    'devstack/exercises/ossn-0022.sh',
    'tests/unit/devstack/fake_devstack.sh',
    'tests/unit/devstack/standins/iptables-save',
    'tests/unit/devstack/standins/nova',
    'tests/unit/devstack/standins/screen',
    'tests/unit/devstack/standins/sleep',
    'tests/unit/devstack/standins/sudo',
    'tests/unit/devstack/standins/systemctl',
)


def _shellcheck():
    for directory in os.environ.get('PATH', '').split(os.pathsep):
        candidate = os.path.join(directory, 'shellcheck')
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class ShellcheckTest(testtools.TestCase):

    def setUp(self):
        super(ShellcheckTest, self).setUp()
        self.shellcheck = _shellcheck()
        if self.shellcheck is None:
            self.skipTest('shellcheck is not installed '
                          '(Debian/Ubuntu: apt-get install shellcheck)')

    def test_every_devstack_script_is_listed(self):
        found = set()
        for top in ('devstack', 'tests/unit/devstack'):
            top_path = os.path.join(harness.REPO_ROOT, top)
            for dirpath, _dirs, files in os.walk(top_path):
                for name in files:
                    if name.endswith(('.py', '.pyc', '.rst')):
                        continue
                    found.add(os.path.relpath(os.path.join(dirpath, name),
                                              harness.REPO_ROOT))
        self.assertEqual(set(SCRIPTS), found)

    def test_scripts_are_shellcheck_clean(self):
        # -x follows the "shellcheck source=" paths, which are relative to
        # the repository root.
        proc = subprocess.Popen([self.shellcheck, '-x'] + list(SCRIPTS),
                                cwd=harness.REPO_ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                universal_newlines=True)
        out, _ = proc.communicate()
        self.assertEqual(0, proc.returncode, out)
