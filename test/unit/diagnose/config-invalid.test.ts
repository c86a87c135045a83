import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {pmSettingsOf, validatePmSettings} from '../../../src/fpm/index.js'
import {FIXTURES, PACKAGED_LAYOUTS, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {findingsOf, onlyFinding, planFor, poolAfter} from './support/pipeline.js'

/** Real `nginx -T` stderr on the Debian tree with an unknown directive (see captures/README.md). */
const NGINX_STDERR = readFileSync(new URL('captures/nginx-T-unknown-directive.stderr', import.meta.url), 'utf8')
const EMERG = NGINX_STDERR.split('\n').find((line) => line.includes('[emerg]'))!
const FPM_INVALID = readFileSync(join(FIXTURES, 'fpm-invalid', 'php-fpm-tt.txt'), 'utf8')

/** The fpm-invalid tree with one of its pm-checks pool files as www.conf, and php-fpm's real verdict on it. */
function failingPool(name: string) {
  const capture = readFileSync(join(FIXTURES, 'fpm-invalid', `php-fpm-tt-pm-${name}.txt`), 'utf8')
  const poolFile = readFileSync(join(FIXTURES, 'fpm-invalid', 'etc/php/8.2/fpm/pm-checks', `${name}.conf`), 'utf8')
  const snapshot = snapshotFromLayout('debian-php82', {
    fpmLayout: 'fpm-invalid',
    files: {'/etc/php/8.2/fpm/pool.d/www.conf': () => poolFile},
    tt: {'php8.2-fpm': {code: 78, output: capture}},
  })
  return {snapshot, message: /ALERT: (.*)$/m.exec(capture)![1]!}
}

describe('config-invalid', () => {
  describe('nginx -T exits 1 with an [emerg]', () => {
    it('while nginx runs (on its old config) → warning: the next reload will fail', () => {
      const plan = planFor(snapshotFromLayout('debian-php82', {nginxTest: {code: 1, stderr: NGINX_STDERR}}))
      const finding = onlyFinding(plan, 'config-invalid')
      expect(finding.severity).toBe('warning')
      expect(finding.summary).toBe(
        `\`nginx -t\` fails: the running nginx keeps its old config and the next reload will fail: ${EMERG}`,
      )
      expect(finding.evidence.map((item) => item.text)).toEqual(NGINX_STDERR.trim().split('\n'))
      expect(finding.remedies).toEqual([])
      expect(plan.actions).toEqual([])
    })

    it('with nginx down → critical: it cannot start', () => {
      const plan = planFor(
        snapshotFromLayout('rhel-remi', {nginxTest: {code: 1, stderr: NGINX_STDERR}, stopped: ['nginx']}),
      )
      const finding = onlyFinding(plan, 'config-invalid')
      expect(finding.severity).toBe('critical')
      expect(finding.summary).toContain('and nginx is not running')
      expect(finding.summary).toContain(EMERG)
    })
  })

  describe('php-fpm -t fails on pm settings (fpm-invalid capture)', () => {
    const alert = /ALERT: (.*)$/m.exec(FPM_INVALID)![1]!

    it('while php-fpm runs → warning, the pm values are repaired and php-fpm reloaded', () => {
      const snapshot = snapshotFromLayout('debian-php82', {fpmLayout: 'fpm-invalid'})
      const plan = planFor(snapshot)
      const finding = onlyFinding(plan, 'config-invalid')
      expect(finding.severity).toBe('warning')
      expect(finding.summary).toContain('the next restart of php-fpm will fail')
      expect(finding.summary).toContain(alert)
      expect(validatePmSettings(pmSettingsOf(poolAfter(snapshot, plan, 'php8.2-fpm', 'www')))).toBeUndefined()
      expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
        {service: 'php8.2-fpm', action: 'reload'},
      ])
    })

    it('stopped → critical: php-fpm cannot start', () => {
      const finding = onlyFinding(
        planFor(snapshotFromLayout('debian-php82', {fpmLayout: 'fpm-invalid', stopped: ['php8.2-fpm']})),
        'config-invalid',
      )
      expect(finding.severity).toBe('critical')
      expect(finding.summary).toContain('php8.2-fpm cannot start')
    })

    it.each(['max-children-zero', 'max-spare-below-min', 'min-spare-zero', 'max-spare-zero', 'start-out-of-range'])(
      'the real %s failure is repaired to values php-fpm accepts',
      (name) => {
        const {snapshot, message} = failingPool(name)
        const plan = planFor(snapshot)
        expect(onlyFinding(plan, 'config-invalid').summary).toContain(message)
        expect(validatePmSettings(pmSettingsOf(poolAfter(snapshot, plan, 'php8.2-fpm', 'www')))).toBeUndefined()
      },
    )

    it('a missing pm is reported but not guessed at', () => {
      const {snapshot, message} = failingPool('missing-pm')
      const plan = planFor(snapshot)
      expect(onlyFinding(plan, 'config-invalid').summary).toContain(message)
      expect(plan.changes).toEqual([])
    })
  })

  describe('negative', () => {
    it.each(PACKAGED_LAYOUTS)('healthy %s: none', (layout) => {
      expect(findingsOf(planFor(snapshotFromLayout(layout)), 'config-invalid')).toEqual([])
    })

    it('no verdict (php-fpm -tt not captured: Alpine has no capture) is not a failure', () => {
      const snapshot = snapshotFromLayout('alpine-php82')
      expect(snapshot.fpmInstalls[0]!.tt.code).toBeNull()
      expect(findingsOf(planFor(snapshot), 'config-invalid')).toEqual([])
    })
  })
})
