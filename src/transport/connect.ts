import type {HostTarget} from '../model/target.js'
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
