"""The gate's cloud: every part a real process inside the bed's host netns.

``Cloud.up()`` starts, in DevStack's order, MariaDB and RabbitMQ (Debian's
packages, with data directories under the gate's work directory),
glance-registry and glance-api (file store), then nova-api, nova-conductor,
nova-scheduler, nova-network and nova-compute, each a process of its own
registered with ``tests.gate.proc`` (so that nova-compute can be killed and
started again). The configuration files are written by DevStack's own
functions (tests/gate/devstack.sh). The calling process must already be in
the bed's host namespace: everything started here inherits it, and the bed
removes whatever is left there when it closes.
"""

from __future__ import print_function

import os
import socket
import subprocess
import time

from tests.gate import launch
from tests.gate import proc
from tests.servicebed import hypervisor

GATE_DIR = os.path.dirname(os.path.abspath(__file__))
#: nova's services in DevStack's screen-window names and start order
NOVA_SERVICES = (('n-api', 'nova-api'), ('n-cond', 'nova-conductor'),
                 ('n-sch', 'nova-scheduler'), ('n-net', 'nova-network'),
                 ('n-cpu', 'nova-compute'))


def wait_port(port, timeout=120, name=None):
    """Wait until something accepts TCP connections on 127.0.0.1:PORT."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = socket.socket()
        s.settimeout(1)
        try:
            s.connect(('127.0.0.1', port))
            return
        except socket.error:
            time.sleep(0.5)
        finally:
            s.close()
    raise RuntimeError('%s: nothing listens on port %d after %d s' % (
        name or 'service', port, timeout))


class Cloud(object):

    def __init__(self, workdir, venv, nova_tree, glance_tree, devstack_tree,
                 top, log, release='havana'):
        self.workdir, self.venv, self.top, self.log = workdir, venv, top, log
        from tests.gate.releases import RELEASES
        self.release, self.nova_tree = release, nova_tree
        self.trees = {'nova': nova_tree, 'glance': glance_tree}
        self.scripts_from_tree = RELEASES[release].scripts_from_tree
        self.run_dir = os.path.join(workdir, 'run')
        self.data = os.path.join(workdir, 'data')
        self.nova_conf = os.path.join(workdir, 'etc', 'nova', 'nova.conf')
        self.glance_conf = os.path.join(workdir, 'etc', 'glance')
        for d in (self.run_dir, self.data, os.path.join(workdir, 'home'),
                  os.path.join(workdir, 'bin')):
            if not os.path.isdir(d):
                os.makedirs(d)
        self.env = {
            'PATH': '%s/bin:%s' % (venv, os.environ.get('PATH', '')),
            'PYTHONPATH': top, 'HOME': os.path.join(workdir, 'home'),
            'GATE_DIR': workdir, 'GATE_VENV': venv, 'GATE_TOP': top,
            'GATE_NOVA_TREE': nova_tree, 'GATE_GLANCE_TREE': glance_tree,
            'GATE_DEVSTACK_TREE': devstack_tree or '',
            'GATE_MY_IP': hypervisor.PEER[0], 'GATE_RUN_DIR': self.run_dir,
            'GATE_EXTRAS_CALLS': ';'.join(RELEASES[release].extras_calls),
        }
        os.environ.update(self.env)
        self.started = []

    # --- helpers ------------------------------------------------------
    def run(self, *cmd, **kw):
        """Run a set-up command; its output goes to the gate's log."""
        out = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               cwd=kw.get('cwd', self.top))
        text = out.communicate()[0].decode('utf-8', 'replace')
        self.log('$ %s\n%s' % (' '.join(cmd), text.rstrip()))
        if out.returncode != 0:
            raise RuntimeError('%s failed (%d):\n%s' % (
                ' '.join(cmd), out.returncode, text[-3000:]))
        return text

    def start(self, name, argv, env=None):
        proc.start(self.run_dir, name, argv, env)
        self.started.append(name)

    def bin(self, name):
        return os.path.join(self.venv, 'bin', name)

    def script(self, name):
        """The command line of a nova or glance service NAME.

        The environment's script, or the tree's own ``bin/NAME`` run by
        the environment's Python on a release whose wrappers cannot start
        (tests/gate/releases.py).
        """
        if self.scripts_from_tree:
            tree = self.trees[name.split('-')[0]]
            return [self.bin('python'), os.path.join(tree, 'bin', name)]
        return [self.bin(name)]

    # --- the parts ----------------------------------------------------
    def up(self):
        t0 = time.time()
        self.mariadb()
        self.rabbitmq()
        self.log('gate: broker and database up in %d s' % (time.time() - t0))
        self.devstack_said = self.devstack('conf')
        self.glance()
        self.nova()
        self.log('gate: cloud up in %d s' % (time.time() - t0))

    def devstack(self, action):
        return self.run('bash', os.path.join(GATE_DIR, 'devstack.sh'),
                        action)

    def mariadb(self):
        d = os.path.join(self.data, 'mysql')
        self.sock = os.path.join(self.data, 'mysql.sock')
        self.run('mariadb-install-db', '--no-defaults', '--datadir=' + d,
                 '--user=root', '--auth-root-authentication-method=normal',
                 '--skip-test-db')
        self.start('mysql', [
            'mariadbd', '--no-defaults', '--datadir=' + d,
            '--socket=' + self.sock, '--port=3306',
            '--bind-address=127.0.0.1', '--user=root', '--skip-name-resolve',
            '--pid-file=' + os.path.join(self.data, 'mysql.pid'),
            # MySQL 5.5's defaults, which Havana's migrations were written
            # for: no strict mode, utf8 (3-byte) tables.
            '--sql-mode=NO_ENGINE_SUBSTITUTION',
            '--character-set-server=utf8',
            '--collation-server=utf8_general_ci',
            '--innodb-buffer-pool-size=64M', '--skip-log-bin'])
        wait_port(3306, name='mariadbd')
        self.run('mariadb', '--no-defaults', '--socket=' + self.sock,
                 '-uroot', '-e',
                 "CREATE USER IF NOT EXISTS root@'127.0.0.1';"
                 "GRANT ALL ON *.* TO root@'127.0.0.1';"
                 'CREATE DATABASE nova CHARACTER SET utf8;'
                 'CREATE DATABASE glance CHARACTER SET utf8;')

    def rabbitmq(self):
        d = os.path.join(self.data, 'rabbitmq')
        os.makedirs(d)
        plugins = os.path.join(d, 'enabled_plugins')
        with open(plugins, 'w') as f:
            f.write('[].\n')
        env_file = os.path.join(d, 'rabbitmq-env.conf')
        open(env_file, 'w').close()
        self.start('rabbit', ['/usr/lib/rabbitmq/bin/rabbitmq-server'], {
            'HOME': d, 'RABBITMQ_NODENAME': 'rabbit@localhost',
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
            'RABBITMQ_NODE_PORT': '5672', 'RABBITMQ_DIST_PORT': '25672',
            'RABBITMQ_MNESIA_BASE': os.path.join(d, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(d, 'log'),
            'RABBITMQ_LOGS': '-',
            'RABBITMQ_PID_FILE': os.path.join(d, 'rabbit.pid'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': plugins,
            'RABBITMQ_CONF_ENV_FILE': env_file,
            'RABBITMQ_CONFIG_FILE': os.path.join(d, 'rabbitmq'),
            'ERL_EPMD_ADDRESS': '127.0.0.1'})
        wait_port(5672, timeout=180, name='rabbitmq-server')

    def glance(self):
        registry = os.path.join(self.glance_conf, 'glance-registry.conf')
        api = os.path.join(self.glance_conf, 'glance-api.conf')
        self.run(*(self.script('glance-manage') + [
            '--config-file', registry, 'db_sync']))
        self.start('g-reg', self.script('glance-registry') + [
            '--config-file', registry])
        self.start('g-api', self.script('glance-api') + [
            '--config-file', api])
        wait_port(9191, name='glance-registry')
        wait_port(9292, name='glance-api')

    def nova(self):
        conf = self.nova_conf
        manage = self.script('nova-manage') + ['--config-file', conf]
        self.run(*(manage + ['db', 'sync']))
        self.run(*(manage + [
            'network', 'create', '--label=private',
            '--fixed_range_v4=' + hypervisor.FIXED_CIDR, '--num_networks=1',
            '--network_size=256', '--bridge=br100']))
        compute = os.path.join(self.workdir, 'bin', 'nova-compute')
        launch.write_script(compute, self.bin('python'), self.release,
                            self.nova_tree)
        for name, binary in NOVA_SERVICES:
            argv = [compute] if name == 'n-cpu' else self.script(binary)
            self.start(name, argv + ['--config-file', conf])
        wait_port(8774, name='nova-api')
        for name, _ in NOVA_SERVICES[1:]:
            proc.wait_for_log(self.run_dir, name, proc.READY[name])

    # --- clean-up -----------------------------------------------------
    def stop(self):
        """Stop every service, the last started first."""
        for name in reversed(self.started):
            try:
                proc.stop(self.run_dir, name, timeout=15)
            except Exception as exc:
                self.log('gate: stopping %s: %s' % (name, exc))
        self.started = []
