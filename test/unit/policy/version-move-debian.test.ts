import {describe, expect, it} from 'vitest'

import {buildTxSpec} from '../../../src/apply/tx-spec.js'
import {formatAddress} from '../../../src/facts/pairing.js'
import {effectivePool, parseFpmFiles} from '../../../src/fpm/index.js'
import type {HostSnapshot} from '../../../src/model/snapshot.js'
import {findFastcgiPasses, type LiteralTarget} from '../../../src/nginx/index.js'
import {ABSENT} from '../../../src/model/plan.js'
import {planJson} from '../../../src/render/plan-text.js'
import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {planDocument} from '../../support/plan-document.js'
import {nginxAfter} from '../diagnose/support/pipeline.js'
import {
  actionsOf,
  afterApply,
  appliedHost,
  changeTo,
  expectFpmAccepts,
  planWith,
  plannedPool,
  POLICY_FILE,
} from './support.js'

const UPGRADE = '; move to 8.2\n[php]\nversion = 8.2\nretire_old = yes\n'
const APP_82 = '/etc/php/8.2/fpm/pool.d/app.conf'

function oldPool(snapshot: HostSnapshot, name: string) {
  const install = snapshot.fpmInstalls.find((entry) => entry.serviceName === 'php8.1-fpm')!
  const source = parseFpmFiles(
    install.files.map((file) => ({path: file.path, content: file.content!})),
    install.mainConfigPath,
    {prefix: install.prefix},
  )
  return effectivePool(source, undefined, name, {phpVersion: install.versionNumber!})
}

/** Every address nginx can send PHP requests to, with where it is written. */
function nginxTargets(snapshot: HostSnapshot, plan: ReturnType<typeof planWith>): string[] {
  const literal = (target: LiteralTarget): string[] =>
    target.kind === 'upstream'
      ? target.servers.flatMap((server) => (server.address.kind === 'invalid' ? [] : [formatAddress(server.address)]))
      : target.kind === 'invalid'
        ? []
        : [formatAddress(target)]
  return findFastcgiPasses(nginxAfter(snapshot, plan)).flatMap((pass) =>
    pass.target.kind === 'variable' ? (pass.target.resolved ?? []).flatMap(literal) : literal(pass.target),
  )
}

