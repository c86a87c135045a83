import {appendFile, mkdir, readFile} from 'node:fs/promises'
import {dirname} from 'node:path'
import ssh2 from 'ssh2'
import type {ServerHostKeyAlgorithm} from 'ssh2'
import {FpmfixError} from '../../errors.js'
import type {HostKeyFingerprint} from '../../model/target.js'
import {shellQuote} from '../../util/shell-quote.js'
import {
  checkHostKey,
  entriesForHost,
  hostLookupName,
  knownHostsLine,
  parseKnownHosts,
  sha256Fingerprint,
  type HostPublicKey,
  type KnownHostEntry,
} from './known-hosts.js'

export interface HostKeyCheckOptions {
  knownHostsFile: string
  acceptNewHostKeys: boolean
  host: string
  port: number
  /** What messages call the host (inventory name or ssh alias). */
  label: string
  /**
   * The key a saved plan recorded for this host. Any other key is refused before
   * authentication, whatever known_hosts says; the recorded key is trusted unless revoked.
   */
  expectedKey?: HostKeyFingerprint
}

export interface HostKeyCheck {
  /** Host key algorithms to offer first, so the server presents a key type we already know. */
  preferredAlgorithms: ServerHostKeyAlgorithm[]
  /** Resolves when the key may be trusted; rejects with an SSH_HOSTKEY_* (or PLAN_HOSTKEY_MISMATCH) error otherwise. */
  verify(rawKey: Buffer): Promise<void>
  /** The key the host presented, once it has. */
  presented(): HostKeyFingerprint | undefined
}

const ALGORITHMS_BY_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
}

/** Load known_hosts once for one host and return its fail-closed verifier. */
export async function prepareHostKeyCheck(options: HostKeyCheckOptions): Promise<HostKeyCheck> {
  const entries = parseKnownHosts(await readKnownHosts(options))
  // With a recorded key, ask for its type first so the host presents the same key it did then.
  const knownTypes = [
    ...(options.expectedKey === undefined ? [] : [options.expectedKey.type]),
    ...entriesForHost(entries, options.host, options.port).map((entry) => entry.key.type),
  ]
  const preferredAlgorithms = [...new Set(knownTypes.flatMap((type) => ALGORITHMS_BY_KEY_TYPE[type] ?? []))]
  let presented: HostKeyFingerprint | undefined
  return {
    preferredAlgorithms,
    verify: async (rawKey) => {
      const key = presentedKey(rawKey, options)
      presented = {type: key.type, sha256: sha256Fingerprint(key)}
      await verifyHostKey(entries, options, key)
    },
    presented: () => presented,
  }
}

