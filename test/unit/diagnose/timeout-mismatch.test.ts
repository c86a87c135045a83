import {describe, expect, it} from 'vitest'

import type {HostSnapshot} from '../../../src/model/snapshot.js'
import {
  effectiveFastcgiSettings,
  findFastcgiPasses,
  parseNginxDump,
  parseNginxDuration,
} from '../../../src/nginx/index.js'
import {DEFAULT_LOCAL_TIME, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {captured, minutesBefore, restampTogether} from './support/captured-logs.js'
import {changeOf, findingsOf, lineChanges, onlyFinding, planFor, poolAfter} from './support/pipeline.js'

const KILLED = /execution timed out|exited on signal 15 \(SIGTERM\)/
const RESET_OF_SLOW = /\(104: Connection reset by peer\).*slow\.php/
const recent = minutesBefore(DEFAULT_LOCAL_TIME, 2)

/** fastcgi_read_timeout in force at the fastcgi_pass of `file`, in seconds, from the snapshot's own nginx config. */
function readTimeoutAt(snapshot: HostSnapshot, file: string): number {
  if (!snapshot.nginx.present) throw new Error('no nginx')
  const config = parseNginxDump(snapshot.nginx.configDump.stdout)
  const pass = findFastcgiPasses(config).find((candidate) => candidate.file === file)!
  return parseNginxDuration(effectiveFastcgiSettings(config, pass.treePath).fastcgi_read_timeout.value[0]!) / 1000
}

describe('timeout-mismatch', () => {
  describe('Debian: request_terminate_timeout 2s kills a 5s request nginx still waits for (real capture)', () => {
    const logs = restampTogether(
      {nginx: captured('nginx-error-mixed.log', RESET_OF_SLOW), fpm: captured('php8.2-fpm-mixed.log', KILLED)},
      recent,
    )
    const snapshot = snapshotFromLayout('debian-php82', {
      fpm: [{pool: 'www', key: 'request_terminate_timeout', value: '2s'}],
      nginxLog: logs.nginx,
      fpmLog: logs.fpm,
    })
    const plan = planFor(snapshot)
    const nginxWaits = readTimeoutAt(snapshot, '/etc/nginx/sites-enabled/default')

    it('is critical and pairs the kill with the 502 nginx logged seconds later', () => {
      const finding = onlyFinding(plan, 'timeout-mismatch')
      expect(finding.severity).toBe('critical')
      expect(finding.summary).toBe(
        `php-fpm kills requests after 2s (request_terminate_timeout) while nginx waits ${nginxWaits}s: 1 request(s) terminated, 1 matching 502(s) in nginx's log`,
      )
      const logLines = finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)
      expect(logLines).toEqual([logs.fpm.split('\n')[0], logs.nginx.trim()])
    })

    it('sets request_terminate_timeout to what nginx waits, in place', () => {
      const after = poolAfter(snapshot, plan, 'php8.2-fpm', 'www')
      expect(after.requestTerminateTimeout.value).toBe(nginxWaits)
      const {removed, added} = lineChanges(
        changeOf(plan, '/etc/php/8.2/fpm/pool.d/www.conf').before,
        changeOf(plan, '/etc/php/8.2/fpm/pool.d/www.conf').after,
      )
      expect(removed).toEqual(['request_terminate_timeout = 2s\n'])
      expect(added).toEqual([`request_terminate_timeout = ${nginxWaits}s\n`])
    })

    it('reloads php-fpm; the SIGTERM that follows the timeout is no crash', () => {
      expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
        {service: 'php8.2-fpm', action: 'reload'},
      ])
      expect(findingsOf(plan, 'fpm-crashing')).toEqual([])
    })
  })

  it('debian-multi-php shop pool: the remedy follows that site’s own fastcgi_read_timeout (300), not a constant', () => {
    const shop = '/run/php/php8.2-fpm-shop.sock'
    const logs = restampTogether(
      {
        nginx: captured('nginx-error-mixed.log', RESET_OF_SLOW).map((line) =>
          line.replaceAll('/run/php/php8.2-fpm.sock', shop),
        ),
        fpm: captured('php8.2-fpm-mixed.log', KILLED).map((line) => line.replace('[pool www]', '[pool shop]')),
      },
      recent,
    )
    const snapshot = snapshotFromLayout('debian-multi-php', {
      fpm: [{service: 'php8.2-fpm', pool: 'shop', key: 'request_terminate_timeout', value: '2s'}],
      nginxLog: logs.nginx,
      fpmLog: {'php8.2-fpm': logs.fpm},
    })
    const nginxWaits = readTimeoutAt(snapshot, '/etc/nginx/sites-enabled/shop.example.com')
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'timeout-mismatch')
    expect(finding.scope.pool).toEqual({install: '/usr/sbin/php-fpm8.2', name: 'shop'})
    expect(finding.summary).toContain(`while nginx waits ${nginxWaits}s`)
    expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'shop').requestTerminateTimeout.value).toBe(nginxWaits)
  })

  it('504s (nginx gave up reading the response header) → a warning, and php-fpm is told to stop that work', () => {
    const timedOut = /upstream timed out \(110: Connection timed out\) while reading response header/
    const logs = restampTogether({nginx: captured('nginx-error-exhausted.log', timedOut), fpm: []}, recent)
    const snapshot = snapshotFromLayout('debian-php82', {nginxLog: logs.nginx})
    const nginxWaits = readTimeoutAt(snapshot, '/etc/nginx/sites-enabled/default')
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'timeout-mismatch')
    expect(finding.severity).toBe('warning')
    expect(finding.summary).toContain(
      `nginx gave up after fastcgi_read_timeout ${nginxWaits}s on ${captured('nginx-error-exhausted.log', timedOut).length} request(s) (504)`,
    )
    expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'www').requestTerminateTimeout.value).toBe(nginxWaits)
  })

  describe('negative', () => {
    it.each(['debian-php82', 'debian-multi-php', 'rhel-remi', 'alpine-php82', 'docker-php-fpm'] as const)(
      'healthy %s: none',
      (layout) => {
        expect(findingsOf(planFor(snapshotFromLayout(layout)), 'timeout-mismatch')).toEqual([])
      },
    )

    it('a short request_terminate_timeout that killed nothing is not reported', () => {
      const plan = planFor(
        snapshotFromLayout('debian-php82', {fpm: [{pool: 'www', key: 'request_terminate_timeout', value: '2s'}]}),
      )
      expect(findingsOf(plan, 'timeout-mismatch')).toEqual([])
    })

    it('the 504 of a timed-out connect is not a read-timeout mismatch', () => {
      const line = captured('nginx-error-exhausted.log', /while reading response header/)[0]!.replace(
        'while reading response header from upstream',
        'while connecting to upstream',
      )
      const logs = restampTogether({nginx: [line], fpm: []}, recent)
      expect(
        findingsOf(planFor(snapshotFromLayout('debian-php82', {nginxLog: logs.nginx})), 'timeout-mismatch'),
      ).toEqual([])
    })
  })
})
