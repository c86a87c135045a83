import {Command, Flags} from '@oclif/core'

import {FpmfixError, toFpmfixError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import {paintErr} from '../render/style.js'

export const FORMAT_VERSION = 1

/** Output flags every command has, and the one place errors become stderr text and exit codes. */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({description: 'Print exactly one JSON document on stdout.', helpGroup: 'OUTPUT'}),
    quiet: Flags.boolean({char: 'q', description: 'No progress output on stderr.', helpGroup: 'OUTPUT'}),
    verbose: Flags.boolean({char: 'v', description: 'Show more detail (error causes, timings).', helpGroup: 'OUTPUT'}),
  }

  protected jsonMode = false
  protected verboseMode = false

  /** Write data (human text) to stdout. */
  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  protected printJson(document: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify({formatVersion: FORMAT_VERSION, ...document}, null, 2)}\n`)
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (error.oclif?.exit !== undefined && !(error instanceof FpmfixError)) {
      // oclif's own parse and exit errors already carry the right exit code.
      if (error.oclif.exit === 0) return
      if (this.jsonMode) {
        this.printJson({error: {code: 'USAGE', message: error.message, exit: error.oclif.exit}})
        process.exitCode = error.oclif.exit
        return
      }
      throw error
    }
    const failure = toFpmfixError(error)
    if (this.jsonMode) {
      this.printJson({error: failure.toJSON()})
    } else {
      process.stderr.write(renderError(failure, this.verboseMode || Boolean(process.env.DEBUG)))
    }
    process.exitCode = failure.exit
    return undefined
  }

  protected setExit(code: number): void {
    process.exitCode = code
  }
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
