import type {Hook} from '@oclif/core'

import {renderError, writeErrorJson} from '../cli/base-command.js'
import {closest} from '../cli/suggest.js'
import {FpmfixError} from '../errors.js'

/** An unknown command is a usage error (64) with the nearest command suggested, never oclif's generic 1. */
const hook: Hook.CommandNotFound = async function (options) {
  const commands = options.config.commands.filter((command) => !command.hidden).map((command) => command.id)
  // With a space as topic separator oclif joins the following words into the id (plna:web1).
  const word = options.id.split(':')[0] ?? options.id
  const suggestion = closest(word, commands)
  const bin = options.config.bin
  const failure = new FpmfixError('USAGE', `unknown command "${word}"`, {
    hint: `${suggestion === undefined ? '' : `Did you mean "${bin} ${suggestion}"? `}Run '${bin} --help' for the commands.`,
    details: {command: word, ...(suggestion === undefined ? {} : {suggestion})},
  })
  if (options.argv?.includes('--json')) writeErrorJson(failure)
  else process.stderr.write(renderError(failure, false))
  process.exitCode = failure.exit
}

export default hook
