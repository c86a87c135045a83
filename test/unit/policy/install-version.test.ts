import {describe, expect, it} from 'vitest'

import {buildFacts} from '../../../src/facts/build-facts.js'
import {installVersion, layoutVersion} from '../../../src/facts/install-version.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {planWith} from './support.js'

describe('the PHP version of an install', () => {
  it.each([
    ['/usr/sbin/php-fpm8.1', 'php8.1-fpm', '/etc/php/8.1/fpm/php-fpm.conf', '8.1'],
    ['/usr/sbin/php-fpm82', 'php-fpm82', '/etc/php82/php-fpm.conf', '8.2'],
    ['/opt/remi/php74/root/usr/sbin/php-fpm', 'php74-php-fpm', '/etc/opt/remi/php74/php-fpm.conf', '7.4'],
    ['/opt/rh/rh-php73/root/usr/sbin/php-fpm', 'rh-php73-php-fpm', '/etc/opt/rh/rh-php73/php-fpm.conf', '7.3'],
    ['/usr/local/sbin/php-fpm', 'php-fpm', '/usr/local/etc/php-fpm.conf', undefined],
    ['/usr/sbin/php-fpm', 'php-fpm', '/etc/php-fpm.conf', undefined],
    ['/usr/sbin/php-fpm', 'php81-php-fpm', '/etc/php-fpm.conf', '8.1'],
    ['/usr/sbin/php-fpm', 'php-fpm', '/etc/php/7.4/fpm/php-fpm.conf', '7.4'],
  ])('%s (%s, %s) is %s by its layout', (binary, serviceName, mainConfigPath, version) => {
    expect(layoutVersion({binary, serviceName, mainConfigPath})).toBe(version)
  })

  it('takes -v for the patch level when it agrees, and the layout when it does not', () => {
    const debian = {
      binary: '/usr/sbin/php-fpm8.1',
      serviceName: 'php8.1-fpm',
      mainConfigPath: '/etc/php/8.1/fpm/php-fpm.conf',
    }
    expect(installVersion({...debian, versionNumber: '8.1.31'})).toEqual({version: '8.1.31', versionKey: [8, 1, 31]})
    expect(installVersion({...debian, versionNumber: '8.2.36'})).toEqual({
      version: '8.1',
      versionKey: [8, 1],
      note: '/usr/sbin/php-fpm8.1 reports PHP 8.2.36, but its name and layout say 8.1; fpmfix goes by the layout',
    })
    const docker = {
      binary: '/usr/local/sbin/php-fpm',
      serviceName: 'php-fpm',
      mainConfigPath: '/usr/local/etc/php-fpm.conf',
    }
    expect(installVersion({...docker, versionNumber: '8.3.4'}).version).toBe('8.3.4')
    expect(installVersion(docker)).toEqual({versionKey: []})
  })

  it('goes by the layout for a copied binary, and the plan says so', () => {
    const copied = snapshotFromLayout('debian-php-upgrade', {
      edit: (host) => {
        const old = host.fpmInstalls.find((install) => install.serviceName === 'php8.1-fpm')!
        old.versionNumber = '8.2.36'
        old.version = 'PHP 8.2.36 (fpm-fcgi) (built: Nov 18 2026 20:02:04)'
      },
    })
    const install = buildFacts(copied).facts.installs.find((entry) => entry.serviceName === 'php8.1-fpm')!
    expect([install.version, install.versionKey]).toEqual(['8.1', [8, 1]])
    const plan = planWith(copied, '[php]\nversion = 8.2\n')
    expect(plan.notes).toContain(
      '/usr/sbin/php-fpm8.1 reports PHP 8.2.36, but its name and layout say 8.1; fpmfix goes by the layout',
    )
    expect(plan.changes.map((change) => change.path)).toContain('/etc/php/8.2/fpm/pool.d/app.conf')
  })
})