async function readKnownHosts(options: HostKeyCheckOptions): Promise<string> {
  try {
    return await readFile(options.knownHostsFile, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw new FpmfixError(
      'SSH_CONFIG',
      `cannot read known_hosts file ${options.knownHostsFile}: ${(error as Error).message}`,
      {
        host: options.label,
        cause: error,
        hint: 'Fix the file permissions or pass another file with --known-hosts.',
      },
    )
  }
}

async function verifyHostKey(
  entries: KnownHostEntry[],
  options: HostKeyCheckOptions,
  key: HostPublicKey,
): Promise<void> {
  const expected = options.expectedKey
  if (expected !== undefined && (expected.type !== key.type || expected.sha256 !== sha256Fingerprint(key))) {
    throw plannedKeyError(options, key, expected)
  }
  const verdict = checkHostKey(entries, options.host, options.port, key)
  switch (verdict.status) {
    case 'known':
      return
    case 'revoked':
      throw revokedError(options, key, verdict.entry)
    case 'changed':
      // The plan's recorded key vouches for the host, as a reviewed known_hosts line would.
      if (expected !== undefined) return
      throw changedError(options, key, verdict.entries)
    case 'unknown':
      if (expected !== undefined && !options.acceptNewHostKeys) return
      if (!options.acceptNewHostKeys) throw unknownError(options, key)
      await recordHostKey(options, key)
      // A re-key later in the session presents the same key again; it is known by then.
      entries.push({line: 0, marker: undefined, hosts: hostLookupName(options.host, options.port), key})
  }
}

function presentedKey(rawKey: Buffer, options: HostKeyCheckOptions): HostPublicKey {
  const parsed = ssh2.utils.parseKey(rawKey)
  if (parsed instanceof Error || Array.isArray(parsed)) {
    throw new FpmfixError('SSH_PROTOCOL', `${describe(options)} presented a host key that cannot be parsed`, {
      host: options.label,
      cause: parsed,
    })
  }
  return {type: parsed.type, base64: parsed.getPublicSSH().toString('base64')}
}

async function recordHostKey(options: HostKeyCheckOptions, key: HostPublicKey): Promise<void> {
  const file = options.knownHostsFile
  try {
    await mkdir(dirname(file), {recursive: true, mode: 0o700})
    const existing = await readFile(file, 'utf8').catch(() => '')
    const separator = existing === '' || existing.endsWith('\n') ? '' : '\n'
    await appendFile(file, `${separator}${knownHostsLine(options.host, options.port, key)}\n`, {mode: 0o600})
  } catch (error) {
    throw new FpmfixError(
      'SSH_CONFIG',
      `cannot record the host key of ${describe(options)} in ${file}: ${(error as Error).message}`,
      {
        host: options.label,
        cause: error,
      },
    )
  }
}

function unknownError(options: HostKeyCheckOptions, key: HostPublicKey): FpmfixError {
  const fingerprint = sha256Fingerprint(key)
  return new FpmfixError(
    'SSH_HOSTKEY_UNKNOWN',
    `host key of ${describe(options)} is not in ${options.knownHostsFile}: the server presented ${key.type} key ${fingerprint}`,
    {
      host: options.label,
      hint:
        `Verify the fingerprint ${fingerprint} out of band, then re-run with --accept-new-host-keys, ` +
        `or add it with: ssh-keyscan -p ${options.port} ${shellQuote(options.host)} >> ${shellQuote(options.knownHostsFile)}`,
      details: {knownHostsFile: options.knownHostsFile, keyType: key.type, fingerprint},
    },
  )
}

function changedError(options: HostKeyCheckOptions, key: HostPublicKey, known: KnownHostEntry[]): FpmfixError {
  const fingerprint = sha256Fingerprint(key)
  const knownLines = known.map(
    (entry) => `${entry.key.type} key ${sha256Fingerprint(entry.key)} at ${options.knownHostsFile}:${entry.line}`,
  )
  return new FpmfixError(
    'SSH_HOSTKEY_CHANGED',
    [
      `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${describe(options)}!`,
      'Someone could be eavesdropping (man-in-the-middle attack), or the host key has just been changed.',
      `The server presented ${key.type} key ${fingerprint}; known_hosts has ${knownLines.join(', ')}.`,
      'Refusing to connect.',
    ].join('\n'),
    {
      host: options.label,
      hint:
        'If the change is expected (host reinstalled), verify the new fingerprint out of band, then remove the old entry with: ' +
        `ssh-keygen -R ${shellQuote(hostLookupName(options.host, options.port))} -f ${shellQuote(options.knownHostsFile)}`,
      details: {
        knownHostsFile: options.knownHostsFile,
        presented: {keyType: key.type, fingerprint},
        known: known.map((entry) => ({
          line: entry.line,
          keyType: entry.key.type,
          fingerprint: sha256Fingerprint(entry.key),
        })),
      },
    },
  )
}

function plannedKeyError(options: HostKeyCheckOptions, key: HostPublicKey, expected: HostKeyFingerprint): FpmfixError {
  const fingerprint = sha256Fingerprint(key)
  return new FpmfixError(
    'PLAN_HOSTKEY_MISMATCH',
    `${describe(options)} presented ${key.type} key ${fingerprint}, but the plan was made on a host that presented ` +
      `${expected.type} key ${expected.sha256}; refused before logging in, nothing was run on it`,
    {
      host: options.label,
      hint:
        'This is not the host the plan was reviewed for (re-installed, re-keyed, or another machine at that address). ' +
        'Verify the new key out of band, then make and review a new plan against it.',
      details: {
        planned: {keyType: expected.type, fingerprint: expected.sha256},
        presented: {keyType: key.type, fingerprint},
      },
    },
  )
}

function revokedError(options: HostKeyCheckOptions, key: HostPublicKey, entry: KnownHostEntry): FpmfixError {
  const fingerprint = sha256Fingerprint(key)
  return new FpmfixError(
    'SSH_HOSTKEY_REVOKED',
    `${describe(options)} presented ${key.type} key ${fingerprint}, which is marked @revoked at ${options.knownHostsFile}:${entry.line}; refusing to connect`,
    {
      host: options.label,
      hint: 'A revoked key must never be trusted again: ask the host administrator to rotate the host key.',
      details: {knownHostsFile: options.knownHostsFile, line: entry.line, keyType: key.type, fingerprint},
    },
  )
}

function describe(options: HostKeyCheckOptions): string {
  const address = hostLookupName(options.host, options.port)
  return options.label === options.host ? address : `${options.label} (${address})`
}
