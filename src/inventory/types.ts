/** A parsed Ansible INI inventory. Maps keep file order (first appearance). */
export interface Inventory {
  /** Where it came from (a path, or "host list"), used in messages. */
  source: string
  hosts: Map<string, InventoryHost>
  groups: Map<string, InventoryGroup>
}

export interface InventoryHost {
  name: string
  /** Effective variables: group vars merged in precedence order, then the host's own. */
  vars: Record<string, string>
  /** Variables written on the host's own lines. */
  hostVars: Record<string, string>
  /**
   * Every group the host belongs to, directly or through `:children`, `all` included,
   * in merge order: depth, then ansible_group_priority, then name.
   */
  groups: string[]
}

export interface InventoryGroup {
  name: string
  /** Hosts listed directly under [name], in file order. */
  hosts: string[]
  /** Groups listed under [name:children] (for `all`: every top-level group). */
  children: string[]
  /** Variables from [name:vars]. */
  vars: Record<string, string>
  /** Longest path from `all` (all = 0, top-level groups = 1). */
  depth: number
}
