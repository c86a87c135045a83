import {describe, expect, it} from 'vitest'

import {pmSettingsOf, validatePmSettings} from '../../../src/fpm/index.js'
import type {HostSnapshot} from '../../../src/model/snapshot.js'
import {affordableChildren} from '../../../src/fpm/pm-sizing.js'
import {DEFAULT_LOCAL_TIME, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {
  captured,
  EAGAIN,
  EXHAUSTED_CAPTURE_POOL,
  exhaustionCapture,
  MAX_CHILDREN_REACHED,
  minutesBefore,
  restampTogether,
} from './support/captured-logs.js'
import {changeOf, findingsOf, lineChanges, onlyFinding, planFor, poolAfter} from './support/pipeline.js'

const DEBIAN_POOL = '/etc/php/8.2/fpm/pool.d/www.conf'
const exhaustedLogs = (withEagain: boolean) => exhaustionCapture(minutesBefore(DEFAULT_LOCAL_TIME, 3), withEagain)

/** What the host can afford for the pool, from the snapshot's own memory and worker figures. */
function budget(snapshot: HostSnapshot, service: string, pool: string): number {
  const install = snapshot.fpmInstalls.find((entry) => entry.serviceName === service)!
  const workers = install.processes
    .filter((process) => process.kind === 'fpm-worker' && process.fpmPool === pool)
    .map((process) => process.pssKb ?? process.rssKb ?? 0)
  return affordableChildren({
    availableKb: snapshot.memory.memAvailableKb!,
    totalKb: snapshot.memory.memTotalKb!,
    currentWorkersKb: workers.reduce((sum, kb) => sum + kb, 0),
    perWorkerKb: workers.length > 0 ? workers.reduce((sum, kb) => sum + kb, 0) / workers.length : 64 * 1024,
  })
}

describe('pool-exhausted', () => {
  describe('Debian: "server reached pm.max_children" and EAGAIN connect failures (real capture)', () => {
    const logs = exhaustedLogs(true)
    const snapshot = snapshotFromLayout('debian-php82', {
      fpm: EXHAUSTED_CAPTURE_POOL,
      nginxLog: logs.nginx,
      fpmLog: logs.fpm,
    })
    const plan = planFor(snapshot)

    it('is critical and counts the refused connections', () => {
      const finding = onlyFinding(plan, 'pool-exhausted')
      const refused = captured('nginx-error-exhausted.log', EAGAIN).length
      expect(finding.severity).toBe('critical')
      expect(finding.summary).toContain(`${refused} connections refused with EAGAIN (listen queue full)`)
      expect(finding.summary).toContain('max_children (2) reached 1 time(s)')
      expect(finding.evidence).toContainEqual(
        expect.objectContaining({
          kind: 'config',
          text: 'listen.backlog = 1',
          source: `${DEBIAN_POOL}:${lineOf(snapshot, 'listen.backlog')}`,
        }),
      )
    })

    it('raises pm.max_children within what memory allows, keeping the spare settings valid', () => {
      const before = poolAfter(snapshot, {...plan, changes: []}, 'php8.2-fpm', 'www')
      const after = poolAfter(snapshot, plan, 'php8.2-fpm', 'www')
      expect(after.maxChildren.value).toBeGreaterThan(before.maxChildren.value!)
      expect(after.maxChildren.value).toBeLessThanOrEqual(budget(snapshot, 'php8.2-fpm', 'www'))
      expect(validatePmSettings(pmSettingsOf(after))).toBeUndefined()
    })

    it('raises listen.backlog to net.core.somaxconn', () => {
      expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'www').listenBacklog.value).toBe(snapshot.somaxconn)
    })

    it('changes only the directives it means to, each where it is written', () => {
      const {removed, added} = lineChanges(changeOf(plan, DEBIAN_POOL).before, changeOf(plan, DEBIAN_POOL).after)
      expect(removed.map(keyOf)).toEqual(added.map(keyOf))
      expect(new Set(removed.map(keyOf))).toEqual(new Set(['pm.max_children', 'listen.backlog']))
    })

    it('reads the kernel listen queue of the pool socket as evidence, since php-fpm logs no overflow', () => {
      const queued = snapshotFromLayout('debian-php82', {
        fpm: EXHAUSTED_CAPTURE_POOL,
        nginxLog: logs.nginx,
        fpmLog: logs.fpm,
        edit: (draft) => {
          for (const listener of draft.listeners.unix) Object.assign(listener, {recvQ: 2, sendQ: 1})
        },
      })
      const socket = queued.listeners.unix[0]!.path
      expect(onlyFinding(planFor(queued), 'pool-exhausted').evidence).toContainEqual(
        expect.objectContaining({
          kind: 'listener',
          text: `listen queue now 2 waiting of 1 (ss Recv-Q/Send-Q) on unix:${socket}`,
        }),
      )
    })

    it('restarts php-fpm: a new backlog needs a new socket', () => {
      expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
        {service: 'php8.2-fpm', action: 'restart'},
      ])
    })
  })

  it('max_children reached without EAGAIN → warning (requests queue, nothing failed yet); a reload applies it', () => {
    const logs = exhaustedLogs(false)
    const snapshot = snapshotFromLayout('debian-php82', {fpm: EXHAUSTED_CAPTURE_POOL, fpmLog: logs.fpm})
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'pool-exhausted')
    expect(finding.severity).toBe('warning')
    expect(finding.summary).not.toContain('EAGAIN')
    expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'www').listenBacklog.value).toBe(1)
    expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
      {service: 'php8.2-fpm', action: 'reload'},
    ])
  })

  it('when memory does not allow more children, only the backlog changes and the summary says why', () => {
    const logs = exhaustedLogs(true)
    const snapshot = snapshotFromLayout('debian-php82', {
      fpm: EXHAUSTED_CAPTURE_POOL,
      nginxLog: logs.nginx,
      fpmLog: logs.fpm,
      memory: {memTotalKb: 1_009_152, memAvailableKb: 198_000},
    })
    expect(budget(snapshot, 'php8.2-fpm', 'www')).toBeLessThanOrEqual(2)
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'pool-exhausted')
    expect(finding.summary).toContain('memory does not allow more than 2 children')
    const after = poolAfter(snapshot, plan, 'php8.2-fpm', 'www')
    expect(after.maxChildren.value).toBe(2)
    expect(after.listenBacklog.value).toBe(snapshot.somaxconn)
  })

  describe('debian-multi-php: the ondemand shop pool (its php-fpm spells it "max_children")', () => {
    const shopSocket = '/run/php/php8.2-fpm-shop.sock'
    // The captured lines, as php-fpm and nginx write them for an ondemand pool named shop with pm.max_children = 10.
    const logs = restampTogether(
      {
        nginx: captured('nginx-error-exhausted.log', EAGAIN).map((line) =>
          line.replaceAll('/run/php/php8.2-fpm.sock', shopSocket),
        ),
        fpm: captured('php8.2-fpm-exhausted.log', MAX_CHILDREN_REACHED).map((line) =>
          line.replace(
            '[pool www] server reached pm.max_children setting (2)',
            '[pool shop] server reached max_children setting (10)',
          ),
        ),
      },
      minutesBefore(DEFAULT_LOCAL_TIME, 3),
    )
    const snapshot = snapshotFromLayout('debian-multi-php', {nginxLog: logs.nginx, fpmLog: {'php8.2-fpm': logs.fpm}})
    const plan = planFor(snapshot)

    it('flags the shop pool of php 8.2 only', () => {
      const finding = onlyFinding(plan, 'pool-exhausted')
      expect(finding.scope.pool).toEqual({install: '/usr/sbin/php-fpm8.2', name: 'shop'})
      expect(finding.severity).toBe('critical')
    })

    it('raises max_children of the ondemand pool within memory (no spare settings to keep)', () => {
      const after = poolAfter(snapshot, plan, 'php8.2-fpm', 'shop')
      expect(after.maxChildren.value).toBeGreaterThan(10)
      expect(after.maxChildren.value).toBeLessThanOrEqual(budget(snapshot, 'php8.2-fpm', 'shop'))
      expect(validatePmSettings(pmSettingsOf(after))).toBeUndefined()
      const {removed} = lineChanges(
        changeOf(plan, '/etc/php/8.2/fpm/pool.d/shop.conf').before,
        changeOf(plan, '/etc/php/8.2/fpm/pool.d/shop.conf').after,
      )
      expect(removed.map(keyOf)).toEqual(['pm.max_children'])
    })
  })

  it("a www pool's log line in php 8.2's log is not blamed on php 8.1's www pool", () => {
    const logs = exhaustedLogs(false)
    const plan = planFor(snapshotFromLayout('debian-multi-php', {fpmLog: {'php8.2-fpm': logs.fpm}}))
    expect(findingsOf(plan, 'pool-exhausted').map((finding) => finding.scope.pool)).toEqual([
      {install: '/usr/sbin/php-fpm8.2', name: 'www'},
    ])
  })

  describe('negative', () => {
    it.each(['debian-php82', 'rhel-remi', 'docker-php-fpm'] as const)('healthy %s: no pool-exhausted', (layout) => {
      expect(findingsOf(planFor(snapshotFromLayout(layout)), 'pool-exhausted')).toEqual([])
    })

    it('"seems busy" lines alone are not exhaustion', () => {
      const busy =
        '[23-Nov-2026 21:44:00] WARNING: [pool www] seems busy (you may need to increase pm.start_servers, or pm.min/max_spare_servers), spawning 8 children, there are 0 idle, and 3 total children\n'
      expect(findingsOf(planFor(snapshotFromLayout('debian-php82', {fpmLog: busy})), 'pool-exhausted')).toEqual([])
    })
  })
})

function keyOf(line: string): string {
  return line.split('=')[0]!.trim()
}

function lineOf(snapshot: HostSnapshot, key: string): number {
  const file = snapshot.fpmInstalls[0]!.files.find((entry) => entry.path === DEBIAN_POOL)!
  return file.content!.split('\n').findIndex((line) => line.startsWith(`${key} =`)) + 1
}
