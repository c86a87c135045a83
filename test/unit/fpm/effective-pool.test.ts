import {describe, expect, it} from 'vitest'

import {isFpmfixError} from '../../../src/errors.js'
import {
  editTarget,
  effectivePool,
  parseDuration,
  parseFpmFiles,
  parseFpmTt,
  parseListen,
  parseSize,
  type EffectivePool,
} from '../../../src/fpm/index.js'
import {fileContent, fixtureText, fixtureTree} from './fixture-tree.js'

const DEBIAN_MAIN = '/etc/php/8.2/fpm/php-fpm.conf'
const DEBIAN_WWW = '/etc/php/8.2/fpm/pool.d/www.conf'

function lineOf(layout: string, root: string, path: string, text: string): number {
  return fileContent(fixtureTree(layout, root), path).split('\n').indexOf(text) + 1
}

const LAYOUTS = [
  {layout: 'debian-php82', root: 'etc', main: DEBIAN_MAIN, capture: 'php-fpm-tt.txt', version: '8.2'},
  {layout: 'debian-multi-php', root: 'etc', main: DEBIAN_MAIN, capture: 'php-fpm-tt-8.2.txt', version: '8.2'},
  {
    layout: 'debian-multi-php',
    root: 'etc',
    main: '/etc/php/8.1/fpm/php-fpm.conf',
    capture: 'php-fpm-tt-8.1.txt',
    version: '8.1',
  },
  {layout: 'rhel-remi', root: 'etc', main: '/etc/php-fpm.conf', capture: 'php-fpm-tt.txt', version: '8.2'},
  {
    layout: 'docker-php-fpm',
    root: 'usr',
    main: '/usr/local/etc/php-fpm.conf',
    capture: 'php-fpm-tt.txt',
    version: '8.2',
  },
]

/** The effective numbers and addresses, without provenance. */
function values(pool: EffectivePool): Record<string, unknown> {
  const picked: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(pool)) {
    if (field && typeof field === 'object' && 'source' in field && 'value' in field) picked[key] = field.value
  }
  return picked
}

