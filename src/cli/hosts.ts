import {homedir} from 'node:os'

import {loadInventory} from '../inventory/index.js'
import {resolveTargets} from '../inventory/index.js'
import type {HostTarget} from '../model/target.js'
import {connectTransport} from '../transport/connect.js'
import type {Transport} from '../transport/transport.js'
import type {ConnectionFlagValues} from './connection-flags.js'
import {promptPassphrase} from './prompt.js'

export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path
}

/** Targets named on the command line, through the inventory when one is given. */
export async function targetsFromCli(patterns: string[], flags: ConnectionFlagValues): Promise<HostTarget[]> {
  const inventory = flags.inventory === undefined ? undefined : await loadInventory(expandHome(flags.inventory))
  return resolveTargets(patterns, inventory, {limit: flags.limit})
}

/** Open the host's transport, run `work`, and always close the connection. */
export async function withHost<T>(
  target: HostTarget,
  flags: ConnectionFlagValues,
  work: (transport: Transport) => Promise<T>,
): Promise<T> {
  const transport = await connectTransport(target, {
    knownHostsFile: flags['known-hosts'] === undefined ? undefined : expandHome(flags['known-hosts']),
    acceptNewHostKeys: flags['accept-new-host-keys'],
    privateKeyFile: flags['private-key'] === undefined ? undefined : expandHome(flags['private-key']),
    user: flags.user,
    become: flags.become,
    connectTimeoutMs: flags['connect-timeout'] === undefined ? undefined : flags['connect-timeout'] * 1000,
    promptPassphrase,
  })
  try {
    return await work(transport)
  } finally {
    await transport.close().catch(() => undefined)
  }
}
