import {existsSync, realpathSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {LabError} from './lab-error.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

/** Directories every lab host overlays or remounts: files the launcher puts there are invisible inside. */
const HIDDEN_IN_HOSTS = ['/etc', '/var', '/run', '/tmp']

/** Where labs live when the repository itself is somewhere the hosts hide (a checkout under /tmp). */
const FALLBACK_LAB_BASE = '/srv/fpmfix-lab'

/** Where labs live: $FPMFIX_LAB_DIR, else `<repo>/.lab`, else /srv/fpmfix-lab when the repo is under a hidden directory. */
export function defaultLabBase(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['FPMFIX_LAB_DIR']
  if (fromEnv) return path.resolve(fromEnv)
  const inRepo = path.join(REPO_ROOT, '.lab')
  try {
    assertUsableLabBase(inRepo)
    return inRepo
  } catch {
    return FALLBACK_LAB_BASE
  }
}

/** Refuse a lab directory that the hosts would hide from themselves. */
export function assertUsableLabBase(base: string): void {
  const resolved = resolveExistingPrefix(path.resolve(base))
  // The path ends up in overlay mount options, where ',' and ':' are separators.
  if (!/^[A-Za-z0-9_./-]+$/.test(resolved)) {
    throw new LabError(`lab directory ${resolved} must contain only letters, digits and _ . / -`)
  }
  for (const hidden of HIDDEN_IN_HOSTS) {
    if (resolved === hidden || resolved.startsWith(`${hidden}/`)) {
      throw new LabError(
        `lab directory ${base} is under ${hidden}, which every lab host overlays or remounts; ` +
          'set FPMFIX_LAB_DIR (or the root option) to a directory elsewhere, e.g. inside the repository',
      )
    }
  }
}

/** Resolve symlinks in the part of the path that already exists (e.g. /var/run -> /run). */
function resolveExistingPrefix(target: string): string {
  let existing = target
  const rest: string[] = []
  while (!existsSync(existing) && existing !== path.dirname(existing)) {
    rest.unshift(path.basename(existing))
    existing = path.dirname(existing)
  }
  return path.join(realpathSync(existing), ...rest)
}

export interface LabLayout {
  root: string
  statePath: string
  inventoryPath: string
  knownHostsPath: string
  clientKeyPath: string
  hostsDir: string
}

export function labLayout(root: string): LabLayout {
  return {
    root,
    statePath: path.join(root, 'state.json'),
    inventoryPath: path.join(root, 'inventory.ini'),
    knownHostsPath: path.join(root, 'known_hosts'),
    clientKeyPath: path.join(root, 'client', 'id_ed25519'),
    hostsDir: path.join(root, 'hosts'),
  }
}

export interface HostLayout {
  dir: string
  /** Files installed into the host by the setup script, mirrored by their absolute path inside. */
  payloadDir: string
  /** tmpfs mount point (inside the namespace only) holding the overlay upper and work dirs. */
  writableDir: string
  initScript: string
  setupScript: string
  initLog: string
  setupLog: string
  setupStatus: string
  initPidFile: string
  hostKey: string
}

export function hostLayout(labRoot: string, name: string): HostLayout {
  const dir = path.join(labRoot, 'hosts', name)
  return {
    dir,
    payloadDir: path.join(dir, 'payload'),
    writableDir: path.join(dir, 'rw'),
    initScript: path.join(dir, 'init.sh'),
    setupScript: path.join(dir, 'setup.sh'),
    initLog: path.join(dir, 'init.log'),
    setupLog: path.join(dir, 'setup.log'),
    setupStatus: path.join(dir, 'setup.status'),
    initPidFile: path.join(dir, 'init.pid'),
    hostKey: path.join(dir, 'ssh_host_ed25519_key'),
  }
}
