import {describe, expect, it} from 'vitest'

import {
  assembleNginxConfig,
  findFastcgiPasses,
  formatNginxAddress,
  parseNginxAddress,
  type FastcgiPass,
  type FastcgiTarget,
} from '../../../src/nginx/index.js'
import {linesOf, loadLayout, readConfigFile, type Layout} from './layouts.js'

function passes(layout: Layout): FastcgiPass[] {
  return findFastcgiPasses(loadLayout(layout))
}

function passesIn(content: string): FastcgiPass[] {
  return findFastcgiPasses(assembleNginxConfig([{path: '/etc/nginx/nginx.conf', content}]))
}

function sourceLine(layout: Layout, pass: {file: string; line: number}): string {
  return linesOf(readConfigFile(layout, pass.file))[pass.line - 1]!.trim()
}

describe('findFastcgiPasses on each layout', () => {
  it('debian-php82: a unix socket in the PHP location of the default site', () => {
    const [pass, ...rest] = passes('debian-php82')
    expect(rest).toHaveLength(0)
    expect(pass!.target).toEqual({kind: 'unix', path: '/run/php/php8.2-fpm.sock'})
    expect(pass!.file).toBe('/etc/nginx/sites-enabled/default')
    expect(sourceLine('debian-php82', pass!)).toBe('fastcgi_pass unix:/run/php/php8.2-fpm.sock;')
    expect(pass!.server).toMatchObject({
      names: ['_'],
      listens: [
        ['80', 'default_server'],
        ['[::]:80', 'default_server'],
      ],
    })
    expect(pass!.location).toMatchObject({args: ['~', '\\.php$'], file: '/etc/nginx/sites-enabled/default', line: 56})
    expect(pass!.context).toEqual(['http', 'server', 'location'])
  })

  it('debian-multi-php: one site per PHP version', () => {
    const found = passes('debian-multi-php').map((pass) => [pass.server!.names[0], pass.target])
    expect(found).toEqual([
      ['legacy.example.com', {kind: 'unix', path: '/run/php/php8.1-fpm.sock'}],
      ['shop.example.com', {kind: 'unix', path: '/run/php/php8.2-fpm-shop.sock'}],
    ])
  })

  it('rhel-remi: the upstream name resolves to its server, with both files recorded', () => {
    const [pass] = passes('rhel-remi')
    expect(pass!.raw).toBe('php-fpm')
    expect(pass!.file).toBe('/etc/nginx/default.d/php.conf')
    expect(pass!.server!.file).toBe('/etc/nginx/nginx.conf')
    const target = pass!.target as Extract<FastcgiTarget, {kind: 'upstream'}>
    expect(target.kind).toBe('upstream')
    expect(target).toMatchObject({name: 'php-fpm', file: '/etc/nginx/conf.d/php-fpm.conf', line: 4})
    expect(target.servers).toEqual([
      {
        raw: 'unix:/run/php-fpm/www.sock',
        address: {kind: 'unix', path: '/run/php-fpm/www.sock'},
        params: {},
        file: '/etc/nginx/conf.d/php-fpm.conf',
        line: 5,
        column: 9,
      },
    ])
    expect(sourceLine('rhel-remi', target.servers[0]!)).toBe('server unix:/run/php-fpm/www.sock;')
  })

  it('alpine-php82: a loopback TCP address', () => {
    const [pass] = passes('alpine-php82')
    expect(pass!.target).toEqual({kind: 'tcp', host: '127.0.0.1', port: 9000})
    expect(sourceLine('alpine-php82', pass!)).toBe('fastcgi_pass      127.0.0.1:9000;')
  })

  it('docker-php-fpm: a compose service name with a port is a TCP host, not an upstream', () => {
    const [pass] = passes('docker-php-fpm')
    expect(pass!.target).toEqual({kind: 'tcp', host: 'php', port: 9000})
  })

  it('apps: WordPress upstream with a unix and a TCP server', () => {
    const wordpress = passes('apps').find((pass) => pass.file.endsWith('/wordpress'))!
    const target = wordpress.target as Extract<FastcgiTarget, {kind: 'upstream'}>
    expect(target.servers.map((server) => server.address)).toEqual([
      {kind: 'unix', path: '/tmp/php-cgi.socket'},
      {kind: 'tcp', host: '127.0.0.1', port: 9000},
    ])
  })

  it('apps: Symfony front controller location', () => {
    const symfony = passes('apps').find((pass) => pass.file.endsWith('/symfony'))!
    expect(symfony.target).toEqual({kind: 'unix', path: '/var/run/php/php-fpm.sock'})
    expect(symfony.location!.args).toEqual(['~', '^/index\\.php(/|$)'])
    expect(symfony.server!.listens).toEqual([])
  })

  it('apps: a variable set at server level resolves to its socket', () => {
    const api = passes('apps').find((pass) => pass.file.endsWith('/api'))!
    expect(api.target).toEqual({
      kind: 'variable',
      expr: '$upstream',
      sources: [
        {
          variable: '$upstream',
          kind: 'set',
          file: '/etc/nginx/sites-enabled/api',
          line: 7,
          value: 'unix:/run/php/php8.2-fpm.sock',
        },
      ],
      resolved: [{kind: 'unix', path: '/run/php/php8.2-fpm.sock'}],
    })
  })

  it('apps: a map lists every possible target, upstream names included', () => {
    const tenant = passes('apps').find((pass) => pass.file.endsWith('/multi-tenant'))!
    const target = tenant.target as Extract<FastcgiTarget, {kind: 'variable'}>
    const file = '/etc/nginx/sites-enabled/multi-tenant'
    expect(target.sources).toEqual([
      {
        variable: '$php_backend',
        kind: 'map',
        file,
        line: 2,
        entries: [
          {key: 'default', value: 'php82', file, line: 4},
          {key: 'legacy.tenant.example', value: 'unix:/run/php/php7.4-fpm.sock', file, line: 5},
          {key: '*.beta.tenant.example', value: '127.0.0.1:9083', file, line: 6},
        ],
      },
    ])
    expect(
      target.resolved!.map((resolved) => (resolved.kind === 'upstream' ? `upstream ${resolved.name}` : resolved)),
    ).toEqual([
      'upstream php82',
      {kind: 'unix', path: '/run/php/php7.4-fpm.sock'},
      {kind: 'tcp', host: '127.0.0.1', port: 9083},
    ])
  })
})

