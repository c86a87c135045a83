import {FpmfixError} from '../errors.js'
import type {HostTarget} from '../model/target.js'
import {parsePortNumber} from './host-spec.js'
import type {InventoryHost} from './types.js'

export interface TargetOverrides {
  user?: string | undefined
  port?: number | undefined
}

const SSH_CONNECTIONS = new Set([
  'ssh',
  'smart',
  'paramiko',
  'paramiko_ssh',
  'ansible.builtin.ssh',
  'ansible.builtin.paramiko_ssh',
])
const LOCAL_CONNECTIONS = new Set(['local', 'ansible.builtin.local'])
// Ansible's module_utils/parsing/convert_bool.py
const TRUE_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't', '1.0'])
const FALSE_WORDS = new Set(['n', 'no', 'off', '0', 'false', 'f', '0.0'])

/**
 * Turn an inventory host into a target, honouring the ansible_* connection variables
 * and their ansible_ssh_* spellings. When both spellings are set the first one in the
 * ssh plugin's list wins, as in current Ansible: ansible_host, ansible_port,
 * ansible_user, ansible_private_key_file. A user or port from the command line wins.
 */
export function inventoryHostTarget(host: InventoryHost, overrides: TargetOverrides = {}): HostTarget {
  const vars = host.vars
  const target: HostTarget = {
    name: host.name,
    connection: connectionOf(host),
    address: vars.ansible_host ?? vars.ansible_ssh_host ?? host.name,
    vars: {...vars},
  }
  const port = overrides.port ?? portOf(host)
  if (port !== undefined) target.port = port
  const user = overrides.user ?? vars.ansible_user ?? vars.ansible_ssh_user
  if (user !== undefined) target.user = user
  const privateKeyFile = vars.ansible_private_key_file ?? vars.ansible_ssh_private_key_file
  if (privateKeyFile !== undefined) target.privateKeyFile = privateKeyFile
  const become = vars.ansible_become
  if (become !== undefined) target.become = parseAnsibleBoolean(host.name, 'ansible_become', become)
  return target
}

/** This machine, reached without SSH. */
export function localTarget(name = 'localhost'): HostTarget {
  return {name, connection: 'local', address: name, vars: {}}
}

/** Ansible's boolean words, case-insensitive; anything else is an error rather than a guess. */
export function parseAnsibleBoolean(host: string, variable: string, value: string): boolean {
  const word = value.trim().toLowerCase()
  if (TRUE_WORDS.has(word)) return true
  if (FALSE_WORDS.has(word)) return false
  throw new FpmfixError('BAD_TARGET', `host '${host}': ${variable}=${value} is not a boolean`, {
    host,
    hint: `Use true/false (or yes/no, 1/0) for ${variable} in the inventory.`,
  })
}

function connectionOf(host: InventoryHost): HostTarget['connection'] {
  const connection = host.vars.ansible_connection
  if (connection === undefined || SSH_CONNECTIONS.has(connection)) return 'ssh'
  if (LOCAL_CONNECTIONS.has(connection)) return 'local'
  throw new FpmfixError(
    'BAD_TARGET',
    `host '${host.name}' uses ansible_connection=${connection}; fpmfix connects with ssh or local only`,
    {
      host: host.name,
      hint: 'Leave ansible_connection unset (ssh), or set it to local for this machine.',
    },
  )
}

function portOf(host: InventoryHost): number | undefined {
  const variable = host.vars.ansible_port === undefined ? 'ansible_ssh_port' : 'ansible_port'
  const text = host.vars[variable]
  if (text === undefined) return undefined
  const port = parsePortNumber(text)
  if (port === undefined) {
    throw new FpmfixError(
      'BAD_TARGET',
      `host '${host.name}': ${variable}=${text} is not a port number from 1 to 65535`,
      {
        host: host.name,
        hint: `Fix ${variable} (or the :port after the host name) in the inventory.`,
      },
    )
  }
  return port
}
