import {ALL_GROUP, UNGROUPED_GROUP} from './inventory-draft.js'
import {splitInventoryHostPort} from './host-line.js'
import {inventorySyntaxError, LineProblem} from './line-problem.js'
import type {Inventory, InventoryHost} from './types.js'

export const HOST_LIST_SOURCE = 'host list'

/** True for an inventory value that Ansible would read as a host list (`-i 'web1,web2,'`). */
export function isHostList(value: string): boolean {
  return value.includes(',')
}

/**
 * Ansible's host_list inventory: comma-separated `name[:port]` entries, all ungrouped.
 * No ranges, no variables.
 */
export function parseHostList(value: string): Inventory {
  const hosts = new Map<string, InventoryHost>()
  for (const entry of value.split(',').map((part) => part.trim())) {
    if (entry === '') continue
    let split
    try {
      split = splitInventoryHostPort(entry)
    } catch (error) {
      if (error instanceof LineProblem) throw inventorySyntaxError(HOST_LIST_SOURCE, 1, error.message, error.hint)
      throw error
    }
    const vars: Record<string, string> = split.port === undefined ? {} : {ansible_port: split.port}
    const name = split.pattern
    hosts.set(name, {name, vars, hostVars: {...vars}, groups: [ALL_GROUP, UNGROUPED_GROUP]})
  }
  const names = [...hosts.keys()]
  return {
    source: HOST_LIST_SOURCE,
    hosts,
    groups: new Map([
      [ALL_GROUP, {name: ALL_GROUP, hosts: [], children: [UNGROUPED_GROUP], vars: {}, depth: 0}],
      [UNGROUPED_GROUP, {name: UNGROUPED_GROUP, hosts: names, children: [], vars: {}, depth: 1}],
    ]),
  }
}
