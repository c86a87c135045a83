import type {Pairing} from '../facts/pairing.js'
import type {Finding} from '../model/finding.js'
import type {HostFacts} from '../model/facts.js'
import type {Policy} from '../model/policy.js'

export interface RuleContext {
  facts: HostFacts
  pairings: Pairing[]
  policy: Policy
}

/** A diagnosis rule: pure, one per finding id, one per file. */
export interface Rule {
  id: Finding['id']
  diagnose(context: RuleContext): Finding[]
}
