import type {Pairing} from '../facts/pairing.js'
import type {Finding} from '../model/finding.js'
import type {HostFacts} from '../model/facts.js'

export interface RuleContext {
  facts: HostFacts
  pairings: Pairing[]
  /** Log lines older than this many minutes never count as evidence of a current problem. */
  windowMinutes: number
}

/** A diagnosis rule: pure, one per finding id, one per file. */
export interface Rule {
  id: Finding['id']
  diagnose(context: RuleContext): Finding[]
}
