import type {Client, ClientChannel} from 'ssh2'
import {FpmfixError} from '../../errors.js'
import {shellQuote} from '../../util/shell-quote.js'
import type {ExecOptions, ExecResult} from '../transport.js'
import {disconnectedError} from './ssh-errors.js'

export interface ExecContext {
  /** Host name for messages and FpmfixError.host. */
  label: string
  /** True once the SSH connection itself has gone away. */
  connectionLost(): boolean
}

/** Wrap a command so it runs as root without ever prompting for a password. */
export function becomeCommand(command: string): string {
  return `sudo -n -- sh -c ${shellQuote(command)}`
}

/** Run one command on its own exec channel (no pty: stderr stays separate). */
export function execOnClient(
  client: Client,
  command: string,
  options: ExecOptions,
  context: ExecContext,
): Promise<ExecResult> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const onChannel = (error: Error | undefined, channel: ClientChannel): void => {
      if (error !== undefined) {
        reject(channelOpenError(error, context))
        return
      }
      collect(channel, options, context, started).then(resolve, reject)
    }
    try {
      client.exec(command, onChannel)
    } catch (error) {
      reject(disconnectedError(context.label, (error as Error).message, error))
    }
  })
}

function collect(
  channel: ClientChannel,
  options: ExecOptions,
  context: ExecContext,
  started: number,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let code: number | null = null
    let signal: string | null = null
    let timer: NodeJS.Timeout | undefined
    let done = false

    channel.on('data', (chunk: Buffer) => {
      stdout.push(chunk)
      options.onStdout?.(chunk)
    })
    channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    channel.on('exit', (exitCode: number | null, signalName?: string) => {
      code = exitCode
      signal = exitCode === null ? (signalName ?? null) : null
    })
    channel.on('error', () => {
      // A channel error is followed by 'close'; the outcome is decided there.
    })
    channel.on('close', () => {
      if (done) return
      done = true
      clearTimeout(timer)
      const sawExit = code !== null || signal !== null
      if (!sawExit && context.connectionLost()) {
        reject(disconnectedError(context.label, 'the connection closed while a command was running'))
        return
      }
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: Math.round(performance.now() - started),
      })
    })

    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        if (done) return
        done = true
        sendKill(channel)
        channel.close()
        reject(
          new FpmfixError('EXEC_TIMEOUT', `command did not finish within ${options.timeoutMs} ms on ${context.label}`, {
            host: context.label,
            hint: 'The host may be overloaded or the command is waiting for input; raise the timeout or run it by hand to see.',
            details: {stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8')},
          }),
        )
      }, options.timeoutMs)
    }

    if (options.stdin === undefined) channel.end()
    else channel.end(options.stdin)
  })
}

interface ChannelInternals {
  outgoing?: {id?: number; state?: string}
  _client?: {_protocol?: {signal?(id: number, signal: string): void}}
}

/**
 * ssh2's channel.signal() is a no-op once stdin was ended, which is always the
 * case here, so the request goes straight to the protocol layer.
 */
function sendKill(channel: ClientChannel): void {
  const internals = channel as unknown as ChannelInternals
  const id = internals.outgoing?.id
  const protocol = internals._client?._protocol
  if (id === undefined || internals.outgoing?.state === 'closed' || typeof protocol?.signal !== 'function') {
    channel.signal('KILL')
    return
  }
  protocol.signal(id, 'KILL')
}

function channelOpenError(error: Error, context: ExecContext): FpmfixError {
  if (context.connectionLost()) return disconnectedError(context.label, error.message, error)
  return new FpmfixError('EXEC_FAILED', `${context.label} refused to start a command: ${error.message}`, {
    host: context.label,
    cause: error,
    hint: 'The server may limit sessions (MaxSessions) or forbid command execution for this user (ForceCommand / authorized_keys restrictions).',
  })
}

/** sudo -n prints these and exits 1 instead of prompting. */
const PASSWORD_REQUIRED = /^sudo: (a password is required|a terminal is required|no tty present)/m
const DENIED =
  /is not in the sudoers file|^Sorry, user \S+ (is not allowed to|may not run sudo)|^sudo: \S+ is not allowed to/m
const SUDO_MISSING = /\bsudo: (command )?not found/

/** Turn a sudo refusal into an error; any other result (including failures of the command itself) passes through. */
export function checkSudoResult(result: ExecResult, context: {label: string; user: string}): ExecResult {
  if (result.code === 127 && SUDO_MISSING.test(result.stderr)) {
    throw new FpmfixError('SUDO_DENIED', `sudo is not installed on ${context.label}`, {
      host: context.label,
      hint: 'Install sudo on the host or connect as root.',
      details: {stderr: result.stderr},
    })
  }
  if (result.code !== 1) return result
  if (PASSWORD_REQUIRED.test(result.stderr)) {
    throw new FpmfixError(
      'SUDO_PASSWORD_REQUIRED',
      `sudo on ${context.label} wants a password for ${context.user}, and fpmfix never types one`,
      {
        host: context.label,
        hint:
          `Allow ${context.user} passwordless sudo (a NOPASSWD rule in /etc/sudoers.d/) or connect as root; ` +
          `if ${context.user} is not meant to use sudo at all, connect as a user who is.`,
        details: {stderr: result.stderr},
      },
    )
  }
  if (DENIED.test(result.stderr)) {
    throw new FpmfixError('SUDO_DENIED', `${context.user} may not use sudo on ${context.label}`, {
      host: context.label,
      hint: `Add ${context.user} to sudoers (NOPASSWD) or connect as a user who may become root.`,
      details: {stderr: result.stderr},
    })
  }
  return result
}
