import {writeFile} from 'node:fs/promises'

/** One host line of an Ansible INI inventory. */
export interface InventoryEntry {
  name: string
  /** ansible_host; default 127.0.0.1 (every lab host listens there). */
  address?: string
  port: number
  user?: string
  /** ansible_ssh_private_key_file */
  keyFile?: string
  /** ansible_become=true */
  become?: boolean
  vars?: Record<string, string>
}

/** Groups by name, each a list of host lines, in the order they should be written. */
export type InventoryGroups = Record<string, readonly InventoryEntry[]>

export function renderInventoryGroups(groups: InventoryGroups): string {
  const sections = Object.entries(groups).map(([group, entries]) => [`[${group}]`, ...entries.map(hostLine)].join('\n'))
  return `${sections.join('\n\n')}\n`
}

/** Write an inventory for an ad-hoc variant of the lab (wrong key, dead port, other user…). */
export async function writeInventory(file: string, groups: InventoryGroups): Promise<string> {
  await writeFile(file, renderInventoryGroups(groups))
  return file
}

function hostLine(entry: InventoryEntry): string {
  const vars: Record<string, string | undefined> = {
    ansible_host: entry.address ?? '127.0.0.1',
    ansible_port: String(entry.port),
    ansible_user: entry.user,
    ansible_ssh_private_key_file: entry.keyFile,
    ansible_become: entry.become === undefined ? undefined : String(entry.become),
    ...entry.vars,
  }
  const words = Object.entries(vars)
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .map(([key, value]) => `${key}=${quoteValue(value)}`)
  return [entry.name, ...words].join(' ')
}

/** Ansible splits host lines like a shell: quote values with spaces or quotes. */
function quoteValue(value: string): string {
  if (/^[^\s'"#\\]+$/.test(value)) return value
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}
