import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {findingsOf, onlyFinding, planFor, problems} from './support/pipeline.js'

const capture = (name: string) => readFileSync(new URL(`captures/${name}`, import.meta.url), 'utf8')

/** A Debian host gathered as `deploy` without --become: what nginx -T and php-fpm -tt really print then. */
function unprivileged(options: Parameters<typeof snapshotFromLayout>[1] = {}) {
  return snapshotFromLayout('debian-php82', {
    ...options,
    nginxTest: {code: 1, stderr: capture('nginx-T-unprivileged.stderr')},
    tt: {'php8.2-fpm': {code: 78, output: capture('php-fpm-tt-unprivileged.txt')}},
    edit: (host) => {
      host.uid = 1001
      host.user = 'deploy'
      for (const log of host.logs) {
        log.readable = false
        delete log.text
      }
      options.edit?.(host)
    },
  })
}

describe('truth first: a login without root', () => {
  const plan = planFor(unprivileged())

  it('turns no permission error of the gather into a finding', () => {
    expect(findingsOf(plan, 'config-invalid')).toEqual([])
    expect(problems(plan)).toEqual([])
  })

  it('says per host what it could not read, and to use --become', () => {
    expect(plan.unreadable).toEqual([
      'nginx -T, so nginx\'s configuration (open() "/run/nginx.pid" failed (13: Permission denied))',
      "/usr/sbin/php-fpm8.2 -tt, so php-fpm's effective settings (failed to open error_log (/var/log/php8.2-fpm.log): Permission denied (13))",
      'logs /var/log/nginx/error.log, /var/log/php8.2-fpm.log, so no log line is evidence',
    ])
    expect(plan.notes[0]).toMatch(
      /^gathered as deploy \(uid 1001\), not root: could not read nginx -T.*; use --become$/,
    )
  })

  it('as root the same failures are findings', () => {
    const asRoot = planFor(
      snapshotFromLayout('debian-php82', {
        nginxTest: {code: 1, stderr: capture('nginx-T-unprivileged.stderr')},
        tt: {'php8.2-fpm': {code: 78, output: capture('php-fpm-tt-unprivileged.txt')}},
      }),
    )
    expect(findingsOf(asRoot, 'config-invalid')).toHaveLength(2)
    expect(asRoot.unreadable).toBeUndefined()
  })
})

describe('truth first: nothing running is not healthy', () => {
  it('a stopped nginx whose config tests fine is nginx-down, remedied by starting it', () => {
    const plan = planFor(snapshotFromLayout('debian-php82', {stopped: ['nginx']}))
    const finding = onlyFinding(plan, 'nginx-down')
    expect(finding.severity).toBe('critical')
    expect(finding.summary).toBe(
      'nginx is not running: nothing answers, and the 1 location(s) passing to PHP are down; `nginx -t` passes, so it can be started',
    )
    expect(finding.evidence[0]).toEqual({
      kind: 'process',
      text: 'no nginx master process runs in this host’s mount namespace',
    })
    expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['nginx start'])
    expect(plan.verify?.probes.http).not.toEqual([])
  })

  it('a stopped nginx whose config fails is config-invalid alone', () => {
    const plan = planFor(
      snapshotFromLayout('debian-php82', {
        stopped: ['nginx'],
        nginxTest: {code: 1, stderr: capture('nginx-T-unknown-directive.stderr')},
      }),
    )
    expect(findingsOf(plan, 'nginx-down')).toEqual([])
    expect(onlyFinding(plan, 'config-invalid').severity).toBe('critical')
  })

  it('php-fpm of another mount namespace is not this host’s: the pool is down, and the container’s master is named', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      stopped: ['php8.2-fpm'],
      edit: (host) => {
        const service = host.fpmInstalls[0]!.service
        // SysV `status` finds the container's php-fpm by name.
        Object.assign(service, {manager: 'sysv', active: true, state: 'running', running: true})
        host.processes.push({
          pid: 4242,
          ppid: 4200,
          kind: 'fpm-master',
          comm: 'php-fpm8.2',
          cmdline: 'php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)',
          exe: '/usr/sbin/php-fpm8.2',
          uid: 0,
          user: 'root',
          groups: [],
          otherNamespace: true,
        })
      },
    })
    const finding = onlyFinding(planFor(snapshot), 'fpm-down')
    expect(finding.evidence.map((item) => item.text)).toEqual(
      expect.arrayContaining([
        "no php8.2-fpm master process runs in this host's mount namespace",
        "php8.2-fpm master(s) 4242 run in another mount namespace (a container): not this host's",
      ]),
    )
    expect(finding.remedies).toContainEqual(expect.objectContaining({kind: 'service', action: 'start'}))
  })
})
