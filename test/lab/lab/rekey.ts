import {readFile, writeFile} from 'node:fs/promises'
import {knownHostsLine} from './keys.js'
import type {LabHost} from './lab-host.js'
import {runProgram} from './process-run.js'
import {waitFor} from './wait.js'

const HOST_KEY = '/etc/ssh/ssh_host_ed25519_key'

/** The ed25519 key sshd on `port` presents now, as `type base64` (ssh-keyscan from this machine). */
async function presentedKey(port: number): Promise<string | undefined> {
  const scan = await runProgram('ssh-keyscan', ['-T', '5', '-t', 'ed25519', '-p', String(port), '127.0.0.1'])
  const line = scan.stdout.split('\n').find((candidate) => candidate.startsWith(`[127.0.0.1]:${port} `))
  return line?.split(/\s+/).slice(1, 3).join(' ')
}

/**
 * Give the host's sshd a new ed25519 host key, as a re-install or a key rotation would: a new
 * key file, then SIGHUP (sshd re-executes itself and loads its host keys again). Returns once
 * sshd presents the new key, with the known_hosts line for it.
 */
export async function rekeySshd(host: LabHost): Promise<string> {
  await host.exec(
    `rm -f ${HOST_KEY} ${HOST_KEY}.pub && ssh-keygen -q -t ed25519 -N '' -C root@${host.name}-rekeyed -f ${HOST_KEY} && ` +
      'kill -HUP "$(cat /run/sshd.pid)"',
  )
  const line = knownHostsLine(host.sshPort, await host.readFile(`${HOST_KEY}.pub`))
  const key = line.split(' ').slice(1).join(' ')
  await waitFor(async () => (await presentedKey(host.sshPort)) === key, {
    timeoutMs: 30_000,
    intervalMs: 100,
    what: `sshd of ${host.name} to present its new host key`,
  })
  return line
}

/** Replace the host's line in a known_hosts file with `line` (trusting the new key, forgetting the old). */
export async function trustInKnownHosts(file: string, host: LabHost, line: string): Promise<void> {
  const prefix = `[127.0.0.1]:${host.sshPort} `
  const lines = (await readFile(file, 'utf8')).split('\n').filter((entry) => entry !== '' && !entry.startsWith(prefix))
  await writeFile(file, [...lines, line, ''].join('\n'))
}
