"""matplotlib for ``tools/bench.py --plot``, kept out of the bench's env.

matplotlib is not a dependency of nova-sgfix nor of its test environments.
When a plot is asked for, it is installed once (with its own numpy) with
``pip install --target`` into a directory beside the test environments,
pinned to the last release that supports the running Python, and the plot
is drawn by ``benchlib/plot.py`` in a child process that has that directory
first on its path. The bench's virtualenv is never changed.
"""

from __future__ import absolute_import

import os
import subprocess
import sys

#: Last matplotlib release for each Python (its own Requires-Python).
PINS = ((2, 7, '2.2.5'), (3, 6, '3.3.4'), (3, 7, '3.5.3'), (3, 8, '3.7.5'),
        (3, 9, '3.9.4'))
NEWEST = '3.10.1'
PLOT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'plot.py')


class PlotUnavailable(Exception):
    """matplotlib could not be installed or the plot not drawn."""


def matplotlib_pin(version_info=None):
    major, minor = (version_info or sys.version_info)[:2]
    for pin_major, pin_minor, pin in PINS:
        if (major, minor) <= (pin_major, pin_minor):
            return pin
    return NEWEST


def plot_dir():
    root = os.environ.get('NOVA_SGFIX_VENV_ROOT',
                          '/var/cache/nova-sgfix/venvs')
    return os.path.join(root, 'bench-plot-py%d%d-matplotlib-%s' % (
        sys.version_info[0], sys.version_info[1], matplotlib_pin()))


def ensure_matplotlib(log):
    """The directory holding the pinned matplotlib; installs it if needed."""
    target = plot_dir()
    if os.path.exists(os.path.join(target, '.complete')):
        return target
    pin = matplotlib_pin()
    log('installing matplotlib==%s for Python %d.%d into %s (once)'
        % (pin, sys.version_info[0], sys.version_info[1], target))
    argv = [sys.executable, '-m', 'pip', 'install', '--quiet',
            '--disable-pip-version-check', '--target', target,
            'matplotlib==%s' % pin]
    if subprocess.call(argv, stdout=sys.stderr) != 0:
        raise PlotUnavailable('pip could not install matplotlib==%s' % pin)
    open(os.path.join(target, '.complete'), 'w').close()
    return target


def draw(json_path, png_path, log):
    """Draw ``png_path`` from the bench's JSON in a child process."""
    target = ensure_matplotlib(log)
    env = dict(os.environ)
    env['PYTHONPATH'] = target
    env['MPLBACKEND'] = 'Agg'
    env['MPLCONFIGDIR'] = os.path.join(target, '.mplconfig')
    if subprocess.call([sys.executable, PLOT_SCRIPT, json_path, png_path],
                       env=env) != 0:
        raise PlotUnavailable('drawing %s failed' % png_path)
