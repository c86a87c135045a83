import {describe, expect, it} from 'vitest'

import {formatAddress} from '../../../src/facts/pairing.js'
import {findFastcgiPasses, parseNginxDuration} from '../../../src/nginx/index.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {fastcgiAt, nginxAfter} from '../diagnose/support/pipeline.js'
import {actionsOf, afterApply, appliedHost, expectFpmAccepts, planWith, plannedPool} from './support.js'

const TIMEOUTS = `[pool:*]
request_terminate_timeout = 60s
php_admin_value[max_execution_time] = 55
ping.path = /fpm-ping

[pool:shop]
request_terminate_timeout = 5m

[nginx]
fastcgi_read_timeout = 60s
fastcgi_connect_timeout = 5s
`

describe('pool and nginx settings stated by a policy', () => {
  const snapshot = snapshotFromLayout('debian-multi-php')
  const plan = planWith(snapshot, TIMEOUTS)

  it('lists each difference with where the host has it and the policy line that asks for it', () => {
    expect(plan.status).toBe('changes')
    const shop = plan.drift!.filter((item) => item.what.startsWith('[shop]'))
    // shop already has request_terminate_timeout = 5m (its own section overrides [pool:*]).
    expect(shop.map((item) => item.what)).toEqual([
      '[shop] (php 8.2) php_admin_value[max_execution_time]',
      '[shop] (php 8.2) ping.path',
    ])
    expect(plan.drift).toContainEqual({
      what: '[www] (php 8.1) request_terminate_timeout',
      where: {file: '/etc/php/8.1/fpm/pool.d/www.conf'},
      wanted: '60s',
      found: '0s (default)',
      policy: {file: 'fleet.ini', line: 2},
    })
    expect(plan.drift).toContainEqual(
      expect.objectContaining({
        what: 'fastcgi_read_timeout (server shop.example.com location ~ \\.php$)',
        where: {file: '/etc/nginx/sites-enabled/shop.example.com', line: 17},
        wanted: '60s',
        found: '300s',
        policy: {file: 'fleet.ini', line: 10},
      }),
    )
  })

  it('writes what makes every pool and every PHP location match, and php-fpm accepts it', () => {
    for (const [service, pool] of [
      ['php8.1-fpm', 'www'],
      ['php8.2-fpm', 'www'],
      ['php8.2-fpm', 'shop'],
    ] as const) {
      const after = plannedPool(snapshot, plan, service, pool)
      expect(after.requestTerminateTimeout.value, `${service} ${pool}`).toBe(pool === 'shop' ? 300 : 60)
      expect(after.phpAdminValues.find((entry) => entry.key === 'max_execution_time')?.value).toBe('55')
      expect(after.pingPath.value).toBe('/fpm-ping')
      expectFpmAccepts(snapshot, plan, service)
    }
    const nginx = nginxAfter(snapshot, plan)
    for (const pass of findFastcgiPasses(nginx)) {
      const [site] = fastcgiAt(nginx, pass.file).filter((entry) => entry.pass.line === pass.line)
      expect(parseNginxDuration(site!.settings.fastcgi_read_timeout.value[0]!)).toBe(60_000)
      expect(parseNginxDuration(site!.settings.fastcgi_connect_timeout.value[0]!)).toBe(5_000)
    }
    // Locations on nginx's default get one directive in the http block, not one each.
    const http = plan.changes.find((change) => change.path === '/etc/nginx/nginx.conf')!
    expect(http.after.match(/fastcgi_connect_timeout 5s;/g)).toHaveLength(1)
    expect(actionsOf(plan)).toEqual(['reload php8.1-fpm', 'reload php8.2-fpm', 'reload nginx'])
  })

  it('reports no drift once applied, and none for a host that already matches', () => {
    const again = planWith(afterApply('debian-multi-php', plan), TIMEOUTS)
    expect([again.status, again.drift, again.changes]).toEqual(['unchanged', [], []])
    const matching = planWith(snapshot, '[pool:shop]\nrequest_terminate_timeout = 300\npm = ondemand\n')
    expect([matching.status, matching.drift]).toEqual(['unchanged', []])
  })

  it('keeps php-fpm’s pm checks passing around what it states, and reports what it cannot reconcile', () => {
    const fewer = planWith(snapshotFromLayout('debian-php82'), '[pool:www]\npm.max_children = 2\n')
    const www = plannedPool(snapshotFromLayout('debian-php82'), fewer, 'php8.2-fpm', 'www')
    expect([www.maxChildren.value, www.maxSpareServers.value]).toEqual([2, 2])
    expectFpmAccepts(snapshotFromLayout('debian-php82'), fewer, 'php8.2-fpm')
    const clash = planWith(snapshotFromLayout('debian-php82'), '[pool:www]\npm.max_spare_servers = 8\n')
    expect(clash.changes).toEqual([])
    expect(clash.status).toBe('changes')
    expect(clash.drift).toEqual([
      expect.objectContaining({
        unresolved: expect.stringMatching(/cannot be greater than pm\.max_children\(5\)/),
        policy: {file: 'fleet.ini', line: 2},
      }),
    ])
  })

  it('leaves out what a pool’s php-fpm does not know, and says so', () => {
    const plan = planWith(snapshotFromLayout('rhel-remi-multi'), '[pool:*]\npm.max_spawn_rate = 8\n')
    expect(plan.notes).toContainEqual(
      expect.stringMatching(
        /fleet\.ini:2: not setting pm\.max_spawn_rate in pool www: php-fpm 7\.4\.33 does not know it/,
      ),
    )
    expect(plan.drift!.map((item) => item.what).sort()).toEqual([
      '[api] (php 8.1) pm.max_spawn_rate',
      '[www] (php 8.1) pm.max_spawn_rate',
    ])
  })

  it('completes FastCGI buffers the way nginx -t requires around a stated fastcgi_buffer_size', () => {
    const snapshot = snapshotFromLayout('debian-php82')
    const plan = planWith(snapshot, '[nginx]\nfastcgi_buffer_size = 64k\n')
    const nginx = nginxAfter(snapshot, plan)
    for (const pass of findFastcgiPasses(nginx)) {
      const [site] = fastcgiAt(nginx, pass.file).filter((entry) => entry.pass.line === pass.line)
      expect(site!.bufferSize).toBe(64 * 1024)
      expect(site!.busy).toBeGreaterThanOrEqual(Math.max(site!.bufferSize, site!.buffers.size))
      expect(site!.busy).toBeLessThanOrEqual((site!.buffers.count - 1) * site!.buffers.size)
    }
  })

  it('moves nginx along when it gives a pool another address', () => {
    const snapshot = snapshotFromLayout('debian-php82')
    const plan = planWith(snapshot, '[pool:www]\nlisten = /run/php/www.sock\n')
    expect(formatAddress(plannedPool(snapshot, plan, 'php8.2-fpm', 'www').listen.value)).toBe('unix:/run/php/www.sock')
    const passes = findFastcgiPasses(nginxAfter(snapshot, plan)).map((pass) => pass.raw)
    expect(passes.length).toBeGreaterThan(0)
    for (const raw of passes) expect(raw).toBe('unix:/run/php/www.sock')
    expect(actionsOf(plan)).toEqual(['reload php8.2-fpm', 'reload nginx'])
  })
})

