import {readFile} from 'node:fs/promises'
import ssh2 from 'ssh2'
import type {ParsedKey} from 'ssh2'
import {FpmfixError} from '../../errors.js'

export type PassphrasePrompt = (keyFile: string) => Promise<string | undefined>

export interface LoadPrivateKeyOptions {
  passphrase?: string
  promptPassphrase?: PassphrasePrompt
  /** Host the key is for, so errors can say which target failed. */
  host?: string
}

const MAX_PROMPTS = 3

/**
 * Read and decrypt a private key file. An encrypted key without a usable
 * passphrase fails with SSH_KEY_PASSPHRASE rather than surfacing later as a
 * confusing authentication failure.
 */
export async function loadPrivateKey(file: string, options: LoadPrivateKeyOptions = {}): Promise<ParsedKey> {
  const data = await readKeyFile(file, options.host)
  let passphrase = options.passphrase
  let prompts = 0
  for (;;) {
    const parsed = parseOne(data, passphrase)
    if (!(parsed instanceof Error)) return checkPrivate(parsed, file, options.host)
    if (!needsPassphrase(parsed)) throw unreadable(file, parsed.message, options.host, parsed)
    const wrongPassphrase = passphrase !== undefined
    if (options.promptPassphrase === undefined || prompts >= MAX_PROMPTS) {
      throw passphraseError(file, wrongPassphrase, options.host)
    }
    prompts += 1
    passphrase = await options.promptPassphrase(file)
    if (passphrase === undefined) throw passphraseError(file, false, options.host)
  }
}

async function readKeyFile(file: string, host: string | undefined): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    throw unreadable(file, (error as Error).message, host, error)
  }
}

function parseOne(data: Buffer, passphrase: string | undefined): ParsedKey | Error {
  const parsed: ParsedKey | ParsedKey[] | Error = ssh2.utils.parseKey(data, passphrase)
  if (Array.isArray(parsed)) return parsed[0] ?? new Error('the file holds no key')
  return parsed
}

function needsPassphrase(error: Error): boolean {
  return /no passphrase given|bad passphrase/i.test(error.message)
}

function checkPrivate(key: ParsedKey, file: string, host: string | undefined): ParsedKey {
  if (key.isPrivateKey()) return key
  throw unreadable(file, 'it holds a public key, not a private key', host)
}

function unreadable(file: string, reason: string, host: string | undefined, cause?: unknown): FpmfixError {
  return new FpmfixError('SSH_KEY_UNREADABLE', `cannot use private key ${file}: ${reason}`, {
    host,
    cause,
    hint: 'Pass a readable OpenSSH or PEM private key with --private-key (or ansible_ssh_private_key_file).',
  })
}

function passphraseError(file: string, wrongPassphrase: boolean, host: string | undefined): FpmfixError {
  const message = wrongPassphrase
    ? `wrong passphrase for private key ${file}`
    : `private key ${file} is encrypted and no passphrase was given`
  return new FpmfixError('SSH_KEY_PASSPHRASE', message, {
    host,
    hint: 'Load the key into ssh-agent (ssh-add) and let fpmfix use the agent, or run fpmfix on a terminal so it can ask for the passphrase.',
  })
}