describe('variable resolution', () => {
  it('lets a location set override the server set and adds values set inside if', () => {
    const [pass] = passesIn(`http { server {
      set $sock php8.1;
      location ~ \\.php$ {
        set $sock php8.2;
        if ($arg_beta) { set $sock php8.3; }
        fastcgi_pass unix:/run/php/\${sock}-fpm.sock;
      }
    } }`)
    const target = pass!.target as Extract<FastcgiTarget, {kind: 'variable'}>
    expect(target.resolved).toEqual([
      {kind: 'unix', path: '/run/php/php8.2-fpm.sock'},
      {kind: 'unix', path: '/run/php/php8.3-fpm.sock'},
    ])
    expect(target.sources.map((source) => source.line)).toEqual([4, 5])
  })

  it('follows a variable set from another variable', () => {
    const [pass] = passesIn(`http {
      map $host $pool { default 127.0.0.1:9001; admin.example 127.0.0.1:9002; }
      server { set $backend $pool; location / { fastcgi_pass $backend; } }
    }`)
    const target = pass!.target as Extract<FastcgiTarget, {kind: 'variable'}>
    expect(target.resolved).toEqual([
      {kind: 'tcp', host: '127.0.0.1', port: 9001},
      {kind: 'tcp', host: '127.0.0.1', port: 9002},
    ])
    expect(target.sources.map((source) => source.kind)).toEqual(['set', 'map'])
  })

  it('marks a map without default as able to yield an empty, invalid address', () => {
    const [pass] = passesIn(
      'http { map $host $be { a.example unix:/run/a.sock; } server { location / { fastcgi_pass $be; } } }',
    )
    const target = pass!.target as Extract<FastcgiTarget, {kind: 'variable'}>
    expect(target.resolved).toEqual([
      {kind: 'unix', path: '/run/a.sock'},
      {kind: 'invalid', value: '', reason: 'empty value (no map default matched)'},
    ])
  })

  it('lists both sides of a split_clients rollout and a geo choice', () => {
    const found = passesIn(`http {
      split_clients "\${remote_addr}rollout" $php_sock {
        10%   unix:/run/php/php8.3-fpm.sock;
        *     unix:/run/php/php8.2-fpm.sock;
      }
      geo $office_backend {
        default        127.0.0.1:9000;
        10.0.0.0/8     127.0.0.1:9001;
      }
      server {
        location /a { fastcgi_pass $php_sock; }
        location /b { fastcgi_pass $office_backend; }
      }
    }`)
    expect(found.map((pass) => (pass.target as Extract<FastcgiTarget, {kind: 'variable'}>).resolved)).toEqual([
      [
        {kind: 'unix', path: '/run/php/php8.3-fpm.sock'},
        {kind: 'unix', path: '/run/php/php8.2-fpm.sock'},
      ],
      [
        {kind: 'tcp', host: '127.0.0.1', port: 9000},
        {kind: 'tcp', host: '127.0.0.1', port: 9001},
      ],
    ])
    expect(found.map((pass) => (pass.target as Extract<FastcgiTarget, {kind: 'variable'}>).sources[0]!.kind)).toEqual([
      'split_clients',
      'geo',
    ])
  })

  it('leaves a request variable unresolved and says why', () => {
    const [pass] = passesIn('http { server { location / { fastcgi_pass $http_x_backend; } } }')
    expect(pass!.target).toEqual({
      kind: 'variable',
      expr: '$http_x_backend',
      sources: [],
      unresolvedReason: '$http_x_backend is not set by any set, map, geo or split_clients this location sees',
    })
  })

  it('does not use a set from a sibling server', () => {
    const [pass] = passesIn('http { server { set $be unix:/a.sock; } server { location / { fastcgi_pass $be; } } }')
    expect(pass!.target).toMatchObject({kind: 'variable', unresolvedReason: expect.stringContaining('$be is not set')})
  })

  it('matches upstream names case-insensitively and only without a port', () => {
    const found = passesIn(`http {
      upstream PHP { server 10.0.0.5; }
      server { location /a { fastcgi_pass php; } location /b { fastcgi_pass localhost:9000; } }
    }`)
    expect(found[0]!.target).toMatchObject({
      kind: 'upstream',
      name: 'PHP',
      servers: [{address: {kind: 'tcp', host: '10.0.0.5', port: 80}}],
    })
    expect(found[1]!.target).toEqual({kind: 'tcp', host: 'localhost', port: 9000})
  })
})

