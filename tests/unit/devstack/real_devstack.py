"""Run the nova-sgfix DevStack scripts under DevStack's own function library.

The library comes from an openstack/devstack git tree found at test time
(``NOVA_SGFIX_DEVSTACK_GIT_DIR``, default the fetch mirror); one ref of it
(``havana-eol``, ``liberty-eol``, ``train-eol``, ``master``) is exported with
``git archive`` into a temporary directory. Nothing of DevStack is kept in
this repository. Each test script sources that tree's ``functions`` and
``lib/nova`` the way ``stack.sh``/``unstack.sh`` do, writes nova.conf with
DevStack's own ``iniset``, then runs the plugin phases the way that era runs
them: Havana's inline ``extras.d`` loop under its ``trap failed ERR`` and
xtrace, or ``enable_plugin`` + ``run_phase`` from Liberty on, under
``errexit`` (their ``NOUNSET=1`` stops stack.sh in DevStack's own
``run_phase`` before any plugin runs). Only edges with effects outside the
test directory are stood in for: ``setup_develop`` (pip), ``screen`` and
``screen_it``.
"""

from __future__ import absolute_import

import atexit
import collections
import os
import shutil
import subprocess
import tempfile

from tests.unit.devstack import harness

GIT_DIR_VARIABLE = 'NOVA_SGFIX_DEVSTACK_GIT_DIR'
DEFAULT_GIT_DIR = '/work/.mirror/openstack+devstack/repo'
HOW_TO_GET_ONE = (
    'no openstack/devstack git tree with ref %s at %s: clone one '
    '(git clone --mirror https://opendev.org/openstack/devstack DIR) and set '
    + GIT_DIR_VARIABLE + '=DIR')
TREE_PATHS = ('functions', 'functions-common', 'inc', 'lib', 'stackrc',
              'stack.sh', 'unstack.sh', 'clean.sh')

# How each era's stack.sh runs the plugin: the shell options it has set when
# the hooks run (read from that ref's stack.sh; test_real_devstack checks
# these against the tree) and how it calls a phase.
Era = collections.namedtuple('Era', 'ref hooks stack_options')

# Havana stack.sh: "trap failed ERR" + xtrace, neither errexit nor nounset.
HAVANA_OPTIONS = ('function failed {\n'
                  '    local r=$?\n'
                  '    set +o xtrace\n'
                  '    echo "stack.sh failed"\n'
                  '    exit $r\n'
                  '}\n'
                  'trap failed ERR\n'
                  'set -o xtrace')
# Liberty and later: an ERR trap and errexit. Their nounset (NOUNSET=1) never
# reaches a plugin: DevStack's own "run_phase override_defaults" (one
# argument; run_phase reads $2) stops stack.sh first.
PLUGIN_ERA_OPTIONS = ('function err_trap {\n'
                      '    local r=$?\n'
                      '    set +o xtrace\n'
                      '    echo "stack.sh failed"\n'
                      '    exit $r\n'
                      '}\n'
                      'trap err_trap ERR\n'
                      'set -o errexit\n'
                      'set -o xtrace')

HAVANA = Era('havana-eol', 'extras.d', HAVANA_OPTIONS)
LIBERTY = Era('liberty-eol', 'plugin', PLUGIN_ERA_OPTIONS)
TRAIN = Era('train-eol', 'plugin', PLUGIN_ERA_OPTIONS)
MASTER = Era('master', 'plugin', PLUGIN_ERA_OPTIONS)

_trees = {}


def git_dir():
    return os.environ.get(GIT_DIR_VARIABLE, DEFAULT_GIT_DIR)


