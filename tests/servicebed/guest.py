"""Build the bed's guest: Debian's cloud kernel and a busybox initramfs.

The guest loads the virtio and ACPI modules in dependency order, takes the
address nova-network's dnsmasq offers (nwfilter's anti-spoofing passes only
that one), answers HTTP on tcp/22 and tcp/80, and powers off on an ACPI
power-button event (read from the button's evdev node: busybox's acpid
ignored it here), so that a running guest's soft reboot takes nova's
clean-shutdown branch. Runs under Python 3 (the bed's driver process).
"""

import glob
import os
import shutil
import subprocess

MODULES = ('virtio_pci', 'virtio_net', 'button', 'evdev')

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /lib/modules/$m; done
ip link set lo up
ip link set eth0 up
mkdir -p /www
echo bed-guest >/www/index.html
for d in /sys/class/input/event*; do
  if grep -q 'Power Button' "$d/device/name"; then
    (dd if=/dev/input/${d##*/} of=/dev/null bs=24 count=1 2>/dev/null
     echo BED-GUEST-POWEROFF >/dev/ttyS0; poweroff -f) &
  fi
done
httpd -p 22 -h /www
httpd -p 80 -h /www
while true; do
  udhcpc -i eth0 -q -n -t 5 -T 2 -s /udhcpc.sh && break
  sleep 1
done
echo BED-GUEST-READY >/dev/ttyS0
while true; do sleep 3600; done
"""

UDHCPC = """#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via ${router%% *}
    ;;
esac
exit 0
"""


def kernel_path():
    """The newest Debian cloud kernel installed on the host."""
    found = sorted(glob.glob('/boot/vmlinuz-*-cloud-amd64'))
    if not found:
        raise RuntimeError('no /boot/vmlinuz-*-cloud-amd64; '
                           'apt-get install linux-image-cloud-amd64')
    return found[-1]


def _module_file(release, name):
    out = subprocess.check_output(
        ['modinfo', '-k', release, '-n', name]).decode().strip()
    return out


def _depends(release, name):
    out = subprocess.check_output(
        ['modinfo', '-k', release, '-F', 'depends', name]).decode().strip()
    return [d for d in out.split(',') if d]


def module_order(release, names=MODULES):
    """Module files in load order (dependencies first)."""
    order = []

    def visit(name):
        for dep in _depends(release, name):
            visit(dep)
        path = _module_file(release, name)
        if path not in order:
            order.append(path)

    for name in names:
        visit(name)
    return order


def build(workdir):
    """Write kernel and initramfs under workdir; return their paths."""
    kernel = kernel_path()
    release = os.path.basename(kernel)[len('vmlinuz-'):]
    root = os.path.join(workdir, 'initramfs')
    for sub in ('bin', 'proc', 'sys', 'dev', 'lib/modules', 'etc'):
        os.makedirs(os.path.join(root, sub))
    shutil.copy('/bin/busybox', os.path.join(root, 'bin/busybox'))
    names = []
    for path in module_order(release):
        name = os.path.basename(path)
        shutil.copy(path, os.path.join(root, 'lib/modules', name))
        names.append(name)
    with open(os.path.join(root, 'modules.order'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    for name, text in (('init', INIT), ('udhcpc.sh', UDHCPC)):
        path = os.path.join(root, name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, 0o755)
    initrd = os.path.join(workdir, 'initrd.img')
    subprocess.check_call(
        'find . | cpio -o -H newc --quiet | gzip -1 > %s' % initrd,
        shell=True, cwd=root)
    vmlinuz = os.path.join(workdir, 'vmlinuz')
    shutil.copy(kernel, vmlinuz)
    return vmlinuz, initrd
