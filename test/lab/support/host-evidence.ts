import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import type {LabHost} from '../lab/index.js'

const execFileAsync = promisify(execFile)

const SSHD_LOG = '/var/log/sshd.log'

/** sshd's log lines on a host, for counting logins and connections before and after a run. */
export async function sshdLog(host: LabHost): Promise<string[]> {
  const text = await host.readFile(SSHD_LOG)
  return text.split('\n').filter((line) => line !== '')
}

/**
 * sshd's log lines written after the first `since` lines, once one of them satisfies `until`
 * (sshd logs a connection's end a moment after the client has gone). Gives up after `timeoutMs`
 * and returns what there is.
 */
export async function sshdLinesAfter(
  host: LabHost,
  since: number,
  until: (line: string) => boolean,
  timeoutMs = 3_000,
): Promise<string[]> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const fresh = (await sshdLog(host)).slice(since)
    if (fresh.some(until) || performance.now() > deadline) return fresh
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Sessions sshd let in with a public key ("Accepted publickey for USER from … port …"). */
export function acceptedLogins(lines: readonly string[], user?: string): string[] {
  const prefix = user === undefined ? 'Accepted publickey for ' : `Accepted publickey for ${user} from `
  return lines.filter((line) => line.includes(prefix))
}

/** The SHA256 fingerprint OpenSSH prints for a known_hosts line (`ssh-keygen -lf`), e.g. `SHA256:abc…`. */
export async function hostKeyFingerprint(knownHostsLine: string): Promise<string> {
  const [, type, base64] = knownHostsLine.trim().split(/\s+/)
  const child = execFileAsync('ssh-keygen', ['-lf', '-'])
  child.child.stdin?.end(`${type} ${base64}\n`)
  const {stdout} = await child
  const fingerprint = /\bSHA256:[A-Za-z0-9+/]+/.exec(stdout)?.[0]
  if (fingerprint === undefined) throw new Error(`ssh-keygen printed no fingerprint for ${knownHostsLine}: ${stdout}`)
  return fingerprint
}

/** The `type base64` part of a known_hosts or authorized_keys line. */
export function keyMaterial(line: string): string {
  const words = line.trim().split(/\s+/)
  const typeIndex = words.findIndex((word) => /^(ssh-|ecdsa-)/.test(word))
  if (typeIndex < 0 || words[typeIndex + 1] === undefined) throw new Error(`no key in line: ${line}`)
  return `${words[typeIndex]} ${words[typeIndex + 1]}`
}
