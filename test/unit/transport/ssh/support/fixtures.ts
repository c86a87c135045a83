import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, vi} from 'vitest'
import {connectSsh, type SshConnectOptions} from '../../../../../src/transport/ssh/ssh-transport.js'
import type {Transport} from '../../../../../src/transport/transport.js'
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
export {fpmfixRejection as fpmfixFailure} from '../../../../support/fpmfix-error.js'

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

/**
 * A fresh fake sshd and scratch directory for every test of a file, an option builder
 * for connecting to it as `deploy` with a key, and teardown of every transport opened.
 * With `trustHostKey`, the scratch known_hosts already holds the server's key.
 */
export function fakeHostSession(
  prefix: string,
  clientKey: {private: string; public: string},
  settings: {trustHostKey: boolean},
) {
  const state: {scratch?: ReturnType<typeof scratchDir>; lab?: LabHost} = {}
  const opened: Transport[] = []
  beforeEach(async () => {
    vi.stubEnv('SSH_AUTH_SOCK', '')
    state.scratch = scratchDir(prefix)
    state.lab = await startLabHost(clientKey.public)
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((transport) => transport.close()))
    await state.lab?.server.close()
    state.scratch?.cleanup()
    vi.unstubAllEnvs()
  })
  const session = {
    get lab(): LabHost {
      return state.lab!
    },
    get scratch(): ReturnType<typeof scratchDir> {
      return state.scratch!
    },
    options(extra: Partial<SshConnectOptions> = {}): SshConnectOptions {
      const knownHostsFile = join(session.scratch.dir, 'known_hosts')
      if (settings.trustHostKey) writeFileSync(knownHostsFile, `${session.lab.knownHostsLine}\n`)
      return {
        host: '127.0.0.1',
        port: session.lab.server.port,
        user: 'deploy',
        hostAlias: 'web1',
        privateKeyFile: writeKeyFile(session.scratch.dir, 'id_ed25519', clientKey.private),
        knownHostsFile,
        ...extra,
      }
    },
    async connect(extra: Partial<SshConnectOptions> = {}): Promise<Transport> {
      return session.track(await connectSsh(session.options(extra)))
    },
    /** Close this transport with the others after the test. */
    track(transport: Transport): Transport {
      opened.push(transport)
      return transport
    },
  }
  return session
}
