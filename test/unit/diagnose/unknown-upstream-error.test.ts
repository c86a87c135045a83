import {describe, expect, it} from 'vitest'

import {DEFAULT_LOCAL_TIME, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {captured, lines, minutesBefore, restamp} from './support/captured-logs.js'
import {findingsOf, onlyFinding, planFor, problems} from './support/pipeline.js'

/** The lab's capture, moved to a minute ago, with `edit` applied to each line. */
function invalidHeader(edit: (line: string) => string = (line) => line): string {
  return lines(restamp(captured('nginx-error-invalid-header.log'), minutesBefore(DEFAULT_LOCAL_TIME, 1)).map(edit))
}

const debian = (nginxLog: string) => snapshotFromLayout('debian-php82', {nginxLog})

describe('unknown-upstream-error: a FastCGI failure no rule knows is never "healthy"', () => {
  it('"upstream sent invalid header" (real capture): critical, in nginx’s words, with the failing request', () => {
    const plan = planFor(debian(invalidHeader()))
    const finding = onlyFinding(plan, 'unknown-upstream-error')
    expect(finding.severity).toBe('critical')
    expect(finding.summary).toBe(
      'nginx failed 1 FastCGI request(s) to unix:/run/php/php8.2-fpm.sock with an error fpmfix has no rule for: ' +
        'upstream sent invalid header: "…" while reading response header from upstream (GET /bad2.php HTTP/1.1). ' +
        'No change is proposed: nginx’s message says what failed',
    )
    expect(finding.scope.nginx?.file).toBe('/etc/nginx/sites-enabled/default')
    expect(finding.remedies).toEqual([])
    expect(problems(plan).map((item) => item.id)).toEqual(['unknown-upstream-error'])
    expect(plan.changes).toEqual([])
  })

  it('not for PHP’s own messages through FastCGI stderr, lower levels, or other kinds of upstream', () => {
    const stderr = invalidHeader((line) =>
      line.replace(/upstream sent invalid header: "[^"]*" while/, 'FastCGI sent in stderr: "PHP message: x" while'),
    )
    const warn = invalidHeader((line) => line.replace('[error]', '[warn]'))
    const proxied = invalidHeader((line) =>
      line.replace('fastcgi://unix:/run/php/php8.2-fpm.sock:', 'http://127.0.0.1:8080/'),
    )
    for (const log of [stderr, warn, proxied])
      expect(findingsOf(planFor(debian(log)), 'unknown-upstream-error')).toEqual([])
  })

  it('not for what other rules read (a known kind stays theirs)', () => {
    const known = lines(restamp(captured('nginx-error-mixed.log'), minutesBefore(DEFAULT_LOCAL_TIME, 1)))
    expect(findingsOf(planFor(debian(known)), 'unknown-upstream-error')).toEqual([])
  })
})
