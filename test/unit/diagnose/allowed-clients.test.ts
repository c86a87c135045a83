import {describe, expect, it} from 'vitest'

import {parseFpmLogLine} from '../../../src/logs/fpm-log.js'
import {DEFAULT_LOCAL_TIME, snapshotFromLayout} from '../../support/snapshot-from-layout.js'
import {captured, minutesBefore, restampTogether} from './support/captured-logs.js'
import {findingsOf, onlyFinding, planFor, poolAfter, problems} from './support/pipeline.js'

const POOL_FILE = '/etc/php82/php-fpm.d/www.conf'

/** The lab's capture, moved to the alpine layout's 127.0.0.1:9000 and to a minute ago. */
function droppedLogs() {
  const nginx = captured('nginx-error-allowed-clients.log').map((line) =>
    line.replace('127.0.0.1:27745', '127.0.0.1:9000'),
  )
  return restampTogether({nginx, fpm: captured('php8.2-fpm-allowed-clients.log')}, minutesBefore(DEFAULT_LOCAL_TIME, 1))
}

function alpine(allowed: string | undefined, logs?: {nginx: string; fpm: string}) {
  return snapshotFromLayout('alpine-php82', {
    ...(allowed === undefined ? {} : {fpm: [{pool: 'www', key: 'listen.allowed_clients', value: allowed}]}),
    ...(logs === undefined ? {} : {nginxLog: logs.nginx, fpmLog: logs.fpm}),
  })
}

