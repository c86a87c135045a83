import {ALL_GROUP, UNGROUPED_GROUP, type DraftGroup, type InventoryDraft} from './inventory-draft.js'
import {inventorySyntaxError} from './line-problem.js'
import type {Inventory, InventoryGroup, InventoryHost} from './types.js'

const DEFAULT_GROUP_PRIORITY = 1

interface Problem {
  line: number
  what: string
  hint: string
}

/**
 * Link, check and merge a drafted inventory.
 *
 * Variable precedence follows Ansible (lib/ansible/inventory/helpers.py sort_groups):
 * a host's groups are sorted by depth (all = 0, top-level groups = 1, a child is one
 * deeper than its deepest parent), then by `ansible_group_priority` (default 1), then
 * by name; group vars are applied in that order, so deeper groups override their
 * parents and, at the same depth, the alphabetically later group wins. The host's
 * own vars come last and override every group.
 */
export function buildInventory(draft: InventoryDraft): Inventory {
  throwFirst(draft.source, undefinedGroupProblems(draft))
  throwFirst(draft.source, cycleProblems(draft))
  const parents = parentsOf(draft)
  const depths = depthsOf(draft, parents)
  const priorities = prioritiesOf(draft)
  placeUngroupedHosts(draft)
  const directGroups = directGroupsOf(draft)

  const groups = new Map<string, InventoryGroup>()
  for (const group of draft.groups.values()) {
    groups.set(group.name, {
      name: group.name,
      hosts: [...group.hosts],
      children: childrenOf(draft, group, parents),
      vars: {...group.vars},
      depth: depths.get(group.name) ?? 0,
    })
  }

  const hosts = new Map<string, InventoryHost>()
  for (const host of draft.hosts.values()) {
    const memberOf = ancestorsOf(directGroups.get(host.name) ?? [], parents)
    const ordered = [...memberOf].sort((a, b) => compareGroups(a, b, depths, priorities))
    const vars: Record<string, string> = {}
    for (const name of ordered) Object.assign(vars, draft.groups.get(name)?.vars)
    Object.assign(vars, host.vars)
    hosts.set(host.name, {name: host.name, vars, hostVars: {...host.vars}, groups: ordered})
  }
  return {source: draft.source, hosts, groups}
}

function undefinedGroupProblems(draft: InventoryDraft): Problem[] {
  const problems: Problem[] = []
  for (const group of draft.groups.values()) {
    for (const child of group.children) {
      if (draft.groups.get(child.name)?.declaredAt !== undefined) continue
      problems.push({
        line: child.line,
        what: `[${group.name}:children] names group '${child.name}', which is never defined`,
        hint: `Add a [${child.name}] section (it may be empty) or remove '${child.name}' from [${group.name}:children].`,
      })
    }
    if (group.declaredAt === undefined && group.varsHeaderAt !== undefined) {
      problems.push({
        line: group.varsHeaderAt,
        what: `[${group.name}:vars] is for group '${group.name}', which is never defined`,
        hint: `Add a [${group.name}] section listing its hosts, or a [${group.name}:children] section.`,
      })
    }
  }
  return problems
}

function cycleProblems(draft: InventoryDraft): Problem[] {
  const finished = new Set<string>()
  const path: string[] = []
  const visit = (name: string): Problem | undefined => {
    if (finished.has(name)) return undefined
    path.push(name)
    for (const child of draft.groups.get(name)?.children ?? []) {
      if (path.includes(child.name)) {
        const loop = [...path.slice(path.indexOf(child.name)), child.name].join(' → ')
        return {
          line: child.line,
          what: `group '${child.name}' would contain itself: ${loop}`,
          hint: `Remove '${child.name}' from [${name}:children] or break the loop elsewhere.`,
        }
      }
      const problem = visit(child.name)
      if (problem) return problem
    }
    path.pop()
    finished.add(name)
    return undefined
  }
  for (const name of draft.groups.keys()) {
    const problem = visit(name)
    if (problem) return [problem]
  }
  return []
}

