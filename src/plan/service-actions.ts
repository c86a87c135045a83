import type {ServiceActionKind} from '../model/finding.js'
import type {HostFacts} from '../model/facts.js'
import type {FileChange, ServiceAction} from '../model/plan.js'
import type {CollectedRemedies} from './collect-remedies.js'

/**
 * The service actions, in the order apply runs them: every php-fpm install first
 * (nginx must find its pools listening), then nginx, then the php-fpm installs being
 * retired (stopped only once nginx no longer sends to them). A changed file implies at
 * least a reload of its service; a stopped service is started, not reloaded.
 */
export function serviceActions(
  facts: HostFacts,
  remedies: CollectedRemedies,
  changes: FileChange[],
  fpmFilesByInstall: Map<string, Set<string>>,
  nginxFiles: Set<string>,
): ServiceAction[] {
  const wanted = new Map(
    remedies.services.map((service) => [service.target.kind === 'nginx' ? 'nginx' : service.target.install, service]),
  )
  const changed = new Set(changes.flatMap((change) => [change.path, ...(change.viaSymlink ? [change.viaSymlink] : [])]))
  const actions: ServiceAction[] = []
  const retired: ServiceAction[] = []
  for (const install of facts.installs) {
    const touched = [...(fpmFilesByInstall.get(install.id) ?? [])].some((path) => changed.has(path))
    const requested = wanted.get(install.id)
    if (requested?.action === 'stop') {
      if (install.running)
        retired.push({
          target: {kind: 'php-fpm', install: install.id},
          service: install.serviceName,
          action: 'stop',
          reason: requested.reasons.join('; '),
        })
      continue
    }
    if (!touched && requested === undefined) continue
    const action: ServiceActionKind = install.running ? (requested?.action ?? 'reload') : 'start'
    actions.push({
      target: {kind: 'php-fpm', install: install.id},
      service: install.serviceName,
      action,
      reason: requested?.reasons.join('; ') ?? 'load the changed pool configuration',
    })
  }
  const nginx = facts.nginx
  const nginxTouched = [...nginxFiles].some((path) => changed.has(path))
  const nginxRequested = wanted.get('nginx')
  if (nginx && (nginxTouched || nginxRequested)) {
    actions.push({
      target: {kind: 'nginx'},
      service: nginx.serviceName,
      action: nginx.running ? (nginxRequested?.action ?? 'reload') : 'start',
      reason: nginxRequested?.reasons.join('; ') ?? 'load the changed configuration',
    })
  }
  return [...actions, ...retired]
}
