import {describe, expect, it} from 'vitest'

import {FpmfixError} from '../../../src/errors.js'
import {buildFacts} from '../../../src/facts/build-facts.js'
import type {FastcgiSite} from '../../../src/model/facts.js'
import type {HostTarget} from '../../../src/model/target.js'
import {
  deriveRoutes,
  dialFor,
  parseRouteRequest,
  phpCliCandidates,
  serverNameMatches,
} from '../../../src/verify/routes.js'
import {snapshotFromLayout, type LayoutName} from '../../support/snapshot-from-layout.js'

function sitesOf(layout: LayoutName): FastcgiSite[] {
  return buildFacts(snapshotFromLayout(layout)).facts.nginx?.sites ?? []
}

function fpmBinaries(layout: LayoutName): string[] {
  return buildFacts(snapshotFromLayout(layout)).facts.installs.map((install) => install.id)
}

const ssh = (address: string): HostTarget => ({name: 'web1', connection: 'ssh', address, vars: {}})

describe('--url values', () => {
  it('takes a path, or a plain-HTTP URL naming the server block (default port 80)', () => {
    expect(parseRouteRequest('/health.php?full=1')).toEqual({kind: 'path', path: '/health.php?full=1'})
    expect(parseRouteRequest('http://Shop.Example.com/cart.php?id=3')).toEqual({
      kind: 'named',
      name: 'shop.example.com',
      port: 80,
      path: '/cart.php?id=3',
    })
    expect(parseRouteRequest('http://[::1]:8080/')).toEqual({kind: 'named', name: '[::1]', port: 8080, path: '/'})
  })

  it.each([
    ['https://shop.example.com/', /only plain http/],
    ['shop.example.com/index.php', /not a path or a URL/],
    ['/index.php with space', /no spaces/],
    ['/index.php#top', /#fragment/],
    ['http://user:secret@shop.example.com/', /credentials/],
  ])('refuses %s as a usage error', (value, why) => {
    const error = (() => {
      try {
        parseRouteRequest(value)
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(FpmfixError)
    expect((error as FpmfixError).code).toBe('USAGE')
    expect((error as FpmfixError).exit).toBe(64)
    expect((error as FpmfixError).message).toMatch(why)
  })
})

describe('routes derived from the server blocks (as apply probes them)', () => {
  it('gives one route per plain-HTTP server block passing to PHP, with its name as Host header', () => {
    const routes = deriveRoutes(sitesOf('apps'), [], 'web1')
    expect(routes.map((route) => [route.url, `${route.hostDial.host}:${route.hostDial.port}`])).toEqual([
      ['http://api.example.com/index.php', '127.0.0.1:80'],
      ['http://laravel.example.com/index.php', '127.0.0.1:80'],
      // `.tenant.example` names tenant.example and its subdomains.
      ['http://tenant.example/index.php', '127.0.0.1:80'],
      // Server blocks with no `listen` listen on port 80.
      ['http://domain.tld/index.php', '127.0.0.1:80'],
      ['http://blog.example.com/index.php', '127.0.0.1:80'],
    ])
    expect(routes.every((route) => route.source === 'server-block' && /:\d+$/.test(route.fastcgiPass ?? ''))).toBe(true)
  })

  it('addresses a catch-all server (`_`) by its listen address', () => {
    expect(deriveRoutes(sitesOf('debian-php82'), [], 'web1')).toEqual([
      {
        url: 'http://127.0.0.1/index.php',
        hostDial: {host: '127.0.0.1', port: 80},
        path: '/index.php',
        hostHeader: '127.0.0.1',
        source: 'server-block',
        fastcgiPass: '/etc/nginx/sites-enabled/default:60',
      },
    ])
  })

  it('sends --url /PATH to the first PHP server block, and --url http://NAME to the block serving NAME', () => {
    const routes = deriveRoutes(
      sitesOf('debian-multi-php'),
      [
        parseRouteRequest('/status.php'),
        parseRouteRequest('http://www.legacy.example.com/old.php'),
        parseRouteRequest('http://unknown.example:8080/x.php'),
      ],
      'web1',
    )
    expect(routes.map((route) => [route.url, route.hostHeader, route.hostDial, route.fastcgiPass])).toEqual([
      ['http://legacy.example.com/status.php', 'legacy.example.com', {host: '127.0.0.1', port: 80}, expect.any(String)],
      [
        'http://www.legacy.example.com/old.php',
        'www.legacy.example.com',
        {host: '127.0.0.1', port: 80},
        '/etc/nginx/sites-enabled/legacy.example.com:18',
      ],
      // No block serves it: still the host's own loopback, on the port asked for.
      ['http://unknown.example:8080/x.php', 'unknown.example:8080', {host: '127.0.0.1', port: 8080}, undefined],
    ])
  })

  it('says clearly when no plain-HTTP server block passes to PHP and no URL names one', () => {
    expect(() => deriveRoutes([], [], 'web1')).toThrow(
      expect.objectContaining({code: 'VERIFY_NO_ROUTE', host: 'web1', hint: expect.stringMatching(/--url http:/)}),
    )
    expect(() => deriveRoutes([], [parseRouteRequest('/x.php')], 'web1')).toThrow(
      expect.objectContaining({code: 'VERIFY_NO_ROUTE'}),
    )
    expect(deriveRoutes([], [parseRouteRequest('http://localhost/x.php')], 'web1')).toHaveLength(1)
  })

  it('matches server names as nginx does (exact, .domain, *.domain, www.*), case-insensitively', () => {
    expect(serverNameMatches('.tenant.example', 'tenant.example')).toBe(true)
    expect(serverNameMatches('.tenant.example', 'a.Tenant.example')).toBe(true)
    expect(serverNameMatches('.tenant.example', 'xtenant.example')).toBe(false)
    expect(serverNameMatches('*.example.com', 'shop.example.com')).toBe(true)
    expect(serverNameMatches('*.example.com', 'example.com')).toBe(false)
    expect(serverNameMatches('www.*', 'www.example.org')).toBe(true)
    expect(serverNameMatches('Shop.example.com', 'shop.EXAMPLE.com')).toBe(true)
  })
})

describe('where requests connect', () => {
  const [route] = deriveRoutes(sitesOf('debian-php82'), [], 'web1')

  it('from the host: the listen address (loopback for listen-all); from here: the host’s own address', () => {
    expect(dialFor(route!, 'host', ssh('10.0.0.5'))).toMatchObject({host: '127.0.0.1', port: 80})
    expect(dialFor(route!, 'here', ssh('10.0.0.5'))).toMatchObject({host: '10.0.0.5', port: 80})
    expect(
      dialFor(route!, 'here', {name: 'localhost', connection: 'local', address: 'localhost', vars: {}}),
    ).toMatchObject({host: '127.0.0.1', port: 80})
  })

  it('keeps a specific listen address from here too, and carries path and Host header', () => {
    const specific = {...route!, hostDial: {host: '192.0.2.7', port: 8080}}
    expect(dialFor(specific, 'here', ssh('web1.example.com'))).toEqual({
      host: '192.0.2.7',
      port: 8080,
      path: '/index.php',
      hostHeader: '127.0.0.1',
    })
  })
})

describe('PHP CLIs for the load program', () => {
  it.each([
    ['debian-multi-php', ['php', '/usr/bin/php8.1', 'php8.1', '/usr/bin/php8.2', 'php8.2']],
    ['rhel-remi', ['php', '/usr/bin/php']],
    ['alpine-php82', ['php', '/usr/bin/php82', 'php82']],
    ['docker-php-fpm', ['php', '/usr/local/bin/php']],
  ] as const)('%s: php first, then the CLI next to each php-fpm', (layout, expected) => {
    expect(phpCliCandidates(fpmBinaries(layout))).toEqual(expected)
  })

  it('maps Remi and SCL prefixes to their own bin directory', () => {
    expect(phpCliCandidates(['/opt/remi/php82/root/usr/sbin/php-fpm'])).toEqual([
      'php',
      '/opt/remi/php82/root/usr/bin/php',
    ])
  })
})
