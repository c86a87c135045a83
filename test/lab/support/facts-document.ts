import type {HostSnapshot} from '../../../src/model/snapshot.js'

/** One host as `fpmfix facts --json` prints it. */
export interface FactsHostEntry {
  name: string
  address: string
  status: 'ok' | 'failed'
  durationMs: number
  facts?: HostSnapshot
  error?: {code: string; message: string; hint?: string; exit?: number}
}

export interface FactsDocument {
  formatVersion: number
  hosts: FactsHostEntry[]
  summary: {hosts: number; gathered: number; failed: number}
  /** Set instead of hosts when the command failed before reaching any host (usage, inventory). */
  error?: {code: string; message: string; hint?: string; exit?: number}
}

/** The entry for `name`, failing loudly (with the whole document) when it is missing. */
export function hostEntry(document: FactsDocument | undefined, name: string): FactsHostEntry {
  const entry = document?.hosts?.find((host) => host.name === name)
  if (entry === undefined)
    throw new Error(`no host ${name} in the facts document: ${JSON.stringify(document)?.slice(0, 2000)}`)
  return entry
}

/** The snapshot of a host that must have been gathered. */
export function snapshotOf(document: FactsDocument | undefined, name: string): HostSnapshot {
  const entry = hostEntry(document, name)
  if (entry.status !== 'ok' || entry.facts === undefined) {
    throw new Error(`host ${name} was not gathered: ${JSON.stringify(entry.error ?? entry)}`)
  }
  return entry.facts
}
