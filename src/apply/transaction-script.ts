import {randomBytes} from 'node:crypto'
import {shellJoin, shellQuote} from '../util/shell-quote.js'
import {DETECT_MANAGER_FUNCTION, nginxArgs, serviceControlFunction, type ServiceVerb} from './service-manager.js'
import {stateProbe} from './state-probes.js'
import type {TxAction, TxSpec} from './tx-spec.js'
import {CORE_RUNTIME, FLOW_RUNTIME} from './tx-runtime-core.js'
import {FILES_RUNTIME} from './tx-runtime-files.js'
import {LOCK_RUNTIME} from './tx-runtime-lock.js'
import {PROBES_RUNTIME} from './tx-runtime-probes.js'
import {SERVICES_RUNTIME} from './tx-runtime-services.js'

/** Finished journals kept on the host (for `fpmfix rollback` and post-mortems). */
export const KEEP_JOURNALS = 20
/** Bound on one config test (php-fpm -t, nginx -t). */
const COMMAND_TIMEOUT_S = 120

export function journalRoot(spec: Pick<TxSpec, 'stateDir'>): string {
  return `${spec.stateDir === '/' ? '' : spec.stateDir}/journal`
}

export function journalDir(spec: Pick<TxSpec, 'stateDir' | 'txid'>): string {
  return `${journalRoot(spec)}/${spec.txid}`
}

const q = shellQuote

function fn(name: string, body: string[]): string {
  return [`${name}() {`, ...(body.length > 0 ? body.map((line) => `  ${line}`) : ['  return 0']), '}'].join('\n')
}

function header(spec: TxSpec): string {
  return [
    '#!/bin/sh',
    `# fpmfix transaction ${spec.txid} (${spec.kind}) for ${spec.host.replace(/[^A-Za-z0-9@._:-]/g, '_')}; generated, do not edit.`,
    'set -u',
    'LC_ALL=C',
    'export LC_ALL',
    'PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
    'export PATH',
    'umask 077',
    // Probes go to 127.0.0.1 directly, never through a proxy from root's environment.
    'unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY',
    `TXID=${q(spec.txid)}`,
    `KIND=${q(spec.kind)}`,
    `UNDOES=${q(spec.undoes ?? '')}`,
    `ROOT=${q(spec.stateDir)}`,
    `J=${q(journalRoot(spec))}`,
    'D="$J/$TXID"',
    `OWNER=${q(spec.owner)}`,
    `FORCE_MANAGER=${q(spec.serviceManager ?? '')}`,
    `SVC_TIMEOUT_MS=${Math.max(1, Math.round(spec.serviceTimeoutMs))}`,
    `PROBE_TIMEOUT_S=${Math.max(1, Math.ceil(spec.probeTimeoutMs / 1000))}`,
    `CMD_TIMEOUT_S=${COMMAND_TIMEOUT_S}`,
    `KEEP_JOURNALS=${KEEP_JOURNALS}`,
    `PHP_CLI=${q(spec.phpCli)}`,
  ].join('\n')
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\n')
}

/** The manifest kept in the journal: what `fpmfix rollback` needs to undo this transaction. */
export function transactionManifest(spec: TxSpec): Record<string, unknown> {
  return {
    formatVersion: 1,
    txid: spec.txid,
    kind: spec.kind,
    ...(spec.undoes ? {undoes: spec.undoes} : {}),
    host: spec.host,
    owner: spec.owner,
    files: spec.files.map(({path, viaSymlink, beforeSha256, afterSha256}) => ({
      path,
      ...(viaSymlink ? {viaSymlink} : {}),
      beforeSha256,
      afterSha256,
    })),
    actions: spec.actions,
    checks: spec.checks,
    validations: spec.validations,
    nginx: spec.nginx,
    ...(spec.serviceManager ? {serviceManager: spec.serviceManager} : {}),
  }
}

