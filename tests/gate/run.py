"""Bring the gate's cloud up, run the exercise twice and the soak.

    python -m tests.gate.run [--release havana|grizzly] --venv V
        --nova-tree T --glance-tree G [--devstack-tree D] [--soak N] --log FILE

Runs as root in the gate's Python 2.7 environment (tools/gate.sh). Builds
the service bed's guest, opens a bed (namespaces, libvirtd), moves itself
into the bed's host namespace, brings the cloud up (tests/gate/cloud.py),
uploads the guest to glance, then runs devstack/exercises/ossn-0022.sh
unchanged: with stock nova (compute_driver = libvirt.LibvirtDriver), then
after devstack/lib/nova-sgfix has configured nova.conf and nova-compute has
been restarted. Exit status 0 only when stock exits 1, nova-sgfix exits 0
and the soak is clean. Everything is removed on exit, on failure and on
SIGINT/SIGTERM.
"""

from __future__ import print_function

import argparse
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

#: what each exercise run must exit with
EXPECTED = (('stock', 1), ('nova-sgfix', 0))


def glance(cloud, *args):
    """DevStack's upload_image: the glance CLI with a token, no keystone."""
    return cloud.run(cloud.bin('glance'), '--os-auth-token', 'gate',
                     '--os-image-url', 'http://127.0.0.1:9292', *args)


def upload_guest(cloud, kernel, ramdisk):
    """The bed's guest as AKI/ARI/AMI images; return the AMI's ID."""
    def image_id(text):
        return re.search(r'\|\s*id\s*\|\s*(\S+)', text).group(1)

    ids = {}
    for kind, path in (('aki', kernel), ('ari', ramdisk)):
        ids[kind] = image_id(glance(
            cloud, 'image-create', '--name', 'gate-busybox-' + kind,
            '--is-public', 'True', '--disk-format', kind,
            '--container-format', kind, '--file', path))
    root = os.path.join(cloud.workdir, 'root.img')
    with open(root, 'wb') as f:
        f.write(b'\0' * (1024 * 1024))
    return image_id(glance(
        cloud, 'image-create', '--name', 'gate-busybox', '--is-public',
        'True', '--disk-format', 'ami', '--container-format', 'ami',
        '--property', 'kernel_id=' + ids['aki'],
        '--property', 'ramdisk_id=' + ids['ari'], '--file', root))


def client_env(cloud):
    """The openrc of a noauth nova: the v1.0-style token exchange."""
    env = dict(os.environ)
    env.update({'OS_AUTH_URL': 'http://127.0.0.1:8774/v2/',
                'OS_USERNAME': 'admin', 'OS_PASSWORD': 'admin',
                'OS_TENANT_NAME': 'admin', 'OS_NO_CACHE': '1'})
    return env