describe('listen.allowed_clients leaving out nginx', () => {
  it('parses php-fpm’s drop line as written through catch_workers_output', () => {
    const [line] = captured('php8.2-fpm-allowed-clients.log', /said into stderr/)
    expect(parseFpmLogLine(line!, '/var/log/php82/error.log', 4)).toMatchObject({
      kind: 'connection-disallowed',
      pool: 'www',
      pid: 169,
      client: '127.0.0.1',
    })
  })

  describe('with both log lines', () => {
    const plan = planFor(alpine('127.0.0.2', droppedLogs()))
    const finding = onlyFinding(plan, 'socket-permission')

    it('is critical socket-permission citing the directive, nginx’s dropped requests and php-fpm’s drop', () => {
      expect(finding.severity).toBe('critical')
      expect(finding.scope.pool).toEqual({install: '/usr/sbin/php-fpm82', name: 'www'})
      expect(finding.summary).toMatch(
        /accepts FastCGI connections only from 127\.0\.0\.2 .*nginx connects from 127\.0\.0\.1/,
      )
      expect(finding.evidence[0]).toMatchObject({
        kind: 'config',
        text: '[www] listen.allowed_clients = 127.0.0.2',
        source: expect.stringMatching(new RegExp(`^${POOL_FILE}:\\d+$`)),
      })
      const logs = finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)
      expect(logs.some((text) => text.includes('recv() failed (104: Connection reset by peer)'))).toBe(true)
      expect(logs.some((text) => text.includes('upstream prematurely closed connection'))).toBe(true)
      expect(logs.some((text) => text.includes("Connection disallowed: IP address '127.0.0.1'"))).toBe(true)
      expect(problems(plan).map((item) => item.id)).toEqual(['socket-permission'])
    })

    it('adds nginx’s address to the list and keeps the restriction, then reloads php-fpm', () => {
      const snapshot = alpine('127.0.0.2', droppedLogs())
      expect(poolAfter(snapshot, plan, 'php-fpm82', 'www').listenAllowedClients.value).toEqual([
        '127.0.0.2',
        '127.0.0.1',
      ])
      expect(plan.actions.map((action) => `${action.service} ${action.action}`)).toEqual(['php-fpm82 reload'])
    })
  })

  it('is found from the config alone when php-fpm does not log worker output: a loopback pass comes from loopback', () => {
    const finding = onlyFinding(planFor(alpine('10.0.0.7')), 'socket-permission')
    expect(finding.evidence.filter((item) => item.kind === 'log')).toEqual([])
    expect(finding.remedies[0]).toMatchObject({key: 'listen.allowed_clients', value: '10.0.0.7,127.0.0.1'})
  })

  describe('nginx connecting from the address fastcgi_bind names', () => {
    const SITE = '/etc/nginx/http.d/default.conf'
    const bound = (bind: string, allowed: string, logs?: {nginx: string; fpm: string}) =>
      snapshotFromLayout('alpine-php82', {
        files: {
          [SITE]: (text) => text.replace('fastcgi_index     index.php;', `fastcgi_index index.php;\n\t\t${bind}`),
        },
        fpm: [{pool: 'www', key: 'listen.allowed_clients', value: allowed}],
        ...(logs === undefined ? {} : {nginxLog: logs.nginx, fpmLog: logs.fpm}),
      })

    it('a literal address is the source the list must let in, cited with where it is set', () => {
      const finding = onlyFinding(planFor(bound('fastcgi_bind 127.0.0.5;', '127.0.0.1')), 'socket-permission')
      expect(finding.summary).toMatch(/nginx connects from 127\.0\.0\.5,/)
      expect(finding.evidence).toContainEqual({
        kind: 'config',
        text: 'fastcgi_bind = 127.0.0.5',
        source: expect.stringMatching(new RegExp(`^${SITE}:\\d+$`)),
      })
      expect(finding.remedies[0]).toMatchObject({key: 'listen.allowed_clients', value: '127.0.0.1,127.0.0.5'})
    })

    it('nothing when the bound address is on the list, though loopback is not', () => {
      expect(findingsOf(planFor(bound('fastcgi_bind 127.0.0.5;', '127.0.0.5')), 'socket-permission')).toEqual([])
    })

    it('a variable source is not guessed from the config; php-fpm’s logged drop names it', () => {
      const variable = 'fastcgi_bind $remote_addr transparent;'
      expect(findingsOf(planFor(bound(variable, '10.0.0.7')), 'socket-permission')).toEqual([])
      const finding = onlyFinding(planFor(bound(variable, '10.0.0.7', droppedLogs())), 'socket-permission')
      expect(finding.remedies[0]).toMatchObject({value: '10.0.0.7,127.0.0.1'})
    })

    it('fastcgi_bind off is no bind: the loopback source again', () => {
      const finding = onlyFinding(planFor(bound('fastcgi_bind off;', '10.0.0.7')), 'socket-permission')
      expect(finding.remedies[0]).toMatchObject({value: '10.0.0.7,127.0.0.1'})
    })
  })

  it('an entry php-fpm cannot read (any) allows nothing: said, and kept', () => {
    const finding = onlyFinding(planFor(alpine('any')), 'socket-permission')
    expect(finding.summary).toContain('php-fpm ignores any (not an IP address)')
    expect(finding.remedies[0]).toMatchObject({value: 'any,127.0.0.1'})
  })

  it('nothing when nginx’s address is on the list, in whatever spelling', () => {
    for (const allowed of ['127.0.0.1', '10.0.0.7, 127.0.0.1', '::ffff:127.0.0.1'])
      expect(findingsOf(planFor(alpine(allowed)), 'socket-permission'), allowed).toEqual([])
  })

  it('a container name nginx resolves elsewhere: only php-fpm’s own drop line names the source', () => {
    const site = '/etc/nginx/http.d/default.conf'
    const byName = (fpmLog?: string) =>
      planFor(
        snapshotFromLayout('alpine-php82', {
          fpm: [
            {pool: 'www', key: 'listen', value: '9000'},
            {pool: 'www', key: 'listen.allowed_clients', value: '127.0.0.1'},
          ],
          files: {[site]: (text) => text.replace('127.0.0.1:9000', 'php:9000')},
          ...(fpmLog === undefined ? {} : {fpmLog}),
        }),
      )
    expect(findingsOf(byName(), 'socket-permission')).toEqual([])
    const drop = restampTogether(
      {
        nginx: [],
        fpm: captured('php8.2-fpm-allowed-clients.log', /said into stderr/).map((line) =>
          line.replace("'127.0.0.1'", "'172.18.0.3'"),
        ),
      },
      minutesBefore(DEFAULT_LOCAL_TIME, 1),
    )
    const finding = onlyFinding(byName(drop.fpm), 'socket-permission')
    expect(finding.remedies[0]).toMatchObject({value: '127.0.0.1,172.18.0.3'})
  })
})
