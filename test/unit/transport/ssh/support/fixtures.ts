import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {FpmfixError} from '../../../../../src/errors.js'
import {startFakeSshd, type FakeSshd, type FakeSshdOptions} from './fake-sshd.js'

export const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined

/** A scratch directory removed by the returned cleanup. */
export function scratchDir(prefix: string): {dir: string; cleanup(): void} {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

/** The SHA256 fingerprint OpenSSH itself computes for a public key line. */
export function opensshFingerprint(publicKeyLine: string, dir: string): string {
  const file = join(dir, `fingerprint-${Date.now()}-${Math.random()}.pub`)
  writeFileSync(file, `${publicKeyLine}\n`)
  const result = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], {encoding: 'utf8'})
  const match = /SHA256:\S+/.exec(result.stdout)
  if (match === null) throw new Error(`ssh-keygen -l failed: ${result.stderr}`)
  return match[0]
}

/** Await a promise that must reject with an FpmfixError and return it. */
export async function fpmfixFailure(promise: Promise<unknown>): Promise<FpmfixError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof FpmfixError) return error
    throw error
  }
  throw new Error('expected an FpmfixError, but the promise resolved')
}

export interface LabHost {
  server: FakeSshd
  /** known_hosts line for the server's first host key on its port. */
  knownHostsLine: string
}

/** Start a fake sshd that trusts `clientPublicKey`; its known_hosts line is returned, not written. */
export async function startLabHost(clientPublicKey: string, options: Partial<FakeSshdOptions> = {}): Promise<LabHost> {
  const server = await startFakeSshd({authorizedKeys: [clientPublicKey], ...options})
  return {server, knownHostsLine: `[127.0.0.1]:${server.port} ${server.hostPublicKeys[0]}`}
}

/** Write a client key file with owner-only permissions, as ssh-keygen does. */
export function writeKeyFile(dir: string, name: string, privateKey: string): string {
  const file = join(dir, name)
  writeFileSync(file, privateKey, {mode: 0o600})
  return file
}
