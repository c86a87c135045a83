import {parseChildLine, parseHostLine, parseVarsLine} from './host-line.js'
import {buildInventory} from './inventory-graph.js'
import {
  addDraftChild,
  addDraftHost,
  ALL_GROUP,
  draftGroup,
  newDraft,
  UNGROUPED_GROUP,
  type InventoryDraft,
} from './inventory-draft.js'
import {inventorySyntaxError, LineProblem} from './line-problem.js'
import type {Inventory} from './types.js'

type SectionKind = 'hosts' | 'vars' | 'children'

const SECTION_HEADER = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/
const BRACKETED_LINE = /^\[[^\]]*\]\s*(?:[#;].*)?$/
const YAML_START = /^(?:---|\{|[\w.-]+:\s*(?:#.*)?$)/
const SECTION_KINDS = new Set<string>(['hosts', 'vars', 'children'])

/**
 * Parse an Ansible INI inventory. Hosts before the first header are `ungrouped`;
 * every host is in `all`. `[g]` or `[g:children]` defines a group; `[g:vars]` and
 * `:children` entries may come before the definition but must have one somewhere.
 * Effective host variables are merged as described in inventory-graph.ts.
 */
export function parseInventory(text: string, source: string): Inventory {
  const draft = newDraft(source)
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  rejectYaml(lines, source)
  let group = UNGROUPED_GROUP
  let kind: SectionKind = 'hosts'
  lines.forEach((raw, index) => {
    const line = raw.trim()
    const lineNumber = index + 1
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return
    try {
      const header = parseSectionHeader(line)
      if (header !== undefined) {
        ;({group, kind} = header)
        declareSection(draft, group, kind, lineNumber)
      } else if (kind === 'hosts') {
        addHostLine(draft, group, line)
      } else if (kind === 'children') {
        addChild(draft, group, parseChildLine(line), lineNumber)
      } else {
        const {key, value} = parseVarsLine(line)
        const target = draftGroup(draft, group)
        target.vars[key] = value
        target.varLines[key] = lineNumber
      }
    } catch (error) {
      if (error instanceof LineProblem) throw inventorySyntaxError(source, lineNumber, error.message, error.hint)
      throw error
    }
  })
  return buildInventory(draft)
}

function parseSectionHeader(line: string): {group: string; kind: SectionKind} | undefined {
  const match = SECTION_HEADER.exec(line)
  if (match) {
    const group = match[1] as string
    const kind = match[2] ?? 'hosts'
    if (!SECTION_KINDS.has(kind)) {
      throw new LineProblem(
        `section [${group}:${kind}] has unknown type '${kind}'`,
        `Use [${group}] for hosts, [${group}:vars] for variables or [${group}:children] for child groups.`,
      )
    }
    return {group, kind: kind as SectionKind}
  }
  if (line.startsWith('[') && !line.includes(']')) {
    throw new LineProblem(
      `unclosed group header ${line}: no closing ']'`,
      'A header is [group], [group:vars] or [group:children] on a line of its own.',
    )
  }
  if (BRACKETED_LINE.test(line)) {
    throw new LineProblem(
      `invalid section header ${line}`,
      'A header is [group], [group:vars] or [group:children]: no spaces, one colon.',
    )
  }
  return undefined
}

function declareSection(draft: InventoryDraft, name: string, kind: SectionKind, line: number): void {
  const group = draftGroup(draft, name)
  if (kind === 'vars') group.varsHeaderAt ??= line
  else group.declaredAt ??= line
}

function addHostLine(draft: InventoryDraft, groupName: string, line: string): void {
  const {names, port, vars} = parseHostLine(line)
  // Ansible sets the port from name:port first, so an explicit ansible_port on the line wins.
  const withPort = port === undefined ? vars : {ansible_port: port, ...vars}
  for (const name of names) addDraftHost(draft, groupName, name, withPort)
}

function addChild(draft: InventoryDraft, parentName: string, childName: string, line: number): void {
  if (childName === ALL_GROUP) {
    throw new LineProblem(
      `[${parentName}:children] lists 'all', which cannot be a child group`,
      "Every group is already inside 'all'.",
    )
  }
  addDraftChild(draft, parentName, childName, line)
}

/** The first line that is not blank or a comment, and its index. */
function firstContentLine(lines: string[]): {index: number; line: string | undefined} {
  const index = lines.findIndex((line) => line.trim() !== '' && !/^\s*[#;]/.test(line))
  return {index, line: lines[index]}
}

/** Whether an inventory file reads as YAML or JSON rather than INI (its first content line). */
export function looksLikeYaml(text: string): boolean {
  const {line} = firstContentLine(text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/))
  return line !== undefined && YAML_START.test(line.trim())
}

function rejectYaml(lines: string[], source: string): void {
  const {index, line: first} = firstContentLine(lines)
  if (first !== undefined && YAML_START.test(first.trim())) {
    throw inventorySyntaxError(
      source,
      index + 1,
      'this looks like a YAML or JSON inventory, not INI',
      'Give the file a .yml, .yaml or .json name, or write it in Ansible INI form ([group] headers, one host per line).',
    )
  }
}
