import {describe, expect, it} from 'vitest'

import {DEFAULT_LOCAL_TIME, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {captured, minutesBefore, restampTogether} from './support/captured-logs.js'
import {findingsOf, onlyFinding, planFor} from './support/pipeline.js'

const SEGV = /exited on signal 11 \(SIGSEGV\)/
const SEGV_RESET = /\(104: Connection reset by peer\).*segv\.php/
const recent = minutesBefore(DEFAULT_LOCAL_TIME, 2)

describe('fpm-crashing', () => {
  describe('Debian: a worker died on SIGSEGV and nginx lost its request (real capture)', () => {
    const logs = restampTogether(
      {nginx: captured('nginx-error-mixed.log', SEGV_RESET), fpm: captured('php8.2-fpm-mixed.log', SEGV)},
      recent,
    )
    const plan = planFor(snapshotFromLayout('debian-php82', {nginxLog: logs.nginx, fpmLog: logs.fpm}))

    it('is critical, names the signal and the lost request', () => {
      const finding = onlyFinding(plan, 'fpm-crashing')
      expect(finding.severity).toBe('critical')
      expect(finding.summary).toMatch(
        /^1 worker\(s\) of pool www died on SIGSEGV; 1 request\(s\) lost \(502\)\. A crash signal points at PHP or an extension/,
      )
      expect(finding.evidence.map((item) => item.text)).toEqual([logs.fpm.trim(), logs.nginx.trim()])
    })

    it('proposes no change: no setting fixes a segfault', () => {
      expect(onlyFinding(plan, 'fpm-crashing').remedies).toEqual([])
      expect(plan.changes).toEqual([])
      expect(plan.actions).toEqual([])
      expect(plan.notes.some((note) => note.startsWith('fpm-crashing'))).toBe(true)
    })
  })

  it('RHEL: the same crash in /var/log/php-fpm/error.log', () => {
    const logs = restampTogether(
      {
        nginx: captured('nginx-error-mixed.log', SEGV_RESET).map((line) =>
          line.replace('unix:/run/php/php8.2-fpm.sock:', 'unix:/run/php-fpm/www.sock:'),
        ),
        fpm: captured('php8.2-fpm-mixed.log', SEGV),
      },
      recent,
    )
    const snapshot = snapshotFromLayout('rhel-remi', {nginxLog: logs.nginx, fpmLog: logs.fpm})
    expect(snapshot.logs.find((log) => log.source === 'fpm')?.path).toBe('/var/log/php-fpm/error.log')
    const finding = onlyFinding(planFor(snapshot), 'fpm-crashing')
    expect(finding.severity).toBe('critical')
    expect(finding.scope.pool).toEqual({install: '/usr/sbin/php-fpm', name: 'www'})
  })

  it('a crash nginx did not notice (no request lost) is a warning', () => {
    const logs = restampTogether({nginx: [], fpm: captured('php8.2-fpm-mixed.log', SEGV)}, recent)
    expect(onlyFinding(planFor(snapshotFromLayout('debian-php82', {fpmLog: logs.fpm})), 'fpm-crashing').severity).toBe(
      'warning',
    )
  })

  it('SIGKILL with no timeout before it points at the OOM killer', () => {
    const logs = restampTogether(
      {
        nginx: [],
        fpm: captured('php8.2-fpm-mixed.log', SEGV).map((line) =>
          line.replace('signal 11 (SIGSEGV)', 'signal 9 (SIGKILL)'),
        ),
      },
      recent,
    )
    expect(
      onlyFinding(planFor(snapshotFromLayout('debian-php82', {fpmLog: logs.fpm})), 'fpm-crashing').summary,
    ).toContain('OOM killer')
  })

  describe('negative', () => {
    it('SIGTERM after "execution timed out" is request_terminate_timeout at work, not a crash', () => {
      const logs = restampTogether(
        {
          nginx: captured('nginx-error-mixed.log', /slow\.php/),
          fpm: captured('php8.2-fpm-mixed.log', /execution timed out|SIGTERM/),
        },
        recent,
      )
      expect(
        findingsOf(
          planFor(snapshotFromLayout('debian-php82', {nginxLog: logs.nginx, fpmLog: logs.fpm})),
          'fpm-crashing',
        ),
      ).toEqual([])
    })

    it('the whole mixed capture reports the SIGSEGV once and never the SIGTERM', () => {
      const logs = restampTogether(
        {nginx: captured('nginx-error-mixed.log'), fpm: captured('php8.2-fpm-mixed.log')},
        recent,
      )
      const finding = onlyFinding(
        planFor(snapshotFromLayout('debian-php82', {nginxLog: logs.nginx, fpmLog: logs.fpm})),
        'fpm-crashing',
      )
      expect(finding.summary).toMatch(/^1 worker\(s\) of pool www died on SIGSEGV;/)
    })

    it.each(['debian-php82', 'rhel-remi', 'docker-php-fpm'] as const)('healthy %s: none', (layout) => {
      expect(findingsOf(planFor(snapshotFromLayout(layout)), 'fpm-crashing')).toEqual([])
    })

    it('a crash in the 8.1 log is not blamed on the 8.2 pool of the same name', () => {
      const logs = restampTogether({nginx: [], fpm: captured('php8.2-fpm-mixed.log', SEGV)}, recent)
      const plan = planFor(snapshotFromLayout('debian-multi-php', {fpmLog: {'php8.1-fpm': logs.fpm}}))
      expect(findingsOf(plan, 'fpm-crashing').map((finding) => finding.scope.pool)).toEqual([
        {install: '/usr/sbin/php-fpm8.1', name: 'www'},
      ])
    })
  })
})
