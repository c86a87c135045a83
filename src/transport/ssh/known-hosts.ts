import {createHash, createHmac} from 'node:crypto'

/** A server host key as it travels in SSH: key type plus the base64 of the public key blob. */
export interface HostPublicKey {
  type: string
  base64: string
}

export interface KnownHostEntry {
  /** 1-based line number in the known_hosts file. */
  line: number
  marker: 'revoked' | 'cert-authority' | undefined
  /** The host field as written: a comma-separated pattern list, or one `|1|salt|hash` entry. */
  hosts: string
  key: HostPublicKey
}

export type HostKeyVerdict =
  | {status: 'known'; entry: KnownHostEntry}
  | {status: 'unknown'}
  | {status: 'changed'; entries: KnownHostEntry[]}
  | {status: 'revoked'; entry: KnownHostEntry}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Parse known_hosts text (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). Comments,
 * blank lines and lines that cannot be a host key entry are skipped, as ssh does.
 */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = parseKnownHostsLine(raw.trim(), index + 1)
    if (entry !== undefined) entries.push(entry)
  })
  return entries
}

function parseKnownHostsLine(text: string, line: number): KnownHostEntry | undefined {
  if (text === '' || text.startsWith('#')) return undefined
  const fields = text.split(/\s+/)
  let marker: KnownHostEntry['marker']
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift()
    if (name === '@revoked') marker = 'revoked'
    else if (name === '@cert-authority') marker = 'cert-authority'
    else return undefined
  }
  const [hosts, type, base64] = fields
  if (hosts === undefined || type === undefined || base64 === undefined) return undefined
  if (!BASE64.test(base64)) return undefined
  return {line, marker, hosts, key: {type, base64}}
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  const name = host.toLowerCase()
  return port === 22 ? name : `[${name}]:${port}`
}

/** Whether one entry's host field covers this host and port. */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = hostLookupName(host, port)
  if (entry.hosts.startsWith('|')) return hashedHostMatches(entry.hosts, name)
  return matchPatternList(entry.hosts, name)
}

/**
 * OpenSSH match_pattern_list semantics: any negated pattern that matches
 * rejects the name outright; otherwise one positive match accepts it.
 */
export function matchPatternList(patternList: string, name: string): boolean {
  let matched = false
  for (const raw of patternList.toLowerCase().split(',')) {
    const negated = raw.startsWith('!')
    const pattern = negated ? raw.slice(1) : raw
    if (pattern === '' || !globMatches(pattern, name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}

function globMatches(pattern: string, name: string): boolean {
  const source = [...pattern]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.+()[\]{}|]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`, 's').test(name)
}

function hashedHostMatches(hosts: string, name: string): boolean {
  const [, version, salt, hash] = hosts.split('|')
  if (version !== '1' || salt === undefined || hash === undefined) return false
  const expected = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
  return expected === hash
}

/**
 * Decide what a presented host key means. A revoked key is refused for every
 * host; any other entry for the host with a different key (of any type) means
 * the key changed. `@cert-authority` lines are not used: host certificates are
 * not negotiated, so those lines can never vouch for a key here.
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: HostPublicKey,
): HostKeyVerdict {
  const revoked = entries.find((entry) => entry.marker === 'revoked' && sameKey(entry.key, key))
  if (revoked !== undefined) return {status: 'revoked', entry: revoked}
  const forHost = entriesForHost(entries, host, port)
  const match = forHost.find((entry) => sameKey(entry.key, key))
  if (match !== undefined) return {status: 'known', entry: match}
  return forHost.length === 0 ? {status: 'unknown'} : {status: 'changed', entries: forHost}
}

/** Plain (unmarked) entries whose host field covers this host and port, in file order. */
export function entriesForHost(entries: readonly KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  return entries.filter((entry) => entry.marker === undefined && entryMatchesHost(entry, host, port))
}

function sameKey(a: HostPublicKey, b: HostPublicKey): boolean {
  return a.type === b.type && a.base64 === b.base64
}

/** The line `ssh` itself would append for a newly accepted key. */
export function knownHostsLine(host: string, port: number, key: HostPublicKey): string {
  return `${hostLookupName(host, port)} ${key.type} ${key.base64}`
}

/** OpenSSH's fingerprint form: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function sha256Fingerprint(key: HostPublicKey): string {
  const digest = createHash('sha256').update(Buffer.from(key.base64, 'base64')).digest('base64')
  return `SHA256:${digest.replace(/=+$/, '')}`
}