describe('effectivePool', () => {
  it.each(LAYOUTS)(
    'predicts from the $layout files and defaults what php-fpm $version -tt reports ($main)',
    ({layout, root, main, capture, version}) => {
      const source = parseFpmFiles(fixtureTree(layout, root), main)
      const tt = parseFpmTt(fixtureText(layout, capture))
      for (const name of source.pools) {
        const fromFiles = values(effectivePool(source, undefined, name, {phpVersion: version}))
        const fromTt = values(effectivePool(source, tt, name, {phpVersion: version}))
        expect(fromFiles, name).toEqual(fromTt)
      }
    },
  )

  it('points each value of the Debian pool at its line, or at the default', () => {
    const source = parseFpmFiles(fixtureTree('debian-php82', 'etc'), DEBIAN_MAIN)
    const pool = effectivePool(source, parseFpmTt(fixtureText('debian-php82', 'php-fpm-tt.txt')), 'www')
    const at = (text: string) => ({file: DEBIAN_WWW, line: lineOf('debian-php82', 'etc', DEBIAN_WWW, text)})
    expect(pool.listen).toEqual({
      value: {kind: 'unix', path: '/run/php/php8.2-fpm.sock'},
      source: at('listen = /run/php/php8.2-fpm.sock'),
    })
    expect(pool.listenOwner).toEqual({value: 'www-data', source: at('listen.owner = www-data')})
    expect(pool.listenMode).toEqual({value: 0o660, source: 'default'})
    expect(pool.listenBacklog).toEqual({value: -1, source: 'default'})
    expect(pool.processIdleTimeout).toEqual({value: 10, source: 'default'})
    expect(pool.maxRequests).toEqual({value: 0, source: 'default'})
    expect(pool.requestTerminateTimeout).toEqual({value: 0, source: 'default'})
    expect(pool.startServers).toEqual({value: 2, source: at('pm.start_servers = 2')})
    expect(pool.poolFile).toBe(DEBIAN_WWW)
    expect(Object.values(pool.settings).filter((setting) => setting.source === 'tt-only')).toEqual([])
  })

  it('uses the listen.backlog default of the PHP version: 511 up to 8.1, -1 from 8.2', () => {
    const source = parseFpmFiles(fixtureTree('debian-php82', 'etc'), DEBIAN_MAIN)
    expect(effectivePool(source, undefined, 'www', {phpVersion: '8.1.31'}).listenBacklog.value).toBe(511)
    expect(effectivePool(source, undefined, 'www', {phpVersion: '8.2.36'}).listenBacklog.value).toBe(-1)
    expect(effectivePool(source, undefined, 'www').listenBacklog).toEqual({value: 511, source: 'default'})
    const tt = parseFpmTt(fixtureText('debian-php82', 'php-fpm-tt.txt'))
    expect(effectivePool(source, tt, 'www').listenBacklog).toEqual({value: -1, source: 'default'})
  })

  it('reads the hand-written ondemand pool: $pool, units, inline comments, flags', () => {
    const source = parseFpmFiles(fixtureTree('debian-multi-php', 'etc'), DEBIAN_MAIN)
    const shopFile = '/etc/php/8.2/fpm/pool.d/shop.conf'
    const line = (text: string) => lineOf('debian-multi-php', 'etc', shopFile, text)
    const pool = effectivePool(source, undefined, 'shop', {phpVersion: '8.2'})
    expect(pool.listen.value).toEqual({kind: 'unix', path: '/run/php/php8.2-fpm-shop.sock'})
    expect(pool.pm.value).toBe('ondemand')
    expect(pool.processIdleTimeout).toEqual({
      value: 30,
      source: {
        file: shopFile,
        line: line('pm.process_idle_timeout = 30s ; keep idle workers a little longer than the default'),
      },
    })
    expect(pool.requestTerminateTimeout.value).toBe(300)
    expect(pool.startServers).toEqual({value: 0, source: 'default'})
    expect(pool.phpAdminValues).toEqual([
      {
        key: 'error_log',
        value: '/var/log/php8.2-fpm-shop.log',
        source: {file: shopFile, line: line('php_admin_value[error_log] = /var/log/php8.2-fpm-$pool.log')},
      },
      {key: 'log_errors', value: '1', source: {file: shopFile, line: line('php_admin_flag[log_errors] = on')}},
    ])
    expect(pool.env.map((entry) => [entry.key, entry.value])).toEqual([['APP_ENV', 'production']])
  })

  it('models RHEL socket access through ACLs and TCP clients', () => {
    const source = parseFpmFiles(fixtureTree('rhel-remi', 'etc'), '/etc/php-fpm.conf')
    const pool = effectivePool(source, parseFpmTt(fixtureText('rhel-remi', 'php-fpm-tt.txt')), 'www')
    expect(pool.user.value).toBe('apache')
    expect(pool.listenAclUsers.value).toEqual(['apache', 'nginx'])
    expect(pool.listenOwner).toEqual({value: undefined, source: 'default'})
    expect(pool.listenAllowedClients.value).toEqual(['127.0.0.1'])
    expect(pool.slowlog.value).toBe('/var/log/php-fpm/www-slow.log')
  })

  it('gives the Docker listen from zz-docker.conf and the worker settings from docker.conf', () => {
    const source = parseFpmFiles(fixtureTree('docker-php-fpm', 'usr'), '/usr/local/etc/php-fpm.conf')
    const pool = effectivePool(source, undefined, 'www')
    expect(pool.listen).toEqual({
      value: {kind: 'tcp', port: 9000},
      source: {file: '/usr/local/etc/php-fpm.d/zz-docker.conf', line: 5},
    })
    expect(pool.catchWorkersOutput).toEqual({
      value: true,
      source: {file: '/usr/local/etc/php-fpm.d/docker.conf', line: 15},
    })
    expect(pool.clearEnv.value).toBe(false)
    expect(pool.poolFile).toBe('/usr/local/etc/php-fpm.d/zz-docker.conf')
  })

  it('reads the Alpine upstream defaults: TCP on loopback, user nobody', () => {
    const source = parseFpmFiles(fixtureTree('alpine-php82', 'etc'), '/etc/php82/php-fpm.conf')
    const pool = effectivePool(source, undefined, 'www', {phpVersion: '8.2.18'})
    expect(pool.listen.value).toEqual({kind: 'tcp', host: '127.0.0.1', port: 9000})
    expect(pool.user.value).toBe('nobody')
    expect(pool.listenOwner.value).toBeUndefined()
  })

  it('marks values only php-fpm -tt knows as tt-only', () => {
    const debian = parseFpmFiles(fixtureTree('debian-php82', 'etc'), DEBIAN_MAIN)
    const tt = parseFpmTt(fixtureText('debian-multi-php', 'php-fpm-tt-8.2.txt'))
    const shop = effectivePool(debian, tt, 'shop')
    expect(shop.listen).toEqual({value: {kind: 'unix', path: '/run/php/php8.2-fpm-shop.sock'}, source: 'tt-only'})
    expect(shop.maxChildren).toEqual({value: 10, source: 'tt-only'})
    expect(shop.maxSpawnRate).toEqual({value: 32, source: 'default'})
    expect(shop.poolFile).toBeUndefined()
    expect(shop.phpValues).toEqual([{key: 'memory_limit', value: '256M', source: 'tt-only'}])
  })

  it('refuses a pool that neither the files nor -tt know', () => {
    const source = parseFpmFiles(fixtureTree('debian-php82', 'etc'), DEBIAN_MAIN)
    let error: unknown
    try {
      effectivePool(source, undefined, 'shop')
    } catch (caught) {
      error = caught
    }
    expect(isFpmfixError(error) && error.code).toBe('GATHER_PARSE')
  })
})

