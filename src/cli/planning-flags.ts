import {Flags} from '@oclif/core'

import type {Policy} from '../model/policy.js'
import {loadPolicy} from '../plan/policy-file.js'
import {expandHome} from './hosts.js'

/** Flags that shape a plan: the policy file and the evidence window. */
export const planningFlags = {
  policy: Flags.string({
    description:
      'Policy file (INI): the limits plans work within (plans/default.ini) and, optionally, a desired state ' +
      '(PHP version, pool and nginx settings; plans/upgrade-php.ini, plans/capacity.ini) whose drift the plan lists and fixes.',
    env: 'FPMFIX_POLICY',
    helpGroup: 'PLANNING',
  }),
  window: Flags.integer({
    description: 'Minutes of log history that count as evidence [default: policy window_minutes, 60].',
    min: 1,
    helpGroup: 'PLANNING',
  }),
}

export async function policyFromFlags(flags: {
  policy?: string | undefined
  window?: number | undefined
}): Promise<Policy> {
  const policy = await loadPolicy(flags.policy === undefined ? undefined : expandHome(flags.policy))
  return flags.window === undefined ? policy : {...policy, windowMinutes: flags.window}
}
