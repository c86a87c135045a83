import {readdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {isNamespaceProcess, killNamespace, type NamespaceProcess} from './namespace.js'
import {hostLayout, labLayout} from './paths.js'
import {isProcessAlive} from './proc.js'

/** `<lab root>/state.json`: enough to find and kill a lab's namespaces from another process. */
export interface LabState {
  formatVersion: 1
  ownerPid: number
  detached: boolean
  createdAt: string
  hosts: LabStateHost[]
}

export interface LabStateHost extends NamespaceProcess {
  name: string
  sshPort: number
  httpPort: number
}

export async function writeLabState(statePath: string, state: LabState): Promise<void> {
  const temporary = `${statePath}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`)
  await rename(temporary, statePath)
}

export async function readLabState(statePath: string): Promise<LabState | undefined> {
  const text = await readFile(statePath, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const parsed = JSON.parse(text) as Partial<LabState>
    return parsed.formatVersion === 1 && Array.isArray(parsed.hosts) ? (parsed as LabState) : undefined
  } catch {
    return undefined
  }
}

/** Subdirectories of `dir`: lab roots under a base, or host dirs under a lab's hosts/. */
export async function listLabRoots(base: string): Promise<string[]> {
  const entries = await readdir(base, {withFileTypes: true}).catch(() => [])
  return entries.filter((entry) => entry.isDirectory()).map((entry) => path.join(base, entry.name))
}

/** Kill every namespace a lab root records and delete the root. Returns the names of hosts that were running. */
export async function destroyLabRoot(root: string): Promise<string[]> {
  const state = await readLabState(labLayout(root).statePath)
  const recorded = state?.hosts ?? []
  const unrecorded = await findUnrecordedInits(root, new Set(recorded.map((host) => host.hostPid)))
  const all = [...recorded, ...unrecorded]
  const running = all.filter((host) => isNamespaceProcess(host.hostPid, host.initScript))
  await Promise.all(all.map((host) => killNamespace(host)))
  await rm(root, {recursive: true, force: true})
  return running.map((host) => host.name)
}

/** Hosts whose pid 1 wrote init.pid but that never made it into state.json (launcher died mid-start). */
async function findUnrecordedInits(
  root: string,
  recordedPids: Set<number>,
): Promise<Array<NamespaceProcess & {name: string}>> {
  const found: Array<NamespaceProcess & {name: string}> = []
  for (const dir of await listLabRoots(labLayout(root).hostsDir)) {
    const layout = hostLayout(root, path.basename(dir))
    const pid = Number.parseInt(await readFile(layout.initPidFile, 'utf8').catch(() => ''), 10)
    if (!Number.isInteger(pid) || recordedPids.has(pid) || !isNamespaceProcess(pid, layout.initScript)) continue
    // Without a recorded unshare pid, pid 1 stands in for both: unshare exits once its child is reaped.
    found.push({name: path.basename(dir), hostPid: pid, unsharePid: pid, initScript: layout.initScript})
  }
  return found
}

/**
 * Labs left behind by a test run that died without stopping them: the owner is gone and the lab
 * was not started detached. Labs of live processes and detached labs are left alone.
 */
export async function findAbandonedLabRoots(base: string): Promise<string[]> {
  const abandoned: string[] = []
  for (const root of await listLabRoots(base)) {
    const state = await readLabState(labLayout(root).statePath)
    if (state && !state.detached && !isProcessAlive(state.ownerPid)) abandoned.push(root)
  }
  return abandoned
}
