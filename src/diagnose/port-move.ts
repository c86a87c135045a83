import {addressSpace, freePort} from '../facts/address-space.js'
import {formatAddress, type Pairing, type PoolRef} from '../facts/pairing.js'
import {formatListen} from '../fpm/index.js'
import type {Address, HostFacts} from '../model/facts.js'
import type {Remedy} from '../model/finding.js'
import {retargetPool} from '../remedy/retarget.js'
import {fpmService, nginxService} from '../remedy/service.js'

/**
 * Move a pool off a TCP port another program holds to the next port no pool has and nothing listens
 * on (same host part), point every fastcgi_pass / upstream server / set that named the old port at
 * it, start php-fpm there, then reload nginx. The taken port's owner is left alone.
 */
export function planPortMove(
  facts: HostFacts,
  pairings: Pairing[],
  ref: PoolRef,
  holders: string,
): {to: Address; remedies: Remedy[]} | {refused: string} {
  const listen = ref.pool.listen.value
  if (listen?.kind !== 'tcp') return {refused: 'the pool does not listen on TCP'}
  const to = freePort(addressSpace(facts), listen.host, listen.port)
  if (to === undefined) return {refused: `no free port after ${listen.port}`}
  const reason = `pool ${ref.pool.name} moves to ${formatAddress(to)}: ${formatAddress(listen)} is ${holders}'s`
  const nginx = retargetPool(pairings, ref, to, reason)
  if ('refused' in nginx) return nginx
  return {
    to,
    remedies: [
      {
        kind: 'fpm-set',
        install: ref.install.id,
        pool: ref.pool.name,
        key: 'listen',
        value: formatListen(to),
        reason,
      },
      ...nginx.remedies,
      fpmService(ref.install.id, ref.install.running ? 'restart' : 'start', `listen at ${formatAddress(to)}`),
      nginxService('reload', `send to the pool at ${formatAddress(to)}`),
    ],
  }
}
