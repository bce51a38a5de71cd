"""Run the bed for one release and one driver; write the cells as JSON.

    python -m tests.servicebed.run --driver stock|sgfix --out FILE

Runs as root in the release's Python 2.7 environment, with the nova tree
installed in it. Builds the guest, opens the bed (namespaces, libvirtd),
moves itself into the bed's host namespace, starts nova's services and runs
the paths. Everything the bed made is removed on exit, on failure and on
SIGINT/SIGTERM.
"""

from __future__ import print_function

import argparse
import atexit
import json
import os
import shutil
import signal
import sys
import tempfile
import time

#: releases whose stack is nova.tests.functional (the others: integrated)
FUNCTIONAL_RELEASES = ('rocky', 'train')


def stop_stack(case, log):
    """tearDown, then the case's cleanups (services, fixtures) in reverse."""
    try:
        case.tearDown()
    except Exception as exc:
        log('tearDown: %s' % exc)
    while case._cleanups:
        function, args, kwargs = case._cleanups.pop()
        started = time.time()
        try:
            function(*args, **kwargs)
        except Exception as exc:
            log('cleanup %s: %s' % (function, exc))
        if time.time() - started > 5:
            log('cleanup %s took %d s' % (function, time.time() - started))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--driver', choices=('stock', 'sgfix'),
                        required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--release', default='havana')
    parser.add_argument('--log', required=True)
    parser.add_argument('--api-paste',
                        help="the release's etc/nova/api-paste.ini (Rocky "
                             "and Train: their wheels have none)")
    args = parser.parse_args()

    from tests.servicebed import guest
    from tests.servicebed import hypervisor

    workdir = tempfile.mkdtemp(prefix='nova-sgfix-bed-')
    # dnsmasq drops to nobody and must read its hosts file under here.
    os.chmod(workdir, 0o755)
    bed = hypervisor.Bed('%d' % os.getpid(), workdir)

    def cleanup():
        bed.close()
        shutil.rmtree(workdir, ignore_errors=True)

    def on_signal(signum, frame):
        # Ctrl-C reaches this process and the shell, which then sends TERM:
        # a second signal must not cut this clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup()
        os._exit(128 + signum)

    atexit.register(cleanup)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    logfile = open(args.log, 'a')

    def log(text):
        line = '%s %s %s\n' % (time.strftime('%H:%M:%S'), args.driver, text)
        logfile.write(line)
        logfile.flush()

    kernel, ramdisk = guest.build(workdir)
    log('guest built: %s %s' % (kernel, ramdisk))
    bed.open()
    log('libvirtd up in %s' % bed.host)
    hypervisor.enter_namespace(
        bed.host, own_sysfs=args.release in FUNCTIONAL_RELEASES)

    import logging
    from tests.servicebed import scenarios
    if args.release in FUNCTIONAL_RELEASES:
        from tests.servicebed import functional_stack as stack
        stack.BedStack.api_paste = os.path.abspath(args.api_paste)
    else:
        from tests.servicebed import stack
    stack.BedStack.driver = args.driver
    stack.BedStack.kernel, stack.BedStack.ramdisk = kernel, ramdisk
    stack.BedStack.workdir = workdir
    case = stack.BedStack()
    handler = logging.StreamHandler(logfile)
    handler.setFormatter(logging.Formatter(
        '%(asctime)s %(levelname)s %(name)s %(message)s'))
    started = time.time()
    case.setUp()
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        log('services up in %d s' % (time.time() - started))
        results, audit = scenarios.run(case, bed, log)
    finally:
        # Domains go while nova's database is still there to take their
        # lifecycle events; then nova is silenced for its own teardown.
        started = time.time()
        bed.remove_libvirt_objects()
        time.sleep(2)
        logging.disable(logging.CRITICAL)
        stop_stack(case, log)
        log('stopped in %d s' % (time.time() - started))
    with open(args.out, 'w') as f:
        json.dump({'driver': args.driver, 'results': results,
                   'audit': audit}, f)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Exception:
        # nova's fixtures replace sys.stderr: say what failed on the real one.
        import traceback
        traceback.print_exc(file=sys.__stderr__)
        sys.exit(1)
