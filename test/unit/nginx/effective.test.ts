import {describe, expect, it} from 'vitest'

import {
  assembleNginxConfig,
  effectiveDirective,
  effectiveFastcgiSettings,
  findFastcgiPasses,
  nginxErrorLogs,
  nginxPidFile,
  nginxWorkerUser,
  type NginxConfig,
} from '../../../src/nginx/index.js'
import {linesOf, loadLayout, readConfigFile, type Layout} from './layouts.js'

function settingsFor(config: NginxConfig, serverName: string) {
  const pass = findFastcgiPasses(config).find((candidate) => candidate.server?.names.includes(serverName))!
  return effectiveFastcgiSettings(config, pass.treePath)
}

function lineAt(layout: Layout, source: {file: string; line: number}): string {
  return linesOf(readConfigFile(layout, source.file))[source.line - 1]!.trim()
}

describe('effective FastCGI settings', () => {
  it('falls back to the documented defaults when nothing sets them (Debian default site)', () => {
    const config = loadLayout('debian-php82')
    const [pass] = findFastcgiPasses(config)
    const settings = effectiveFastcgiSettings(config, pass!.treePath)
    expect(
      Object.fromEntries(
        Object.entries(settings).map(([name, value]) => [name, [value.value.join(' '), value.source]]),
      ),
    ).toEqual({
      fastcgi_read_timeout: ['60s', 'default'],
      fastcgi_connect_timeout: ['60s', 'default'],
      fastcgi_send_timeout: ['60s', 'default'],
      fastcgi_buffer_size: ['4k', 'default'],
      fastcgi_buffers: ['8 4k', 'default'],
      fastcgi_busy_buffers_size: ['8k', 'default'],
      fastcgi_keep_conn: ['off', 'default'],
      fastcgi_next_upstream: ['error timeout', 'default'],
    })
  })

  it('inherits http-level values from conf.d into a location that does not set them', () => {
    const settings = settingsFor(loadLayout('debian-multi-php'), 'legacy.example.com')
    expect(settings.fastcgi_read_timeout.value).toEqual(['120s'])
    expect(settings.fastcgi_read_timeout.source).toMatchObject({file: '/etc/nginx/conf.d/fastcgi-tuning.conf', line: 2})
    expect(lineAt('debian-multi-php', settings.fastcgi_buffers.source as {file: string; line: number})).toBe(
      'fastcgi_buffers 16 16k;',
    )
  })

  it('lets the location beat the server and the server beat http', () => {
    const settings = settingsFor(loadLayout('debian-multi-php'), 'shop.example.com')
    expect(settings.fastcgi_read_timeout.value).toEqual(['300'])
    expect(lineAt('debian-multi-php', settings.fastcgi_read_timeout.source as {file: string; line: number})).toBe(
      'fastcgi_read_timeout 300; # checkout exports run long',
    )
    expect(settings.fastcgi_send_timeout.value).toEqual(['90s'])
    expect(settings.fastcgi_send_timeout.source).toMatchObject({
      file: '/etc/nginx/sites-enabled/shop.example.com',
      line: 9,
    })
    expect(settings.fastcgi_connect_timeout.source).toBe('default')
  })

  it('derives an unset busy buffers size from the larger buffer, as nginx does', () => {
    const settings = settingsFor(loadLayout('debian-multi-php'), 'shop.example.com')
    expect(settings.fastcgi_buffer_size.value).toEqual(['32k'])
    expect(settings.fastcgi_busy_buffers_size).toEqual({
      name: 'fastcgi_busy_buffers_size',
      value: ['64k'],
      source: 'default',
    })
  })

  it('reads fastcgi_keep_conn set next to a keepalive upstream', () => {
    const settings = settingsFor(loadLayout('apps'), '.tenant.example')
    expect(settings.fastcgi_keep_conn).toMatchObject({
      value: ['on'],
      source: {file: '/etc/nginx/sites-enabled/multi-tenant', line: 21},
    })
  })

  it('takes the last of repeated directives in one level and searches a block path from inside it', () => {
    const config = assembleNginxConfig([
      {
        path: '/etc/nginx/nginx.conf',
        content:
          'http {\n  fastcgi_read_timeout 10s;\n  fastcgi_read_timeout 20s;\n  server {\n    location / { fastcgi_read_timeout 30s; }\n  }\n}\n',
      },
    ])
    expect(effectiveDirective(config, [0, 2], 'fastcgi_read_timeout')).toMatchObject({
      value: ['20s'],
      source: {line: 3},
    })
    expect(effectiveDirective(config, [0, 2, 0], 'fastcgi_read_timeout')).toMatchObject({
      value: ['30s'],
      source: {line: 5},
    })
    expect(effectiveDirective(config, [0, 2], 'fastcgi_keep_conn', ['off'])).toEqual({
      name: 'fastcgi_keep_conn',
      value: ['off'],
      source: 'default',
    })
  })
})

describe('main context', () => {
  it.each<[Layout, string, string, number]>([
    ['debian-php82', 'www-data', 'www-data', 1],
    ['rhel-remi', 'nginx', 'nginx', 5],
    ['alpine-php82', 'nginx', 'nginx', 3],
    ['docker-php-fpm', 'nginx', 'nginx', 2],
  ])('%s runs workers as %s', (layout, user, group, line) => {
    const worker = nginxWorkerUser(loadLayout(layout))
    expect(worker).toEqual({user, group, source: {file: '/etc/nginx/nginx.conf', line, column: 1}})
    expect(lineAt(layout, worker.source as {file: string; line: number})).toMatch(/^user\s+\S+;$/)
  })

  it('reads an explicit group and defaults to nobody when user is absent', () => {
    const withGroup = assembleNginxConfig([{path: '/etc/nginx/nginx.conf', content: 'user nginx www;\n'}])
    expect(nginxWorkerUser(withGroup)).toMatchObject({user: 'nginx', group: 'www'})
    const without = assembleNginxConfig([{path: '/etc/nginx/nginx.conf', content: 'events {}\n'}])
    expect(nginxWorkerUser(without)).toEqual({user: 'nobody', group: 'nobody', source: 'default'})
  })

  it('ignores a "user" inside a block (it is only valid in main)', () => {
    const config = assembleNginxConfig([{path: '/etc/nginx/nginx.conf', content: 'http { user nginx; }\n'}])
    expect(nginxWorkerUser(config).source).toBe('default')
  })

  it('collects error_log at every level with its context', () => {
    const logs = nginxErrorLogs(loadLayout('debian-multi-php'))
    expect(logs.map((log) => [log.target, log.level, log.context.join('>'), log.source.file])).toEqual([
      ['/var/log/nginx/error.log', undefined, '', '/etc/nginx/nginx.conf'],
      ['/var/log/nginx/legacy.error.log', 'warn', 'http>server', '/etc/nginx/sites-enabled/legacy.example.com'],
    ])
    const kinds = nginxErrorLogs(
      assembleNginxConfig([
        {
          path: '/etc/nginx/nginx.conf',
          content: 'error_log stderr;\nhttp { error_log syslog:server=unix:/dev/log; }\n',
        },
      ]),
    ).map((log) => log.kind)
    expect(kinds).toEqual(['stderr', 'syslog'])
  })

  it('reads the pid path where one is set', () => {
    expect(nginxPidFile(loadLayout('rhel-remi'))).toEqual({
      path: '/run/nginx.pid',
      source: {file: '/etc/nginx/nginx.conf', line: 8, column: 1},
    })
    expect(nginxPidFile(loadLayout('alpine-php82'))).toBeUndefined()
  })
})
