/**
 * The one exit-code table. plan follows Terraform (0 ok, 1 error, 2 pending with
 * --detailed-exitcode); usage errors use 64 (sysexits EX_USAGE) so they never
 * collide with "changes pending".
 */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  CHANGES_PENDING: 2,
  HOSTS_FAILED: 3,
  ROLLED_BACK: 4,
  ROLLBACK_FAILED: 5,
  STALE_PLAN: 6,
  LOCKED: 7,
  UNREACHABLE: 8,
  USAGE: 64,
  BAD_INPUT: 65,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODE_MEANINGS: Record<ExitCodeValue, string> = {
  0: 'success: every host gathered/planned/converged',
  1: 'unexpected error',
  2: 'plan --detailed-exitcode: changes or service actions are pending',
  3: 'one or more hosts failed (others may have succeeded)',
  4: 'apply: a host was rolled back to its previous state',
  5: 'apply/rollback: rolling back failed, the host needs a human',
  6: 'apply: the plan is stale (a host changed since it was computed); nothing written',
  7: 'apply: another apply holds the host lock',
  8: 'no host could be reached (connection, authentication or host key)',
  64: 'usage error: bad flag, argument, target or inventory',
  65: 'bad input file (plan file, policy file, inventory syntax)',
}