def run_exercise(cloud, label, image, top, log):
    """devstack/exercises/ossn-0022.sh, unchanged; return (status, text)."""
    env = client_env(cloud)
    env.update({
        'OSSN0022_IMAGE': image, 'OSSN0022_FLAVOR': 'gate.tiny',
        'OSSN0022_NAME': 'ossn-0022-%s' % label,
        'OSSN0022_RESTART_CMD': '%s -m tests.gate.proc restart n-cpu' % (
            cloud.bin('python')),
    })
    script = os.path.join(top, 'devstack', 'exercises', 'ossn-0022.sh')
    p = subprocess.Popen(['bash', script], cwd=top, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    for line in iter(p.stdout.readline, b''):
        line = line.decode('utf-8', 'replace').rstrip('\n')
        lines.append(line)
        print('  %-10s| %s' % (label, line))
        sys.stdout.flush()
    status = p.wait()
    log('exercise %s exited %d' % (label, status))
    return status, '\n'.join(lines)


def exposed_paths(text):
    """The paths the exercise named EXPOSED."""
    return re.findall(r'^EXPOSED: guest .*? \(fixed IP [^)]*\) after (.*?): ',
                      text, re.M)


def main():
    from tests.gate.releases import RELEASES
    parser = argparse.ArgumentParser()
    parser.add_argument('--release', choices=sorted(RELEASES),
                        default='havana')
    parser.add_argument('--venv', required=True)
    parser.add_argument('--nova-tree', required=True)
    parser.add_argument('--glance-tree', required=True)
    parser.add_argument('--devstack-tree', default='')
    parser.add_argument('--soak', type=int, default=3)
    parser.add_argument('--log', required=True)
    parser.add_argument('--logs-dir', required=True,
                        help="where each service's log is copied at the end")
    args = parser.parse_args()

    from tests.gate import cloud as cloud_mod
    from tests.servicebed import guest
    from tests.servicebed import hypervisor

    top = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    workdir = tempfile.mkdtemp(prefix='nova-sgfix-gate-')
    # dnsmasq drops to nobody and must read its hosts file under here.
    os.chmod(workdir, 0o755)
    bed = hypervisor.Bed('g%d' % os.getpid(), workdir)
    logfile = open(args.log, 'w')

    def log(text):
        logfile.write('%s %s\n' % (time.strftime('%H:%M:%S'), text))
        logfile.flush()

    state = {'cloud': None}

    def cleanup():
        if state['cloud'] is not None:
            state['cloud'].stop()
            state['cloud'] = None
        logs = os.path.join(workdir, 'run')
        if os.path.isdir(logs):
            shutil.rmtree(args.logs_dir, ignore_errors=True)
            shutil.copytree(logs, args.logs_dir)
        bed.close()
        for ns in (bed.host, bed.peer, bed.outsider):
            if os.path.exists('/var/run/netns/' + ns):
                print('gate: namespace %s is still there' % ns)
        shutil.rmtree(workdir, ignore_errors=True)

    def on_signal(signum, frame):
        # A second signal must not cut this clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print('gate: signal %d: cleaning up' % signum)
        cleanup()
        os._exit(128 + signum)

    atexit.register(cleanup)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    t0 = time.time()
    kernel, ramdisk = guest.build(workdir)
    bed.open()
    print('gate: namespaces %s %s %s, libvirtd up' % (
        bed.host, bed.peer, bed.outsider))
    hypervisor.enter_namespace(bed.host)
    cloud = cloud_mod.Cloud(workdir, args.venv, args.nova_tree,
                            args.glance_tree, args.devstack_tree, top, log,
                            release=args.release)
    state['cloud'] = cloud
    cloud.up()
    print('gate: cloud up in %d s: %s' % (
        time.time() - t0, ' '.join(cloud.started)))
    print(cloud.devstack_said.splitlines()[0])
    image = upload_guest(cloud, kernel, ramdisk)
    cloud.run(*(cloud.script('nova-manage') + [
        '--config-file', cloud.nova_conf, 'flavor', 'create',
        '--name=gate.tiny', '--memory=128', '--cpu=1', '--root_gb=0',
        '--ephemeral_gb=0', '--flavor=100', '--swap=0']))
    print('gate: guest image %s in glance, flavor gate.tiny' % image)

    # A cloud's compute host runs other guests too. One running guest is
    # what makes a restarted Havana nova-compute write its iptables rules
    # at all (init_host re-filters running guests only, and the first
    # apply replaces every chain the new process does not know): with the
    # exercise's guest alone on the host, the old rules stay in the kernel
    # and stock shows no exposure (doc/devstack.rst).
    from tests.gate import soak
    nova = soak.client()
    bystander = nova.servers.create(
        'gate-bystander', image, nova.flavors.find(name='gate.tiny')).id
    soak.wait_status(nova, bystander, 'ACTIVE')
    print('gate: bystander guest %s ACTIVE (default security group)' % (
        bystander))

    results = {}
    status, text = run_exercise(cloud, 'stock', image, top, log)
    results['stock'] = (status, exposed_paths(text))
    said = cloud.devstack('sgfix')
    for line in said.splitlines():
        if 'nova-sgfix' in line or line.startswith('gate:'):
            print('gate: devstack: ' + re.sub('^gate: ', '', line))
    from tests.gate import proc
    proc.restart(cloud.run_dir, 'n-cpu')
    print('gate: nova-compute restarted with nova-sgfix')
    status, text = run_exercise(cloud, 'nova-sgfix', image, top, log)
    results['nova-sgfix'] = (status, exposed_paths(text))

    ok = True
    print('\nexercise     expected  exit  exposed paths')
    for label, want in EXPECTED:
        status, paths = results[label]
        ok = ok and status == want
        print('%-12s %-9d %-5d %s' % (label, want, status,
                                      '; '.join(paths) or '-'))
    if ok and len(results['stock'][1]) == 0:
        ok = False
        print('gate: stock exited 1 but named no exposed path')

    if args.soak > 0:
        ok = soak.run(cloud, bed, image, args.soak, log) and ok
    print('gate: %s' % ('OK' if ok else 'FAILED'))
    return 0 if ok else 1


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Exception:
        import traceback
        traceback.print_exc()
        sys.exit(1)
