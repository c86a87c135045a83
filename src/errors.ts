import {ExitCode, type ExitCodeValue} from './exit-codes.js'

/** Stable machine-readable error codes; never rename one, add new ones. */
export type ErrorCode =
  | 'USAGE'
  | 'INVENTORY_NOT_FOUND'
  | 'INVENTORY_SYNTAX'
  | 'INVENTORY_SCRIPT'
  | 'UNKNOWN_TARGET'
  | 'BAD_TARGET'
  | 'SSH_CONNECT_REFUSED'
  | 'SSH_CONNECT_TIMEOUT'
  | 'SSH_DNS'
  | 'SSH_AUTH_FAILED'
  | 'SSH_KEY_UNREADABLE'
  | 'SSH_KEY_PASSPHRASE'
  | 'SSH_HOSTKEY_UNKNOWN'
  | 'SSH_HOSTKEY_CHANGED'
  | 'SSH_HOSTKEY_REVOKED'
  | 'SSH_CONFIG'
  | 'SSH_PROTOCOL'
  | 'SSH_DISCONNECTED'
  | 'SUDO_PASSWORD_REQUIRED'
  | 'SUDO_DENIED'
  | 'EXEC_FAILED'
  | 'EXEC_TIMEOUT'
  | 'GATHER_FAILED'
  | 'GATHER_PARSE'
  | 'PLAN_FILE_NOT_FOUND'
  | 'PLAN_FILE_INVALID'
  | 'PLAN_FILE_VERSION'
  | 'PLAN_STALE'
  | 'PLAN_HOSTKEY_MISMATCH'
  | 'PLAN_HOST_MISMATCH'
  | 'POLICY_INVALID'
  | 'LOCKED'
  | 'APPLY_FAILED'
  | 'ROLLED_BACK'
  | 'ROLLBACK_FAILED'
  | 'NOT_A_TTY'
  | 'INTERRUPTED'
  | 'VERIFY_NO_ROUTE'
  | 'VERIFY_LOAD_FAILED'
  | 'INTERNAL'

export interface FpmfixErrorOptions {
  exit?: ExitCodeValue
  hint?: string
  host?: string
  cause?: unknown
  details?: Record<string, unknown>
}

const DEFAULT_EXIT: Partial<Record<ErrorCode, ExitCodeValue>> = {
  USAGE: ExitCode.USAGE,
  INVENTORY_NOT_FOUND: ExitCode.USAGE,
  UNKNOWN_TARGET: ExitCode.USAGE,
  BAD_TARGET: ExitCode.USAGE,
  INVENTORY_SYNTAX: ExitCode.BAD_INPUT,
  INVENTORY_SCRIPT: ExitCode.BAD_INPUT,
  SSH_CONFIG: ExitCode.BAD_INPUT,
  PLAN_FILE_NOT_FOUND: ExitCode.BAD_INPUT,
  PLAN_FILE_INVALID: ExitCode.BAD_INPUT,
  PLAN_FILE_VERSION: ExitCode.BAD_INPUT,
  POLICY_INVALID: ExitCode.BAD_INPUT,
  PLAN_STALE: ExitCode.STALE_PLAN,
  PLAN_HOSTKEY_MISMATCH: ExitCode.HOST_MISMATCH,
  PLAN_HOST_MISMATCH: ExitCode.HOST_MISMATCH,
  LOCKED: ExitCode.LOCKED,
  ROLLED_BACK: ExitCode.ROLLED_BACK,
  ROLLBACK_FAILED: ExitCode.ROLLBACK_FAILED,
  NOT_A_TTY: ExitCode.USAGE,
  INTERRUPTED: ExitCode.INTERRUPTED,
}

/** The one error type: a stable code, a message that says what to do next, an exit code. */
export class FpmfixError extends Error {
  readonly code: ErrorCode
  readonly exit: ExitCodeValue
  readonly hint: string | undefined
  readonly host: string | undefined
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: FpmfixErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'FpmfixError'
    this.code = code
    this.exit = options.exit ?? DEFAULT_EXIT[code] ?? ExitCode.ERROR
    this.hint = options.hint
    this.host = options.host
    this.details = options.details
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      exit: this.exit,
      ...(this.hint === undefined ? {} : {hint: this.hint}),
      ...(this.host === undefined ? {} : {host: this.host}),
      ...(this.details === undefined ? {} : {details: this.details}),
    }
  }
}

export function isFpmfixError(error: unknown): error is FpmfixError {
  return error instanceof FpmfixError
}

/** Wrap anything thrown into an FpmfixError, keeping one that already is. */
export function toFpmfixError(error: unknown, fallback: ErrorCode = 'INTERNAL'): FpmfixError {
  if (isFpmfixError(error)) return error
  const message = error instanceof Error ? error.message : String(error)
  return new FpmfixError(fallback, message, {cause: error})
}
