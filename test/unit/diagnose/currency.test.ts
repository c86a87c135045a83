import {describe, expect, it} from 'vitest'

import {DEFAULT_LOCAL_TIME, snapshotFromLayout, type LayoutOptions} from '../../support/snapshot-from-layout.js'
import {
  captured,
  EXHAUSTED_CAPTURE_POOL,
  exhaustionCapture,
  lines,
  minutesBefore,
  restamp,
} from './support/captured-logs.js'
import {findingsOf, planFor, problems, WINDOW_MINUTES} from './support/pipeline.js'

const exhaustion = (minutesAgo: number) => exhaustionCapture(minutesBefore(DEFAULT_LOCAL_TIME, minutesAgo))

function exhaustedHost(minutesAgo: number, options: LayoutOptions = {}) {
  const logs = exhaustion(minutesAgo)
  return snapshotFromLayout('debian-php82', {
    fpm: EXHAUSTED_CAPTURE_POOL,
    nginxLog: logs.nginx,
    fpmLog: logs.fpm,
    ...options,
  })
}

describe('currency: only log lines about the running configs, inside the window, count', () => {
  it('lines older than the window are not evidence; the same lines inside it are', () => {
    const old = exhaustedHost(WINDOW_MINUTES + 30)
    expect(findingsOf(planFor(old), 'pool-exhausted')).toEqual([])
    expect(planFor(old).status).toBe('unchanged')
    expect(findingsOf(planFor(old, WINDOW_MINUTES + 60), 'pool-exhausted')).toHaveLength(1)
  })

  it('lines from before php-fpm was restarted describe a config that no longer runs', () => {
    expect(findingsOf(planFor(exhaustedHost(3, {uptimeSeconds: {'php8.2-fpm': 60}})), 'pool-exhausted')).toEqual([])
    expect(findingsOf(planFor(exhaustedHost(3, {uptimeSeconds: {'php8.2-fpm': 600}})), 'pool-exhausted')).toHaveLength(
      1,
    )
  })

  it('lines from before php-fpm was reloaded (its log says so: "fpm is running, pid N") do not count', () => {
    const logs = exhaustion(3)
    const reload = restamp(
      captured('php8.2-fpm-exhausted.log', /fpm is running|ready to handle connections/),
      minutesBefore(DEFAULT_LOCAL_TIME, 1),
    )
    const masterPid = Number(/pid (\d+)/.exec(reload[0]!)![1])
    const snapshot = snapshotFromLayout('debian-php82', {
      fpm: EXHAUSTED_CAPTURE_POOL,
      nginxLog: logs.nginx,
      fpmLog: logs.fpm + lines(reload),
      masterPids: {'php8.2-fpm': masterPid},
    })
    expect(findingsOf(planFor(snapshot), 'pool-exhausted')).toEqual([])
  })

  it('workers recycled since (pm.max_requests, idle ondemand children) are no reload: the lines still count', () => {
    const snapshot = exhaustedHost(3, {workerUptimeSeconds: {'php8.2-fpm': 30}})
    expect(findingsOf(planFor(snapshot), 'pool-exhausted')).toHaveLength(1)
  })

  it('nginx lines from before nginx was reloaded do not count', () => {
    const tooBig = restamp(captured('nginx-error-mixed.log', /too big header/), minutesBefore(DEFAULT_LOCAL_TIME, 5))
    expect(
      findingsOf(
        planFor(snapshotFromLayout('debian-php82', {nginxLog: lines(tooBig), uptimeSeconds: {nginx: 120}})),
        'header-buffer',
      ),
    ).toEqual([])
    expect(
      findingsOf(planFor(snapshotFromLayout('debian-php82', {nginxLog: lines(tooBig)})), 'header-buffer'),
    ).toHaveLength(1)
  })

  it('nginx lines logged in the second of a reload count only when a running nginx process wrote them', () => {
    const reloadedAt = minutesBefore(DEFAULT_LOCAL_TIME, 2)
    const tooBig = restamp(captured('nginx-error-mixed.log', /too big header/), reloadedAt)
    const writtenBy = (pid: number) => lines(tooBig.map((line) => line.replace(/\] \d+#\d+: /, `] ${pid}#${pid}: `)))
    const planWith = (pid: number) =>
      planFor(snapshotFromLayout('debian-php82', {nginxLog: writtenBy(pid), uptimeSeconds: {nginx: 120}}))
    expect(findingsOf(planWith(84), 'header-buffer')).toEqual([])
    expect(findingsOf(planWith(1001), 'header-buffer')).toHaveLength(1)
  })

  it('a problem whose state is fixed is not reported from the 13/2/111 lines it left, however recent', () => {
    const leftovers = restamp(
      [...captured('nginx-error-mixed.log', /\((13|2): /), ...captured('nginx-error-exhausted.log', /\(111: /)],
      minutesBefore(DEFAULT_LOCAL_TIME, 1),
    )
    const plan = planFor(snapshotFromLayout('debian-php82', {nginxLog: lines(leftovers)}))
    expect(problems(plan)).toEqual([])
    expect(plan.status).toBe('unchanged')
  })
})