describe('editTarget', () => {
  const docker = parseFpmFiles(fixtureTree('docker-php-fpm', 'usr'), '/usr/local/etc/php-fpm.conf')

  it('edits the winning directive where it is', () => {
    expect(editTarget(docker, 'www', 'listen')).toEqual({
      file: '/usr/local/etc/php-fpm.d/zz-docker.conf',
      poolSection: 'www',
      line: 5,
    })
    expect(editTarget(docker, 'www', 'PM.Max_Children')).toMatchObject({
      file: '/usr/local/etc/php-fpm.d/www.conf',
      line: 127,
    })
  })

  it('puts a new key in the file with the last header of the pool', () => {
    expect(editTarget(docker, 'www', 'request_terminate_timeout')).toEqual({
      file: '/usr/local/etc/php-fpm.d/zz-docker.conf',
      poolSection: 'www',
    })
    const debian = parseFpmFiles(fixtureTree('debian-php82', 'etc'), DEBIAN_MAIN)
    expect(editTarget(debian, 'www', 'listen.mode')).toEqual({file: DEBIAN_WWW, poolSection: 'www'})
    expect(editTarget(debian, 'global', 'process_control_timeout')).toEqual({file: DEBIAN_MAIN, poolSection: 'global'})
  })

  it('matches array keys exactly', () => {
    const rhel = parseFpmFiles(fixtureTree('rhel-remi', 'etc'), '/etc/php-fpm.conf')
    expect(editTarget(rhel, 'www', 'php_admin_value[error_log]')).toMatchObject({
      file: '/etc/php-fpm.d/www.conf',
      line: 413,
    })
    expect(editTarget(rhel, 'www', 'php_admin_value[memory_limit]')).toEqual({
      file: '/etc/php-fpm.d/www.conf',
      poolSection: 'www',
    })
  })

  it('refuses a pool without a section', () => {
    expect(() => editTarget(docker, 'shop', 'listen')).toThrow(/No \[shop\] section/)
  })
})

describe('value parsing', () => {
  it.each([
    ['9000', undefined, {kind: 'tcp', port: 9000}],
    ['127.0.0.1:9000', undefined, {kind: 'tcp', host: '127.0.0.1', port: 9000}],
    ['[::1]:9000', undefined, {kind: 'tcp', host: '::1', port: 9000}],
    ['[::]:9000', undefined, {kind: 'tcp', host: '::', port: 9000}],
    ['localhost:9001', undefined, {kind: 'tcp', host: 'localhost', port: 9001}],
    ['/run/php/php8.2-fpm.sock', '/usr', {kind: 'unix', path: '/run/php/php8.2-fpm.sock'}],
    ['var/run/www.sock', '/usr/local', {kind: 'unix', path: '/usr/local/var/run/www.sock'}],
    ['', undefined, undefined],
  ])('parses listen %j', (text, prefix, expected) => {
    expect(parseListen(text, prefix)).toEqual(expected)
  })

  it.each([
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['2d', 172_800],
    ['45', 45],
    ['0', 0],
    ['10x', undefined],
    ['', undefined],
  ])('parses the duration %j', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })

  it.each([
    ['128M', 128 * 1024 * 1024],
    ['1G', 1024 ** 3],
    ['512k', 512 * 1024],
    ['-1', -1],
    ['lots', undefined],
  ])('parses the size %j', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })
})
