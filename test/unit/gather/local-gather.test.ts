import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {availableParallelism, hostname, totalmem} from 'node:os'
import {beforeAll, describe, expect, it} from 'vitest'
import {gather} from '../../../src/gather/gather.js'
import type {HostSnapshot, RawFile} from '../../../src/model/snapshot.js'
import {createLocalTransport} from '../../../src/transport/local.js'

const FPM_BINARY = '/usr/sbin/php-fpm8.2'
const POOL_DIR = '/etc/php/8.2/fpm/pool.d'

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

function expectFingerprintOfDisk(file: RawFile): void {
  expect(file.sha256, file.path).toBe(sha256Of(file.path))
}

describe('gather on this machine through the local transport', () => {
  let snapshot: HostSnapshot

  beforeAll(async () => {
    snapshot = await gather(createLocalTransport({}), {timeoutMs: 60_000})
  }, 60_000)

  it('agrees with what node itself sees of the host', () => {
    expect(snapshot.complete).toBe(true)
    expect(snapshot.uid).toBe(process.getuid?.())
    expect(snapshot.hostname).toBe(hostname())
    expect(snapshot.memory.memTotalKb).toBe(totalmem() / 1024)
    expect(snapshot.cpus).toBe(availableParallelism())
    expect(snapshot.somaxconn).toBe(Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8')))
    expect(snapshot.users.find((user) => user.uid === 0)?.name).toBe('root')
    expect(snapshot.durationMs).toBeGreaterThan(0)
    const hostNow = new Date(`${snapshot.localTime?.replace(' ', 'T')}${snapshot.utcOffset?.replace(/(\d\d)$/, ':$1')}`)
    expect(Math.abs(hostNow.getTime() - Date.now())).toBeLessThan(60_000)
    expect(Math.abs(Date.parse(snapshot.collectedAt) - Date.now())).toBeLessThan(60_000)
  })

  it.skipIf(!existsSync(FPM_BINARY))('reads the php8.2-fpm install: -tt verdict, every pool file, fingerprints', () => {
    const install = snapshot.fpmInstalls.find((candidate) => candidate.binary === FPM_BINARY)
    expect(install).toBeDefined()
    expect(install?.tt.code).toBe(spawnSync(FPM_BINARY, ['-t']).status)
    expect(install?.tt.output).toMatch(/\[global\]/)
    const pools = readdirSync(POOL_DIR)
      .filter((name) => name.endsWith('.conf'))
      .sort()
      .map((name) => `${POOL_DIR}/${name}`)
    expect(install?.files.map((file) => file.path)).toEqual([install?.mainConfigPath, ...pools])
    for (const file of install?.files ?? []) {
      expectFingerprintOfDisk(file)
      expect(file.content).toBe(readFileSync(file.path, 'utf8'))
    }
    expect(install?.phpIni?.sha256).toBe(sha256Of(install?.phpIni?.path ?? ''))
  })

  it.skipIf(!existsSync('/usr/sbin/nginx'))('reads nginx: dump and a fingerprint of every file in it', () => {
    if (!snapshot.nginx.present) throw new Error('nginx not found')
    const dumped = [...snapshot.nginx.configDump.stdout.matchAll(/^# configuration file (.+):$/gm)].map(
      (match) => match[1],
    )
    expect(snapshot.nginx.configFiles.map((file) => file.path)).toEqual([...new Set(dumped)])
    for (const file of snapshot.nginx.configFiles) expectFingerprintOfDisk(file)
  })
})