describe('pm.max_children = auto', () => {
  // 8 GiB host, 4 GiB available, the www pool's 2 running workers at 40 MiB PSS each.
  const options = {memory: {memTotalKb: 8 << 20, memAvailableKb: 4 << 20}, workerKb: {rss: 60 << 10, pss: 40 << 10}}
  const AUTO = '[pool:www]\npm.max_children = auto\n'

  it('grows to what memory affords, at most max_growth_factor times per plan, then holds', () => {
    // (4096 MiB available + 80 MiB of the pool's workers − max(10% of 8192, 256) MiB) × 90% / 40 MiB = 75.5
    const affordable = Math.floor(((4096 + 80 - 819.2) * 0.9) / 40)
    const host = appliedHost('debian-php82', options)
    let snapshot = host.snapshot()
    const seen: number[] = []
    for (let round = 0; round < 3; round++) {
      const plan = planWith(snapshot, AUTO)
      if (plan.changes.length === 0) break
      seen.push(plannedPool(snapshot, plan, 'php8.2-fpm', 'www').maxChildren.value!)
      expectFpmAccepts(snapshot, plan, 'php8.2-fpm')
      snapshot = host.apply(plan)
    }
    expect(seen).toEqual([20, affordable])
    expect(planWith(snapshot, AUTO).drift).toEqual([])
  })

  it('cannot size without the host’s memory, and says so', () => {
    const plan = planWith(snapshotFromLayout('debian-php82', {memory: {}}), AUTO)
    expect(plan.drift).toEqual([expect.objectContaining({unresolved: expect.stringMatching(/MemAvailable/)})])
  })
})
