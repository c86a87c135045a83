import {describe, expect, it} from 'vitest'

import {DEFAULT_POLICY} from '../../../src/model/policy.js'
import {planFromSnapshot} from '../../../src/plan/plan-from-snapshot.js'
import {DEFAULT_LOCAL_TIME, snapshotFromLayout, type LayoutOptions} from '../../support/snapshot-from-layout.js'
import {captured, minutesBefore, restampTogether} from './support/captured-logs.js'
import {findingsOf, onlyFinding, planFor, problems} from './support/pipeline.js'

const FPM_CONF = '/etc/php/8.2/fpm/php-fpm.conf'

/** The lab's capture: an idle reload, then one with a request in flight, moved to a minute ago. */
function reloadLogs(options: {nginx?: boolean} = {}) {
  return restampTogether(
    {
      nginx: options.nginx === false ? [] : captured('nginx-error-reload-cut.log'),
      fpm: captured('php8.2-fpm-reload-cut.log'),
    },
    minutesBefore(DEFAULT_LOCAL_TIME, 1),
  )
}

function debian(logs: {nginx: string; fpm: string}, options: LayoutOptions = {}) {
  return snapshotFromLayout('debian-php82', {nginxLog: logs.nginx, fpmLog: logs.fpm, ...options})
}

describe('reload-cuts-requests: php-fpm reloads ending requests in flight', () => {
  describe('process_control_timeout unset, a reload with a request in flight (real capture)', () => {
    const plan = planFor(debian(reloadLogs()))
    const finding = onlyFinding(plan, 'reload-cuts-requests')

    it('is a warning naming the setting, the reload that cut and the 502 it caused; not the idle reload', () => {
      expect(finding.severity).toBe('warning')
      expect(finding.summary).toMatch(/process_control_timeout = 0\): 1 request\(s\) in flight at 1 of its reloads/)
      expect(finding.evidence[0]).toEqual({kind: 'config', text: '[global] process_control_timeout = 0 (default)'})
      const logs = finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)
      expect(logs.filter((text) => text.includes('Reloading in progress'))).toHaveLength(1)
      expect(logs.some((text) => text.includes('recv() failed (104: Connection reset by peer)'))).toBe(true)
      expect(problems(plan).map((item) => item.id)).toEqual(['reload-cuts-requests'])
    })

    it('sets process_control_timeout in the global section, beside its commented default, and reloads php-fpm', () => {
      expect(plan.changes.map((change) => change.path)).toEqual([FPM_CONF])
      expect(plan.changes[0]!.diff).toMatch(/\n ;process_control_timeout = 0\n\+process_control_timeout = 10s\n/)
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['php8.2-fpm reload'])
    })

    it('sets what the policy says a reload may wait', () => {
      const snapshot = debian(reloadLogs())
      const policy = {...DEFAULT_POLICY, timeouts: {...DEFAULT_POLICY.timeouts, reloadWaitSeconds: 30}}
      const {plan: waiting} = planFromSnapshot(
        {name: 'h', connection: 'local', address: 'localhost', vars: {}},
        snapshot,
        {policy},
      )
      expect(onlyFinding(waiting, 'reload-cuts-requests').remedies[0]).toMatchObject({value: '30s'})
    })

    it('waits no longer than every pool lets a request run', () => {
      const bounded = planFor(
        debian(reloadLogs(), {fpm: [{pool: 'www', key: 'request_terminate_timeout', value: '4s'}]}),
      )
      expect(onlyFinding(bounded, 'reload-cuts-requests').remedies[0]).toMatchObject({
        pool: 'global',
        key: 'process_control_timeout',
        value: '4s',
      })
    })
  })

  it('nothing once process_control_timeout lets workers finish, though the old reload lines stay in the log', () => {
    const fixed = debian(reloadLogs(), {fpm: [{pool: 'global', key: 'process_control_timeout', value: '10s'}]})
    expect(findingsOf(planFor(fixed), 'reload-cuts-requests')).toEqual([])
  })

  it('nothing for a drop logged the second before the reload: nginx can only see the cut after it', () => {
    const before = restampTogether(
      {
        nginx: captured('nginx-error-reload-cut.log').map((line) => line.replace('15:05:46', '15:05:45')),
        fpm: captured('php8.2-fpm-reload-cut.log'),
      },
      minutesBefore(DEFAULT_LOCAL_TIME, 1),
    )
    expect(findingsOf(planFor(debian(before)), 'reload-cuts-requests')).toEqual([])
  })

  it('nothing for drops at another address than the reloaded install’s pools', () => {
    const elsewhere = reloadLogs()
    const logs = {...elsewhere, nginx: elsewhere.nginx.replaceAll('php8.2-fpm.sock', 'php8.1-fpm.sock')}
    expect(findingsOf(planFor(debian(logs)), 'reload-cuts-requests')).toEqual([])
  })

  it('nothing when no request was dropped at a reload', () => {
    expect(findingsOf(planFor(debian(reloadLogs({nginx: false}))), 'reload-cuts-requests')).toEqual([])
  })

  it('nothing for reloads older than the window', () => {
    const old = restampTogether(
      {nginx: captured('nginx-error-reload-cut.log'), fpm: captured('php8.2-fpm-reload-cut.log')},
      minutesBefore(DEFAULT_LOCAL_TIME, 24 * 60),
    )
    expect(findingsOf(planFor(debian(old)), 'reload-cuts-requests')).toEqual([])
  })
})
