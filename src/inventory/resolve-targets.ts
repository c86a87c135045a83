import {FpmfixError} from '../errors.js'
import type {HostTarget} from '../model/target.js'
import {groupMembers} from './group-members.js'
import {parseHostSpec, type HostSpec} from './host-spec.js'
import {inventoryHostTarget, localTarget, type TargetOverrides} from './inventory-target.js'
import {splitTargetPattern, type PatternTerm} from './target-pattern.js'
import type {Inventory} from './types.js'

export interface ResolveOptions {
  /** Ansible's --limit: narrows the selection with the same pattern syntax. */
  limit?: string | undefined
}

/** One selected host before it becomes a HostTarget. */
type Selection =
  | {kind: 'inventory'; name: string; overrides: TargetOverrides}
  | {kind: 'local'; name: string}
  | {kind: 'ad-hoc'; name: string; spec: HostSpec}

interface MatchContext {
  inventory: Inventory | undefined
  /** Hosts outside the inventory selected so far, by name. */
  outside: Map<string, Selection>
  /** Only union terms of the main pattern may name new hosts outside the inventory. */
  mayAddHosts: boolean
  /** Prefix for messages, e.g. "--limit". */
  where: string
}

const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '::1'])
const WILDCARD = /[*?]/
const MAX_LISTED_HOSTS = 20

/**
 * Resolve command-line targets (Ansible patterns) against an optional inventory.
 * With neither patterns nor an inventory the target is this machine. Unions apply
 * first, then `&` intersections, then `!` exclusions, as in Ansible; the result is in
 * inventory order, then hosts outside the inventory in the order given, each once.
 */
export function resolveTargets(
  patterns: string[],
  inventory: Inventory | undefined,
  options: ResolveOptions = {},
): HostTarget[] {
  const isKnownName = (name: string): boolean =>
    inventory?.hosts.has(name) === true || inventory?.groups.has(name) === true
  const terms = patterns.flatMap((pattern) => splitTargetPattern(pattern, isKnownName))
  let selected: Map<string, Selection>
  if (terms.length === 0) {
    if (inventory !== undefined) {
      throw new FpmfixError('USAGE', 'give a target: a host, a group or all', {
        hint: `An inventory (${inventory.source}) was given, so name what to act on, e.g. \`all\` or a group.`,
      })
    }
    selected = new Map([['localhost', {kind: 'local', name: 'localhost'}]])
  } else {
    selected = evaluate(terms, {inventory, outside: new Map(), mayAddHosts: true, where: 'target'})
  }
  if (options.limit !== undefined) selected = applyLimit(selected, options.limit, inventory, isKnownName)
  if (selected.size === 0) {
    throw new FpmfixError('UNKNOWN_TARGET', `the targets ${describe(patterns, options.limit)} select no host`, {
      hint: 'Check the & (intersection) and ! (exclusion) parts of the pattern and --limit.',
    })
  }
  return inOrder(selected, inventory).map((selection) => toTarget(selection, inventory))
}

function applyLimit(
  selected: Map<string, Selection>,
  limit: string,
  inventory: Inventory | undefined,
  isKnownName: (name: string) => boolean,
): Map<string, Selection> {
  const terms = splitTargetPattern(limit, isKnownName)
  if (terms.length === 0)
    throw new FpmfixError('USAGE', '--limit is empty', {hint: 'Give --limit a host, a group or a pattern.'})
  const outside = new Map([...selected].filter(([, selection]) => selection.kind !== 'inventory'))
  const allowed = evaluate(terms, {inventory, outside, mayAddHosts: false, where: '--limit'})
  return new Map([...selected].filter(([name]) => allowed.has(name)))
}

function evaluate(terms: PatternTerm[], context: MatchContext): Map<string, Selection> {
  const unions = terms.filter((term) => term.operator === 'union')
  const result = new Map<string, Selection>()
  for (const term of unions.length > 0 ? unions : [{operator: 'union' as const, text: 'all'}]) {
    for (const selection of match(term.text, context)) {
      const existing = result.get(selection.name)
      if (existing?.kind === 'inventory' && selection.kind === 'inventory') {
        existing.overrides = {...existing.overrides, ...definedOnly(selection.overrides)}
      } else if (existing === undefined) {
        result.set(selection.name, selection)
      }
      if (selection.kind !== 'inventory') context.outside.set(selection.name, selection)
    }
  }
  const narrowing = {...context, mayAddHosts: false}
  for (const term of terms.filter((candidate) => candidate.operator === 'intersection')) {
    const keep = new Set(match(term.text, narrowing).map((selection) => selection.name))
    for (const name of result.keys()) if (!keep.has(name)) result.delete(name)
  }
  for (const term of terms.filter((candidate) => candidate.operator === 'exclusion')) {
    for (const selection of match(term.text, narrowing)) result.delete(selection.name)
  }
  return result
}

