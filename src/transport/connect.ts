import {hostname} from 'node:os'

import {FpmfixError} from '../errors.js'
import type {HostConnection, HostTarget, SshHop} from '../model/target.js'
import {mergeSshOptions, resolveSshConfig} from './ssh/ssh-config.js'
import type {SshConnectOptions} from './ssh/ssh-options.js'
import {connectSsh} from './ssh/ssh-transport.js'
import type {Transport} from './transport.js'

/** Connection settings from the command line; inventory values for a host win over these. */
export interface ConnectGlobals {
  knownHostsFile?: string
  acceptNewHostKeys?: boolean
  privateKeyFile?: string
  user?: string
  become?: boolean
  connectTimeoutMs?: number
  promptPassphrase?: (keyFile: string) => Promise<string | undefined>
  /** ssh config file to read instead of ~/.ssh/config. */
  sshConfigFile?: string
}

/** Open the transport a target asks for: this machine, or SSH with ssh config applied. */
export async function connectTransport(target: HostTarget, globals: ConnectGlobals): Promise<Transport> {
  if (target.recorded !== undefined) return connectRecorded(target.name, target.recorded, globals)
  if (target.connection === 'local') {
    const {createLocalTransport} = await import('./local.js')
    return createLocalTransport({become: target.become ?? globals.become})
  }
  const fromConfig = await resolveSshConfig(target.address, {configFile: globals.sshConfigFile})
  return connectSsh(sshOptionsForTarget(target, globals, fromConfig))
}

/** Precedence: inventory (target) > command line (globals) > ssh config. */
export function sshOptionsForTarget(
  target: HostTarget,
  globals: ConnectGlobals,
  fromConfig: Partial<SshConnectOptions>,
): SshConnectOptions {
  const explicit: SshConnectOptions = {
    host: target.address,
    hostAlias: target.name,
    port: target.port,
    user: target.user ?? globals.user,
    privateKeyFile: target.privateKeyFile ?? globals.privateKeyFile,
    become: target.become ?? globals.become,
    knownHostsFile: globals.knownHostsFile,
    acceptNewHostKeys: globals.acceptNewHostKeys,
    connectTimeoutMs: globals.connectTimeoutMs,
    promptPassphrase: globals.promptPassphrase,
  }
  return mergeSshOptions(explicit, fromConfig, target.address === target.name)
}

/** Reach a host exactly as a plan recorded it: no inventory or ssh config lookup, host keys pinned. */
async function connectRecorded(name: string, record: HostConnection, globals: ConnectGlobals): Promise<Transport> {
  if (record.connection === 'local') {
    const here = hostname()
    if (record.machine !== undefined && record.machine !== here) {
      throw new FpmfixError(
        'PLAN_HOST_MISMATCH',
        `the plan was made for ${name} on machine ${record.machine}, but this machine is ${here}; nothing was run`,
        {
          host: name,
          hint: `Apply the plan on ${record.machine}, or make a new plan on this machine.`,
          details: {planned: record.machine, actual: here},
        },
      )
    }
    const {createLocalTransport} = await import('./local.js')
    return createLocalTransport({become: record.become})
  }
  return connectSsh(sshOptionsFromRecord(name, record, globals))
}

/** The SSH options a recorded connection stands for; jump hosts carry their own recorded keys and files. */
export function sshOptionsFromRecord(name: string, record: HostConnection, globals: ConnectGlobals): SshConnectOptions {
  if (record.ssh === undefined) {
    throw new FpmfixError('PLAN_FILE_INVALID', `the plan records an ssh connection for ${name} without its address`, {
      host: name,
    })
  }
  const hop = (recorded: SshHop, label: string): SshConnectOptions => ({
    host: recorded.address,
    port: recorded.port,
    user: recorded.user,
    hostAlias: label,
    // A hop that logged in through ssh-agent must not borrow the target's key file.
    identityFiles: [],
    ...(recorded.privateKeyFile === undefined ? {} : {privateKeyFile: recorded.privateKeyFile}),
    ...(recorded.knownHostsFile === undefined ? {} : {knownHostsFile: recorded.knownHostsFile}),
    ...(recorded.hostKey === undefined ? {} : {expectedHostKey: recorded.hostKey}),
  })
  const options: SshConnectOptions = {
    ...hop(record.ssh, name),
    become: record.become,
    acceptNewHostKeys: globals.acceptNewHostKeys,
    connectTimeoutMs: globals.connectTimeoutMs,
    promptPassphrase: globals.promptPassphrase,
  }
  if (record.jumpHosts !== undefined && record.jumpHosts.length > 0) {
    options.proxyJump = record.jumpHosts.map((jump) => hop(jump, jump.name))
  }
  return options
}
