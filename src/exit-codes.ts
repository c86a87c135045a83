/**
 * The one exit-code table, and the one place outcomes become exit codes for every
 * command. plan follows Terraform (0 ok, 2 pending with --detailed-exitcode); usage
 * errors use 64 and bad input 65 (sysexits), Ctrl-C 130 (128 + SIGINT), so none
 * collides with "changes pending". The README table is checked against EXIT_CODE_MEANINGS.
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
  CRITICAL_UNFIXED: 9,
  HOST_MISMATCH: 10,
  VERIFY_FAILED: 11,
  ROLLOUT_STOPPED: 12,
  USAGE: 64,
  BAD_INPUT: 65,
  INTERRUPTED: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODE_MEANINGS: Record<ExitCodeValue, string> = {
  0: 'success: every host gathered, planned, or converged and verified',
  1: 'unexpected error (a bug, or the apply question answered no)',
  2: '`plan --detailed-exitcode`: changes or service actions are pending, or a host differs from its policy',
  3: 'one or more hosts failed; others may have succeeded (any command)',
  4: '`apply`: a host was rolled back to its previous state',
  5: '`apply`/`rollback`: rolling back failed — the host needs a human',
  6: '`apply`: the plan is stale (a host changed since it was planned); nothing written',
  7: '`apply`: another apply holds the host lock',
  8: 'no host could be reached: every one failed to connect, authenticate or pass its host key check',
  9: '`plan --detailed-exitcode`: a critical finding is left unfixed (no change proposed for it)',
  10: '`apply`: a host is not the one the plan was made on (its host key differs); nothing run',
  11: '`verify`: a request got a 5xx answer or none (connection error, timeout)',
  12: '`apply --serial`/`--max-fail-percentage`: the rollout stopped; hosts it had not started were skipped, untouched',
  64: 'usage error: unknown command or flag, bad argument, target or inventory name',
  65: 'bad input file: plan file missing, unreadable or invalid; policy file; inventory syntax or script',
  130: 'interrupted (Ctrl-C); transactions already started finish on their hosts on their own',
}

/** One host's outcome as far as exit codes care: its status and, when it failed, the error code. */
export interface HostExit {
  status: string
  errorCode?: string | undefined
}

/** Error codes that mean the host was never reached: connection, authentication or host key. */
export function isUnreachable(errorCode: string | undefined): boolean {
  return errorCode !== undefined && errorCode.startsWith('SSH_') && errorCode !== 'SSH_CONFIG'
}

const HOST_MISMATCH_CODES = new Set(['PLAN_HOSTKEY_MISMATCH', 'PLAN_HOST_MISMATCH'])

/** 8 when every host failed and none was reached, 3 when any failed, undefined when none did. */
function failedExit(hosts: readonly HostExit[]): ExitCodeValue | undefined {
  const failed = hosts.filter((host) => host.status === 'failed')
  if (failed.length === 0) return undefined
  const noneReached = failed.length === hosts.length && failed.every((host) => isUnreachable(host.errorCode))
  return noneReached ? ExitCode.UNREACHABLE : ExitCode.HOSTS_FAILED
}

/** facts: 0 every host gathered; 8 none reached; 3 some failed. */
export function factsExitCode(hosts: readonly HostExit[]): ExitCodeValue {
  return failedExit(hosts) ?? ExitCode.OK
}

export interface PlanExitInput {
  hosts: readonly HostExit[]
  /** Hosts with a critical finding the plan proposes no change for. */
  criticalUnfixed: number
  detailedExitcode: boolean
}

/**
 * plan: failures first (8 none reached, 3 some failed); then, with --detailed-exitcode,
 * 9 when a critical finding is left unfixed (even if other hosts change), 2 when changes are pending.
 */
export function planExitCode(input: PlanExitInput): ExitCodeValue {
  const failed = failedExit(input.hosts)
  if (failed !== undefined) return failed
  if (!input.detailedExitcode) return ExitCode.OK
  if (input.criticalUnfixed > 0) return ExitCode.CRITICAL_UNFIXED
  return input.hosts.some((host) => host.status === 'changes') ? ExitCode.CHANGES_PENDING : ExitCode.OK
}

/**
 * apply and rollback: the most serious outcome decides. 0 only when every host converged and
 * verified (hosts left out by --limit do not count). A host that is not the planned one outranks
 * a rollback; a rollout that stopped (hosts `not-started`) outranks the failures that stopped it,
 * since the fleet is left half done.
 */
export function applyExitCode(hosts: readonly HostExit[]): ExitCodeValue {
  const statuses = new Set(hosts.map((host) => host.status))
  if (statuses.has('rollback-failed')) return ExitCode.ROLLBACK_FAILED
  if (hosts.some((host) => HOST_MISMATCH_CODES.has(host.errorCode ?? ''))) return ExitCode.HOST_MISMATCH
  if (statuses.has('not-started')) return ExitCode.ROLLOUT_STOPPED
  if (statuses.has('rolled-back')) return ExitCode.ROLLED_BACK
  if (statuses.has('refused-stale')) return ExitCode.STALE_PLAN
  if (statuses.has('locked')) return ExitCode.LOCKED
  return failedExit(hosts.filter((host) => host.status !== 'skipped')) ?? ExitCode.OK
}

/**
 * verify: 11 when any request got a 5xx answer or none (host status `failed`), whatever else
 * happened; otherwise hosts that could not be verified (status `error`) give 8 when none was
 * reached, else 3; 0 when every host passed.
 */
export function verifyExitCode(hosts: readonly HostExit[]): ExitCodeValue {
  if (hosts.some((host) => host.status === 'failed')) return ExitCode.VERIFY_FAILED
  return failedExit(hosts.map((host) => (host.status === 'error' ? {...host, status: 'failed'} : host))) ?? ExitCode.OK
}

/** The exit codes a command can end with, one per line, for its --help, from the table. */
export function exitCodesHelp(codes: readonly ExitCodeValue[]): string {
  const lines = codes.map((code) => `${String(code).padEnd(4)}${EXIT_CODE_MEANINGS[code].replace(/`/g, '')}`)
  return ['Exit codes:', ...lines].join('\n')
}