function match(text: string, context: MatchContext): Selection[] {
  const {inventory} = context
  if (text === 'all') return matchWildcard(text, context)
  if (inventory !== undefined) {
    if (inventory.groups.has(text)) return groupMembers(inventory, text).map((name) => inventorySelection(name))
    if (inventory.hosts.has(text)) return [inventorySelection(text)]
  }
  if (WILDCARD.test(text)) return matchWildcard(text, context)
  const spec = parseHostSpec(text)
  if (spec === undefined) throw unknownTarget(text, context)
  if (inventory?.hosts.has(spec.host)) return [inventorySelection(spec.host, {user: spec.user, port: spec.port})]
  if (inventory?.groups.has(spec.host)) {
    throw new FpmfixError(
      'BAD_TARGET',
      `target '${text}': '${spec.host}' is a group; a user or port can only be given for one host`,
      {
        hint: 'Set ansible_user / ansible_port in the inventory, or use -u/--user for every host.',
      },
    )
  }
  const known = outsideMatching(context, (name) => name === spec.name)
  if (known.length > 0) return known
  if (!context.mayAddHosts || (inventory !== undefined && !spec.explicit && !LOCAL_NAMES.has(text))) {
    throw unknownTarget(text, context)
  }
  if (LOCAL_NAMES.has(text)) return [{kind: 'local', name: text}]
  return [{kind: 'ad-hoc', name: spec.name, spec}]
}

/**
 * `all`, and `*`/`?` globs over group names (their hosts) and host names as Ansible's
 * fnmatch; hosts named outside the inventory earlier in the pattern are candidates too.
 */
function matchWildcard(text: string, context: MatchContext): Selection[] {
  const {inventory} = context
  if (inventory === undefined && context.outside.size === 0) {
    throw new FpmfixError('USAGE', `target '${text}' needs an inventory to match against`, {
      hint: 'Pass an inventory with -i FILE, or name hosts directly as [user@]host[:port].',
    })
  }
  const regex = text === 'all' ? /^/ : globToRegExp(text)
  const found: Selection[] = []
  if (inventory !== undefined) {
    for (const group of inventory.groups.keys()) {
      if (regex.test(group)) found.push(...groupMembers(inventory, group).map((name) => inventorySelection(name)))
    }
    for (const host of inventory.hosts.keys()) if (regex.test(host)) found.push(inventorySelection(host))
  }
  found.push(...outsideMatching(context, (name) => regex.test(name)))
  if (found.length === 0) throw unknownTarget(text, context)
  return found
}

/** Hosts outside the inventory whose name, or host without user and port, passes `test`. */
function outsideMatching(context: MatchContext, test: (name: string) => boolean): Selection[] {
  return [...context.outside.values()].filter(
    (selection) => test(selection.name) || (selection.kind === 'ad-hoc' && test(selection.spec.host)),
  )
}

function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('')
  return new RegExp(`^${body}$`, 's')
}

function inventorySelection(name: string, overrides: TargetOverrides = {}): Selection {
  return {kind: 'inventory', name, overrides: definedOnly(overrides)}
}

function definedOnly(overrides: TargetOverrides): TargetOverrides {
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined))
}

function inOrder(selected: Map<string, Selection>, inventory: Inventory | undefined): Selection[] {
  const fromInventory = [...(inventory?.hosts.keys() ?? [])].flatMap((name) => {
    const selection = selected.get(name)
    return selection?.kind === 'inventory' ? [selection] : []
  })
  const outside = [...selected.values()].filter((selection) => selection.kind !== 'inventory')
  return [...fromInventory, ...outside]
}

function toTarget(selection: Selection, inventory: Inventory | undefined): HostTarget {
  if (selection.kind === 'local') return localTarget(selection.name)
  if (selection.kind === 'ad-hoc') {
    const {spec} = selection
    const target: HostTarget = {name: spec.name, connection: 'ssh', address: spec.host, vars: {}}
    if (spec.port !== undefined) target.port = spec.port
    if (spec.user !== undefined) target.user = spec.user
    return target
  }
  const host = inventory?.hosts.get(selection.name)
  if (host === undefined) throw new FpmfixError('INTERNAL', `selected host '${selection.name}' is not in the inventory`)
  return inventoryHostTarget(host, selection.overrides)
}

function unknownTarget(text: string, context: MatchContext): FpmfixError {
  const {inventory} = context
  const prefix = context.where === 'target' ? '' : `${context.where}: `
  if (inventory === undefined) {
    if (context.mayAddHosts) {
      return new FpmfixError(
        'BAD_TARGET',
        `${prefix}'${text}' is not a host name, [user@]host[:port] or an IP address`,
        {
          hint: 'Name hosts as [user@]host[:port]; use -i FILE to select inventory hosts and groups.',
          details: {target: text},
        },
      )
    }
    const names = [...context.outside.keys()]
    return new FpmfixError('UNKNOWN_TARGET', `${prefix}'${text}' matches none of the targets`, {
      hint: `The targets are: ${names.join(', ') || '(none)'}.`,
      details: {target: text, targets: names},
    })
  }
  const groups = [...inventory.groups.keys()]
  const hosts = [...inventory.hosts.keys()]
  const listedHosts = hosts.slice(0, MAX_LISTED_HOSTS).join(', ')
  const more = hosts.length > MAX_LISTED_HOSTS ? ` and ${hosts.length - MAX_LISTED_HOSTS} more` : ''
  return new FpmfixError('UNKNOWN_TARGET', `${prefix}no host or group matches '${text}' in ${inventory.source}`, {
    hint:
      `Groups: ${groups.join(', ')}. Hosts: ${listedHosts || '(none)'}${more}. ` +
      `A host outside the inventory needs a dot, user@ or :port (e.g. ${text}.example.com).`,
    details: {target: text, groups, hosts: hosts.slice(0, MAX_LISTED_HOSTS), hostCount: hosts.length},
  })
}

function describe(patterns: string[], limit: string | undefined): string {
  const quoted = patterns.length === 0 ? "'localhost'" : patterns.map((pattern) => `'${pattern}'`).join(' ')
  return limit === undefined ? quoted : `${quoted} with --limit '${limit}'`
}
