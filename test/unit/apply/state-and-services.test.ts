import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {
  DETECT_MANAGER_FUNCTION,
  canonicalState,
  directFpmCommand,
  directNginxCommand,
  fpmBinaryMatchesService,
  fpmServiceNameFor,
  managedServiceCommand,
  parseStateKey,
  serviceCommand,
  stateFingerprintSha256,
  stateProbe,
} from '../../../src/apply/index.js'
import {serviceControlFunction} from '../../../src/apply/service-manager.js'
import {sha256} from './support.js'

function sh(script: string): {status: number | null; stdout: string} {
  const result = spawnSync('dash', ['-c', script], {env: {PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C'}})
  return {status: result.status, stdout: result.stdout.toString()}
}

describe('state probes', () => {
  it('prints a socket as type, owner, group, mode and inode, or absent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fpmfix-state-'))
    const path = join(dir, "php fpm's.sock")
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(path, resolve))
    try {
      const stat = statSync(path)
      const group = spawnSync('id', ['-gn']).stdout.toString().trim()
      expect(sh(stateProbe(`socket:${path}`)).stdout).toBe(
        `socket ${userInfo().username} ${group} ${(stat.mode & 0o7777).toString(8)} ${stat.ino}\n`,
      )
      expect(sh(stateProbe(`socket:${join(dir, 'missing.sock')}`)).stdout).toBe('absent\n')
    } finally {
      server.close()
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('prints a service as stopped or running with its master pids, in valid sh for every service name shape', () => {
    for (const service of ['php8.2-fpm', 'php-fpm82', 'php74-php-fpm', 'nginx']) {
      const output = sh(stateProbe(`service:${service}`))
      expect(output.status).toBe(0)
      expect(output.stdout).toMatch(/^(stopped|running( \d+)+)\n$/)
    }
  })

  it('hashes exactly what sh $(…) keeps of the output', () => {
    expect(canonicalState('socket:/run/a.sock', 'socket www-data www-data 660 12\n\n')).toBe(
      'socket www-data www-data 660 12',
    )
    expect(stateFingerprintSha256('service:nginx', 'running 81\n')).toBe(sha256('running 81'))
    const fromSh = sh("printf '%s' \"$(printf 'running 81\\n\\n')\" | sha256sum").stdout.split(' ')[0]
    expect(stateFingerprintSha256('service:nginx', 'running 81\n\n')).toBe(fromSh)
  })

  it('rejects keys it cannot probe', () => {
    expect(() => parseStateKey('socket:relative.sock')).toThrow(/absolute path/)
    expect(() => parseStateKey('service:php-fpm; reboot')).toThrow(/invalid service name/)
    expect(() => parseStateKey('port:9000')).toThrow(/unknown state fingerprint key/)
  })
})

describe('service managers', () => {
  it('builds each manager command for the real service names', () => {
    expect(managedServiceCommand('systemd', 'php-fpm', 'reload')).toBe('systemctl reload php-fpm.service')
    expect(managedServiceCommand('openrc', 'php-fpm82', 'restart')).toBe('rc-service php-fpm82 restart')
    expect(managedServiceCommand('sysv', 'php8.2-fpm', 'start')).toBe(
      'if command -v service >/dev/null 2>&1; then service php8.2-fpm start; else /etc/init.d/php8.2-fpm start; fi',
    )
    expect(managedServiceCommand('systemd', 'php74-php-fpm', 'stop')).toBe('systemctl stop php74-php-fpm.service')
  })

  it('controls php-fpm and nginx directly without a manager', () => {
    expect(
      directFpmCommand('start', {binary: '/usr/local/sbin/php-fpm', mainConfig: '/usr/local/etc/php-fpm.conf'}),
    ).toBe('/usr/local/sbin/php-fpm -D -y /usr/local/etc/php-fpm.conf </dev/null')
    expect(directFpmCommand('reload', {binary: '/usr/local/sbin/php-fpm'})).toBe('kill -USR2 $O_MASTER')
    expect(directFpmCommand('restart', {binary: '/usr/sbin/php-fpm'})).toBe(
      'kill -QUIT $O_MASTER && masters_gone && /usr/sbin/php-fpm -D </dev/null',
    )
    expect(directNginxCommand('reload', {config: '/etc/nginx/nginx.conf'})).toBe(
      'nginx -c /etc/nginx/nginx.conf -s reload',
    )
    expect(serviceCommand({kind: 'nginx', service: 'nginx', nginx: {}}, 'none', 'start')).toBe('nginx </dev/null')
  })

  it('maps php-fpm binaries to their service names', () => {
    expect(fpmServiceNameFor('/usr/sbin/php-fpm8.2')).toBe('php8.2-fpm')
    expect(fpmServiceNameFor('/usr/sbin/php-fpm82')).toBe('php-fpm82')
    expect(fpmServiceNameFor('/opt/remi/php74/root/usr/sbin/php-fpm')).toBe('php74-php-fpm')
    expect(fpmServiceNameFor('/usr/sbin/php-fpm')).toBe('php-fpm')
    expect(fpmBinaryMatchesService('/usr/sbin/php-fpm8.2', 'php8.2-fpm')).toBe(true)
    expect(fpmBinaryMatchesService('/usr/sbin/php-fpm8.1', 'php8.2-fpm')).toBe(false)
    expect(fpmBinaryMatchesService('/opt/remi/php74/root/usr/sbin/php-fpm', 'php74-php-fpm')).toBe(true)
  })

  it('dispatches verb and manager in one sh function, refusing anything else', () => {
    const control = serviceControlFunction(
      'ctl',
      {kind: 'php-fpm', service: 'php8.2-fpm', fpm: {binary: '/usr/sbin/php-fpm8.2'}},
      ['reload'],
    )
    const run = (args: string): string =>
      sh(`${control}\nsystemctl() { echo "systemctl $*"; }\nkill() { echo "kill $*"; }\nO_MASTER=42\nctl ${args}`)
        .stdout
    expect(run('reload systemd')).toBe('systemctl reload php8.2-fpm.service\n')
    expect(run('reload none')).toBe('kill -USR2 42\n')
    expect(run('stop systemd')).toBe('cannot stop under service manager systemd\n')
  })

  it('detects none for an unknown service, and SysV for an init script on a host without systemd', () => {
    expect(sh(`${DETECT_MANAGER_FUNCTION}\nsvc_manager fpmfix-no-such-service`).stdout).toBe('none\n')
    const initScript = ['nginx', 'php8.2-fpm'].find((name) => existsSync(`/etc/init.d/${name}`))
    if (initScript !== undefined && !existsSync('/run/systemd/system')) {
      expect(sh(`${DETECT_MANAGER_FUNCTION}\nsvc_manager ${initScript}`).stdout).toBe('sysv\n')
    }
  })
})
