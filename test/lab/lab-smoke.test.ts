import {execFile} from 'node:child_process'
import {existsSync, readFileSync, readdirSync, readlinkSync} from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  FPM_SOCKET,
  type Lab,
  type LabHost,
  LabError,
  reloadNginx,
  restartFpm,
  startFpm,
  startLab,
  stopFpm,
} from './lab/index.js'

const execFileAsync = promisify(execFile)

async function sshRun(
  lab: Lab,
  host: LabHost,
  user: string,
  command: string,
): Promise<{code: number; stdout: string; stderr: string}> {
  const args = [
    '-i',
    lab.clientKeyPath,
    '-o',
    `UserKnownHostsFile=${lab.knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-p',
    String(host.sshPort),
    `${user}@127.0.0.1`,
    command,
  ]
  try {
    const {stdout, stderr} = await execFileAsync('ssh', args, {timeout: 30_000})
    return {code: 0, stdout, stderr}
  } catch (error) {
    const failed = error as {code?: number; stdout?: string; stderr?: string}
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    }
  }
}

/** Host-side pids of every process whose pid namespace is one of `namespaces`. */
function processesIn(namespaces: Set<string>): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return namespaces.has(readlinkSync(`/proc/${pid}/ns/pid`))
      } catch {
        return false
      }
    })
    .map(Number)
}

describe('lab of three hosts', () => {
  let lab: Lab
  let startMs = 0

  beforeAll(async () => {
    const started = performance.now()
    lab = await startLab({hosts: 3})
    startMs = performance.now() - started
  })

  afterAll(async () => {
    await lab?.stop()
  })

  it('starts quickly with distinct names and ports, and writes inventory and known_hosts', () => {
    expect(startMs).toBeLessThan(30_000)
    expect(lab.hosts.map((host) => host.name)).toEqual(['lab1', 'lab2', 'lab3'])
    const ports = lab.hosts.flatMap((host) => [host.sshPort, host.httpPort, ...host.sparePorts])
    expect(new Set(ports).size).toBe(12)

    const inventory = readFileSync(lab.inventoryPath, 'utf8')
    expect(inventory.split('\n')[0]).toBe('[lab]')
    for (const host of lab.hosts) {
      expect(inventory).toContain(
        `${host.name} ansible_host=127.0.0.1 ansible_port=${host.sshPort} ansible_user=root ansible_ssh_private_key_file=${lab.clientKeyPath}`,
      )
    }
    const knownHosts = readFileSync(lab.knownHostsPath, 'utf8').trim().split('\n')
    expect(knownHosts).toEqual(lab.hosts.map((host) => host.hostKeyLine))
    for (const host of lab.hosts)
      expect(host.hostKeyLine).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host.sshPort} ssh-ed25519 \\S+$`))
  })

  it('lets root, deploy and limited log in with the lab key; only deploy has passwordless sudo', async () => {
    await Promise.all(
      lab.hosts.map(async (host) => {
        const root = await sshRun(lab, host, 'root', 'hostname')
        expect(root, root.stderr).toMatchObject({code: 0, stdout: `${host.name}\n`})

        const deploy = await sshRun(lab, host, 'deploy', 'id -un && sudo -n true && echo sudo-ok')
        expect(deploy, deploy.stderr).toMatchObject({code: 0, stdout: 'deploy\nsudo-ok\n'})

        const limited = await sshRun(lab, host, 'limited', 'sudo -n true')
        expect(limited.code).not.toBe(0)
        expect(limited.stderr).toContain('a password is required')
      }),
    )
  })

  it('serves PHP through nginx and php-fpm, and big headers hit the default buffer limit', async () => {
    for (const host of lab.hosts) {
      expect(await host.http('/index.php')).toMatchObject({status: 200, body: 'ok'})
      expect((await host.http('/big-header.php?kb=1')).status).toBe(200)
      expect((await host.http('/big-header.php')).status).toBe(502)
      expect(await host.readFile('/var/log/nginx/error.log')).toContain('upstream sent too big header')
      const fpm = await host.exec(`stat -c '%U %F' ${FPM_SOCKET}`)
      expect(fpm.stdout.trim()).toBe('www-data socket')
    }
    const slow = await lab.hosts[0]!.http('/slow.php?s=0.4')
    expect(slow).toMatchObject({status: 200, body: 'slow ok'})
    expect(slow.ms).toBeGreaterThanOrEqual(400)
  })

  it('gives every host its own /etc', async () => {
    const marker = `/etc/fpmfix-lab-marker-${process.pid}`
    const [first, ...others] = lab.hosts
    await first!.writeFile(marker, 'only on the first host\n', 0o600)
    expect(await first!.readFile(marker)).toBe('only on the first host\n')
    expect((await first!.exec(`stat -c %a ${marker}`)).stdout.trim()).toBe('600')
    for (const other of others) {
      const probe = await other.exec(`test -e ${marker}`, {allowFail: true})
      expect(probe.code).toBe(1)
    }
    expect(existsSync(marker)).toBe(false)
  })

  it('reports a failing command with its output unless allowFail is set', async () => {
    const host = lab.hosts[0]!
    await expect(host.exec('echo to-stderr >&2; exit 3')).rejects.toThrow(/exited 3[\s\S]*to-stderr/)
    expect(await host.exec('echo out; exit 4', {allowFail: true})).toEqual({code: 4, stdout: 'out\n', stderr: ''})
    expect((await host.exec('cat', {stdin: 'piped'})).stdout).toBe('piped')
  })

  it('reaps orphaned processes inside a host', async () => {
    const host = lab.hosts[1]!
    await host.exec('for i in 1 2 3 4 5 6 7 8; do (sleep 0.1 &); done')
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const zombies = await host.exec("ps -eo stat= | grep -c '^Z'", {allowFail: true})
    expect(zombies.stdout.trim()).toBe('0')
  })

  it('stops, starts and restarts php-fpm and reloads nginx, waiting for each change to take effect', async () => {
    const host = lab.hosts[2]!
    const socketInode = async (): Promise<string> => (await host.exec(`stat -c %i ${FPM_SOCKET}`)).stdout.trim()
    await stopFpm(host)
    expect((await host.http('/index.php')).status).toBe(502)
    await startFpm(host)
    expect((await host.http('/index.php')).status).toBe(200)

    const inodeBefore = await socketInode()
    await restartFpm(host)
    expect(await socketInode()).not.toBe(inodeBefore)
    expect((await host.http('/index.php')).status).toBe(200)

    const workers = async (): Promise<string> => (await host.exec('pgrep -d, -f "nginx: worker process"')).stdout.trim()
    const workersBefore = await workers()
    await reloadNginx(host)
    expect(await workers()).not.toBe(workersBefore)
    expect((await host.http('/index.php')).status).toBe(200)
  })

  it('stops a single host while the others keep running', async () => {
    const victim = lab.hosts[2]!
    await victim.stop()
    expect(existsSync(`/proc/${victim.hostPid}`)).toBe(false)
    expect(existsSync(victim.dir)).toBe(false)
    expect((await victim.http('/index.php', {timeoutMs: 2_000})).status).toBe(0)
    await expect(victim.exec('true')).rejects.toThrow(LabError)
    expect((await lab.hosts[0]!.http('/index.php')).status).toBe(200)
  })

  it('leaves no process and no directory behind after stop()', async () => {
    const namespaces = new Set(
      lab.hosts.filter((host) => host.running).map((host) => readlinkSync(`/proc/${host.hostPid}/ns/pid`)),
    )
    expect(namespaces.size).toBe(2)
    expect(processesIn(namespaces).length).toBeGreaterThan(6)
    const state = JSON.parse(readFileSync(path.join(lab.root, 'state.json'), 'utf8')) as {
      hosts: Array<{unsharePid: number}>
    }
    const unsharePids = state.hosts.map((host) => host.unsharePid)
    expect(unsharePids).toHaveLength(2)
    for (const pid of unsharePids) expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('unshare')

    await lab.stop()
    await lab.stop()

    expect(processesIn(namespaces)).toEqual([])
    for (const pid of [...lab.hosts.map((host) => host.hostPid), ...unsharePids]) {
      expect(existsSync(`/proc/${pid}`), `pid ${pid}`).toBe(false)
    }
    expect(existsSync(lab.root)).toBe(false)
  })
})

describe('startLab input checks', () => {
  it('refuses a name prefix that is not a valid hostname', async () => {
    await expect(startLab({hosts: 1, namePrefix: 'lab_'})).rejects.toThrow(
      /namePrefix "lab_" is not usable in a hostname/,
    )
  })

  it('refuses a host count out of range', async () => {
    await expect(startLab({hosts: 0})).rejects.toThrow(/hosts must be an integer from 1/)
  })

  it('refuses a lab directory that the hosts would hide', async () => {
    await expect(startLab({hosts: 1, root: '/tmp/fpmfix-lab'})).rejects.toThrow(
      /under \/tmp, which every lab host overlays/,
    )
  })
})