function unpackPayload(spec: TxSpec): string {
  const delimiter = `FPMFIX_PAYLOAD_${randomBytes(12).toString('hex')}`
  const heredoc = (target: string, data: Buffer): string[] => [
    `b64_decode > ${target} <<'${delimiter}' || return 1`,
    base64Lines(data),
    delimiter,
  ]
  const lines: string[] = []
  spec.files.forEach((file, index) => {
    if (file.after === null) return
    lines.push(...heredoc(`"$D/new/${index}"`, file.after))
    lines.push(
      `[ "$(sha256_file "$D/new/${index}")" = ${q(file.afterSha256)} ] || { echo 'payload ${index} is corrupt'; return 1; }`,
    )
  })
  lines.push(...heredoc('"$D/manifest.json"', Buffer.from(JSON.stringify(transactionManifest(spec)), 'utf8')))
  // Here-document bodies must start at column 0, so this function is not indented.
  return ['unpack_payload() {', ...lines, 'return 0', '}'].join('\n')
}

function checkFunctions(spec: TxSpec): string {
  const probes = spec.checks.flatMap((check, index) =>
    check.kind === 'state' ? [`state_probe_${index}() {\n${stateProbe(check.key)}\n}`] : [],
  )
  const calls = spec.checks.map((check, index) =>
    check.kind === 'file'
      ? `check_file ${index} ${q(check.key)} ${q(check.sha256)} || return 1`
      : `check_state ${index} ${q(check.sha256)} state_probe_${index} || return 1`,
  )
  return [...probes, fn('run_checks', [...calls, '[ -z "$STALE" ] || return 3'])].join('\n\n')
}

function fileFunctions(spec: TxSpec): string {
  const backup = spec.files.map(
    (file, index) => `backup_file ${index} ${q(file.path)} ${q(file.beforeSha256)} ${file.check} || return $?`,
  )
  const pre = ['run_validate pre || return 1', ...spec.actions.map((_, index) => `pre_${index} || return 1`)]
  const writes = spec.files.map((file, index) => `write_file ${index} ${q(file.afterSha256)} || return 1`)
  const restores = spec.files.map((_, index) => `restore_file ${index} || rs_rc=1`)
  return [
    fn('run_backup', [...backup, ...pre]),
    fn('run_writes', writes),
    fn('run_restore', ['rs_rc=0', ...restores, 'return $rs_rc']),
  ].join('\n\n')
}

function validateFunctions(spec: TxSpec): string {
  const calls = spec.validations.map((validation, index) => {
    const command =
      validation.kind === 'php-fpm'
        ? [validation.binary, '-t', ...(validation.mainConfig ? ['-y', validation.mainConfig] : [])]
        : [...nginxArgs(spec.nginx), '-t']
    return `validate_target v${index} "$1" ${shellJoin(command)} || rv_rc=1`
  })
  return [
    fn('run_validate', ['rv_rc=0', ...calls, 'return $rv_rc']),
    fn('run_validate_post', ['run_validate post']),
  ].join('\n\n')
}

function readyBody(action: TxAction): string[] {
  const checks = action.expect.flatMap((expectation) => [
    ...(expectation.socket
      ? [
          `expect_socket ${shellJoin([expectation.socket.path, expectation.socket.owner, expectation.socket.group, expectation.socket.mode])} || return 1`,
        ]
      : []),
    ...(expectation.tcp
      ? [
          `expect_tcp ${shellJoin([expectation.tcp.portHex, expectation.tcp.addressHex, expectation.tcp.label])} || return 1`,
        ]
      : []),
  ])
  return ['generation_ready || return 1', '[ "$A_VERB" = stop ] && return 0', ...checks, 'return 0']
}

const ALL_VERBS: readonly ServiceVerb[] = ['start', 'restart', 'reload', 'stop']

