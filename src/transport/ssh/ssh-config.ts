import {execFile} from 'node:child_process'
import {access, constants} from 'node:fs/promises'
import {homedir, hostname} from 'node:os'
import {promisify} from 'node:util'
import {FpmfixError} from '../../errors.js'
import {parseProxyJump, sshGSettings, type JumpSpec} from './ssh-config-parse.js'
import {defaultUser, type SshConnectOptions} from './ssh-options.js'

const execFileAsync = promisify(execFile)
const SSH_G_TIMEOUT_MS = 10_000
const MAX_JUMP_DEPTH = 8

export interface ResolveSshConfigOptions {
  /** Use this file instead of ~/.ssh/config (`ssh -F`). */
  configFile?: string
}

/**
 * What OpenSSH would use for `alias`, via `ssh -G` (so Include, Match and
 * tokens behave exactly as in ssh). Jump hosts are resolved the same way.
 * Returns {} when no OpenSSH client is installed.
 */
export async function resolveSshConfig(
  alias: string,
  options: ResolveSshConfigOptions = {},
): Promise<Partial<SshConnectOptions>> {
  return resolveAlias(alias, options, 0, true)
}

/**
 * Fill what the caller left unset from ssh config for `hostAlias ?? host`;
 * the caller's values always win, so HostName applies only when host is the alias itself.
 */
export async function applySshConfig(
  options: SshConnectOptions,
  config: ResolveSshConfigOptions = {},
): Promise<SshConnectOptions> {
  const alias = options.hostAlias ?? options.host
  const fromConfig = await resolveSshConfig(alias, config)
  return mergeSshOptions(options, fromConfig, options.host === alias)
}

export function mergeSshOptions(
  explicit: SshConnectOptions,
  fromConfig: Partial<SshConnectOptions>,
  useHostName: boolean,
): SshConnectOptions {
  const {host: configHost, ...rest} = fromConfig
  const given = Object.fromEntries(
    Object.entries(explicit).filter(([, value]) => value !== undefined),
  ) as Partial<SshConnectOptions>
  const host = useHostName && configHost !== undefined ? configHost : explicit.host
  return {...rest, ...given, host}
}

async function resolveAlias(
  alias: string,
  options: ResolveSshConfigOptions,
  depth: number,
  withJumps: boolean,
): Promise<Partial<SshConnectOptions>> {
  const output = await runSshG(alias, options)
  if (output === undefined) return {}
  const settings = sshGSettings(output, {
    alias,
    home: homedir(),
    localUser: defaultUser(),
    localHost: hostname().split('.')[0] ?? '',
    env: process.env,
  })
  if (settings.proxyCommand !== undefined && settings.proxyJump === undefined) {
    throw new FpmfixError('SSH_CONFIG', `ssh config sets ProxyCommand for ${alias}, which fpmfix does not run`, {
      host: alias,
      hint: 'Use ProxyJump for jump hosts (ProxyJump user@bastion), or set "ProxyCommand none" for this host.',
    })
  }
  const resolved: Partial<SshConnectOptions> = {identityFiles: await existingFiles(settings.identityFiles)}
  if (settings.hostName !== undefined) resolved.host = settings.hostName
  if (settings.user !== undefined) resolved.user = settings.user
  if (settings.port !== undefined) resolved.port = settings.port
  if (settings.knownHostsFile !== undefined) resolved.knownHostsFile = settings.knownHostsFile
  if (settings.connectTimeoutMs !== undefined) resolved.connectTimeoutMs = settings.connectTimeoutMs
  if (settings.agent !== undefined) resolved.agent = settings.agent
  if (withJumps && settings.proxyJump !== undefined) {
    resolved.proxyJump = await resolveJumps(alias, parseProxyJump(settings.proxyJump), options, depth)
  }
  return resolved
}

/** As with `ssh -J a,b`, only the first hop's own ProxyJump is followed. */
async function resolveJumps(
  alias: string,
  specs: JumpSpec[],
  options: ResolveSshConfigOptions,
  depth: number,
): Promise<SshConnectOptions[]> {
  if (depth >= MAX_JUMP_DEPTH) {
    throw new FpmfixError(
      'SSH_CONFIG',
      `ProxyJump for ${alias} nests more than ${MAX_JUMP_DEPTH} levels deep; is it circular?`,
      {
        host: alias,
        hint: 'Set "ProxyJump none" in the Host block of the jump host itself.',
      },
    )
  }
  const hops: SshConnectOptions[] = []
  for (const [index, spec] of specs.entries()) {
    const fromConfig = await resolveAlias(spec.host, options, depth + 1, index === 0)
    hops.push({
      ...fromConfig,
      host: fromConfig.host ?? spec.host,
      hostAlias: spec.host,
      ...(spec.user === undefined ? {} : {user: spec.user}),
      ...(spec.port === undefined ? {} : {port: spec.port}),
    })
  }
  return hops
}

async function runSshG(alias: string, options: ResolveSshConfigOptions): Promise<string | undefined> {
  if (alias === '' || alias.startsWith('-') || /\s/.test(alias)) {
    throw new FpmfixError('SSH_CONFIG', `"${alias}" is not a valid host name for ssh config lookup`, {host: alias})
  }
  const args = ['-G', ...(options.configFile === undefined ? [] : ['-F', options.configFile]), '--', alias]
  try {
    const {stdout} = await execFileAsync('ssh', args, {timeout: SSH_G_TIMEOUT_MS, encoding: 'utf8'})
    return stdout
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & {stderr?: string}
    if (failure.code === 'ENOENT') return undefined
    const detail = failure.stderr?.trim() || failure.message
    throw new FpmfixError('SSH_CONFIG', `ssh config lookup for ${alias} failed: ${detail}`, {
      host: alias,
      cause: error,
      hint: `Run "ssh -G ${alias}" to see the problem in your ssh config.`,
    })
  }
}

async function existingFiles(files: string[]): Promise<string[]> {
  const checks = await Promise.all(
    files.map((file) =>
      access(file, constants.R_OK).then(
        () => true,
        () => false,
      ),
    ),
  )
  return files.filter((_, index) => checks[index])
}
