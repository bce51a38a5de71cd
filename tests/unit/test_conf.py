"""The [sgfix] options: documented, listed for the generator, validated."""

from __future__ import absolute_import

import os
import tempfile

import testtools

from nova_sgfix.compat import cfg
from nova_sgfix import conf


class OptionsTest(testtools.TestCase):

    def test_list_opts_names_the_group_and_every_option(self):
        [(group, opts)] = conf.list_opts()
        self.assertEqual('sgfix', group.name)
        self.assertEqual(['enabled', 'resync_on_start'],
                         [opt.name for opt in opts])

    def test_every_option_help_names_the_advisory_and_the_bug(self):
        for opt in conf.sgfix_opts:
            self.assertIn('OSSN-0022', opt.help)
            self.assertIn('1316822', opt.help)
            self.assertIn('Possible values', opt.help)
            self.assertIn('Related options', opt.help)

    def test_fix_is_on_by_default(self):
        config = cfg.ConfigOpts()
        conf.register_opts(config)
        config([])
        self.assertTrue(config.sgfix.enabled)
        self.assertTrue(config.sgfix.resync_on_start)

    def test_registering_twice_is_harmless(self):
        config = cfg.ConfigOpts()
        conf.register_opts(config)
        conf.register_opts(config)
        config([])
        self.assertTrue(config.sgfix.enabled)

    def test_broken_value_is_a_clear_error_naming_the_option(self):
        handle, path = tempfile.mkstemp(suffix='.conf')
        self.addCleanup(os.unlink, path)
        with os.fdopen(handle, 'w') as conf_file:
            conf_file.write('[sgfix]\nenabled = maybe\n')
        config = cfg.ConfigOpts()
        conf.register_opts(config)
        config(['--config-file', path])
        error = self.assertRaises(cfg.ConfigFileValueError,
                                  lambda: config.sgfix.enabled)
        self.assertIn('enabled', str(error))
