import {readFileSync, realpathSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {FIXTURES, sha256, snapshotFromLayout, socketIn} from '../../support/snapshot-from-layout.js'

/** The builder every diagnosis test stands on: what it derives must match the fixture files. */
describe('snapshotFromLayout', () => {
  it('fingerprints each file nginx -T names with the sha256 of its bytes on disk; sites-enabled entries are symlinks', () => {
    const snapshot = snapshotFromLayout('debian-multi-php')
    if (!snapshot.nginx.present) throw new Error('no nginx')
    for (const file of snapshot.nginx.configFiles) {
      const onDisk = join(FIXTURES, 'debian-multi-php', file.path)
      expect(file.sha256).toBe(sha256(readFileSync(onDisk, 'utf8')))
      expect(file.realPath).toBe(realpathSync(onDisk).slice(join(FIXTURES, 'debian-multi-php').length))
      expect(file.isSymlink).toBe(file.path.startsWith('/etc/nginx/sites-enabled/'))
    }
  })

  it('reads only the php-fpm files php-fpm itself reads (fpm-invalid has unused pool files beside them)', () => {
    const [install] = snapshotFromLayout('debian-php82', {fpmLayout: 'fpm-invalid'}).fpmInstalls
    expect(install!.files.map((file) => file.path)).toEqual([
      '/etc/php/8.2/fpm/php-fpm.conf',
      '/etc/php/8.2/fpm/pool.d/www.conf',
    ])
    expect(install!.tt.code).toBe(78)
  })

  it('creates each pool socket the way php-fpm would from listen.owner/group/mode or ACLs', () => {
    expect(socketIn(snapshotFromLayout('debian-php82'), '/run/php/php8.2-fpm.sock')).toMatchObject({
      exists: true,
      owner: 'www-data',
      group: 'www-data',
      mode: '0660',
    })
    expect(socketIn(snapshotFromLayout('rhel-remi'), '/run/php-fpm/www.sock')).toMatchObject({
      owner: 'root',
      group: 'root',
      mode: '0660',
      acl: expect.arrayContaining(['user:apache:rw-', 'user:nginx:rw-', 'mask::rw-']),
    })
    expect(socketIn(snapshotFromLayout('debian-multi-php'), '/run/php/php8.2-fpm-shop.sock')).toMatchObject({
      owner: 'www-data',
      group: 'www-data',
      mode: '0660',
      referencedBy: ['fpm', 'scan', 'nginx'],
    })
  })

  it('lists listeners for running pools only: unix sockets, and TCP ports as ss shows them', () => {
    expect(
      snapshotFromLayout('alpine-php82').listeners.tcp.map((listener) => `${listener.address}:${listener.port}`),
    ).toEqual(['0.0.0.0:80', '127.0.0.1:9000'])
    expect(
      snapshotFromLayout('docker-php-fpm').listeners.tcp.map((listener) => `${listener.address}:${listener.port}`),
    ).toEqual(['0.0.0.0:80', '*:9000'])
    const stopped = snapshotFromLayout('debian-php82', {stopped: ['php8.2-fpm']})
    expect(stopped.listeners.unix).toEqual([])
    expect(socketIn(stopped, '/run/php/php8.2-fpm.sock').exists).toBe(false)
  })

  it('runs workers as the users the configs name, and knows every account they mention', () => {
    const snapshot = snapshotFromLayout('debian-multi-php')
    expect(snapshot.users.map((user) => user.name)).toContain('shop')
    expect(
      new Set(snapshot.processes.filter((process) => process.kind === 'nginx-worker').map((process) => process.user)),
    ).toEqual(new Set(['www-data']))
    const rhel = snapshotFromLayout('rhel-remi')
    expect(
      new Set(rhel.processes.filter((process) => process.kind === 'nginx-worker').map((process) => process.user)),
    ).toEqual(new Set(['nginx']))
    expect(
      new Set(rhel.processes.filter((process) => process.kind === 'fpm-worker').map((process) => process.user)),
    ).toEqual(new Set(['apache']))
  })

  it('changes a pool directive in the file and in the -tt dump alike', () => {
    const [install] = snapshotFromLayout('debian-php82', {
      fpm: [{pool: 'www', key: 'request_terminate_timeout', value: '2s'}],
    }).fpmInstalls
    expect(install!.files[1]!.content).toMatch(/^request_terminate_timeout = 2s$/m)
    expect(install!.tt.output).toMatch(/NOTICE: \trequest_terminate_timeout = 2s$/m)
  })

  it('logs go where the configs say', () => {
    expect(snapshotFromLayout('rhel-remi').logs.map((log) => [log.source, log.path])).toEqual([
      ['nginx', '/var/log/nginx/error.log'],
      ['fpm', '/var/log/php-fpm/error.log'],
    ])
    expect(snapshotFromLayout('docker-php-fpm').logTargets).toEqual([{target: '/proc/self/fd/2', source: 'fpm'}])
  })
})
