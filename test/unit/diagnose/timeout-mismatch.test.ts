import {describe, expect, it} from 'vitest'

import type {HostSnapshot} from '../../../src/model/snapshot.js'
import {
  effectiveFastcgiSettings,
  findFastcgiPasses,
  parseNginxDump,
  parseNginxDuration,
  type NginxConfig,
} from '../../../src/nginx/index.js'
import {DEFAULT_LOCAL_TIME, sha256, PACKAGED_LAYOUTS, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {captured, minutesBefore, restampTogether} from './support/captured-logs.js'
import {DEFAULT_POLICY} from '../../../src/model/policy.js'
import {planFromSnapshot} from '../../../src/plan/plan-from-snapshot.js'
import {changeOf, findingsOf, lineChanges, nginxAfter, onlyFinding, planFor, poolAfter} from './support/pipeline.js'

const KILLED = /execution timed out|exited on signal 15 \(SIGTERM\)/
const RESET_OF_SLOW = /\(104: Connection reset by peer\).*slow\.php/
const recent = minutesBefore(DEFAULT_LOCAL_TIME, 2)

/** fastcgi_read_timeout in force at the fastcgi_pass of `file`, in seconds, from the snapshot's own nginx config. */
function readTimeoutAt(snapshot: HostSnapshot | NginxConfig, file: string): number {
  let config: NginxConfig
  if ('files' in snapshot) config = snapshot
  else if (snapshot.nginx.present) config = parseNginxDump(snapshot.nginx.configDump.stdout)
  else throw new Error('no nginx')
  const pass = findFastcgiPasses(config).find((candidate) => candidate.file === file)!
  return parseNginxDuration(effectiveFastcgiSettings(config, pass.treePath).fastcgi_read_timeout.value[0]!) / 1000
}

const afterNginx = nginxAfter

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

  describe('504s: nginx stops waiting before requests finish', () => {
    const SITE = '/etc/nginx/sites-enabled/default'
    const POOL = '/etc/php/8.2/fpm/pool.d/www.conf'
    const timedOut = /upstream timed out \(110: Connection timed out\) while reading response header/
    const logs = restampTogether({nginx: captured('nginx-error-exhausted.log', timedOut), fpm: []}, recent)
    const php = (location: string) => (text: string) =>
      text.replace(
        '\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;',
        `\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;\n${location}`,
      )
    const plan504 = (options: Parameters<typeof snapshotFromLayout>[1] = {}, maxReadTimeoutSeconds?: number) => {
      const snapshot = snapshotFromLayout('debian-php82', {nginxLog: logs.nginx, ...options})
      const policy =
        maxReadTimeoutSeconds === undefined
          ? DEFAULT_POLICY
          : {...DEFAULT_POLICY, timeouts: {...DEFAULT_POLICY.timeouts, maxReadTimeoutSeconds}}
      const {plan} = planFromSnapshot({name: 'web1', connection: 'ssh', address: '192.0.2.10', vars: {}}, snapshot, {
        policy,
      })
      return {snapshot, plan, finding: onlyFinding(plan, 'timeout-mismatch')}
    }

    it('raises fastcgi_read_timeout where it is set to the pool’s request_terminate_timeout, and leaves PHP alone', () => {
      const {snapshot, plan, finding} = plan504({
        fpm: [{pool: 'www', key: 'request_terminate_timeout', value: '90s'}],
        files: {[SITE]: php('\t\tfastcgi_read_timeout 2s;')},
      })
      expect(finding.severity).toBe('warning')
      expect(finding.summary).toMatch(
        /^nginx gave up after fastcgi_read_timeout 2s on 2 request\(s\) \(504\): GET \/slow\.php\?s=2 HTTP\/1\.1/,
      )
      expect(finding.summary).toMatch(
        new RegExp(
          `fastcgi_read_timeout becomes 90s: PHP lets a request run up to 90s \\(request_terminate_timeout, ${POOL}:\\d+\\)`,
        ),
      )
      expect(readTimeoutAt(afterNginx(snapshot, plan), SITE)).toBe(90)
      const {removed, added} = lineChanges(
        changeOf(plan, '/etc/nginx/sites-available/default').before,
        changeOf(plan, '/etc/nginx/sites-available/default').after,
      )
      expect({removed, added}).toEqual({
        removed: ['\t\tfastcgi_read_timeout 2s;\n'],
        added: ['\t\tfastcgi_read_timeout 90s;\n'],
      })
      expect(plan.changes.map((change) => change.path)).toEqual(['/etc/nginx/sites-available/default'])
      expect(plan.actions.map(({service, action}) => `${service} ${action}`)).toEqual(['nginx reload'])
    })

    it('with only max_execution_time bounding PHP, nginx waits that long', () => {
      const phpIni = '/etc/php/8.2/fpm/php.ini'
      const {snapshot, plan, finding} = plan504({
        files: {[SITE]: php('\t\tfastcgi_read_timeout 2s;')},
        edit: (host) => {
          const content = '[PHP]\nmax_execution_time = 45\n'
          host.fpmInstalls[0]!.phpIni = {
            path: phpIni,
            exists: true,
            isSymlink: false,
            readable: true,
            content,
            sha256: sha256(content),
          }
        },
      })
      expect(finding.summary).toContain(`PHP lets a request run up to 45s (max_execution_time, ${phpIni}:2)`)
      expect(readTimeoutAt(afterNginx(snapshot, plan), SITE)).toBe(45)
      expect(plan.changes.some((change) => change.path === POOL)).toBe(false)
    })

    it('with nothing bounding PHP: twice the wait, at least nginx’s default, inserted in the location that 504s', () => {
      const {snapshot, plan, finding} = plan504()
      expect(finding.summary).toContain('no limit in PHP bounds how long requests run')
      expect(readTimeoutAt(afterNginx(snapshot, plan), SITE)).toBe(120)
      expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'www').requestTerminateTimeout.value ?? 0).toBe(0)
    })

    it('never beyond the policy maximum; a longer request_terminate_timeout comes down to it', () => {
      const {snapshot, plan, finding} = plan504(
        {
          fpm: [{pool: 'www', key: 'request_terminate_timeout', value: '600s'}],
          files: {[SITE]: php('\t\tfastcgi_read_timeout 2s;')},
        },
        300,
      )
      expect(finding.summary).toContain('capped at the policy maximum 300s')
      expect(readTimeoutAt(afterNginx(snapshot, plan), SITE)).toBe(300)
      expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'www').requestTerminateTimeout.value).toBe(300)
      expect(plan.actions.map(({service, action}) => `${service} ${action}`)).toEqual([
        'php8.2-fpm reload',
        'nginx reload',
      ])
    })

    it('already at the policy maximum: said, nothing changed', () => {
      const {plan, finding} = plan504({files: {[SITE]: php('\t\tfastcgi_read_timeout 300s;')}}, 300)
      expect(finding.summary).toContain('already at the policy maximum (300s)')
      expect(finding.remedies).toEqual([])
      expect(plan.changes).toEqual([])
    })

    it('a pool that also ran out of workers keeps its timeout: the wait was for a worker', () => {
      const exhausted = restampTogether(
        {
          nginx: captured('nginx-error-exhausted.log', timedOut),
          fpm: captured('php8.2-fpm-exhausted.log', /reached pm\.max_children/),
        },
        recent,
      )
      const {finding} = plan504({nginxLog: exhausted.nginx, fpmLog: exhausted.fpm})
      expect(finding.summary).toContain('also reached pm.max_children')
      expect(finding.remedies).toEqual([])
    })
  })

  describe('negative', () => {
    it.each(PACKAGED_LAYOUTS)('healthy %s: none', (layout) => {
      expect(findingsOf(planFor(snapshotFromLayout(layout)), 'timeout-mismatch')).toEqual([])
    })

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
