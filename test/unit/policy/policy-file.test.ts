import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {type FpmfixError} from '../../../src/errors.js'
import {POOL_OPTIONS} from '../../../src/fpm/options.js'
import {DEFAULT_POLICY} from '../../../src/model/policy.js'
import {parsePolicy} from '../../../src/plan/policy-file.js'
import {fpmfixError} from '../../support/fpmfix-error.js'
import {directiveSince, knownToVersion} from '../../../src/policy/index.js'

const shipped = (name: string) => readFileSync(new URL(`../../../plans/${name}`, import.meta.url), 'utf8')

const refusal = (text: string): FpmfixError => fpmfixError(() => parsePolicy(text, 'fleet.ini'))

describe('desired-state policy files', () => {
  it('ships upgrade-php.ini and capacity.ini as valid policies stating a desired state', () => {
    const upgrade = parsePolicy(shipped('upgrade-php.ini'), 'plans/upgrade-php.ini')
    expect(upgrade.desired?.php).toMatchObject({version: '8.2', versionKey: [8, 2], retireOld: true})
    expect({...upgrade, desired: undefined}).toEqual({...DEFAULT_POLICY, desired: undefined})
    const capacity = parsePolicy(shipped('capacity.ini'), 'plans/capacity.ini')
    expect(capacity.sizing.reservePercent).toBe(20)
    expect(capacity.desired?.pools.map((rule) => rule.pattern)).toEqual(['*', 'www'])
    expect(capacity.desired?.nginx.map((setting) => setting.key)).toContain('fastcgi_read_timeout')
    expect(parsePolicy(shipped('default.ini'), 'plans/default.ini').desired).toBeUndefined()
  })

  it('keeps where each setting is written, and reads keys the way php-fpm does', () => {
    const policy = parsePolicy(
      '[pool:app-*]\nPM.Max_Children = auto\nphp_admin_value[memory_limit] = "256M" ; quoted\nlisten = /run/php/$pool.sock\n',
      'fleet.ini',
    )
    expect(policy.desired?.pools).toEqual([
      {
        pattern: 'app-*',
        at: {file: 'fleet.ini', line: 1},
        settings: [
          {key: 'pm.max_children', value: 'auto', at: {file: 'fleet.ini', line: 2}},
          {key: 'php_admin_value[memory_limit]', value: '256M', at: {file: 'fleet.ini', line: 3}},
          {key: 'listen', value: '/run/php/$pool.sock', at: {file: 'fleet.ini', line: 4}},
        ],
      },
    ])
  })

  it.each([
    ['[php]\nversion = 8\n', 2, /version = 8: expected major\.minor/],
    ['[php]\nversion = 5.2\n', 2, /knows php-fpm from 5\.6 on/],
    ['[php]\nretire_old = yes\n', 1, /\[php\] needs version = X\.Y/],
    ['[php]\nversion = 8.2\nretire_old = maybe\n', 3, /expected yes or no/],
    ['[php]\nversion = 8.2\nflavour = fpm\n', 3, /unknown key flavour in \[php\]/],
    ['[pool:www]\nlisten.mode = 0666\n', 2, /grants access to every user/],
    ['[pool:*]\nlisten = /run/php/shared.sock\n', 2, /would collide.*\$pool/],
    ['[pool:www]\npm.max_children = 0\n', 2, /pm\.max_children must be a positive value/],
    [
      '[pool:www]\npm = dynamic\npm.max_children = 4\npm.min_spare_servers = 5\n',
      3,
      /cannot be greater than pm\.max_children\(4\)/,
    ],
    [
      '[pool:www]\npm.min_spare_servers = 6\npm.max_spare_servers = 3\n',
      2,
      /pm\.max_spare_servers\(3\) must not be less than pm\.min_spare_servers\(6\)/,
    ],
    [
      '[pool:www]\npm = ondemand\npm.process_idle_timeout = 0\n',
      3,
      /pm\.process_idle_timeout\(0s\) must be greater than 0s/,
    ],
    ['[pool:www]\npm.start_servers = auto\n', 2, /is not a valid number/],
    ['[pool:www]\nrequest_terminate_timeout = 60x\n', 2, /unknown suffix used in time value/],
    ['[pool:www]\nphp_flag[display_errors] = maybe\n', 2, /invalid boolean value/],
    ['[pool:www]\npm = lazy\n', 2, /invalid process manager/],
    ['[pool:www]\nfoo.bar = 1\n', 2, /unknown pool directive foo\.bar/],
    ['[pool:www]\naccess.suppress_path[] = /ping\n', 2, /cannot be told apart/],
    ['[pool:www]\nping.path = ping\n', 2, /ping path 'ping' must start with a '\/'/],
    ['[pool:www]\npm = static\nPM = dynamic\n', 3, /already set on line 2/],
    ['[pool:]\npm = static\n', 1, /expected a pool name or glob/],
    [
      '[php]\nversion = 8.0\n[pool:*]\npm.max_spawn_rate = 4\n',
      4,
      /php-fpm 8\.0 does not know this directive \(it exists from PHP 8\.1 on\)/,
    ],
    ['[pool:*]\npm.status_listen = 127.0.0.1:9100\n[php]\nversion = 7.4\n', 2, /php-fpm 7\.4 does not know/],
    ['[nginx]\nfastcgi_buffers = 1 4k\n', 2, /at least 2 "fastcgi_buffers"/],
    ['[nginx]\nfastcgi_read_timeout = 0\n', 2, /would fail every request/],
    ['[nginx]\nfastcgi_read_timeout = soon\n', 2, /invalid nginx time "soon"/],
    [
      '[nginx]\nfastcgi_buffer_size = 64k\nfastcgi_buffers = 4 8k\n',
      3,
      /nginx -t would fail: "fastcgi_busy_buffers_size" must be less than/,
    ],
    ['[nginx]\nproxy_read_timeout = 5s\n', 2, /unknown key proxy_read_timeout in \[nginx\]/],
    ['[limits]\nx = 1\n', 1, /unknown section \[limits\].*pool:NAME/],
    ['[php\nversion = 8.2\n', 1, /cannot read this line: .*expecting '\]'/],
  ])('refuses %j at line %i', (text, line, message) => {
    const error = refusal(text)
    expect(error.code).toBe('POLICY_INVALID')
    expect(error.exit).toBe(65)
    expect(error.message).toMatch(new RegExp(`^fleet\\.ini:${line}: `))
    expect(error.message).toMatch(message)
  })

  it('leaves what a section does not state to the host, refusing only combinations it makes impossible itself', () => {
    expect(() => parsePolicy('[pool:www]\npm.start_servers = 10\n', 'fleet.ini')).not.toThrow()
    expect(() => parsePolicy('[pool:www]\npm.max_children = 2\n', 'fleet.ini')).not.toThrow()
    expect(() => parsePolicy('[nginx]\nfastcgi_buffer_size = 64k\n', 'fleet.ini')).not.toThrow()
  })
})

describe('pool directives by PHP version', () => {
  it('knows when php-fpm started accepting every pool directive it has', () => {
    for (const key of POOL_OPTIONS.keys()) expect(directiveSince(key), key).toMatch(/^\d+\.\d+$/)
    expect(directiveSince('php_admin_value[memory_limit]')).toBe('5.6')
    expect(directiveSince('pm.max_spawn_rate')).toBe('8.1')
    expect(directiveSince('pool.type')).toBeUndefined()
  })

  it.each([
    ['pm.status_listen', [7, 4], false],
    ['pm.status_listen', [8, 0], true],
    ['request_terminate_timeout_track_finished', [7, 2], false],
    ['request_terminate_timeout_track_finished', [7, 3, 33], true],
    ['access.suppress_path[]', [8, 1], false],
    ['listen.acl_users', [5, 6], true],
    ['php_flag[display_errors]', [9, 0], true],
  ] as const)('%s in PHP %j: %s', (key, version, known) => {
    expect(knownToVersion(key, version)).toBe(known)
  })
})
