import type {NginxConfig, NginxDirective} from './types.js'
import {childrenNamed} from './walk.js'

export interface VariableSource {
  variable: string
  kind: 'set' | 'map' | 'geo' | 'split_clients'
  file: string
  line: number
  /** What a `set` assigns, as written. */
  value?: string
  /** A map, geo or split_clients block's entries: each one's key and value as written, and where. */
  entries?: VariableEntry[]
}

export interface VariableEntry {
  key: string
  value: string
  file: string
  line: number
}

export interface VariableValues {
  /** Every value the variable can take at that point, as written (may hold other variables). */
  values: string[]
  sources: VariableSource[]
}

const VARIABLE = /\$(?:\{(\w+)\}|(\w+))/g

/** The variable names used in an nginx value, without `$`, in order of first use. */
export function variablesIn(value: string): string[] {
  return [...new Set([...value.matchAll(VARIABLE)].map((match) => (match[1] ?? match[2])!))]
}

export function substituteVariable(value: string, name: string, replacement: string): string {
  return value.replace(VARIABLE, (whole, braced: string | undefined, bare: string | undefined) =>
    (braced ?? bare) === name ? replacement : whole,
  )
}

/**
 * What `$name` can hold inside the given enclosing blocks: `set` in those scopes
 * (a later unconditional `set` replaces earlier values, one inside an `if` adds a
 * possibility), else the values of the http-level map/geo/split_clients defining it.
 * Undefined when nothing in the configuration defines it (a built-in or request variable).
 */
export function variableValues(
  config: NginxConfig,
  ancestors: ReadonlyArray<NginxDirective>,
  name: string,
): VariableValues | undefined {
  const fromSet = valuesFromSet(ancestors, `$${name}`)
  if (fromSet?.unconditional) return fromSet.result
  const fromBlocks = valuesFromDefiningBlocks(config, name)
  if (!fromSet && !fromBlocks) return undefined
  return {
    values: [...new Set([...(fromBlocks?.values ?? []), ...(fromSet?.result.values ?? [])])],
    sources: [...(fromBlocks?.sources ?? []), ...(fromSet?.result.sources ?? [])],
  }
}

function valuesFromSet(
  ancestors: ReadonlyArray<NginxDirective>,
  variable: string,
): {result: VariableValues; unconditional: boolean} | undefined {
  let values: string[] = []
  let sources: VariableSource[] = []
  let unconditional = false
  const source = (directive: NginxDirective): VariableSource => ({
    variable,
    kind: 'set',
    file: directive.file,
    line: directive.line,
    value: directive.args[1]!,
  })
  ancestors.forEach((scope, depth) => {
    const nextScope = ancestors[depth + 1]
    for (const child of scope.children ?? []) {
      if (child.name === 'set' && child.args[0] === variable && child.args[1] !== undefined) {
        values = [child.args[1]]
        sources = [source(child)]
        unconditional = true
      } else if (child.name === 'if' && child !== nextScope) {
        for (const inner of conditionalSets(child, variable)) {
          values = [...values, inner.args[1]!]
          sources = [...sources, source(inner)]
        }
      }
    }
  })
  return sources.length === 0 ? undefined : {result: {values, sources}, unconditional}
}

function conditionalSets(block: NginxDirective, variable: string): NginxDirective[] {
  return (block.children ?? []).flatMap((child) => {
    if (child.name === 'set' && child.args[0] === variable && child.args[1] !== undefined) return [child]
    return child.name === 'if' ? conditionalSets(child, variable) : []
  })
}

const SKIPPED_ENTRIES: Record<VariableSource['kind'], ReadonlySet<string>> = {
  set: new Set(),
  map: new Set(['hostnames', 'volatile', 'include']),
  geo: new Set(['delete', 'proxy', 'proxy_recursive', 'ranges', 'include']),
  split_clients: new Set(['include']),
}

function valuesFromDefiningBlocks(config: NginxConfig, name: string): VariableValues | undefined {
  const variable = `$${name}`
  const values: string[] = []
  const sources: VariableSource[] = []
  for (const http of childrenNamed(config.directives, 'http')) {
    for (const block of http.children ?? []) {
      const kind = block.name
      if (kind !== 'map' && kind !== 'geo' && kind !== 'split_clients') continue
      if (block.args.at(-1) !== variable) continue
      const entries = (block.children ?? []).filter(
        (entry) => entry.args[0] !== undefined && !SKIPPED_ENTRIES[kind].has(entry.name),
      )
      sources.push({
        variable,
        kind,
        file: block.file,
        line: block.line,
        entries: entries.map((entry) => ({key: entry.name, value: entry.args[0]!, file: entry.file, line: entry.line})),
      })
      values.push(...entries.map((entry) => entry.args[0]!))
      const hasDefault = entries.some((entry) => entry.name === (kind === 'split_clients' ? '*' : 'default'))
      if (!hasDefault) values.push('')
    }
  }
  return sources.length === 0 ? undefined : {values: [...new Set(values)], sources}
}
