import {describe, expect, it} from 'vitest'

import {DEFAULT_LOCAL_TIME, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {captured, minutesBefore, restampTogether} from '../diagnose/support/captured-logs.js'
import {findingsOf, planFor} from '../diagnose/support/pipeline.js'

const recent = minutesBefore(DEFAULT_LOCAL_TIME, 2)
const SHOP_SOCKET = '/run/php/php8.2-fpm-shop.sock'

/** The real exhaustion capture, as the ondemand shop pool's php-fpm and nginx write it. */
function shopExhausted() {
  return restampTogether(
    {
      nginx: captured('nginx-error-exhausted.log', /\(11: /).map((line) =>
        line.replaceAll('/run/php/php8.2-fpm.sock', SHOP_SOCKET),
      ),
      fpm: captured('php8.2-fpm-exhausted.log', /server reached/).map((line) =>
        line.replace(
          '[pool www] server reached pm.max_children setting (2)',
          '[pool shop] server reached max_children setting (10)',
        ),
      ),
    },
    recent,
  )
}

const actionsOf = (plan: ReturnType<typeof planFor>) => plan.actions.map(({service, action}) => `${action} ${service}`)

describe('service actions', () => {
  it('php-fpm goes before nginx, so nginx finds its pools listening when it reloads', () => {
    const logs = shopExhausted()
    const plan = planFor(
      snapshotFromLayout('debian-multi-php', {
        installs: ['php8.2-fpm'],
        nginxLog: logs.nginx,
        fpmLog: {'php8.2-fpm': logs.fpm},
      }),
    )
    expect(findingsOf(plan, 'socket-mismatch')).toHaveLength(1)
    expect(findingsOf(plan, 'pool-exhausted')).toHaveLength(1)
    // The shop pool's backlog is already the kernel's maximum (-1), so new limits need a reload only.
    expect(actionsOf(plan)).toEqual(['reload php8.2-fpm', 'reload nginx'])
  })

  it('every touched php-fpm install gets its own action, all before nginx', () => {
    const logs = shopExhausted()
    const plan = planFor(
      snapshotFromLayout('debian-multi-php', {
        fpm: [
          {service: 'php8.1-fpm', pool: 'www', key: 'listen.owner', value: undefined},
          {service: 'php8.1-fpm', pool: 'www', key: 'listen.group', value: undefined},
        ],
        nginxLog: logs.nginx,
        fpmLog: {'php8.2-fpm': logs.fpm},
      }),
    )
    expect(findingsOf(plan, 'socket-permission').map((finding) => finding.scope.pool?.install)).toEqual([
      '/usr/sbin/php-fpm8.1',
    ])
    expect(actionsOf(plan)).toEqual(['restart php8.1-fpm', 'reload php8.2-fpm'])
  })

  it('a stopped service is started, whatever the remedy asked for', () => {
    const plan = planFor(snapshotFromLayout('debian-multi-php', {installs: ['php8.2-fpm'], stopped: ['nginx']}))
    expect(findingsOf(plan, 'socket-mismatch')[0]!.remedies).toContainEqual(
      expect.objectContaining({kind: 'service', action: 'reload'}),
    )
    expect(actionsOf(plan)).toEqual(['start nginx'])
  })

  it('a changed pool file without an asked-for action still gets a reload of its php-fpm', () => {
    const plan = planFor(snapshotFromLayout('debian-php82', {fpmLayout: 'fpm-invalid'}))
    expect(findingsOf(plan, 'config-invalid')[0]!.remedies.some((remedy) => remedy.kind === 'service')).toBe(false)
    expect(plan.changes).toHaveLength(1)
    expect(actionsOf(plan)).toEqual(['reload php8.2-fpm'])
  })

  it('nothing changed, nothing asked: no action', () => {
    expect(planFor(snapshotFromLayout('rhel-remi')).actions).toEqual([])
  })
})
