import {
  effectivePool,
  globalSetting,
  parseDuration,
  parseFpmFiles,
  parseFpmTt,
  type EffectivePool,
  type FpmEffectiveConfig,
} from '../fpm/index.js'
import type {FpmConfigSource, SourcedValue} from '../fpm/types.js'
import type {FpmInstallFacts, PoolFacts, Sourced} from '../model/facts.js'
import type {FpmInstall, HostSnapshot, RawFile} from '../model/snapshot.js'
import {fpmTestDenied} from './gather-limits.js'
import {installVersion} from './install-version.js'
import {fpmLiveness} from './service-state.js'

/** What the planner needs to edit an install's files: its parsed sources. */
export interface FpmSources {
  install: FpmInstall
  source: FpmConfigSource
  tt: FpmEffectiveConfig | undefined
}

function from<T>(value: SourcedValue<unknown>, converted: T): Sourced<T> {
  return {
    value: converted,
    source: typeof value.source === 'object' ? {file: value.source.file, line: value.source.line} : 'default',
  }
}

function readTt(output: string): FpmEffectiveConfig | undefined {
  try {
    return parseFpmTt(output)
  } catch {
    return undefined
  }
}

function phpIniMaxExecution(phpIni: RawFile | undefined): Sourced<number> | undefined {
  if (phpIni?.content === undefined) return undefined
  let found: Sourced<number> | undefined
  phpIni.content.split('\n').forEach((line, index) => {
    const match = /^\s*max_execution_time\s*=\s*"?(\d+)"?/.exec(line)
    if (match) found = {value: Number(match[1]), source: {file: phpIni.realPath ?? phpIni.path, line: index + 1}}
  })
  return found
}

function maxExecutionTime(pool: EffectivePool, iniValue: Sourced<number> | undefined): Sourced<number> | undefined {
  const override = [...pool.phpAdminValues, ...pool.phpValues]
    .filter((entry) => entry.key === 'max_execution_time')
    .at(-1)
  if (override && /^\d+$/.test(override.value.trim()))
    return from({value: override.value, source: override.source}, Number(override.value.trim()))
  return iniValue
}

/** One pool as the rules see it; unset values get php-fpm's documented defaults. */
function poolFacts(
  install: FpmInstall,
  pool: EffectivePool,
  primaryGroupOf: (user: string) => string | undefined,
  iniMax: Sourced<number> | undefined,
  somaxconn: number | undefined,
): PoolFacts {
  const user = pool.user.value ?? 'nobody'
  const masterUser = install.processes.find((process) => process.kind === 'fpm-master')?.user ?? 'root'
  const owner = pool.listenOwner.value ?? masterUser
  const backlog = pool.listenBacklog.value === -1 ? (somaxconn ?? 511) : pool.listenBacklog.value
  const workers = install.processes.filter((process) => process.kind === 'fpm-worker' && process.fpmPool === pool.name)
  const execution = maxExecutionTime(pool, iniMax)
  return {
    install: install.binary,
    name: pool.name,
    file: pool.poolFile ?? install.mainConfigPath,
    listen: from(pool.listen, pool.listen.value),
    listenRaw: pool.settings.listen?.value ?? '',
    user: from(pool.user, user),
    group: from(pool.group, pool.group.value ?? primaryGroupOf(user) ?? user),
    listenOwner: from(pool.listenOwner, owner),
    listenGroup: from(pool.listenGroup, pool.listenGroup.value ?? primaryGroupOf(owner) ?? owner),
    listenMode: from(pool.listenMode, pool.listenMode.value ?? 0o660),
    aclUsers: from(pool.listenAclUsers, pool.listenAclUsers.value),
    aclGroups: from(pool.listenAclGroups, pool.listenAclGroups.value),
    allowedClients: from(pool.listenAllowedClients, pool.listenAllowedClients.value),
    backlog: from(pool.listenBacklog, backlog),
    pm: from(pool.pm, pool.pm.value ?? ''),
    maxChildren: from(pool.maxChildren, pool.maxChildren.value ?? 0),
    startServers: from(pool.startServers, pool.startServers.value),
    minSpare: from(pool.minSpareServers, pool.minSpareServers.value),
    maxSpare: from(pool.maxSpareServers, pool.maxSpareServers.value),
    requestTerminateTimeout: from(pool.requestTerminateTimeout, pool.requestTerminateTimeout.value ?? 0),
    ...(execution === undefined ? {} : {maxExecutionTime: execution}),
    ...(pool.statusPath.value === undefined ? {} : {statusPath: pool.statusPath.value}),
    ...(pool.pingPath.value === undefined ? {} : {pingPath: pool.pingPath.value}),
    workers: workers.map((worker) => ({
      pid: worker.pid,
      rssKb: worker.rssKb ?? 0,
      ...(worker.pssKb === undefined ? {} : {pssKb: worker.pssKb}),
    })),
  }
}

