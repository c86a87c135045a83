/** What the line parser collects before groups are linked, checked and merged. */
export interface InventoryDraft {
  source: string
  groups: Map<string, DraftGroup>
  hosts: Map<string, DraftHost>
}

export interface DraftGroup {
  name: string
  hosts: string[]
  /** The same names as `hosts`, for fast membership checks on large ranges. */
  hostSet: Set<string>
  children: ChildReference[]
  vars: Record<string, string>
  /** Line of each variable's last assignment, for errors about its value. */
  varLines: Record<string, number>
  /** First [name] or [name:children] header; 0 for the built-in groups. */
  declaredAt: number | undefined
  /** First [name:vars] header. */
  varsHeaderAt: number | undefined
}

export interface ChildReference {
  name: string
  line: number
}

export interface DraftHost {
  name: string
  /** Variables from the host's own lines; a later line overrides an earlier one. */
  vars: Record<string, string>
}

export const ALL_GROUP = 'all'
export const UNGROUPED_GROUP = 'ungrouped'

export function newDraft(source: string): InventoryDraft {
  const draft: InventoryDraft = {source, groups: new Map(), hosts: new Map()}
  draftGroup(draft, ALL_GROUP).declaredAt = 0
  draftGroup(draft, UNGROUPED_GROUP).declaredAt = 0
  return draft
}

export function draftGroup(draft: InventoryDraft, name: string): DraftGroup {
  let group = draft.groups.get(name)
  if (group === undefined) {
    group = {
      name,
      hosts: [],
      hostSet: new Set(),
      children: [],
      vars: {},
      varLines: {},
      declaredAt: undefined,
      varsHeaderAt: undefined,
    }
    draft.groups.set(name, group)
  }
  return group
}

/** Put `name` in a group with variables from one place that names it; later variables win, as later lines do. */
export function addDraftHost(
  draft: InventoryDraft,
  groupName: string,
  name: string,
  vars: Record<string, string>,
): void {
  const group = draftGroup(draft, groupName)
  let host = draft.hosts.get(name)
  if (host === undefined) {
    host = {name, vars: {}}
    draft.hosts.set(name, host)
  }
  Object.assign(host.vars, vars)
  if (!group.hostSet.has(name)) {
    group.hostSet.add(name)
    group.hosts.push(name)
  }
}

/** Make `childName` a child group of `parentName` (once), remembering where it was said. */
export function addDraftChild(draft: InventoryDraft, parentName: string, childName: string, line: number): void {
  const parent = draftGroup(draft, parentName)
  draftGroup(draft, childName)
  if (!parent.children.some((child) => child.name === childName)) parent.children.push({name: childName, line})
}
