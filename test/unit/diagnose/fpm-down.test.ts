import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {pmSettingsOf, validatePmSettings} from '../../../src/fpm/index.js'
import {
  DEFAULT_LOCAL_TIME,
  FIXTURES,
  poolAddress,
  snapshotFromLayout,
  socketIn,
} from '../../support/snapshot-from-layout.js'
import {captured, lines, minutesBefore, restamp} from './support/captured-logs.js'
import {changeOf, findingsOf, lineEdit, onlyFinding, planFor, poolAfter} from './support/pipeline.js'

const DEBIAN_SOCKET = '/run/php/php8.2-fpm.sock'
const recent = minutesBefore(DEFAULT_LOCAL_TIME, 2)

describe('fpm-down', () => {
  it('Debian: php8.2-fpm stopped, its socket gone → critical, start it; nothing to edit', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      stopped: ['php8.2-fpm'],
      nginxLog: lines(restamp(captured('nginx-error-mixed.log', /\(2: No such file or directory\)/), recent)),
    })
    expect(socketIn(snapshot, DEBIAN_SOCKET).exists).toBe(false)
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'fpm-down')
    expect(finding.severity).toBe('critical')
    expect(finding.scope.pool).toEqual({install: '/usr/sbin/php-fpm8.2', name: 'www'})
    expect(finding.summary).toContain(`its socket ${DEBIAN_SOCKET} does not exist`)
    expect(finding.evidence).toContainEqual(
      expect.objectContaining({kind: 'stat', text: `${DEBIAN_SOCKET}: does not exist`}),
    )
    expect(finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)).toEqual(
      restamp(captured('nginx-error-mixed.log', /\(2: No such file or directory\)/), recent),
    )
    expect(plan.changes).toEqual([])
    expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
      {service: 'php8.2-fpm', action: 'start'},
    ])
    expect(plan.status).toBe('changes')
  })

  it('RHEL: php-fpm stopped → the pool behind the upstream is down, start php-fpm', () => {
    const snapshot = snapshotFromLayout('rhel-remi', {stopped: ['php-fpm']})
    const address = poolAddress(snapshot, 'php-fpm', 'www')
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'fpm-down')
    expect(finding.summary).toContain(`its socket ${address.kind === 'unix' ? address.path : ''} does not exist`)
    expect(finding.scope.label).toContain('location ~ \\.php$')
    expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
      {service: 'php-fpm', action: 'start'},
    ])
  })

  it('Alpine: nothing listens on the TCP port of a stopped php-fpm82', () => {
    const plan = planFor(snapshotFromLayout('alpine-php82', {stopped: ['php-fpm82']}))
    const finding = onlyFinding(plan, 'fpm-down')
    expect(finding.summary).toContain('nothing listens on 127.0.0.1:9000')
    expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
      {service: 'php-fpm82', action: 'start'},
    ])
  })

  it('a stale socket (file left, no listener) is named as such; the 111 refusals are the evidence', () => {
    const refused = restamp(captured('nginx-error-exhausted.log', /\(111: Connection refused\)/), recent)
    const snapshot = snapshotFromLayout('debian-php82', {
      stopped: ['php8.2-fpm'],
      staleSockets: true,
      nginxLog: lines(refused),
    })
    expect(socketIn(snapshot, DEBIAN_SOCKET).exists).toBe(true)
    const finding = onlyFinding(planFor(snapshot), 'fpm-down')
    expect(finding.summary).toContain(`a stale socket with no listener is left at ${DEBIAN_SOCKET}`)
    expect(finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)).toEqual(refused)
  })

  it('a running master whose pool does not listen is restarted, not started', () => {
    const snapshot = snapshotFromLayout('debian-php82', {
      edit: (host) => (host.listeners.unix = host.listeners.unix.filter((listener) => listener.path !== DEBIAN_SOCKET)),
    })
    const plan = planFor(snapshot)
    expect(onlyFinding(plan, 'fpm-down').summary).toContain('stale socket')
    expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
      {service: 'php8.2-fpm', action: 'restart'},
    ])
  })

  describe('php-fpm -t fails on pm settings (the real fpm-invalid capture)', () => {
    const capture = readFileSync(join(FIXTURES, 'fpm-invalid', 'php-fpm-tt.txt'), 'utf8')
    const alert = /ALERT: (.*)$/m.exec(capture)![1]!
    const snapshot = snapshotFromLayout('debian-php82', {fpmLayout: 'fpm-invalid', stopped: ['php8.2-fpm']})
    const plan = planFor(snapshot)
    const poolFile = '/etc/php/8.2/fpm/pool.d/www.conf'

    it("the summary quotes php-fpm's own message", () => {
      expect(snapshot.fpmInstalls[0]!.tt.code).not.toBe(0)
      const finding = onlyFinding(plan, 'fpm-down')
      expect(finding.summary).toContain(alert)
      expect(finding.evidence).toContainEqual(
        expect.objectContaining({kind: 'command', text: expect.stringContaining(alert)}),
      )
    })

    it('the edited pool passes every php-fpm pm check and keeps pm.max_children', () => {
      const before = poolAfter(snapshot, {...plan, changes: []}, 'php8.2-fpm', 'www')
      expect(validatePmSettings(pmSettingsOf(before))?.message).toBe(alert)
      const after = poolAfter(snapshot, plan, 'php8.2-fpm', 'www')
      expect(validatePmSettings(pmSettingsOf(after))).toBeUndefined()
      expect(after.maxChildren.value).toBe(before.maxChildren.value)
    })

    it('only pm.* lines change, each in place', () => {
      const change = changeOf(plan, poolFile)
      const {replaced, inserted} = lineEdit(change.before, change.after)
      expect(inserted).toBeUndefined()
      expect(replaced.length).toBeGreaterThan(0)
      for (const line of replaced) {
        expect(line.from).toMatch(/^pm\.(start_servers|min_spare_servers|max_spare_servers) = \d+\n$/)
        expect(line.to.split('=')[0]).toBe(line.from.split('=')[0])
      }
      expect(change.diff.startsWith(`diff --git a${poolFile} b${poolFile}\n--- a${poolFile}\n+++ b${poolFile}\n`)).toBe(
        true,
      )
    })

    it('then starts php-fpm; the same fix is not planned twice although config-invalid asks for it too', () => {
      expect(findingsOf(plan, 'config-invalid')).toHaveLength(1)
      expect(plan.changes).toHaveLength(1)
      expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
        {service: 'php8.2-fpm', action: 'start'},
      ])
    })
  })

  it('a -t failure with no pm problem gets no guessed edit and no start that would fail', () => {
    const capture = readFileSync(join(FIXTURES, 'fpm-invalid', 'php-fpm-tt-pool-user-unknown.txt'), 'utf8')
    const plan = planFor(
      snapshotFromLayout('debian-php82', {stopped: ['php8.2-fpm'], tt: {'php8.2-fpm': {code: 78, output: capture}}}),
    )
    const finding = onlyFinding(plan, 'fpm-down')
    expect(finding.summary).toContain(/ERROR: (.*)$/m.exec(capture)![1]!)
    expect(finding.remedies).toEqual([])
    expect(plan.changes).toEqual([])
    expect(plan.actions).toEqual([])
  })

  describe('negative', () => {
    it('healthy Debian and RHEL: no fpm-down', () => {
      expect(findingsOf(planFor(snapshotFromLayout('debian-php82')), 'fpm-down')).toEqual([])
      expect(findingsOf(planFor(snapshotFromLayout('rhel-remi')), 'fpm-down')).toEqual([])
    })

    it('a stopped install no nginx site uses is not a finding', () => {
      const snapshot = snapshotFromLayout('debian-multi-php', {
        stopped: ['php8.1-fpm'],
        files: {
          '/etc/nginx/sites-enabled/legacy.example.com': (text) => text.replace('php8.1-fpm.sock', 'php8.2-fpm.sock'),
        },
      })
      expect(findingsOf(planFor(snapshot), 'fpm-down')).toEqual([])
    })
  })

  describe('its TCP port held by another program, so php-fpm cannot bind it', () => {
    const SITE = '/etc/nginx/sites-enabled/default'
    const bindFailed =
      "[23-Nov-2026 21:44:00] ERROR: unable to bind listening socket for address '127.0.0.1:9000': Address already in use (98)\n"
    const taken = (programs: string[], fpmLog?: string) =>
      snapshotFromLayout('debian-php82', {
        stopped: ['php8.2-fpm'],
        fpm: [{pool: 'www', key: 'listen', value: '127.0.0.1:9000'}],
        files: {
          [SITE]: (text) => text.replace('fastcgi_pass unix:/run/php/php8.2-fpm.sock;', 'fastcgi_pass 127.0.0.1:9000;'),
        },
        ...(fpmLog === undefined ? {} : {fpmLog}),
        edit: (host) =>
          host.listeners.tcp.push({
            address: '127.0.0.1',
            port: 9000,
            processes: programs.map((name, index) => ({name, pid: 4000 + index, fd: 5})),
          }),
      })

    it('names the holder, moves the pool to the next free port with nginx, starts php-fpm, then reloads nginx', () => {
      const snapshot = taken(['clickhouse-server'], bindFailed)
      const plan = planFor(snapshot)
      const finding = onlyFinding(plan, 'fpm-down')
      expect(finding.summary).toBe(
        'php-fpm pool www is down: 127.0.0.1:9000 is held by clickhouse-server, so php-fpm cannot bind it; ' +
          'moving the pool to 127.0.0.1:9001, and nginx with it',
      )
      expect(poolAfter(snapshot, plan, 'php8.2-fpm', 'www').listen.value).toEqual({
        kind: 'tcp',
        host: '127.0.0.1',
        port: 9001,
      })
      expect(changeOf(plan, '/etc/nginx/sites-available/default').diff).toContain('+\t\tfastcgi_pass 127.0.0.1:9001;')
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual([
        'php8.2-fpm start',
        'nginx reload',
      ])
    })

    it('unnamed (ss without process names), php-fpm’s own bind error names the cause', () => {
      const finding = onlyFinding(planFor(taken([], bindFailed)), 'fpm-down')
      expect(finding.summary).toContain('127.0.0.1:9000 is held by another program')
      expect(finding.evidence.some((item) => item.text.includes('Address already in use (98)'))).toBe(true)
    })

    it('not when a php-fpm holds it (another version on the same port is the policy’s business), nor with no sign', () => {
      expect(findingsOf(planFor(taken(['php-fpm8.1'], bindFailed)), 'fpm-down')).toEqual([])
      expect(findingsOf(planFor(taken([])), 'fpm-down')).toEqual([])
    })

    it('not when nothing fails there: a container’s php-fpm behind docker-proxy serves on purpose', () => {
      expect(findingsOf(planFor(taken(['docker-proxy'])), 'fpm-down')).toEqual([])
    })
  })
})