function throwFirst(source: string, problems: Problem[]): void {
  const first = [...problems].sort((a, b) => a.line - b.line)[0]
  if (first === undefined) return
  throw inventorySyntaxError(source, first.line, first.what, first.hint)
}

/** Parents of each group; a group nobody lists as a child hangs directly under `all`. */
function parentsOf(draft: InventoryDraft): Map<string, string[]> {
  const parents = new Map<string, string[]>()
  for (const name of draft.groups.keys()) parents.set(name, [])
  for (const group of draft.groups.values()) {
    for (const child of group.children) parents.get(child.name)?.push(group.name)
  }
  for (const [name, list] of parents) {
    if (name !== ALL_GROUP && list.length === 0) list.push(ALL_GROUP)
  }
  return parents
}

function childrenOf(draft: InventoryDraft, group: DraftGroup, parents: Map<string, string[]>): string[] {
  if (group.name !== ALL_GROUP) return group.children.map((child) => child.name)
  return [...draft.groups.keys()].filter((name) => parents.get(name)?.includes(ALL_GROUP))
}

function depthsOf(draft: InventoryDraft, parents: Map<string, string[]>): Map<string, number> {
  const depths = new Map<string, number>([[ALL_GROUP, 0]])
  const depthOf = (name: string): number => {
    const known = depths.get(name)
    if (known !== undefined) return known
    const depth = 1 + Math.max(...(parents.get(name) ?? [ALL_GROUP]).map(depthOf))
    depths.set(name, depth)
    return depth
  }
  for (const name of draft.groups.keys()) depthOf(name)
  return depths
}

function prioritiesOf(draft: InventoryDraft): Map<string, number> {
  const priorities = new Map<string, number>()
  for (const group of draft.groups.values()) {
    const text = group.vars.ansible_group_priority
    if (text === undefined) continue
    if (!/^[-+]?[0-9]+$/.test(text.trim())) {
      const line = group.varLines.ansible_group_priority ?? 0
      throwFirst(draft.source, [
        {
          line,
          what: `ansible_group_priority for group '${group.name}' is '${text}', not a whole number`,
          hint: 'Use an integer; groups with a higher priority are merged later and win.',
        },
      ])
    }
    priorities.set(group.name, Number.parseInt(text, 10))
  }
  return priorities
}

/** As Ansible's reconcile_inventory: `ungrouped` keeps only hosts that are in no other group. */
function placeUngroupedHosts(draft: InventoryDraft): void {
  const ungrouped = draft.groups.get(UNGROUPED_GROUP)
  if (ungrouped === undefined) return
  const grouped = new Set<string>()
  for (const group of draft.groups.values()) {
    if (group.name === ALL_GROUP || group.name === UNGROUPED_GROUP) continue
    for (const host of group.hosts) grouped.add(host)
  }
  const kept = new Set(ungrouped.hosts.filter((host) => !grouped.has(host)))
  const added = [...draft.hosts.keys()].filter((host) => !grouped.has(host) && !kept.has(host))
  ungrouped.hosts = [...kept, ...added]
}

function directGroupsOf(draft: InventoryDraft): Map<string, string[]> {
  const direct = new Map<string, string[]>()
  for (const group of draft.groups.values()) {
    for (const host of group.hosts) direct.set(host, [...(direct.get(host) ?? []), group.name])
  }
  return direct
}

function ancestorsOf(groups: string[], parents: Map<string, string[]>): Set<string> {
  const found = new Set<string>()
  const pending = [...groups, ALL_GROUP]
  while (pending.length > 0) {
    const name = pending.pop() as string
    if (found.has(name)) continue
    found.add(name)
    pending.push(...(parents.get(name) ?? []))
  }
  return found
}

function compareGroups(a: string, b: string, depths: Map<string, number>, priorities: Map<string, number>): number {
  const byDepth = (depths.get(a) ?? 0) - (depths.get(b) ?? 0)
  if (byDepth !== 0) return byDepth
  const byPriority = (priorities.get(a) ?? DEFAULT_GROUP_PRIORITY) - (priorities.get(b) ?? DEFAULT_GROUP_PRIORITY)
  if (byPriority !== 0) return byPriority
  return a < b ? -1 : a > b ? 1 : 0
}