/**
 * `php-fpm -t` fails only on a known non-zero exit: without a verdict (-tt not run, status lost, or a
 * login without root refused a file php-fpm opens) nothing is claimed.
 */
function testVerdict(
  install: FpmInstall,
  tt: FpmEffectiveConfig | undefined,
  denied: string | undefined,
): FpmInstallFacts['test'] {
  const failed = install.tt.code !== null && install.tt.code !== 0
  if (denied !== undefined) return {ok: true, errors: [], unknown: denied}
  if (!failed) return {ok: true, errors: []}
  return {ok: false, errors: tt?.errors.length ? tt.errors : install.tt.output.split('\n').filter(Boolean).slice(-5)}
}

/** 0 (php-fpm's default) when unset or unreadable: a reload then ends busy workers at once. */
function processControlTimeout(
  source: FpmConfigSource,
  tt: FpmEffectiveConfig | undefined,
): FpmInstallFacts['processControlTimeout'] {
  const setting = globalSetting(source, tt, 'process_control_timeout')
  return {value: parseDuration(setting.value ?? '0'), source: setting.source}
}

export function fpmFacts(
  install: FpmInstall,
  context: {primaryGroupOf: (user: string) => string | undefined; snapshot: HostSnapshot},
): {facts: FpmInstallFacts; sources: FpmSources} {
  const {snapshot} = context
  const tt = readTt(install.tt.output)
  const files = install.files
    .filter((file) => file.content !== undefined)
    .map((file) => ({path: file.path, content: file.content!}))
  const source = parseFpmFiles(files, install.mainConfigPath, {prefix: install.prefix})
  const names = tt?.ok ? tt.pools.map((pool) => pool.name) : source.pools
  const iniMax = phpIniMaxExecution(install.phpIni)
  const pools = names.map((name) =>
    poolFacts(
      install,
      effectivePool(
        source,
        tt?.ok ? tt : undefined,
        name,
        install.versionNumber ? {phpVersion: install.versionNumber} : {},
      ),
      context.primaryGroupOf,
      iniMax,
      snapshot.somaxconn,
    ),
  )
  const errorLog = tt?.global.error_log
  const {version, versionKey, note} = installVersion(install)
  const pidFile = install.service.pidFiles[0]
  return {
    facts: {
      id: install.binary,
      ...(version === undefined ? {} : {version}),
      versionKey,
      ...(note === undefined ? {} : {versionNote: note}),
      serviceName: install.serviceName,
      mainConfig: install.mainConfigPath,
      ...(pidFile === undefined ? {} : {pidFile: {path: pidFile.path, exists: pidFile.exists}}),
      ...fpmLiveness(snapshot, install),
      masterPids: install.processes.filter((process) => process.kind === 'fpm-master').map((process) => process.pid),
      test: testVerdict(install, tt, fpmTestDenied(snapshot, install)),
      pools,
      errorLogs: errorLog ? [errorLog] : [],
      processControlTimeout: processControlTimeout(source, tt),
    },
    sources: {install, source, tt},
  }
}
