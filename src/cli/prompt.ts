import {createInterface} from 'node:readline'

import {FpmfixError} from '../errors.js'

let queue: Promise<unknown> = Promise.resolve()

/** Ask on the terminal, one question at a time even when hosts run in parallel. */
function serialized<T>(ask: () => Promise<T>): Promise<T> {
  const next = queue.then(ask, ask)
  queue = next.catch(() => undefined)
  return next
}

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

export function promptLine(question: string, options: {hidden?: boolean} = {}): Promise<string> {
  return serialized(
    () =>
      new Promise<string>((resolve, reject) => {
        const rl = createInterface({input: process.stdin, output: process.stderr, terminal: true})
        if (options.hidden) {
          // Echo nothing of what is typed: readline writes through _writeToOutput.
          const internal = rl as unknown as {_writeToOutput: (text: string) => void}
          let asked = false
          internal._writeToOutput = (text: string) => {
            if (!asked) {
              process.stderr.write(text)
              asked = true
            }
          }
        }
        rl.on('SIGINT', () => {
          rl.close()
          reject(new FpmfixError('INTERRUPTED', 'interrupted at the question; nothing was changed'))
        })
        rl.question(question, (answer) => {
          rl.close()
          if (options.hidden) process.stderr.write('\n')
          resolve(answer)
        })
      }),
  )
}

const passphrases = new Map<string, Promise<string | undefined>>()

/** Prompt once per key file for its passphrase; undefined when no terminal can be asked. */
export function promptPassphrase(keyFile: string): Promise<string | undefined> {
  if (!canPrompt()) return Promise.resolve(undefined)
  let pending = passphrases.get(keyFile)
  if (pending === undefined) {
    pending = promptLine(`Passphrase for ${keyFile}: `, {hidden: true})
    passphrases.set(keyFile, pending)
  }
  return pending
}
