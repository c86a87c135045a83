import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {
  checkHostKey,
  entryMatchesHost,
  hostLookupName,
  knownHostsLine,
  matchPatternList,
  parseKnownHosts,
  sha256Fingerprint,
  type HostPublicKey,
} from '../../../../src/transport/ssh/known-hosts.js'
import {generateKeyPair} from './support/fake-sshd.js'

const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined
const dir = mkdtempSync(join(tmpdir(), 'fpmfix-known-hosts-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function publicKey(type: 'ed25519' | 'rsa' = 'ed25519'): HostPublicKey {
  const [keyType = '', base64 = ''] = generateKeyPair(type).public.split(' ')
  return {type: keyType, base64}
}

const web = publicKey()
const prod = publicKey()
const bastion = publicKey('rsa')
const lab = publicKey()
const revoked = publicKey()
const ca = publicKey()

const KNOWN_HOSTS = [
  '# managed by config management',
  '',
  `web1.example.com,10.0.0.5 ${web.type} ${web.base64} root@web1`,
  `*.prod.example.com,!db.prod.example.com ${prod.type} ${prod.base64}`,
  `[bastion.example.com]:2222 ${bastion.type} ${bastion.base64}`,
  `app?.example.org ${web.type} ${web.base64}`,
  `@revoked * ${revoked.type} ${revoked.base64}`,
  `@cert-authority *.example.net ${ca.type} ${ca.base64}`,
  `[*.lab]:2200 ${lab.type} ${lab.base64}`,
  'garbage',
  `only-two-fields ${web.type}`,
  `bad-base64 ${web.type} not*base64`,
  `@unknown-marker host ${web.type} ${web.base64}`,
].join('\n')

describe('parseKnownHosts', () => {
  const entries = parseKnownHosts(KNOWN_HOSTS)

  it('keeps host key lines with their line numbers and markers, skipping comments and malformed lines', () => {
    expect(entries.map((entry) => [entry.line, entry.marker ?? '', entry.hosts])).toEqual([
      [3, '', 'web1.example.com,10.0.0.5'],
      [4, '', '*.prod.example.com,!db.prod.example.com'],
      [5, '', '[bastion.example.com]:2222'],
      [6, '', 'app?.example.org'],
      [7, 'revoked', '*'],
      [8, 'cert-authority', '*.example.net'],
      [9, '', '[*.lab]:2200'],
    ])
    expect(entries[0]?.key).toEqual(web)
  })

  it.skipIf(!hasSshKeygen)(
    'matches exactly the lines `ssh-keygen -F` finds, for plain, wildcard, negated and [host]:port names',
    () => {
      const file = join(dir, 'patterns')
      writeFileSync(file, KNOWN_HOSTS)
      const queries: Array<[string, number]> = [
        ['web1.example.com', 22],
        ['WEB1.Example.com', 22],
        ['10.0.0.5', 22],
        ['10.0.0.5', 2222],
        ['a.prod.example.com', 22],
        ['db.prod.example.com', 22],
        ['bastion.example.com', 2222],
        ['bastion.example.com', 22],
        ['app1.example.org', 22],
        ['app12.example.org', 22],
        ['x.lab', 2200],
        ['x.lab', 22],
        ['nothing.example', 22],
        ['www.example.net', 22],
      ]
      for (const [host, port] of queries) {
        const ours = entries.filter((entry) => entryMatchesHost(entry, host, port)).map((entry) => entry.line)
        const opensshLines = sshKeygenFind(hostLookupName(host, port), file)
        expect({host, port, lines: ours}).toEqual({host, port, lines: opensshLines})
      }
    },
  )
})

function sshKeygenFind(name: string, file: string): number[] {
  const result = spawnSync('ssh-keygen', ['-F', name, '-f', file], {encoding: 'utf8'})
  return [...result.stdout.matchAll(/found: line (\d+)/g)].map((match) => Number(match[1]))
}

describe('matchPatternList', () => {
  it('lets a matching negation veto the whole list even when another pattern matches', () => {
    expect(matchPatternList('*.example.com,!secret.example.com', 'www.example.com')).toBe(true)
    expect(matchPatternList('*.example.com,!secret.example.com', 'secret.example.com')).toBe(false)
    expect(matchPatternList('!secret.example.com', 'www.example.com')).toBe(false)
  })

  it('treats regex metacharacters in host names literally', () => {
    expect(matchPatternList('10.0.0.5', '10a0b0c5')).toBe(false)
    expect(matchPatternList('[10.0.0.5]:2222', '[10.0.0.5]:2222')).toBe(true)
  })
})

describe.skipIf(!hasSshKeygen)('hashed entries', () => {
  it('matches the lines `ssh-keygen -H` produced, for plain and [host]:port names', () => {
    const file = join(dir, 'hashed')
    writeFileSync(
      file,
      `web1.example.com,10.0.0.5 ${web.type} ${web.base64}\n[bastion.example.com]:2222 ${bastion.type} ${bastion.base64}\n`,
    )
    execFileSync('ssh-keygen', ['-H', '-f', file], {stdio: 'ignore'})
    const entries = parseKnownHosts(readFileSync(file, 'utf8'))

    expect(entries.every((entry) => entry.hosts.startsWith('|1|'))).toBe(true)
    expect(checkHostKey(entries, 'web1.example.com', 22, web).status).toBe('known')
    expect(checkHostKey(entries, '10.0.0.5', 22, web).status).toBe('known')
    expect(checkHostKey(entries, 'bastion.example.com', 2222, bastion).status).toBe('known')
    expect(checkHostKey(entries, 'bastion.example.com', 22, bastion).status).toBe('unknown')
    expect(checkHostKey(entries, 'web2.example.com', 22, web).status).toBe('unknown')
    expect(checkHostKey(entries, '10.0.0.5', 22, prod).status).toBe('changed')
  })
})

describe('checkHostKey', () => {
  const entries = parseKnownHosts(KNOWN_HOSTS)

  it('accepts the recorded key and reports the line that vouched for it', () => {
    const verdict = checkHostKey(entries, '10.0.0.5', 22, web)
    expect(verdict).toMatchObject({status: 'known', entry: {line: 3}})
  })

  it('reports a different key for a known host as changed, listing the recorded entries', () => {
    const verdict = checkHostKey(entries, 'web1.example.com', 22, prod)
    expect(verdict.status).toBe('changed')
    expect(verdict.status === 'changed' && verdict.entries.map((entry) => entry.line)).toEqual([3])
  })

  it('reports a host with keys of another type only as changed, not unknown', () => {
    expect(checkHostKey(entries, 'bastion.example.com', 2222, web).status).toBe('changed')
  })

  it('does not apply a port-22 entry to another port', () => {
    expect(checkHostKey(entries, 'web1.example.com', 2222, web).status).toBe('unknown')
  })

  it('refuses a revoked key for any host, even one it is otherwise recorded for', () => {
    const withRevokedWeb = parseKnownHosts(`${KNOWN_HOSTS}\n@revoked old.example.com ${web.type} ${web.base64}`)
    expect(checkHostKey(withRevokedWeb, 'web1.example.com', 22, web)).toMatchObject({
      status: 'revoked',
      entry: {line: 14},
    })
    expect(checkHostKey(entries, 'anything.example', 22, revoked).status).toBe('revoked')
  })

  it('never trusts a @cert-authority key as a host key', () => {
    expect(checkHostKey(entries, 'www.example.net', 22, ca).status).toBe('unknown')
  })
})

describe('knownHostsLine and sha256Fingerprint', () => {
  it.skipIf(!hasSshKeygen)('writes lines ssh-keygen finds under the [host]:port name, with its fingerprint', () => {
    const file = join(dir, 'appended')
    writeFileSync(file, `${knownHostsLine('Web1.Example.com', 22, web)}\n${knownHostsLine('10.0.0.7', 2200, lab)}\n`)
    expect(sshKeygenFind('web1.example.com', file)).toEqual([1])
    expect(sshKeygenFind('[10.0.0.7]:2200', file)).toEqual([2])
    const listed = execFileSync('ssh-keygen', ['-l', '-f', file], {encoding: 'utf8'})
    expect(listed).toContain(sha256Fingerprint(web))
    expect(listed).toContain(sha256Fingerprint(lab))
  })
})
