import {FpmfixError} from '../errors.js'
import type {Inventory} from './types.js'

/** Every host in `group` and its child groups, once each, in inventory (file) order. */
export function groupMembers(inventory: Inventory, group: string): string[] {
  if (!inventory.groups.has(group)) {
    throw new FpmfixError('UNKNOWN_TARGET', `no group named '${group}' in ${inventory.source}`, {
      hint: `Groups: ${[...inventory.groups.keys()].join(', ')}.`,
    })
  }
  const members = new Set<string>()
  const seenGroups = new Set<string>()
  const pending = [group]
  while (pending.length > 0) {
    const name = pending.pop() as string
    const current = inventory.groups.get(name)
    if (current === undefined || seenGroups.has(name)) continue
    seenGroups.add(name)
    for (const host of current.hosts) members.add(host)
    pending.push(...current.children)
  }
  return [...inventory.hosts.keys()].filter((host) => members.has(host))
}
