import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {GATHER_SCRIPT_VERSION} from '../../../src/gather/limits.js'
import {parseGatherOutput} from '../../../src/gather/parse-gather-output.js'
import type {RawFile} from '../../../src/model/snapshot.js'

/**
 * Captured stdout of the gather script on a Debian 12 host (nginx 1.22, php8.2-fpm, recorded by
 * test/lab/support/record-gather-captures.ts); the first word is the run's boundary.
 */
function capture(name: string): {stdout: string; boundary: string} {
  const stdout = readFileSync(new URL(`../../../fixtures/gather/${name}.txt`, import.meta.url), 'utf8')
  return {stdout, boundary: stdout.slice(0, stdout.indexOf(' '))}
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

function expectFingerprintMatchesContent(file: RawFile): void {
  expect(file.truncated).toBe(false)
  expect(file.sha256).toBe(sha256(file.content ?? ''))
}

describe('parseGatherOutput on a host with nginx and php8.2-fpm running', () => {
  const {stdout, boundary} = capture('debian12-running')
  const snapshot = parseGatherOutput(stdout, boundary)

  it('reads the host basics', () => {
    expect(snapshot).toMatchObject({
      scriptVersion: GATHER_SCRIPT_VERSION,
      complete: true,
      uid: 0,
      initSystem: 'sysv',
      selinux: 'absent',
      hasGetfacl: true,
      os: {id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)'},
    })
    expect(snapshot.localTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    expect(snapshot.utcOffset).toMatch(/^[+-]\d{4}$/)
    expect(snapshot.memory.memTotalKb).toBeGreaterThan(snapshot.memory.memAvailableKb ?? Number.POSITIVE_INFINITY)
    expect(snapshot.cpus).toBeGreaterThan(0)
    expect(snapshot.users.find((user) => user.name === 'www-data')).toMatchObject({uid: 33, gid: 33})
    expect(snapshot.groups.find((group) => group.name === 'www-data')?.gid).toBe(33)
    expect(snapshot.warnings).toEqual([])
  })

  it('finds the php8.2-fpm install with its -tt dump, config files and fingerprints', () => {
    expect(snapshot.fpmInstalls).toHaveLength(1)
    const [install] = snapshot.fpmInstalls
    expect(install).toMatchObject({
      binary: '/usr/sbin/php-fpm8.2',
      versionNumber: '8.2.36',
      serviceName: 'php8.2-fpm',
      mainConfigPath: '/etc/php/8.2/fpm/php-fpm.conf',
      mainConfigSource: 'tt',
      runningConfigPath: '/etc/php/8.2/fpm/php-fpm.conf',
      tt: {code: 0},
    })
    expect(install?.tt.output).toMatch(
      /NOTICE: configuration file \/etc\/php\/8\.2\/fpm\/php-fpm\.conf test is successful/,
    )
    expect(install?.files.map((file) => file.path)).toEqual([
      '/etc/php/8.2/fpm/php-fpm.conf',
      '/etc/php/8.2/fpm/pool.d/www.conf',
    ])
    for (const file of install?.files ?? []) expectFingerprintMatchesContent(file)
    expect(install?.files[1]?.content).toMatch(/^listen = \/run\/php\/php8\.2-fpm\.sock$/m)
    expect(install?.phpIni?.path).toBe('/etc/php/8.2/fpm/php.ini')
    expect(install?.phpIni?.content).toMatch(/^max_execution_time = \d+/m)
  })

  it('ties the master and its pool workers to the install, with users and memory', () => {
    const [install] = snapshot.fpmInstalls
    const master = install?.processes.find((process) => process.kind === 'fpm-master')
    const workers = install?.processes.filter((process) => process.kind === 'fpm-worker') ?? []
    expect(master).toMatchObject({
      user: 'root',
      fpmConfigPath: '/etc/php/8.2/fpm/php-fpm.conf',
      exe: '/usr/sbin/php-fpm8.2',
    })
    expect(workers.length).toBeGreaterThan(0)
    for (const worker of workers) {
      expect(worker).toMatchObject({
        ppid: master?.pid,
        user: 'www-data',
        group: 'www-data',
        fpmPool: 'www',
        groups: [33],
      })
      expect(worker.pssKb).toBeLessThanOrEqual(worker.rssKb ?? 0)
    }
    expect(install?.service).toMatchObject({name: 'php8.2-fpm', manager: 'sysv', active: true, running: true})
    expect(install?.service.pidFiles[0]).toMatchObject({
      path: '/run/php/php8.2-fpm.pid',
      exists: true,
      alive: true,
      pid: master?.pid,
    })
  })

  it('reads nginx: dump, verdict, fingerprinted files (symlink resolved), workers', () => {
    const nginx = snapshot.nginx
    if (!nginx.present) throw new Error('nginx missing from the capture')
    expect(nginx.version).toBe('1.22.1')
    expect(nginx.configureArgs['conf-path']).toBe('/etc/nginx/nginx.conf')
    expect(nginx.configDump.code).toBe(0)
    expect(nginx.configDump.stdout).toMatch(/^# configuration file \/etc\/nginx\/nginx\.conf:$/m)
    expect(nginx.configDump.stderr).toMatch(/test is successful/)
    expect(nginx.configFiles.map((file) => file.path)).toContain('/etc/nginx/sites-enabled/default')
    expect(nginx.configFiles.find((file) => file.path === '/etc/nginx/sites-enabled/default')).toMatchObject({
      isSymlink: true,
      linkTarget: '/etc/nginx/sites-available/default',
      realPath: '/etc/nginx/sites-available/default',
      type: 'file',
    })
    for (const file of nginx.configFiles) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(
      nginx.processes
        .filter((process) => process.kind === 'nginx-worker')
        .every((worker) => worker.user === 'www-data'),
    ).toBe(true)
    expect(nginx.service.running).toBe(true)
  })

  it('lists daemons of other mount namespaces (containers) without attaching them to this host', () => {
    const foreign = snapshot.processes.filter((process) => process.otherNamespace)
    expect(foreign.length).toBeGreaterThan(0)
    const attached = [
      ...(snapshot.nginx.present ? snapshot.nginx.processes : []),
      ...snapshot.fpmInstalls.flatMap((install) => install.processes),
    ]
    expect(attached.filter((process) => process.otherNamespace)).toEqual([])
    expect(attached.filter((process) => process.kind === 'nginx-master')).toHaveLength(1)
  })

  it('stats the pool socket and each parent directory, and sees its listener', () => {
    const socket = snapshot.sockets.find((candidate) => candidate.path === '/run/php/php8.2-fpm.sock')
    expect(socket).toMatchObject({
      exists: true,
      type: 'socket',
      owner: 'www-data',
      group: 'www-data',
      mode: '0660',
      referencedBy: ['fpm', 'scan'],
    })
    expect(socket?.acl).toEqual(['user::rw-', 'group::rw-', 'other::---'])
    expect(snapshot.dirs.map((dir) => dir.path)).toEqual(['/run/php', '/run', '/'])
    const listener = snapshot.listeners.unix.find((candidate) => candidate.path === socket?.path)
    const workerPids = snapshot.fpmInstalls[0]?.processes.map((process) => process.pid).sort()
    expect(listener?.processes.map((process) => process.pid).sort()).toEqual(workerPids)
    expect(listener?.sendQ).toBe(snapshot.somaxconn)
    expect(
      snapshot.listeners.tcp
        .filter((tcp) => tcp.port === 80)
        .map((tcp) => tcp.address)
        .sort(),
    ).toEqual(['0.0.0.0', '::'])
  })

  it('reads the state line of every service and socket as the processes and stats it gathered show them', () => {
    const masters = (kind: string) =>
      snapshot.processes
        .filter((process) => process.kind === kind && !process.otherNamespace)
        .map((process) => process.pid)
        .sort((a, b) => a - b)
    const socket = snapshot.sockets.find((candidate) => candidate.path === '/run/php/php8.2-fpm.sock')!
    expect(snapshot.states).toEqual({
      'service:nginx': `running ${masters('nginx-master').join(' ')}`,
      'service:php8.2-fpm': `running ${masters('fpm-master').join(' ')}`,
      'socket:/run/php/php8.2-fpm.sock': `socket ${socket.owner} ${socket.group} ${Number(socket.mode).toString()} ${socket.inode}`,
    })
    // nginx in a container (another mount namespace) is not this host's service.
    expect(snapshot.processes.some((process) => process.kind === 'nginx-master' && process.otherNamespace)).toBe(true)
    expect(snapshot.journal).toEqual({})
  })

  it('tails the logs the configs name and records non-file targets', () => {
    expect(snapshot.logs.map((log) => [log.source, log.path])).toEqual([
      ['nginx', '/var/log/nginx/error.log'],
      ['fpm', '/var/log/php8.2-fpm.log'],
    ])
    const fpmLog = snapshot.logs.find((log) => log.source === 'fpm')
    expect(fpmLog?.text).toMatch(/NOTICE: ready to handle connections/)
    expect(snapshot.logTargets).toEqual([{target: 'stderr', source: 'nginx'}])
  })
})

describe('parseGatherOutput on the same host with both services stopped', () => {
  const {stdout, boundary} = capture('debian12-stopped')
  const snapshot = parseGatherOutput(stdout, boundary)

  it('reports the services as down and the socket as absent, without warnings', () => {
    expect(snapshot.services.map((service) => [service.name, service.active, service.running])).toEqual([
      ['nginx', false, false],
      ['php8.2-fpm', false, false],
    ])
    expect(snapshot.fpmInstalls[0]?.processes).toEqual([])
    expect(snapshot.sockets.find((socket) => socket.path === '/run/php/php8.2-fpm.sock')).toMatchObject({
      exists: false,
      referencedBy: ['fpm'],
    })
    expect(snapshot.fpmInstalls[0]?.service).toMatchObject({manager: 'sysv', known: true, state: 'stopped'})
    expect(snapshot.states).toMatchObject({
      'service:nginx': 'stopped',
      'service:php8.2-fpm': 'stopped',
      'socket:/run/php/php8.2-fpm.sock': 'absent',
    })
  })
})

describe('parseGatherOutput on damaged output', () => {
  const {stdout, boundary} = capture('debian12-running')

  it('throws GATHER_PARSE for output with no sections', () => {
    expect(() => parseGatherOutput('bash: sh: command not found\n', boundary)).toThrow(
      expect.objectContaining({code: 'GATHER_PARSE'}),
    )
  })

  it('throws GATHER_PARSE when the boundary is not this run’s', () => {
    expect(() => parseGatherOutput(stdout, 'FPMFIXsomeotherrun000000')).toThrow(
      expect.objectContaining({code: 'GATHER_PARSE'}),
    )
  })

  it('keeps the facts that arrived when the output is cut short, and says so', () => {
    const cut = stdout.slice(0, stdout.indexOf(`${boundary} BEGIN sockref`) + 40)
    const snapshot = parseGatherOutput(cut, boundary)
    expect(snapshot.complete).toBe(false)
    expect(snapshot.warnings.join('\n')).toMatch(/ended early/)
    expect(snapshot.fpmInstalls[0]?.files).toHaveLength(2)
    expect(snapshot.logs).toEqual([])
  })

  it('leaves the state lines and the journal out when the output ends before them', () => {
    const cut = stdout.slice(0, stdout.indexOf(`${boundary} BEGIN states`))
    const snapshot = parseGatherOutput(cut, boundary)
    expect(snapshot.states).toBeUndefined()
    expect(snapshot.journal).toBeUndefined()
    const inJournal = parseGatherOutput(stdout.slice(0, stdout.indexOf(`${boundary} END journal`)), boundary)
    expect(inJournal.states).toBeDefined()
    expect(inJournal.journal).toBeUndefined()
  })

  it('treats missing sections as absent facts', () => {
    const withoutNginx = stdout.replace(new RegExp(`${boundary} BEGIN nginx [^]*?${boundary} END nginx - -\\n`), '')
    const snapshot = parseGatherOutput(withoutNginx, boundary)
    expect(snapshot.nginx).toEqual({present: false})
    expect(snapshot.fpmInstalls).toHaveLength(1)
  })
})
