import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {forgetOnExit, killOnExit} from './exit-guard.js'
import {type HostPlan, prepareHost, waitForHostReady} from './host-boot.js'
import {renderInventory, renderKnownHosts} from './inventory.js'
import {generateEd25519Key} from './keys.js'
import {LabError} from './lab-error.js'
import {createLabHost, type LabHost} from './lab-host.js'
import {killNamespace, type NamespaceProcess, spawnNamespace} from './namespace.js'
import {assertUsableLabBase, defaultLabBase, hostLayout, type LabLayout, labLayout} from './paths.js'
import {allocateFreePorts} from './ports.js'
import {destroyLabRoot, findAbandonedLabRoots, type LabState, writeLabState} from './state.js'

export interface LabOptions {
  hosts: number
  /** Host names are `<prefix><n>` from 1: 'lab' gives lab1, lab2; 'gather-' gives gather-1. Default 'lab'. */
  namePrefix?: string
  /** Directory under which this lab gets its own subdirectory. Default $FPMFIX_LAB_DIR or <repo>/.lab. */
  root?: string
  /** Leave the namespaces running when this process exits (stop them with `lab-cli down`). */
  detached?: boolean
}

export interface Lab {
  /** This lab's own directory (state.json, inventory, keys, one dir per host). */
  root: string
  hosts: LabHost[]
  /** Ansible INI inventory, group [lab]. */
  inventoryPath: string
  knownHostsPath: string
  /** Private key (ed25519, no passphrase) authorized for root, deploy and limited on every host. */
  clientKeyPath: string
  /** Kill every host and remove the lab directory; safe to call more than once. */
  stop(): Promise<void>
}

const PORTS_PER_HOST = 4
const MAX_HOSTS = 64

export async function startLab(options: LabOptions): Promise<Lab> {
  const prefix = options.namePrefix ?? 'lab'
  validateOptions(options.hosts, prefix)
  const base = path.resolve(options.root ?? defaultLabBase())
  assertUsableLabBase(base)
  await mkdir(base, {recursive: true})
  for (const abandoned of await findAbandonedLabRoots(base)) await destroyLabRoot(abandoned)

  const layout = labLayout(await mkdtemp(path.join(base, `${prefix.replace(/-+$/, '')}-`)))
  const detached = options.detached ?? false
  const state: LabState = {
    formatVersion: 1,
    ownerPid: process.pid,
    detached,
    createdAt: new Date().toISOString(),
    hosts: [],
  }
  const saveState = serialize(() => writeLabState(layout.statePath, state))
  const started: NamespaceProcess[] = []
  try {
    await saveState()
    await mkdir(path.dirname(layout.clientKeyPath), {recursive: true})
    const clientPublicKey = await generateEd25519Key(layout.clientKeyPath, 'fpmfix-lab-client')
    const plans = planHosts(layout.root, prefix, await allocateFreePorts(options.hosts * PORTS_PER_HOST))

    const teardownHost = async (plan: HostPlan, ns: NamespaceProcess): Promise<void> => {
      await killNamespace(ns)
      forgetOnExit(ns)
      state.hosts = state.hosts.filter((host) => host.hostPid !== ns.hostPid)
      await saveState()
      await rm(plan.layout.dir, {recursive: true, force: true})
    }
    const bootHost = async (plan: HostPlan): Promise<LabHost> => {
      const hostKeyLine = await prepareHost(plan, clientPublicKey)
      const ns = await spawnNamespace(plan.layout, {detached})
      started.push(ns)
      if (!detached) killOnExit(ns)
      state.hosts.push({name: plan.name, sshPort: plan.sshPort, httpPort: plan.httpPort, ...ns})
      await saveState()
      await waitForHostReady(plan, ns)
      const {name, sshPort, httpPort, sparePorts} = plan
      const teardown = (): Promise<void> => teardownHost(plan, ns)
      return createLabHost({
        name,
        sshPort,
        httpPort,
        sparePorts,
        hostKeyLine,
        dir: plan.layout.dir,
        namespace: ns,
        teardown,
      })
    }
    const results = await Promise.allSettled(plans.map((plan) => bootHost(plan)))
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failure) throw failure.reason
    const hosts = results.map((result) => (result as PromiseFulfilledResult<LabHost>).value)

    await writeFile(layout.inventoryPath, renderInventory(hosts, layout.clientKeyPath))
    await writeFile(layout.knownHostsPath, renderKnownHosts(hosts.map((host) => host.hostKeyLine)))
    return createLab(layout, hosts)
  } catch (error) {
    await Promise.allSettled(started.map((ns) => killNamespace(ns).then(() => forgetOnExit(ns))))
    await rm(layout.root, {recursive: true, force: true})
    throw error
  }
}

function planHosts(labRoot: string, prefix: string, ports: number[]): HostPlan[] {
  const count = ports.length / PORTS_PER_HOST
  return Array.from({length: count}, (_, index) => {
    const name = `${prefix}${index + 1}`
    const [sshPort, httpPort, ...sparePorts] = ports.slice(index * PORTS_PER_HOST, (index + 1) * PORTS_PER_HOST)
    return {name, layout: hostLayout(labRoot, name), sshPort: sshPort!, httpPort: httpPort!, sparePorts}
  })
}

function createLab(layout: LabLayout, hosts: LabHost[]): Lab {
  let stopping: Promise<void> | undefined
  return {
    root: layout.root,
    hosts,
    inventoryPath: layout.inventoryPath,
    knownHostsPath: layout.knownHostsPath,
    clientKeyPath: layout.clientKeyPath,
    stop() {
      stopping ??= (async () => {
        await Promise.all(hosts.map((host) => host.stop()))
        await rm(layout.root, {recursive: true, force: true})
      })()
      return stopping
    },
  }
}

function validateOptions(hosts: number, prefix: string): void {
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS) {
    throw new LabError(`hosts must be an integer from 1 to ${MAX_HOSTS}, got ${hosts}`)
  }
  // Host names become hostnames: letters, digits and '-' only (no '_'), at most 63 characters.
  if (!/^[a-z][a-z0-9-]*$/i.test(prefix) || prefix.length > 40) {
    throw new LabError(
      `namePrefix ${JSON.stringify(prefix)} is not usable in a hostname; use letters, digits and '-' (e.g. 'lab' or 'gather-')`,
    )
  }
}

/** Run `task` so that calls never overlap; a call made while one runs gets a fresh run afterwards. */
function serialize(task: () => Promise<void>): () => Promise<void> {
  let tail: Promise<void> = Promise.resolve()
  return () => {
    tail = tail.catch(() => undefined).then(task)
    return tail
  }
}
