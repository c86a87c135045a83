import {describe, expect, it} from 'vitest'

import {pmSettingsOf, validatePmSettings} from '../../../src/fpm/index.js'
import type {Finding, Remedy} from '../../../src/model/finding.js'
import {collectRemedies} from '../../../src/plan/collect-remedies.js'
import {DEFAULT_LOCAL_TIME, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {exhaustionCapture, minutesBefore} from '../diagnose/support/captured-logs.js'
import {findingsOf, planFor, poolAfter} from '../diagnose/support/pipeline.js'

const INSTALL = '/usr/sbin/php-fpm8.2'

function finding(id: Finding['id'], remedies: Remedy[]): Finding {
  return {id, severity: 'critical', scope: {label: id}, summary: id, evidence: [], remedies}
}

function fpmSet(key: string, value: string, reason: string, where: {install?: string; pool?: string} = {}): Remedy {
  return {kind: 'fpm-set', install: where.install ?? INSTALL, pool: where.pool ?? 'www', key, value, reason}
}

describe('collectRemedies', () => {
  describe('a pm repair (php-fpm -t fails) and a memory-based raise (pool exhausted) on the same pool', () => {
    const logs = exhaustionCapture(minutesBefore(DEFAULT_LOCAL_TIME, 2))
    const snapshot = snapshotFromLayout('debian-php82', {
      fpmLayout: 'fpm-invalid',
      nginxLog: logs.nginx,
      fpmLog: logs.fpm,
    })
    const plan = planFor(snapshot)

    it('both findings ask for pm.max_spare_servers, with different numbers', () => {
      const asks = (id: Finding['id']) =>
        findingsOf(plan, id)
          .flatMap((item) => item.remedies)
          .find((remedy) => remedy.kind === 'fpm-set' && remedy.key === 'pm.max_spare_servers')
      const repair = asks('config-invalid')
      const raise = asks('pool-exhausted')
      expect(repair).toBeDefined()
      expect(raise).toBeDefined()
      expect(repair!.kind === 'fpm-set' && raise!.kind === 'fpm-set' && repair!.value !== raise!.value).toBe(true)
    })

    it('one setting per key survives, the larger number', () => {
      const collected = collectRemedies(plan.findings)
      const keys = collected.fpm.map((remedy) => `${remedy.pool} ${remedy.key}`)
      expect(new Set(keys).size).toBe(keys.length)
      const all = plan.findings
        .flatMap((item) => item.remedies)
        .filter((remedy): remedy is Extract<Remedy, {kind: 'fpm-set'}> => remedy.kind === 'fpm-set')
      for (const remedy of collected.fpm) {
        const candidates = all
          .filter((other) => other.key === remedy.key && other.pool === remedy.pool)
          .map((other) => Number(other.value))
        expect(Number(remedy.value)).toBe(Math.max(...candidates))
      }
    })

    it('and the merged settings are ones php-fpm accepts, with the raised max_children', () => {
      const after = poolAfter(snapshot, plan, 'php8.2-fpm', 'www')
      expect(validatePmSettings(pmSettingsOf(after))).toBeUndefined()
      const raised = findingsOf(plan, 'pool-exhausted')[0]!.remedies.find(
        (remedy) => remedy.kind === 'fpm-set' && remedy.key === 'pm.max_children',
      )
      expect(raised?.kind === 'fpm-set' && Number(raised.value)).toBe(after.maxChildren.value)
    })
  })

  it('the larger number wins whichever finding comes first', () => {
    const small = finding('config-invalid', [fpmSet('pm.max_children', '5', 'repair')])
    const large = finding('pool-exhausted', [fpmSet('pm.max_children', '12', 'memory')])
    expect(collectRemedies([small, large]).fpm.map((remedy) => remedy.value)).toEqual(['12'])
    expect(collectRemedies([large, small]).fpm.map((remedy) => remedy.value)).toEqual(['12'])
  })

  it('for a non-numeric value the first (most severe) finding wins', () => {
    const first = finding('socket-permission', [fpmSet('listen.owner', 'www-data', 'nginx worker')])
    const second = finding('socket-permission', [fpmSet('listen.owner', 'nginx', 'other')])
    expect(collectRemedies([first, second]).fpm).toEqual([first.remedies[0]])
  })

  it('the same key of another pool or install is another setting', () => {
    const collected = collectRemedies([
      finding('pool-exhausted', [
        fpmSet('pm.max_children', '10', 'a'),
        fpmSet('pm.max_children', '10', 'b', {pool: 'shop'}),
        fpmSet('pm.max_children', '10', 'c', {install: '/usr/sbin/php-fpm8.1'}),
      ]),
    ])
    expect(collected.fpm).toHaveLength(3)
  })

  it('the strongest service action wins (start > restart > reload) and every reason is kept once', () => {
    const target = {kind: 'php-fpm', install: INSTALL} as const
    const collected = collectRemedies([
      finding('pool-exhausted', [{kind: 'service', target, action: 'reload', reason: 'apply limits'}]),
      finding('socket-permission', [{kind: 'service', target, action: 'restart', reason: 're-create the socket'}]),
      finding('timeout-mismatch', [{kind: 'service', target, action: 'reload', reason: 'apply limits'}]),
      finding('fpm-down', [{kind: 'service', target, action: 'start', reason: 'bring it back'}]),
      finding('header-buffer', [{kind: 'service', target: {kind: 'nginx'}, action: 'reload', reason: 'buffers'}]),
    ])
    expect(collected.services).toEqual([
      {target, action: 'start', reasons: ['apply limits', 're-create the socket', 'bring it back']},
      {target: {kind: 'nginx'}, action: 'reload', reasons: ['buffers']},
    ])
  })

  it('one nginx edit per file, line and directive', () => {
    const edit: Remedy = {
      kind: 'nginx-set',
      file: '/etc/nginx/conf.d/php-fpm.conf',
      line: 5,
      directive: 'server',
      args: ['127.0.0.1:9000'],
      reason: 'first',
    }
    const collected = collectRemedies([
      finding('socket-mismatch', [edit]),
      finding('socket-mismatch', [{...edit, reason: 'second'}]),
    ])
    expect(collected.nginx).toEqual([edit])
  })
})
