import {homedir, userInfo} from 'node:os'
import {join} from 'node:path'
import {FpmfixError} from '../../errors.js'
import type {HostKeyFingerprint} from '../../model/target.js'

export interface SshConnectOptions {
  /** Address to connect to (IP or DNS name). */
  host: string
  port?: number
  /** Login user; defaults to the local user name, as ssh does. */
  user?: string
  /** Key given explicitly; a problem with it is an error, and it is tried first. */
  privateKeyFile?: string
  passphrase?: string
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK. An empty string disables the agent. */
  agent?: string
  /** Keys named by ssh config (IdentityFile), tried after the agent and skipped when unusable. */
  identityFiles?: string[]
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string
  /** Record the key of a host that is not in known_hosts yet (never a changed key). */
  acceptNewHostKeys?: boolean
  /** Run every command through `sudo -n` unless the login user is root. */
  become?: boolean
  /** Default 10000. */
  connectTimeoutMs?: number
  /** Default 15000. */
  keepaliveIntervalMs?: number
  /** Jump hosts, outermost first; each is verified and authenticated on its own. */
  proxyJump?: SshConnectOptions[]
  /** Asked for the passphrase of an encrypted key; undefined means the user declined. */
  promptPassphrase?: (keyFile: string) => Promise<string | undefined>
  /** The name used for ssh config lookup and in messages. */
  hostAlias?: string
  /** The host key a saved plan recorded: any other key is refused before authentication. */
  expectedHostKey?: HostKeyFingerprint
}

export const SSH_DEFAULTS = {
  port: 22,
  connectTimeoutMs: 10_000,
  keepaliveIntervalMs: 15_000,
} as const

export function defaultKnownHostsFile(): string {
  return join(homedir(), '.ssh', 'known_hosts')
}

/** The local login name, which ssh uses when no user is configured. */
export function defaultUser(): string {
  try {
    return userInfo().username
  } catch {
    // Containers often run under a uid with no passwd entry.
    const fromEnv = process.env.USER ?? process.env.LOGNAME
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv
    throw new FpmfixError('SSH_CONFIG', 'cannot tell the local user name to log in with', {
      hint: 'Pass the remote user with -u/--user or ansible_user.',
    })
  }
}

export function defaultAgentSocket(): string | undefined {
  const socket = process.env.SSH_AUTH_SOCK
  return socket === undefined || socket === '' ? undefined : socket
}