function actionFunctions(spec: TxSpec): string {
  return spec.actions
    .map((action, index) => {
      const control =
        action.kind === 'php-fpm'
          ? serviceControlFunction(
              `svc_ctl_${index}`,
              {
                kind: 'php-fpm',
                service: action.service,
                fpm: {binary: action.binary, ...(action.mainConfig ? {mainConfig: action.mainConfig} : {})},
              },
              ALL_VERBS,
            )
          : serviceControlFunction(
              `svc_ctl_${index}`,
              {kind: 'nginx', service: action.service, nginx: spec.nginx},
              ALL_VERBS,
            )
      const use = [
        `A_INDEX=${index}`,
        `A_KIND=${action.kind === 'php-fpm' ? 'fpm' : 'nginx'}`,
        `A_BIN=${q(action.binary)}`,
        `A_NAME=${q(action.service)}`,
        `A_LABEL=${q(action.service)}`,
        `A_CTL=svc_ctl_${index}`,
      ]
      return [
        control,
        fn(`use_${index}`, use),
        fn(`ready_${index}`, readyBody(action)),
        fn(`pre_${index}`, [`use_${index}`, 'svc_record_pre']),
        fn(`action_${index}`, [`use_${index}`, `svc_forward ${action.verb} ready_${index}`]),
        fn(`revert_${index}`, [`use_${index}`, `svc_revert ${action.verb}`]),
      ].join('\n\n')
    })
    .join('\n\n')
}

function sequenceFunctions(spec: TxSpec): string {
  const forward = spec.actions.map((_, index) => `step action-${index} action_${index} || rollback action-${index}`)
  const revert = spec.actions.map((_, index) => `revert_${index} || ra_rc=1`)
  const probes = [
    ...spec.fastcgiProbes.map((probe) => `probe_fcgi ${shellJoin([probe.address, probe.uri])} || pr_rc=1`),
    ...spec.httpProbes.map((probe) => `probe_http ${shellJoin([probe.url, probe.hostHeader ?? ''])} || pr_rc=1`),
  ]
  return [
    fn('run_forward_actions', forward),
    fn('run_revert_actions', ['ra_rc=0', ...revert, 'return $ra_rc']),
    fn('run_probes', probes.length > 0 ? ['pr_rc=0', ...probes, 'return $pr_rc'] : ['echo "no probes configured"']),
  ].join('\n\n')
}

/** The whole POSIX sh transaction for one host: modes `unpack`, `run` and `recover`. */
export function buildTransactionScript(spec: TxSpec): string {
  return [
    header(spec),
    CORE_RUNTIME,
    FLOW_RUNTIME,
    LOCK_RUNTIME,
    FILES_RUNTIME,
    SERVICES_RUNTIME,
    DETECT_MANAGER_FUNCTION,
    PROBES_RUNTIME,
    unpackPayload(spec),
    checkFunctions(spec),
    fileFunctions(spec),
    validateFunctions(spec),
    actionFunctions(spec),
    sequenceFunctions(spec),
    'main "$@"',
    '',
  ].join('\n\n')
}

/** Marker line the bootstrap prints once the transaction runs detached. */
export const STARTED_MARKER = 'fpmfix-tx-started'

/**
 * The command exec'd on the host with the script on stdin: writes it into the journal,
 * unpacks the payload (reporting problems at once), then starts it in a session of its own
 * and returns. A signal-free detach (setsid, no nohup) keeps the script's own HUP/TERM
 * traps working; without setsid, nohup is the fallback.
 */
export function bootstrapCommand(spec: TxSpec): string {
  const dir = q(journalDir(spec))
  return [
    'set -u',
    'umask 077',
    'LC_ALL=C',
    'export LC_ALL',
    'PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
    'export PATH',
    `D=${dir}`,
    `mkdir -p ${q(journalRoot(spec))} || exit 70`,
    'mkdir "$D" || { echo "cannot create the journal directory $D" >&2; exit 70; }',
    'cat > "$D/tx.sh" || { echo "cannot write $D/tx.sh" >&2; exit 71; }',
    'sh "$D/tx.sh" unpack > "$D/unpack.log" 2>&1 || { cat "$D/unpack.log" >&2; exit 72; }',
    'if command -v setsid >/dev/null 2>&1; then',
    '  setsid sh "$D/tx.sh" run </dev/null >>"$D/log" 2>&1 &',
    'else',
    '  nohup sh "$D/tx.sh" run </dev/null >>"$D/log" 2>&1 &',
    'fi',
    `echo ${STARTED_MARKER} ${q(spec.txid)} "$!"`,
  ].join('\n')
}
