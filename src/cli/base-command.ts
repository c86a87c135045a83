import {Command, Flags} from '@oclif/core'

import {FpmfixError, toFpmfixError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import {paintErr} from '../render/style.js'
import {exitOnInterrupt} from './interrupt.js'
import {closest} from './suggest.js'

export const FORMAT_VERSION = 1

/** An error oclif raised itself: a parse error (with its exit code), or its exit() signal. */
type OclifError = Error & {code?: string; oclif?: {exit?: number}; flags?: string[]}

/** Output flags every command has, and the one place errors become stderr text and exit codes. */
export abstract class BaseCommand extends Command {
  // -q/-v first: oclif trims the indent of a section's first row, which misaligns a flag without a short form.
  static override baseFlags = {
    quiet: Flags.boolean({char: 'q', description: 'No progress output on stderr.', helpGroup: 'OUTPUT'}),
    verbose: Flags.boolean({
      char: 'v',
      description: 'Show every host in full (healthy ones too), error causes and timings.',
      helpGroup: 'OUTPUT',
    }),
    json: Flags.boolean({description: 'Print exactly one JSON document on stdout.', helpGroup: 'OUTPUT'}),
  }

  protected jsonMode = false
  protected verboseMode = false

  override async init(): Promise<void> {
    exitOnInterrupt()
    await super.init()
  }

  /** Write data (human text) to stdout. */
  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  protected printJson(document: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify({formatVersion: FORMAT_VERSION, ...document}, null, 2)}\n`)
  }

  protected override async catch(error: OclifError): Promise<unknown> {
    // oclif's exit() signal, not a failure.
    if (error.code === 'EEXIT' && !(error instanceof FpmfixError)) throw error
    const failure =
      error.oclif?.exit !== undefined && !(error instanceof FpmfixError) ? this.usageError(error) : toFpmfixError(error)
    // A usage error can come before the flags are parsed: --json on the command line still asks for a JSON document.
    if (this.jsonMode || this.argv.includes('--json')) writeErrorJson(failure)
    else process.stderr.write(renderError(failure, this.verboseMode || Boolean(process.env.DEBUG)))
    process.exitCode = failure.exit
    return undefined
  }

  /** oclif's parse errors as one line and one pointer at --help (not the whole help text). */
  private usageError(error: OclifError): FpmfixError {
    // The failed parse was this command's parse: oclif need not warn that it never happened.
    this.parsed = true
    const [head = '', ...rest] = error.message
      .replace(/\nSee more help with --help\s*$/, '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
    const message = rest.length === 0 ? head : `${head.replace(/[:\s]+$/, '')}: ${rest.join('; ')}`
    const known = Object.keys(this.ctor.flags ?? {}).map((name) => `--${name}`)
    const unknown = error.flags?.[0]?.replace(/=.*$/, '')
    const suggestion = unknown === undefined ? undefined : closest(unknown, known)
    const command = [this.config.bin, this.id].filter((word) => word !== undefined).join(' ')
    const help = `Run '${command} --help' for the flags and arguments.`
    return new FpmfixError('USAGE', message, {
      exit: ExitCode.USAGE,
      hint: suggestion === undefined ? help : `Did you mean ${suggestion}? ${help}`,
      cause: error,
    })
  }

  protected setExit(code: number): void {
    process.exitCode = code
  }
}

/** The JSON error document: one object on stdout, with the stable code and the exit code. */
export function writeErrorJson(failure: FpmfixError): void {
  process.stdout.write(`${JSON.stringify({formatVersion: FORMAT_VERSION, error: failure.toJSON()}, null, 2)}\n`)
}

export function renderError(failure: FpmfixError, withCause: boolean): string {
  const where = failure.host === undefined ? '' : `${failure.host}: `
  const lines = [
    `${paintErr(['red', 'bold'], 'Error')} ${paintErr('dim', `[${failure.code}]`)} ${where}${failure.message}`,
  ]
  if (failure.hint !== undefined) lines.push(`  ${paintErr('yellow', 'hint:')} ${failure.hint}`)
  if (withCause && failure.stack) lines.push(paintErr('dim', failure.stack))
  if (failure.exit === ExitCode.ERROR && failure.code === 'INTERNAL') {
    lines.push('  This is a bug in fpmfix; please report it with the output of the command run with DEBUG=1.')
  }
  return `${lines.join('\n')}\n`
}
