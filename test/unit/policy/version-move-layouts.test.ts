import {describe, expect, it} from 'vitest'

import {formatAddress} from '../../../src/facts/pairing.js'
import {findFastcgiPasses, findUpstreams} from '../../../src/nginx/index.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {nginxAfter} from '../diagnose/support/pipeline.js'
import {actionsOf, afterApply, changeTo, expectFpmAccepts, planWith, plannedPool} from './support.js'

const policy = (version: string, retire = 'yes') => `[php]\nversion = ${version}\nretire_old = ${retire}\n`

describe('RHEL with Remi software collections php74 and php81', () => {
  const snapshot = snapshotFromLayout('rhel-remi-multi')

  it('knows each install by its collection name, and which one is which version', () => {
    const plan = planWith(snapshot, policy('8.1'))
    expect(plan.drift!.map((item) => item.what)).toContain('php74-php-fpm (php 7.4)')
  })

  it('carries php74 www to php81 www, paths following the php81 layout, and moves the upstream', () => {
    const plan = planWith(snapshot, policy('8.1'))
    const www = plannedPool(snapshot, plan, 'php81-php-fpm', 'www')
    expect(www.maxChildren.value).toBe(40)
    expect(www.maxRequests.value).toBe(1000)
    expect(www.requestTerminateTimeout.value).toBe(120)
    expect(www.requestSlowlogTimeout.value).toBe(15)
    expect(www.settings['decorate_workers_output']!.value).toBe('no')
    expect(www.slowlog.value).toBe('/var/opt/remi/php81/log/php-fpm/www-slow.log')
    expect(www.phpAdminValues.map((entry) => `${entry.key}=${entry.value}`)).toEqual([
      'error_log=/var/opt/remi/php81/log/php-fpm/www-error.log',
      'log_errors=1',
      'memory_limit=512M',
    ])
    // Its own socket, owner/group left to the ACL as before.
    expect(formatAddress(www.listen.value)).toBe('unix:/var/opt/remi/php81/run/php-fpm/www.sock')
    expect(www.listenAclUsers.value).toEqual(['apache', 'nginx'])
    expectFpmAccepts(snapshot, plan, 'php81-php-fpm')
    const upstream = findUpstreams(nginxAfter(snapshot, plan)).get('php74-fpm')!
    expect(upstream.servers.map((server) => server.raw)).toEqual(['unix:/var/opt/remi/php81/run/php-fpm/www.sock'])
    expect(actionsOf(plan)).toEqual(['reload php81-php-fpm', 'reload nginx', 'stop php74-php-fpm'])
    expect(plan.verify!.fpm['/opt/remi/php81/root/usr/sbin/php-fpm']!.expect).toContainEqual({
      socket: {path: '/var/opt/remi/php81/run/php-fpm/www.sock', mode: '0660'},
    })
    const again = planWith(afterApply('rhel-remi-multi', plan), policy('8.1'))
    expect([again.status, again.drift]).toEqual(['unchanged', []])
  })

  it('drops what the older version does not know when moving back, and says so', () => {
    const plan = planWith(snapshot, policy('7.4'))
    const api = changeTo(plan, '/etc/opt/remi/php74/php-fpm.d/api.conf')
    expect(api.after).not.toContain('pm.max_spawn_rate')
    expect(plan.notes).toContainEqual(
      expect.stringMatching(
        /not carried to php 7\.4 pool api: pm\.max_spawn_rate = 16 \(php-fpm 7\.4 does not know it\)/,
      ),
    )
    const carried = plannedPool(snapshot, plan, 'php74-php-fpm', 'api')
    expect([carried.pm.value, carried.maxChildren.value, carried.processIdleTimeout.value]).toEqual([
      'ondemand',
      30,
      20,
    ])
    expect(formatAddress(carried.listen.value)).toBe('unix:/var/opt/remi/php74/run/php-fpm/api.sock')
    expectFpmAccepts(snapshot, plan, 'php74-php-fpm')
    const api74 = findFastcgiPasses(nginxAfter(snapshot, plan)).find((pass) =>
      pass.server?.names.includes('api.example.com'),
    )
    expect(api74?.raw).toBe('unix:/var/opt/remi/php74/run/php-fpm/api.sock')
    expect(actionsOf(plan)).toEqual(['reload php74-php-fpm', 'reload nginx', 'stop php81-php-fpm'])
  })

  it('names the version that is missing instead of guessing', () => {
    const plan = planWith(snapshot, policy('8.3'))
    expect(plan.status).toBe('changes')
    expect(plan.changes).toEqual([])
    expect(plan.drift).toEqual([
      expect.objectContaining({what: 'php-fpm 8.3', unresolved: expect.stringMatching(/no php-fpm 8\.3 is installed/)}),
    ])
  })
})

describe('Alpine with php81 and php82 both on 127.0.0.1:9000', () => {
  it('gives the 8.2 pool the next free port, moves nginx to it, then stops 8.1', () => {
    // php-fpm82 lost the race for the shared port: it is down, php-fpm81 serves.
    const snapshot = snapshotFromLayout('alpine-multi-php', {stopped: ['php-fpm82']})
    const plan = planWith(snapshot, policy('8.2'))
    const www = plannedPool(snapshot, plan, 'php-fpm82', 'www')
    expect(formatAddress(www.listen.value)).toBe('127.0.0.1:9001')
    expect([www.maxChildren.value, www.startServers.value, www.requestTerminateTimeout.value]).toEqual([16, 4, 60])
    expect(www.env.map((entry) => `${entry.key}=${entry.value}`)).toEqual(['APP_ENV=production'])
    expect(findFastcgiPasses(nginxAfter(snapshot, plan)).map((pass) => pass.raw)).toEqual(['127.0.0.1:9001'])
    expect(actionsOf(plan)).toEqual(['start php-fpm82', 'reload nginx', 'stop php-fpm81'])
    expect(plan.notes).toContainEqual(
      expect.stringMatching(/^php-fpm81 is stopped, not disabled: .*: rc-update del php-fpm81$/),
    )
    expect(plan.actions[0]!.gate?.fastcgi).toEqual([{tcp: {host: '127.0.0.1', port: 9001}}])
    expectFpmAccepts(snapshot, plan, 'php-fpm82')
    const again = planWith(afterApply('alpine-multi-php', plan, {stopped: ['php-fpm82']}), policy('8.2'))
    // Applied for real, php-fpm82 runs now; the snapshot keeps it stopped, so only its start is left.
    expect(again.drift).toEqual([])
    expect(again.changes).toEqual([])
  })

  it('skips ports something else listens on', () => {
    const snapshot = snapshotFromLayout('alpine-multi-php', {
      edit: (host) => host.listeners.tcp.push({address: '127.0.0.1', port: 9001, processes: []}),
    })
    const plan = planWith(snapshot, policy('8.2'))
    expect(formatAddress(plannedPool(snapshot, plan, 'php-fpm82', 'www').listen.value)).toBe('127.0.0.1:9002')
  })
})