def _git(*args):
    proc = subprocess.Popen(('git', '--git-dir=' + git_dir()) + args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, _err = proc.communicate()
    return proc.returncode, out


def tree(ref):
    """Path of ref's DevStack files, exported once per test process.

    Return None when there is no git tree with that ref.
    """
    if ref in _trees:
        return _trees[ref]
    status, out = _git('ls-tree', '--name-only', ref)
    if status != 0:
        return None
    present = set(out.decode('utf-8').split())
    paths = [path for path in TREE_PATHS if path in present]
    top = tempfile.mkdtemp(prefix='devstack-%s-' % ref.replace('/', '-'))
    atexit.register(shutil.rmtree, top, True)
    # Through a file, not a pipe between two children: once nova's tests
    # monkey-patched this worker with eventlet, such a pipe breaks.
    tarball = os.path.join(top, '.archive.tar')
    if (subprocess.call(['git', '--git-dir=' + git_dir(), 'archive',
                         '-o', tarball, ref] + paths) != 0 or
            subprocess.call(['tar', '-x', '-C', top, '-f', tarball]) != 0):
        raise RuntimeError('git archive %s failed' % ref)
    os.remove(tarball)
    _trees[ref] = top
    return top


def stack_sh_text(ref):
    top = tree(ref)
    with open(os.path.join(top, 'stack.sh')) as f:
        return f.read()


class RealDevStackTestCase(harness.DevStackTestCase):
    """A DevStack TOP_DIR of one era, with this test's own extras.d."""

    ERA = None

    def setUp(self):
        super(RealDevStackTestCase, self).setUp()
        self.devstack = tree(self.ERA.ref)
        if self.devstack is None:
            self.skipTest(HOW_TO_GET_ONE % (self.ERA.ref, git_dir()))
        # A TOP_DIR of links to the exported tree plus extras.d: Havana's
        # stack.sh sources $TOP_DIR/extras.d/*.sh; later ones warn about it.
        self.top_dir = os.path.join(self.tmp, 'devstack')
        os.mkdir(self.top_dir)
        for name in os.listdir(self.devstack):
            os.symlink(os.path.join(self.devstack, name),
                       os.path.join(self.top_dir, name))
        if self.ERA.hooks == 'extras.d':
            os.mkdir(os.path.join(self.top_dir, 'extras.d'))
            shutil.copy(harness.EXTRAS_D,
                        os.path.join(self.top_dir, 'extras.d'))
        # lib/nova fixes NOVA_CONF_DIR=/etc/nova; the scripts move it here.
        self.root = os.path.join(self.tmp, 'root')
        os.makedirs(os.path.join(self.root, 'etc', 'nova'))
        self.nova_conf = self.root + '/etc/nova/nova.conf'
        self.nova_cells_conf = self.root + '/etc/nova/nova-cells.conf'
        self.nova_cpu_conf = self.root + '/etc/nova/nova-cpu.conf'

    def env(self, services=harness.NOVA_NETWORK_SERVICES,
            virt_driver='libvirt', **extra):
        env = super(RealDevStackTestCase, self).env(
            services=services, virt_driver=virt_driver, **extra)
        # lib/nova sets NOVA_CONF itself; the scripts re-root it.
        env.pop('NOVA_CONF')
        env.setdefault('DISTRO', 'bookworm')
        return env

    def bash(self, script_lines, env, strict=False, fake_devstack=False):
        return super(RealDevStackTestCase, self).bash(
            script_lines, env, strict=strict, fake_devstack=fake_devstack)

    def preamble(self):
        """What stack.sh/unstack.sh do before the hooks can run."""
        return [
            'TOP_DIR=%s' % harness.quote(self.top_dir),
            'source "$TOP_DIR/functions"',
            'if [[ -r "$TOP_DIR/lib/tls" ]]; then source "$TOP_DIR/lib/tls";'
            ' fi',
            'source "$TOP_DIR/lib/nova"',
            'for conf in NOVA_CONF NOVA_CELLS_CONF NOVA_CPU_CONF; do',
            '    if [[ -n "${!conf:-}" ]]; then',
            '        printf -v "$conf" %%s %s"${!conf}"' % harness.quote(
                self.root),
            '    fi',
            'done',
            # Stand-ins at the edges: pip and GNU screen.
            'function setup_develop { echo "setup_develop $*" >>'
            ' "$FAKE_DEVSTACK_LOG"; }',
            'function screen_it { echo "screen_it $*" >>'
            ' "$FAKE_DEVSTACK_LOG"; }',
            'function screen { echo "screen $*" >> "$FAKE_DEVSTACK_LOG"; }',
            # stack.sh's own echo_summary, where functions has none.
            'if ! declare -F echo_summary >/dev/null; then',
            '    function echo_summary { echo "summary: $*"; }',
            'fi',
        ]

    def create_nova_conf(self, cells=False):
        """lib/nova's part: nova.conf (and nova-cells.conf) by iniset."""
        lines = [
            'rm -f "$NOVA_CONF"',
            'iniset "$NOVA_CONF" DEFAULT network_manager'
            ' nova.network.manager.FlatDHCPManager',
            'iniset "$NOVA_CONF" DEFAULT compute_driver %s'
            % harness.STOCK_DRIVER,
            'iniset "$NOVA_CONF" DEFAULT firewall_driver %s'
            % harness.IPTABLES_FIREWALL,
        ]
        if cells:
            lines += ['cp "$NOVA_CONF" "$NOVA_CELLS_CONF"',
                      'iniset "$NOVA_CELLS_CONF" cells enable True',
                      'iniset "$NOVA_CELLS_CONF" cells cell_type compute']
        return lines

    def phases(self, *phases):
        """Lines that run each (mode, phase) the way this era does."""
        lines = []
        if self.ERA.hooks == 'extras.d':
            for args in phases:
                lines += ['for i in $TOP_DIR/extras.d/*.sh; do',
                          '    [[ -r $i ]] && source $i %s' % ' '.join(args),
                          'done']
        else:
            lines.append('enable_plugin nova-sgfix https://opendev.org/x/'
                         'nova-sgfix')
            if phases and phases[0][0] == 'stack':
                lines += ['run_phase override_defaults', 'run_phase source']
            else:
                lines.append('load_plugin_settings')
            for args in phases:
                lines.append('run_phase %s' % ' '.join(args))
        return lines

    def stack_script(self, body):
        """stack.sh: preamble, then this era's shell options, then body."""
        return (self.preamble() + [self.ERA.stack_options] + body
                + ['set +o xtrace', 'echo "stack.sh completed"'])

    def run_stack(self, env, cells=False, phases=None, before_hooks=()):
        if phases is None:
            phases = [('stack', 'install'), ('stack', 'post-config')]
        body = (self.create_nova_conf(cells) + list(before_hooks)
                + self.phases(*phases))
        return self.bash(self.stack_script(body), env)

    def run_unstack(self, env):
        """unstack.sh: no shell options at all, in every era."""
        return self.bash(self.preamble() + self.phases(('unstack',)), env)

    def start_nova_compute_conf(self):
        """Pike and later start_nova_compute: nova-cpu.conf from nova.conf."""
        return self.bash(
            self.preamble() + ['cp "$NOVA_CONF" "$NOVA_CPU_CONF"'], self.env())