describe('moving a Debian host from PHP 8.1 to 8.2', () => {
  const snapshot = snapshotFromLayout('debian-php-upgrade')
  const plan = planWith(snapshot, UPGRADE)

  it('reports the host as drifting, each item with where it is and the policy line that asks', () => {
    expect(plan.status).toBe('changes')
    expect(plan.drift!.length).toBeGreaterThan(0)
    for (const item of plan.drift!) {
      expect(item.policy.file).toBe(POLICY_FILE)
      expect([3, 4]).toContain(item.policy.line)
      expect(item.unresolved).toBeUndefined()
    }
    expect(plan.drift!.find((item) => item.what.startsWith('php8.1-fpm'))).toMatchObject({
      wanted: 'stopped',
      found: 'running',
      policy: {line: 4},
    })
    expect((planJson(planDocument([plan])).hosts as Array<{drift: unknown}>)[0]!.drift).toEqual(plan.drift)
  })

  it('creates the app pool for 8.2 in its pool directory, carrying every setting of the 8.1 pool', () => {
    const created = changeTo(plan, APP_82)
    expect(created.beforeSha256).toBe(ABSENT)
    const before = oldPool(snapshot, 'app')
    const after = plannedPool(snapshot, plan, 'php8.2-fpm', 'app')
    const explicit = Object.entries(before.settings).filter(
      ([key, setting]) => setting.source !== 'default' && key !== 'listen',
    )
    expect(explicit.map(([key]) => key)).toEqual(
      expect.arrayContaining([
        'user',
        'pm.max_children',
        'request_terminate_timeout',
        'slowlog',
        'ping.path',
        'pm.status_path',
      ]),
    )
    for (const [key, setting] of explicit)
      expect(after.settings[key]?.value, key).toBe(setting.value!.replace('php8.1-fpm', 'php8.2-fpm'))
    const pairs = (pool: typeof before) => [
      ...pool.phpValues.map((entry) => `php_value ${entry.key}=${entry.value}`),
      ...pool.phpAdminValues.map((entry) => `php_admin_value ${entry.key}=${entry.value}`),
      ...pool.env.map((entry) => `env ${entry.key}=${entry.value}`),
    ]
    expect(pairs(after)).toEqual(pairs(before).map((pair) => pair.replace('php8.1-fpm', 'php8.2-fpm')))
    expect(pairs(after)).toContain('env APP_CACHE_DIR=/var/cache/app')
  })

  it('gives every 8.2 pool an address of its own, named like the layout names sockets', () => {
    const addresses = ['www', 'app'].map((name) =>
      formatAddress(plannedPool(snapshot, plan, 'php8.2-fpm', name).listen.value),
    )
    expect(addresses).toEqual(['unix:/run/php/php8.2-fpm.sock', 'unix:/run/php/php8.2-fpm-app.sock'])
    const old = ['www', 'app'].map((name) => formatAddress(oldPool(snapshot, name).listen.value))
    for (const address of addresses) expect(old).not.toContain(address)
    expectFpmAccepts(snapshot, plan, 'php8.2-fpm')
  })

  it('moves every nginx reference wherever it is written: upstream, snippet, map and a symlinked site', () => {
    const before = nginxTargets(snapshot, {...plan, changes: []})
    expect(before.filter((address) => address.includes('php8.1'))).toHaveLength(4)
    const after = nginxTargets(snapshot, plan)
    expect(after.filter((address) => address.includes('php8.1'))).toEqual([])
    expect(new Set(after)).toEqual(new Set(['unix:/run/php/php8.2-fpm-app.sock', 'unix:/run/php/php8.2-fpm.sock']))
    const site = changeTo(plan, '/etc/nginx/sites-enabled/shop.example.com')
    expect(site).toMatchObject({
      path: '/etc/nginx/sites-available/shop.example.com',
      viaSymlink: '/etc/nginx/sites-enabled/shop.example.com',
    })
    expect(changeTo(plan, '/etc/nginx/conf.d/upstreams.conf').after).toContain(
      'server unix:/run/php/php8.2-fpm-app.sock max_fails=3 fail_timeout=5s;',
    )
    expect(changeTo(plan, '/etc/nginx/conf.d/php-backend.conf').after).toContain(
      'default unix:/run/php/php8.2-fpm.sock;',
    )
  })

  it('orders the actions target first, nginx next, the old version last, with a health gate after each step', () => {
    expect(actionsOf(plan)).toEqual(['reload php8.2-fpm', 'reload nginx', 'stop php8.1-fpm'])
    const [fpm, nginx, stop] = plan.actions
    expect(fpm!.gate?.fastcgi?.map((probe) => probe.socket)).toEqual(
      expect.arrayContaining(['/run/php/php8.2-fpm-app.sock', '/run/php/php8.2-fpm.sock']),
    )
    expect(fpm!.gate?.fastcgi?.find((probe) => probe.socket === '/run/php/php8.2-fpm-app.sock')?.pingPath).toBe(
      '/fpm-ping',
    )
    expect(nginx!.gate?.http?.map((probe) => probe.url)).toEqual(
      expect.arrayContaining(['http://127.0.0.1:80/index.php', 'http://127.0.0.1:8082/index.php']),
    )
    expect(stop!.gate).toBeUndefined()
    expect(plan.verify!.fpm['/usr/sbin/php-fpm8.2']!.expect).toContainEqual({
      socket: {path: '/run/php/php8.2-fpm-app.sock', owner: 'www-data', group: 'www-data', mode: '0660'},
    })
    expect(plan.verify!.fpm['/usr/sbin/php-fpm8.1']!.expect).toEqual([])
    expect(plan.verify!.probes.fastcgi!.some((probe) => probe.socket?.includes('php8.1'))).toBe(false)
  })

  it('is a plan the apply engine takes as it is: a file created from absent, a stop after the reloads', () => {
    const spec = buildTxSpec(plan, {fpm: plan.verify!.fpm, nginx: plan.verify!.nginx, probes: plan.verify!.probes})
    expect(spec.files.find((file) => file.path === APP_82)?.beforeSha256).toBe(ABSENT)
    expect(spec.checks).toContainEqual({kind: 'file', key: APP_82, sha256: ABSENT})
    expect(spec.actions.map((action) => `${action.verb} ${action.service}`)).toEqual(actionsOf(plan))
  })

  it('finds nothing left to do once the plan is applied', () => {
    const again = planWith(afterApply('debian-php-upgrade', plan), UPGRADE)
    expect(again.drift).toEqual([])
    expect(again.changes).toEqual([])
    expect(actionsOf(again)).toEqual([])
    expect(again.status).toBe('unchanged')
  })

  it('leaves a retired version alone: the new pool may be tuned by hand afterwards', () => {
    const host = appliedHost('debian-php-upgrade')
    const moved = host.apply(plan)
    const tuned = planWith(moved, `${UPGRADE}[pool:app]\npm.max_children = 20\npm.max_spare_servers = 10\n`)
    expect(tuned.drift!.map((item) => item.what)).toEqual([
      '[app] (php 8.2) pm.max_children',
      '[app] (php 8.2) pm.max_spare_servers',
    ])
    expect(planWith(host.apply(tuned), UPGRADE).drift).toEqual([])
    // nginx sending to the stopped old version again makes it current: its pools are carried again.
    const back = planWith(snapshotFromLayout('debian-php-upgrade', {stopped: ['php8.1-fpm']}), UPGRADE)
    expect(back.changes.map((change) => change.path)).toContain(APP_82)
  })

  it('says the retired version still starts at boot, and how its service manager disables it', () => {
    expect(plan.notes.filter((note) => note.includes('not disabled'))).toEqual([
      'php8.1-fpm is stopped, not disabled: whatever starts it at boot still does; once the move is confirmed: ' +
        `${{systemd: 'systemctl disable php8.1-fpm', sysv: 'update-rc.d php8.1-fpm disable, or chkconfig php8.1-fpm off'}[snapshot.initSystem as 'systemd' | 'sysv']}`,
    ])
  })

  it('keeps the old version running with retire_old = no', () => {
    const keep = planWith(snapshot, '[php]\nversion = 8.2\nretire_old = no\n')
    expect(actionsOf(keep)).toEqual(['reload php8.2-fpm', 'reload nginx'])
    expect(keep.notes.filter((note) => note.includes('not disabled'))).toEqual([])
  })
})
