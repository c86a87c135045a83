import {isMap, isScalar, LineCounter, parseDocument, type Node, type Pair, type YAMLMap} from 'yaml'

import {splitInventoryHostPort} from './host-line.js'
import {expandHostRange} from './host-range.js'
import {buildInventory} from './inventory-graph.js'
import {addDraftChild, addDraftHost, draftGroup, newDraft, type InventoryDraft} from './inventory-draft.js'
import {inventorySyntaxError, LineProblem} from './line-problem.js'
import type {Inventory} from './types.js'
import {inventoryValueText} from './value-text.js'

const SECTIONS = new Set(['hosts', 'vars', 'children'])

interface Reader {
  draft: InventoryDraft
  source: string
  lineOf(node: unknown): number
}

/**
 * Parse Ansible's YAML inventory (plugin `yaml`; JSON is read the same way): top-level keys
 * are groups, each with optional `hosts` (patterns with ranges and :port, each with its own
 * variables), `vars` and `children` (groups, recursively). YAML 1.1 as Ansible reads it
 * (`yes` is true). Groups and variables merge with the INI loader's precedence rules.
 */
export function parseYamlInventory(text: string, source: string): Inventory {
  const lines = new LineCounter()
  const document = parseDocument(text, {lineCounter: lines, version: '1.1', prettyErrors: false})
  const [error] = document.errors
  if (error !== undefined) {
    const line = lines.linePos(error.pos[0]).line
    throw inventorySyntaxError(source, line, `not valid YAML: ${error.message.split('\n')[0] ?? error.message}`)
  }
  const reader: Reader = {
    draft: newDraft(source),
    source,
    lineOf: (node) => {
      const range = (node as Node | null)?.range
      return range === undefined || range === null ? 0 : lines.linePos(range[0]).line
    },
  }
  const root = document.contents
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    throw inventorySyntaxError(source, 1, 'the inventory is empty', 'Start it with `all:` and the hosts under it.')
  }
  if (!isMap(root)) {
    throw inventorySyntaxError(
      source,
      reader.lineOf(root),
      'a YAML inventory is a mapping of group names (all:, web:, …) to hosts, vars and children',
    )
  }
  if (root.has('plugin')) {
    throw inventorySyntaxError(
      source,
      reader.lineOf(root),
      `this configures the inventory plugin '${String(root.get('plugin'))}', which fpmfix cannot run`,
      'Export what the plugin finds with `ansible-inventory -i FILE --list --yaml > hosts.yml` and pass that file.',
    )
  }
  for (const pair of root.items) readGroup(reader, keyText(pair), pair.value, reader.lineOf(pair.key))
  return buildInventory(reader.draft)
}

function readGroup(reader: Reader, name: string, node: unknown, line: number): void {
  draftGroup(reader.draft, name).declaredAt ??= line
  if (isEmpty(node)) return
  if (!isMap(node)) {
    throw inventorySyntaxError(
      reader.source,
      reader.lineOf(node) || line,
      `group '${name}' must be a mapping with hosts, vars or children`,
    )
  }
  for (const pair of node.items) {
    const section = keyText(pair)
    const sectionLine = reader.lineOf(pair.key)
    if (!SECTIONS.has(section)) {
      throw inventorySyntaxError(
        reader.source,
        sectionLine,
        `group '${name}' has '${section}:'; a group holds only hosts:, vars: and children:`,
        `Indent '${section}' under hosts: if it is a host, or under children: if it is a group.`,
      )
    }
    const entries = sectionEntries(reader, name, section, pair.value, sectionLine)
    for (const entry of entries) {
      const entryLine = reader.lineOf(entry.key)
      if (section === 'vars') {
        const group = draftGroup(reader.draft, name)
        group.vars[keyText(entry)] = inventoryValueText(entry.value)
        group.varLines[keyText(entry)] = entryLine
      } else if (section === 'children') {
        readGroup(reader, keyText(entry), entry.value, entryLine)
        addDraftChild(reader.draft, name, keyText(entry), entryLine)
      } else {
        readHost(reader, name, entry, entryLine)
      }
    }
  }
}

/** A section's entries; a plain string stands for one key with no value, as Ansible allows. */
function sectionEntries(reader: Reader, group: string, section: string, node: unknown, line: number): Pair[] {
  if (isEmpty(node)) return []
  if (isScalar(node)) return [{key: node, value: null} as unknown as Pair]
  if (isMap(node)) return (node as YAMLMap).items as Pair[]
  throw inventorySyntaxError(
    reader.source,
    reader.lineOf(node) || line,
    `'${section}' of group '${group}' must be a mapping, not a list`,
    section === 'hosts'
      ? 'Write each host as a key ending in a colon: `web1:` (its variables indented under it).'
      : undefined,
  )
}

function readHost(reader: Reader, group: string, entry: Pair, line: number): void {
  const pattern = keyText(entry)
  let names: string[]
  let port: string | undefined
  try {
    const split = splitInventoryHostPort(pattern)
    port = split.port
    names = expandHostRange(split.pattern)
  } catch (error) {
    if (error instanceof LineProblem) throw inventorySyntaxError(reader.source, line, error.message, error.hint)
    throw error
  }
  const vars: Record<string, string> = port === undefined ? {} : {ansible_port: port}
  if (!isEmpty(entry.value)) {
    if (!isMap(entry.value)) {
      throw inventorySyntaxError(
        reader.source,
        line,
        `host '${pattern}' in group '${group}' must have a mapping of variables, or nothing`,
        'Write host variables indented under the host: `web1:` then `  ansible_host: 10.0.0.5`.',
      )
    }
    for (const pair of entry.value.items as Pair[]) vars[keyText(pair)] = inventoryValueText(pair.value)
  }
  for (const name of names) addDraftHost(reader.draft, group, name, vars)
}

function keyText(pair: Pair): string {
  const key = isScalar(pair.key) ? pair.key.value : pair.key
  return String(key)
}

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null)
}
