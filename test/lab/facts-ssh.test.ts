import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {FPM_SOCKET, LAB_SITE_ENABLED, type Lab, type LabHost, startLab} from './lab/index.js'
import {generateEd25519Key} from './lab/keys.js'
import {type FactsDocument, hostEntry, snapshotOf} from './support/facts-document.js'
import {acceptedLogins, hostKeyFingerprint, keyMaterial, sshdLinesAfter, sshdLog} from './support/host-evidence.js'
import {writeInventory} from './support/inventory-writer.js'
import {refusedPort, silentListener} from './support/net-fixtures.js'
import {buildCli} from './support/plan-helpers.js'
import {describeRun, runCli} from './support/run-cli.js'

const EXIT_OK = 0
const EXIT_HOSTS_FAILED = 3
const EXIT_UNREACHABLE = 8
const EXIT_USAGE = 64

/** sshd's last word on a connection that never logged in. */
const isPreauthEnd = (line: string): boolean => line.includes('[preauth]')

describe('fpmfix facts over real SSH', () => {
  let lab: Lab
  /** A one-host lab whose host is stopped in a test, to be a dead host. */
  let doomed: Lab
  let work: string
  let build: Promise<Error | undefined>
  let hosts: LabHost[]

  const facts = (args: string[], timeoutMs = 45_000) => runCli<FactsDocument>(['facts', ...args], {timeoutMs})
  const knownHostsFile = async (name: string, lines: readonly string[]): Promise<string> => {
    const file = path.join(work, name)
    await writeFile(file, lines.map((line) => `${line}\n`).join(''))
    return file
  }

  beforeAll(async () => {
    build = buildCli().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    )
    work = await mkdtemp(path.join(tmpdir(), 'fpmfix-facts-'))
    ;[lab, doomed] = await Promise.all([
      startLab({hosts: 3, namePrefix: 'facts'}),
      startLab({hosts: 1, namePrefix: 'doomed'}),
    ])
    hosts = lab.hosts
    const buildError = await build
    if (buildError) throw buildError
  })

  afterAll(async () => {
    await Promise.all([lab?.stop(), doomed?.stop()])
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('gathers three hosts at once, each its own snapshot with php-fpm, its socket and nginx -T', async () => {
    const run = await facts(['-i', lab.inventoryPath, 'all', '--known-hosts', lab.knownHostsPath, '--json'])
    expect(run.code, describeRun(run)).toBe(EXIT_OK)
    expect(run.stderr, 'no progress output with --json').toBe('')
    expect(run.json?.hosts.map((entry) => [entry.name, entry.status])).toEqual(hosts.map((host) => [host.name, 'ok']))
    expect(run.json?.summary).toMatchObject({hosts: 3, gathered: 3, failed: 0})

    for (const host of hosts) {
      const snapshot = snapshotOf(run.json, host.name)
      expect(snapshot.hostname).toBe(host.name)
      expect(snapshot.uid).toBe(0)
      expect(snapshot.complete).toBe(true)

      const [install, ...otherInstalls] = snapshot.fpmInstalls
      expect(otherInstalls).toEqual([])
      expect(install?.binary).toBe('/usr/sbin/php-fpm8.2')
      expect(install?.tt.code).toBe(0)
      expect(install?.files.map((file) => file.path)).toContain('/etc/php/8.2/fpm/pool.d/www.conf')
      expect(install?.processes.some((process) => process.kind === 'fpm-master')).toBe(true)
      const socket = snapshot.sockets.find((entry) => entry.path === FPM_SOCKET)
      expect(socket).toMatchObject({exists: true, type: 'socket', owner: 'www-data'})
      expect(socket?.referencedBy).toEqual(expect.arrayContaining(['nginx', 'fpm']))
      expect(snapshot.listeners.unix.map((listener) => listener.path)).toContain(FPM_SOCKET)

      // The dump must be this host's own nginx -T, byte for byte.
      if (!snapshot.nginx.present) throw new Error(`${host.name}: nginx not found`)
      const dump = await host.exec('nginx -T 2>/dev/null')
      expect(snapshot.nginx.configDump.code).toBe(0)
      expect(snapshot.nginx.configDump.stdout).toBe(dump.stdout)
      expect(snapshot.nginx.configDump.stdout).toContain(`# configuration file ${LAB_SITE_ENABLED}:`)
      expect(snapshot.nginx.configDump.stdout).toContain(`listen 127.0.0.1:${host.httpPort};`)
    }
  })

  it('prints one block per host and a summary on stdout, and progress on stderr only', async () => {
    const run = await facts(['-i', lab.inventoryPath, 'all', '--known-hosts', lab.knownHostsPath])
    expect(run.code, describeRun(run)).toBe(EXIT_OK)
    const titles = run.stdout.split('\n').filter((line) => line.startsWith('── '))
    expect(titles).toEqual(hosts.map((host) => `── ${host.name} (127.0.0.1) ──`))
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('3 hosts: 3 gathered, 0 failed')
    expect(run.stdout).toContain(`socket    ${FPM_SOCKET} socket www-data:www-data`)
    expect(run.stdout).not.toContain('\u001b[')
    expect(run.stdout).not.toMatch(/[✔❯›]/)
    for (const host of hosts) expect(run.stderr).toContain(`✔ ${host.name}`)
  })

  it('refuses hosts whose key is not in known_hosts, with the fingerprint, before logging in', async () => {
    const empty = await knownHostsFile('empty_known_hosts', [])
    const before = await Promise.all(hosts.map((host) => sshdLog(host)))

    const run = await facts(['-i', lab.inventoryPath, 'all', '--known-hosts', empty, '--json'])

    expect(run.code, describeRun(run)).toBe(EXIT_UNREACHABLE)
    for (const [index, host] of hosts.entries()) {
      const entry = hostEntry(run.json, host.name)
      expect(entry.status).toBe('failed')
      expect(entry.facts).toBeUndefined()
      expect(entry.error?.code).toBe('SSH_HOSTKEY_UNKNOWN')
      expect(entry.error?.message).toContain(await hostKeyFingerprint(host.hostKeyLine))
      expect(entry.error?.hint).toContain('--accept-new-host-keys')

      const fresh = await sshdLinesAfter(host, before[index]!.length, isPreauthEnd)
      expect(fresh.some(isPreauthEnd), `sshd saw the attempt on ${host.name}:\n${fresh.join('\n')}`).toBe(true)
      expect(acceptedLogins(fresh)).toEqual([])
    }
    expect(await readFile(empty, 'utf8')).toBe('')
  })

  it('records first-seen host keys with --accept-new-host-keys, then trusts them without the flag', async () => {
    const file = await knownHostsFile('accept_known_hosts', [])
    const first = await facts([
      '-i',
      lab.inventoryPath,
      'all',
      '--known-hosts',
      file,
      '--accept-new-host-keys',
      '--json',
    ])
    expect(first.code, describeRun(first)).toBe(EXIT_OK)

    const recorded = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '')
    expect([...recorded].sort()).toEqual(hosts.map((host) => host.hostKeyLine).sort())

    const second = await facts(['-i', lab.inventoryPath, 'all', '--known-hosts', file, '--json'])
    expect(second.code, describeRun(second)).toBe(EXIT_OK)
    expect(second.json?.hosts.map((entry) => entry.status)).toEqual(['ok', 'ok', 'ok'])
    expect((await readFile(file, 'utf8')).split('\n').filter((line) => line !== '')).toEqual(recorded)
  })

  it('refuses a host whose key changed and still gathers the others', async () => {
    const [changed, impostor, untouched] = hosts as [LabHost, LabHost, LabHost]
    const file = await knownHostsFile('changed_known_hosts', [
      `[127.0.0.1]:${changed.sshPort} ${keyMaterial(impostor.hostKeyLine)}`,
      impostor.hostKeyLine,
      untouched.hostKeyLine,
    ])
    const before = (await sshdLog(changed)).length

    const run = await facts(['-i', lab.inventoryPath, 'all', '--known-hosts', file, '--json'])

    expect(run.code, describeRun(run)).toBe(EXIT_HOSTS_FAILED)
    const failure = hostEntry(run.json, changed.name)
    expect(failure.status).toBe('failed')
    expect(failure.error?.code).toBe('SSH_HOSTKEY_CHANGED')
    expect(failure.error?.message).toContain(await hostKeyFingerprint(changed.hostKeyLine))
    expect(failure.error?.message).toContain(await hostKeyFingerprint(impostor.hostKeyLine))
    expect(snapshotOf(run.json, impostor.name).hostname).toBe(impostor.name)
    expect(snapshotOf(run.json, untouched.name).hostname).toBe(untouched.name)
    const fresh = await sshdLinesAfter(changed, before, isPreauthEnd)
    expect(acceptedLogins(fresh)).toEqual([])
  })

  it('reports a wrong key, a refused port, a dead host and a silent one, each on its own, next to a healthy host', async () => {
    const [keyHost, healthy] = hosts as [LabHost, LabHost]
    const wrongKey = path.join(work, 'unauthorized_ed25519')
    await generateEd25519Key(wrongKey, 'not-authorized-anywhere')
    const dead = doomed.hosts[0]!
    await dead.stop()
    const silent = await silentListener()
    try {
      const inventory = await writeInventory(path.join(work, 'broken.ini'), {
        broken: [
          {name: 'wrong-key', port: keyHost.sshPort, user: 'root', keyFile: wrongKey},
          {name: 'refused', port: await refusedPort(), user: 'root', keyFile: lab.clientKeyPath},
          {name: 'dead', port: dead.sshPort, user: 'root', keyFile: lab.clientKeyPath},
          {name: 'silent', port: silent.port, user: 'root', keyFile: lab.clientKeyPath},
          {name: 'healthy', port: healthy.sshPort, user: 'root', keyFile: lab.clientKeyPath},
        ],
      })
      const before = (await sshdLog(keyHost)).length

      const run = await facts([
        '-i',
        inventory,
        'broken',
        '--known-hosts',
        lab.knownHostsPath,
        '--connect-timeout',
        '2',
        '--json',
      ])

      expect(run.code, describeRun(run)).toBe(EXIT_HOSTS_FAILED)
      expect(run.json?.summary).toMatchObject({hosts: 5, gathered: 1, failed: 4})
      const outcome = (name: string) => {
        const entry = hostEntry(run.json, name)
        return {status: entry.status, code: entry.error?.code}
      }
      expect({
        wrongKey: outcome('wrong-key'),
        refused: outcome('refused'),
        dead: outcome('dead'),
        silent: outcome('silent'),
        healthy: outcome('healthy'),
      }).toEqual({
        wrongKey: {status: 'failed', code: 'SSH_AUTH_FAILED'},
        refused: {status: 'failed', code: 'SSH_CONNECT_REFUSED'},
        dead: {status: 'failed', code: 'SSH_CONNECT_REFUSED'},
        silent: {status: 'failed', code: 'SSH_CONNECT_TIMEOUT'},
        healthy: {status: 'ok', code: undefined},
      })
      expect(hostEntry(run.json, 'wrong-key').error?.message).toContain(wrongKey)
      expect(hostEntry(run.json, 'dead').error?.message).toContain(`:${dead.sshPort}`)
      expect(hostEntry(run.json, 'silent').error?.message).toContain(`:${silent.port}`)
      expect(snapshotOf(run.json, 'healthy').hostname).toBe(healthy.name)

      // The silent host was connected to and waited on for --connect-timeout, not more.
      expect(silent.accepted).toBeGreaterThanOrEqual(1)
      const silentMs = hostEntry(run.json, 'silent').durationMs
      expect(silentMs).toBeGreaterThanOrEqual(1_900)
      expect(silentMs).toBeLessThan(8_000)
      expect(hostEntry(run.json, 'refused').durationMs).toBeLessThan(1_500)

      const fresh = await sshdLinesAfter(keyHost, before, isPreauthEnd)
      expect(
        fresh.some((line) => line.includes('authenticating user root') && isPreauthEnd(line)),
        fresh.join('\n'),
      ).toBe(true)
      expect(acceptedLogins(fresh)).toEqual([])
    } finally {
      await silent.close()
    }
  })

  it('gathers as root through passwordless sudo, refuses sudo that wants a password at once, and reads what it can without become', async () => {
    const [deployHost, limitedHost, plainHost] = hosts as [LabHost, LabHost, LabHost]
    const inventory = await writeInventory(path.join(work, 'sudo.ini'), {
      sudo: [
        {name: 'deploy-become', port: deployHost.sshPort, user: 'deploy', keyFile: lab.clientKeyPath},
        {name: 'limited-become', port: limitedHost.sshPort, user: 'limited', keyFile: lab.clientKeyPath},
        {name: 'deploy-plain', port: plainHost.sshPort, user: 'deploy', keyFile: lab.clientKeyPath, become: false},
      ],
    })

    const run = await facts(
      ['-i', inventory, 'sudo', '--known-hosts', lab.knownHostsPath, '--become', '--json'],
      30_000,
    )

    expect(run.code, describeRun(run)).toBe(EXIT_HOSTS_FAILED)
    const asRoot = snapshotOf(run.json, 'deploy-become')
    expect(asRoot).toMatchObject({hostname: deployHost.name, uid: 0})
    expect(asRoot.nginx.present && asRoot.nginx.configDump.code).toBe(0)

    const refused = hostEntry(run.json, 'limited-become')
    expect(refused.status).toBe('failed')
    expect(refused.error?.code).toBe('SUDO_PASSWORD_REQUIRED')
    expect(refused.error?.message).toContain('limited')
    expect(refused.durationMs).toBeLessThan(5_000)

    const deployUid = Number((await plainHost.exec('id -u deploy')).stdout.trim())
    const plain = snapshotOf(run.json, 'deploy-plain')
    expect(plain).toMatchObject({hostname: plainHost.name, uid: deployUid, user: 'deploy'})
    expect(deployUid).not.toBe(0)
    expect(plain.warnings.join('\n')).toMatch(/not root/)
    expect(plain.fpmInstalls.map((install) => install.binary)).toEqual(['/usr/sbin/php-fpm8.2'])
  })

  it('gathers the same fleet from a YAML inventory and from an executable dynamic inventory', async () => {
    const hostVars = (host: LabHost) => ({
      ansible_host: '127.0.0.1',
      ansible_port: host.sshPort,
      ansible_user: 'root',
      ansible_ssh_private_key_file: lab.clientKeyPath,
    })
    const yaml = path.join(work, 'fleet.yml')
    const yamlHosts = hosts.map((host) =>
      [
        `        ${host.name}:`,
        ...Object.entries(hostVars(host)).map(([key, value]) => `          ${key}: ${value}`),
      ].join('\n'),
    )
    await writeFile(yaml, ['all:', '  children:', '    web:', '      hosts:', ...yamlHosts, ''].join('\n'))
    const script = path.join(work, 'fleet-inventory.sh')
    const listing = {
      web: {hosts: hosts.map((host) => host.name)},
      _meta: {hostvars: Object.fromEntries(hosts.map((host) => [host.name, hostVars(host)]))},
    }
    await writeFile(script, `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify(listing)}\nJSON\n`, {mode: 0o755})

    for (const inventory of [yaml, script]) {
      const run = await facts(['-i', inventory, 'web', '--known-hosts', lab.knownHostsPath, '--json'])
      expect(run.code, describeRun(run)).toBe(EXIT_OK)
      expect(
        run.json?.hosts.map((entry) => [entry.name, entry.status, snapshotOf(run.json, entry.name).hostname]),
      ).toEqual(hosts.map((host) => [host.name, 'ok', host.name]))
    }
  })

  it('reaches an ad-hoc user@host:port target without an inventory', async () => {
    const host = hosts[1]!
    const target = `root@127.0.0.1:${host.sshPort}`
    const run = await facts([target, '--private-key', lab.clientKeyPath, '--known-hosts', lab.knownHostsPath, '--json'])
    expect(run.code, describeRun(run)).toBe(EXIT_OK)
    expect(run.json?.hosts).toHaveLength(1)
    expect(run.json?.hosts[0]).toMatchObject({address: '127.0.0.1', status: 'ok'})
    expect(run.json?.hosts[0]?.facts?.hostname).toBe(host.name)
  })

  it('rejects a name the inventory does not have with a usage error that lists what it does have', async () => {
    const before = await Promise.all(hosts.map(async (host) => acceptedLogins(await sshdLog(host)).length))
    const run = await facts(['-i', lab.inventoryPath, 'facts9', '--known-hosts', lab.knownHostsPath])
    expect(run.code, describeRun(run)).toBe(EXIT_USAGE)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('UNKNOWN_TARGET')
    expect(run.stderr).toContain("'facts9'")
    expect(run.stderr).toMatch(/Groups: [^\n]*\blab\b/)
    for (const host of hosts) expect(run.stderr).toContain(host.name)

    const json = await facts(['-i', lab.inventoryPath, 'facts9', '--json'])
    expect(json.code, describeRun(json)).toBe(EXIT_USAGE)
    expect(json.json?.error?.code).toBe('UNKNOWN_TARGET')
    const after = await Promise.all(hosts.map(async (host) => acceptedLogins(await sshdLog(host)).length))
    expect(after).toEqual(before)
  })
})
