import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {parseGatherOutput} from '../../../src/gather/parse-gather-output.js'
import {DEFAULT_LOCAL_TIME, FIXTURES, PACKAGED_LAYOUTS, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {captured, minutesBefore, restampTogether} from './support/captured-logs.js'
import {planFor, problems, WINDOW_MINUTES} from './support/pipeline.js'

describe('healthy hosts', () => {
  it.each(PACKAGED_LAYOUTS)('%s as packaged, everything running: no problem, nothing to do', (layout) => {
    const plan = planFor(snapshotFromLayout(layout))
    expect(problems(plan)).toEqual([])
    expect(plan.changes).toEqual([])
    expect(plan.actions).toEqual([])
    expect(plan.notes).toEqual([])
    expect(plan.status).toBe('unchanged')
  })

  it.each(PACKAGED_LAYOUTS)('%s with every captured failure in its logs, but from before the window', (layout) => {
    const logs = restampTogether(
      {
        nginx: [...captured('nginx-error-mixed.log'), ...captured('nginx-error-exhausted.log')],
        fpm: [...captured('php8.2-fpm-mixed.log'), ...captured('php8.2-fpm-exhausted.log')],
      },
      minutesBefore(DEFAULT_LOCAL_TIME, WINDOW_MINUTES + 5),
    )
    const plan = planFor(snapshotFromLayout(layout, {nginxLog: logs.nginx, fpmLog: logs.fpm}))
    expect(problems(plan)).toEqual([])
    expect(plan.status).toBe('unchanged')
  })

  describe('real gather output of a Debian 12 host (its default site has the PHP block commented out)', () => {
    function gathered(name: string) {
      const stdout = readFileSync(join(FIXTURES, 'gather', `${name}.txt`), 'utf8')
      return parseGatherOutput(stdout, stdout.slice(0, stdout.indexOf(' ')))
    }

    it('running: unchanged', () => {
      const plan = planFor(gathered('debian12-running'))
      expect(plan.findings).toEqual([])
      expect(plan.status).toBe('unchanged')
    })

    it('nginx and php8.2-fpm stopped while containers run theirs: never "healthy", and no php-fpm finding no site needs', () => {
      const snapshot = gathered('debian12-stopped')
      expect(snapshot.fpmInstalls[0]!.service.running).toBe(false)
      const plan = planFor(snapshot)
      expect(plan.findings.map((finding) => [finding.id, finding.severity])).toEqual([['nginx-down', 'warning']])
      const [finding] = plan.findings
      expect(finding!.summary).toMatch(/^nginx is installed but not running .*another mount namespace/)
      expect(finding!.evidence.map((item) => item.text)).toContain('sysv: stopped')
      expect(finding!.remedies).toEqual([])
    })
  })
})
