import {readFile, rm} from 'node:fs/promises'
import {LabError} from './lab-error.js'
import {runProgram} from './process-run.js'

/** Generate an unencrypted ed25519 key pair at `privatePath` (+ `.pub`); returns the public key line. */
export async function generateEd25519Key(privatePath: string, comment: string): Promise<string> {
  await rm(privatePath, {force: true})
  await rm(`${privatePath}.pub`, {force: true})
  const result = await runProgram('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privatePath])
  if (result.code !== 0) {
    throw new LabError(`ssh-keygen failed for ${privatePath}`, {log: result.stdout + result.stderr})
  }
  return (await readFile(`${privatePath}.pub`, 'utf8')).trim()
}

/** The known_hosts line OpenSSH writes for a server on 127.0.0.1 at a non-standard port. */
export function knownHostsLine(port: number, publicKeyLine: string): string {
  const [type, base64] = publicKeyLine.trim().split(/\s+/)
  if (!type || !base64) throw new LabError(`not an OpenSSH public key line: ${publicKeyLine}`)
  return `[127.0.0.1]:${port} ${type} ${base64}`
}
