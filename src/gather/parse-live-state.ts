import type {HostJournal} from '../model/snapshot.js'
import type {Section} from '../protocol/frames.js'
import {hostJournal, journalStatusFromSections} from '../protocol/journal-status.js'
import {canonicalState, isStateKey} from '../protocol/state-keys.js'

/** The sections after the marker section of `kind` up to the next marker or the end; undefined without the marker. */
function after(sections: Section[], kind: string, markers: readonly string[]): Section[] | undefined {
  const start = sections.findIndex((section) => section.kind === kind)
  if (start < 0) return undefined
  const rest = sections.slice(start + 1)
  const end = rest.findIndex((section) => markers.includes(section.kind))
  return end < 0 ? rest : rest.slice(0, end)
}

const MARKERS = ['states', 'journal', 'done'] as const

/** The canonical state line of each key the gather's state_report read (gather/script/live-state.sh). */
export function parseStates(sections: Section[]): Record<string, string> | undefined {
  const read = after(sections, 'states', MARKERS)
  if (read === undefined) return undefined
  const states: Record<string, string> = {}
  for (const section of read) {
    if (section.kind !== 'state' || !section.complete || section.status !== 0 || !isStateKey(section.arg)) continue
    states[section.arg] = canonicalState(section.arg, section.content)
  }
  return states
}

/** The journal status the gather read with journal_status; undefined unless the run got past it to its end. */
export function parseJournal(sections: Section[]): HostJournal | undefined {
  const read = after(sections, 'journal', MARKERS)
  const done = sections.find((section) => section.kind === 'done')
  if (read === undefined || done?.complete !== true || read.some((section) => !section.complete)) return undefined
  return hostJournal(journalStatusFromSections(read))
}