describe('parseNginxAddress', () => {
  it.each([
    ['unix:/run/php/php8.2-fpm.sock', {kind: 'unix', path: '/run/php/php8.2-fpm.sock'}],
    ['UNIX:/tmp/x.sock', {kind: 'unix', path: '/tmp/x.sock'}],
    ['127.0.0.1:9000', {kind: 'tcp', host: '127.0.0.1', port: 9000}],
    ['localhost:9000', {kind: 'tcp', host: 'localhost', port: 9000}],
    ['[::1]:9000', {kind: 'tcp', host: '::1', port: 9000}],
    ['php:9000', {kind: 'tcp', host: 'php', port: 9000}],
  ])('%s', (text, expected) => {
    expect(parseNginxAddress(text)).toEqual(expected)
    expect(formatNginxAddress(expected as never)).toBe(text.startsWith('UNIX') ? 'unix:/tmp/x.sock' : text)
  })

  it('rejects what fastcgi_pass rejects, with the reason', () => {
    expect(parseNginxAddress('127.0.0.1')).toEqual({kind: 'invalid', value: '127.0.0.1', reason: 'no port'})
    expect(parseNginxAddress('127.0.0.1:99999')).toMatchObject({reason: 'invalid port "99999"'})
    expect(parseNginxAddress('unix:')).toMatchObject({reason: 'no socket path after "unix:"'})
    expect(parseNginxAddress('[::1')).toMatchObject({reason: 'no closing "]" in the IPv6 address'})
    expect(parseNginxAddress(':9000')).toMatchObject({reason: 'no host'})
  })

  it('applies the upstream default port 80 when asked to', () => {
    expect(parseNginxAddress('[2001:db8::1]', 80)).toEqual({kind: 'tcp', host: '2001:db8::1', port: 80})
  })
})
