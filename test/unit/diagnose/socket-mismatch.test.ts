import {describe, expect, it} from 'vitest'

import {findFastcgiPasses, findUpstreams, formatNginxAddress, parseNginxDump} from '../../../src/nginx/index.js'
import type {HostSnapshot} from '../../../src/model/snapshot.js'
import {
  DEFAULT_LOCAL_TIME,
  poolAddress,
  PACKAGED_LAYOUTS,
  snapshotFromLayout,
} from '../../support/snapshot-from-layout.js'
import {captured, lines, minutesBefore, restamp} from './support/captured-logs.js'
import {changeOf, findingsOf, lineEdit, nginxAfter, onlyFinding, planFor, problems} from './support/pipeline.js'

const LEGACY_ENABLED = '/etc/nginx/sites-enabled/legacy.example.com'
const LEGACY_AVAILABLE = '/etc/nginx/sites-available/legacy.example.com'

function passesIn(snapshot: HostSnapshot, file: string) {
  if (!snapshot.nginx.present) throw new Error('no nginx')
  return findFastcgiPasses(parseNginxDump(snapshot.nginx.configDump.stdout)).filter((pass) => pass.file === file)
}

describe('socket-mismatch', () => {
  describe('Debian after a PHP upgrade: nginx still sends to 8.1, only 8.2 is installed', () => {
    const missing = restamp(
      captured('nginx-error-mixed.log', /\(2: No such file or directory\)/),
      minutesBefore(DEFAULT_LOCAL_TIME, 1),
    ).map((line) => line.replaceAll('php8.2-fpm.sock', 'php8.1-fpm.sock'))
    const snapshot = snapshotFromLayout('debian-multi-php', {installs: ['php8.2-fpm'], nginxLog: lines(missing)})
    const plan = planFor(snapshot)
    const www82 = poolAddress(snapshot, 'php8.2-fpm', 'www')

    it('is critical, names the live 8.2 pool, and cites the 8.1 connect failures', () => {
      const finding = onlyFinding(plan, 'socket-mismatch')
      expect(finding.severity).toBe('critical')
      expect(finding.summary).toContain('nginx sends to unix:/run/php/php8.1-fpm.sock, where no php-fpm pool listens')
      expect(finding.summary).toContain(`listens at unix:${www82.kind === 'unix' ? www82.path : ''}`)
      expect(finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)).toEqual(missing)
      expect(findingsOf(plan, 'fpm-down')).toEqual([])
    })

    it('rewrites that fastcgi_pass in the sites-available file the symlink points at, and nothing else', () => {
      expect(plan.changes.map((change) => [change.path, change.viaSymlink])).toEqual([
        [LEGACY_AVAILABLE, LEGACY_ENABLED],
      ])
      const change = changeOf(plan, LEGACY_AVAILABLE)
      const [pass] = passesIn(snapshot, LEGACY_ENABLED)
      const {replaced} = lineEdit(change.before, change.after)
      expect(replaced.map((line) => line.line)).toEqual([pass!.line])
      expect(change.diff.split('\n').slice(0, 3)).toEqual([
        `diff --git a${LEGACY_AVAILABLE} b${LEGACY_AVAILABLE}`,
        `--- a${LEGACY_AVAILABLE}`,
        `+++ b${LEGACY_AVAILABLE}`,
      ])
    })

    it('after the edit nginx sends the legacy site to the 8.2 www pool', () => {
      const after = findFastcgiPasses(nginxAfter(snapshot, plan)).filter((pass) => pass.file === LEGACY_ENABLED)
      expect(after.map((pass) => pass.target)).toEqual([www82])
    })

    it('reloads nginx only', () => {
      expect(plan.actions.map(({service, action}) => ({service, action}))).toEqual([
        {service: 'nginx', action: 'reload'},
      ])
    })

    it('with 8.1 still installed but stopped it is fpm-down instead: its pool is what nginx means', () => {
      const stopped = planFor(snapshotFromLayout('debian-multi-php', {stopped: ['php8.1-fpm']}))
      expect(findingsOf(stopped, 'socket-mismatch')).toEqual([])
      expect(onlyFinding(stopped, 'fpm-down').scope.pool?.install).toBe('/usr/sbin/php-fpm8.1')
    })
  })

  describe('RHEL: the pool moved to TCP, the upstream block still names the socket', () => {
    const upstreamFile = '/etc/nginx/conf.d/php-fpm.conf'
    const snapshot = snapshotFromLayout('rhel-remi', {
      fpm: [{pool: 'www', key: 'listen', value: '127.0.0.1:9000'}],
      files: {
        [upstreamFile]: (text) =>
          text.replace(
            'server unix:/run/php-fpm/www.sock;',
            'server unix:/run/php-fpm/www.sock max_fails=3 fail_timeout=30s;',
          ),
      },
    })
    const plan = planFor(snapshot)

    it('edits the server line of the upstream, keeping its parameters', () => {
      const finding = onlyFinding(plan, 'socket-mismatch')
      expect(finding.evidence[0]).toMatchObject({
        kind: 'config',
        text: 'upstream php-fpm server unix:/run/php-fpm/www.sock',
      })
      expect(plan.changes.map((change) => change.path)).toEqual([upstreamFile])
      const before = findUpstreams(parseNginxDump(snapshot.nginx.present ? snapshot.nginx.configDump.stdout : '')).get(
        'php-fpm',
      )!
      const after = findUpstreams(nginxAfter(snapshot, plan)).get('php-fpm')!
      expect(after.servers).toHaveLength(1)
      expect(after.servers[0]!.address).toEqual({kind: 'tcp', host: '127.0.0.1', port: 9000})
      expect(after.servers[0]!.params).toEqual(before.servers[0]!.params)
      expect(after.servers[0]!.params).toEqual({max_fails: '3', fail_timeout: '30s'})
      const {replaced} = lineEdit(changeOf(plan, upstreamFile).before, changeOf(plan, upstreamFile).after)
      expect(replaced.map((line) => line.line)).toEqual([before.servers[0]!.line])
    })

    it('and the location that uses the upstream is untouched', () => {
      expect(plan.changes.some((change) => change.path.includes('default.d'))).toBe(false)
    })
  })

  it('Alpine: php-fpm82 moved to port 9001 → fastcgi_pass follows it', () => {
    const site = '/etc/nginx/http.d/default.conf'
    const snapshot = snapshotFromLayout('alpine-php82', {fpm: [{pool: 'www', key: 'listen', value: '127.0.0.1:9001'}]})
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'socket-mismatch')
    expect(finding.summary).toContain('nginx sends to 127.0.0.1:9000, where no php-fpm pool listens')
    expect(finding.evidence).toContainEqual({kind: 'listener', text: 'no TCP listener on port 9000'})
    const after = findFastcgiPasses(nginxAfter(snapshot, plan)).filter((pass) => pass.file === site)
    expect(after.map((pass) => pass.target)).toEqual([{kind: 'tcp', host: '127.0.0.1', port: 9001}])
    const {replaced} = lineEdit(changeOf(plan, site).before, changeOf(plan, site).after)
    expect(replaced.map((line) => line.line)).toEqual(passesIn(snapshot, site).map((pass) => pass.line))
    expect(replaced[0]!.to).toMatch(/^\t\tfastcgi_pass {6}127\.0\.0\.1:9001;\n$/)
  })

  it('two live pools of the newest version and neither matches by name → no edit, and it says so', () => {
    const snapshot = snapshotFromLayout('debian-multi-php', {
      installs: ['php8.2-fpm'],
      files: {[LEGACY_ENABLED]: (text) => text.replace('php8.1-fpm.sock', 'php8.1-fpm-legacy.sock')},
    })
    const plan = planFor(snapshot)
    const finding = onlyFinding(plan, 'socket-mismatch')
    expect(finding.summary).toMatch(
      /several live pools could be meant \(.*www at unix:\/run\/php\/php8\.2-fpm\.sock.*\) — not guessing/,
    )
    expect(finding.summary).toContain('shop at unix:/run/php/php8.2-fpm-shop.sock')
    expect(finding.remedies).toEqual([])
    expect(plan.changes).toEqual([])
    expect(plan.actions).toEqual([])
    expect(plan.notes.some((note) => note.startsWith('socket-mismatch'))).toBe(true)
  })

  describe('the apps layout (real-world site configs) on a php8.2-fpm host', () => {
    const plan = planFor(snapshotFromLayout('apps'))

    it('/var/run/php/… and Debian’s php-fpm.sock link name the live socket: no mismatch', () => {
      const labels = findingsOf(plan, 'socket-mismatch').map((finding) => finding.scope.label)
      expect(labels.some((label) => label.includes('sites-enabled/laravel'))).toBe(false)
      expect(labels.some((label) => label.includes('sites-enabled/symfony'))).toBe(false)
      expect(plan.changes.map((change) => change.path)).not.toContain('/etc/nginx/sites-available/laravel')
    })

    it('a dead value of a map behind `fastcgi_pass $var` is reported without rewriting the variable away', () => {
      const mapped = findingsOf(plan, 'socket-mismatch').filter(
        (finding) => finding.scope.nginx?.file === '/etc/nginx/sites-enabled/multi-tenant',
      )
      expect(mapped.map((finding) => finding.scope.label.split(' → ')[1]?.split(' ')[0])).toEqual([
        'unix:/run/php/php7.4-fpm.sock',
        '127.0.0.1:9083',
      ])
      for (const finding of mapped) {
        expect(finding.summary).toContain('the address comes from $php_backend')
        expect(finding.remedies).toEqual([])
      }
      expect(plan.changes.map((change) => change.path)).not.toContain('/etc/nginx/sites-available/multi-tenant')
    })
  })

  describe('one finding per broken address, listing every place that sends there', () => {
    const upstreamFile = '/etc/nginx/conf.d/php-fpm.conf'
    const snapshot = snapshotFromLayout('rhel-remi', {
      fpm: [{pool: 'www', key: 'listen', value: '127.0.0.1:9000'}],
      files: {
        [upstreamFile]: (text) =>
          `${text}\nserver {\n\tlisten 8080;\n\tserver_name shop.example.com;\n` +
          '\tlocation /a/ {\n\t\tfastcgi_pass php-fpm;\n\t}\n\tlocation /b/ {\n\t\tfastcgi_pass php-fpm;\n\t}\n}\n',
      },
    })
    const plan = planFor(snapshot)

    it('an upstream used by three locations is one finding naming all three, and one edit', () => {
      const finding = onlyFinding(plan, 'socket-mismatch')
      expect(finding.scope.label).toMatch(/^unix:\/run\/php-fpm\/www\.sock ← /)
      for (const location of ['location /a/', 'location /b/', 'location ~ \\.php$'])
        expect(finding.scope.label).toContain(location)
      expect(finding.evidence.filter((item) => item.text.startsWith('upstream php-fpm server'))).toHaveLength(1)
      expect(plan.changes.map((change) => change.path)).toEqual([upstreamFile])
      const after = findUpstreams(nginxAfter(snapshot, plan)).get('php-fpm')!
      expect(after.servers.map((server) => server.address)).toEqual([{kind: 'tcp', host: '127.0.0.1', port: 9000}])
    })
  })

  describe('IPv6 loopback is not IPv4 loopback', () => {
    const site = '/etc/nginx/http.d/default.conf'
    const snapshot = snapshotFromLayout('alpine-php82', {fpm: [{pool: 'www', key: 'listen', value: '[::1]:9000'}]})
    const plan = planFor(snapshot)

    it('a pool on [::1]:9000 does not serve nginx’s 127.0.0.1:9000: mismatch, and nginx follows the pool', () => {
      expect(snapshot.listeners.tcp.map((listener) => `${listener.address}:${listener.port}`)).toContain('::1:9000')
      const finding = onlyFinding(plan, 'socket-mismatch')
      expect(finding.summary).toContain('nginx sends to 127.0.0.1:9000, where no php-fpm pool listens')
      expect(finding.summary).toContain('listens at [::1]:9000')
      const after = findFastcgiPasses(nginxAfter(snapshot, plan)).filter((pass) => pass.file === site)
      expect(after.map((pass) => pass.target)).toEqual([{kind: 'tcp', host: '::1', port: 9000}])
      expect(changeOf(plan, site).after).toMatch(/fastcgi_pass +\[::1\]:9000;/)
    })

    it('fastcgi_pass localhost:9000 reaches it (nginx tries both loopbacks)', () => {
      const localhost = snapshotFromLayout('alpine-php82', {
        fpm: [{pool: 'www', key: 'listen', value: '[::1]:9000'}],
        files: {[site]: (text) => text.replace('127.0.0.1:9000', 'localhost:9000')},
      })
      expect(findingsOf(planFor(localhost), 'socket-mismatch')).toEqual([])
    })
  })

  describe('fastcgi_pass $var given by a literal set', () => {
    const api = '/etc/nginx/sites-enabled/api'
    const dead = 'unix:/run/php/php8.1-fpm.sock'
    const withSets = (edit: (text: string) => string) =>
      planFor(
        snapshotFromLayout('apps', {
          files: {[api]: (text) => edit(text.replace('unix:/run/php/php8.2-fpm.sock', dead))},
        }),
      )

    it('rewrites the set to the live pool, and nothing else', () => {
      const plan = withSets((text) => text)
      const finding = findingsOf(plan, 'socket-mismatch').find((candidate) => candidate.scope.nginx?.file === api)!
      expect(finding.summary).toContain(`nginx sends to ${dead}`)
      expect(finding.remedies).toContainEqual(
        expect.objectContaining({kind: 'nginx-set', file: api, line: 7, directive: 'set'}),
      )
      const change = plan.changes.find((candidate) => candidate.before.includes('set $upstream'))!
      const {replaced} = lineEdit(change.before, change.after)
      expect(replaced).toEqual([
        {line: 7, from: `\tset $upstream ${dead};\n`, to: '\tset $upstream unix:/run/php/php8.2-fpm.sock;\n'},
      ])
    })

    it('rewrites every set reaching the location when each names the dead address', () => {
      const plan = withSets((text) =>
        text.replace(
          '\t\tfastcgi_pass $upstream;',
          `\t\tif ($arg_legacy) {\n\t\t\tset $upstream ${dead};\n\t\t}\n\t\tfastcgi_pass $upstream;`,
        ),
      )
      const finding = findingsOf(plan, 'socket-mismatch').find((candidate) => candidate.scope.nginx?.file === api)!
      expect(finding.remedies.filter((remedy) => remedy.kind === 'nginx-set').map((remedy) => remedy.line)).toEqual([
        7, 16,
      ])
    })

    it('refuses, saying why, when the sets give the variable several values', () => {
      const plan = withSets((text) =>
        text.replace(
          '\t\tfastcgi_pass $upstream;',
          '\t\tif ($arg_legacy) {\n\t\t\tset $upstream unix:/run/php/php8.2-fpm.sock;\n\t\t}\n\t\tfastcgi_pass $upstream;',
        ),
      )
      const finding = findingsOf(plan, 'socket-mismatch').find((candidate) => candidate.scope.nginx?.file === api)!
      expect(finding.summary).toMatch(/\$upstream is set to several values .* not guessing/)
      expect(finding.remedies).toEqual([])
    })

    it('refuses an address built from variables', () => {
      const plan = withSets((text) =>
        text.replace(
          `set $upstream ${dead};`,
          'set $sockdir /run/php;\n\tset $upstream unix:$sockdir/php8.1-fpm.sock;',
        ),
      )
      const finding = findingsOf(plan, 'socket-mismatch').find((candidate) => candidate.scope.nginx?.file === api)!
      expect(finding.summary).toContain('$upstream is set from other variables')
      expect(finding.remedies).toEqual([])
    })
  })

  describe('negative', () => {
    it.each(PACKAGED_LAYOUTS)('healthy %s: no mismatch', (layout) => {
      expect(findingsOf(planFor(snapshotFromLayout(layout)), 'socket-mismatch')).toEqual([])
    })

    it('a TCP pool listening on all addresses matches nginx’s host name for it (docker: php:9000 → listen = 9000)', () => {
      const snapshot = snapshotFromLayout('docker-php-fpm')
      const passes = findFastcgiPasses(parseNginxDump(snapshot.nginx.present ? snapshot.nginx.configDump.stdout : ''))
      expect(passes.map((pass) => (pass.target.kind === 'tcp' ? formatNginxAddress(pass.target) : pass.raw))).toEqual([
        'php:9000',
      ])
      expect(problems(planFor(snapshot))).toEqual([])
    })
  })

  describe('nginx sends to a port where something that is not FastCGI answers (real capture: an HTTP server)', () => {
    const SITE = '/etc/nginx/sites-enabled/default'
    const SITE_TARGET = '/etc/nginx/sites-available/default'
    const notFastcgi = restamp(captured('nginx-error-not-fastcgi.log'), minutesBefore(DEFAULT_LOCAL_TIME, 1)).map(
      (line) => line.replaceAll('127.0.0.1:14561', '127.0.0.1:8080'),
    )
    const passingTo8080 = (program: string, nginxLog?: string) =>
      snapshotFromLayout('debian-php82', {
        files: {
          [SITE]: (text) => text.replace('fastcgi_pass unix:/run/php/php8.2-fpm.sock;', 'fastcgi_pass 127.0.0.1:8080;'),
        },
        ...(nginxLog === undefined ? {} : {nginxLog}),
        edit: (host) =>
          host.listeners.tcp.push({address: '127.0.0.1', port: 8080, processes: [{name: program, pid: 4242, fd: 4}]}),
      })

    it('is the mismatch, naming what answers there and nginx’s protocol error, and points nginx at the live pool', () => {
      const plan = planFor(passingTo8080('apache2', lines(notFastcgi)))
      const finding = onlyFinding(plan, 'socket-mismatch')
      expect(finding.summary).toMatch(
        /^nginx sends to 127\.0\.0\.1:8080, where no php-fpm pool listens \(apache2 answers there, not in FastCGI\); the live pool www/,
      )
      expect(finding.evidence).toContainEqual({kind: 'listener', text: '127.0.0.1:8080 is answered by apache2'})
      expect(finding.evidence.filter((item) => item.kind === 'log').map((item) => item.text)).toEqual(notFastcgi)
      expect(changeOf(plan, SITE_TARGET).diff).toContain('+\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;')
      expect(problems(plan).map((item) => item.id)).toEqual(['socket-mismatch'])
    })

    it('nothing without nginx saying so: a container’s php-fpm behind a proxy listens through another program', () => {
      expect(findingsOf(planFor(passingTo8080('docker-proxy')), 'socket-mismatch')).toEqual([])
    })
  })
})
