import {shellQuote} from '../../../src/util/shell-quote.js'
import {restartFpm} from './faults.js'
import {LAB_WEB_ROOT} from './host-files.js'
import {httpGet, type HttpResult} from './http-probe.js'
import type {LabHost} from './lab-host.js'
import {waitFor} from './wait.js'

/** A request the test holds open inside php-fpm until it releases it. */
export interface HeldRequest {
  /** Settles when the request ends, with whatever answer it got. */
  response: Promise<HttpResult>
  /** Let the request finish. */
  release: () => Promise<void>
}

const HOLD_SCRIPT = 'hold.php'

/** Marks itself started, then answers `held <id>` once its release file exists (at most 110 s). */
const HOLD_PHP = `<?php
$id = preg_replace('/[^a-z0-9-]/', '', $_GET['id'] ?? '');
touch("/tmp/fpmfix-hold-$id.started");
for ($i = 0; $i < 2200 && !file_exists("/tmp/fpmfix-hold-$id.release"); $i++) usleep(50000);
echo "held $id";
`

/**
 * GET /hold.php through nginx and return once a php-fpm worker is serving it: the request stays in
 * flight (in nginx's worker and php-fpm's) until `release`, so a test holds it across a change
 * without depending on how fast anything runs.
 */
export async function holdRequest(host: LabHost, id: string): Promise<HeldRequest> {
  if (!/^[a-z0-9-]+$/.test(id)) throw new Error(`hold id must be [a-z0-9-]: ${id}`)
  await host.writeFile(`${LAB_WEB_ROOT}/${HOLD_SCRIPT}`, HOLD_PHP)
  const marker = (kind: string): string => shellQuote(`/tmp/fpmfix-hold-${id}.${kind}`)
  await host.exec(`rm -f ${marker('started')} ${marker('release')}`)
  const response = httpGet(host.httpPort, `/${HOLD_SCRIPT}?id=${id}`, 120_000)
  await waitFor(
    async () => {
      const started = (await host.exec(`test -e ${marker('started')}`, {allowFail: true})).code === 0
      // An answer before the release means the request never reached a worker.
      return started || (await Promise.race([response, Promise.resolve(undefined)])) !== undefined
    },
    {timeoutMs: 30_000, what: `php-fpm on ${host.name} to start serving the held request`},
  )
  const early = await Promise.race([response, Promise.resolve(undefined)])
  if (early !== undefined)
    throw new Error(`the held request on ${host.name} ended before its release: ${JSON.stringify(early)}`)
  return {response, release: async () => void (await host.exec(`touch ${marker('release')}`))}
}

/** The packaged php8.2-fpm's main config. */
const FPM_MAIN_CONFIG = '/etc/php/8.2/fpm/php-fpm.conf'

/**
 * Cap the packaged php8.2-fpm at `max` processes in all (`process.max` in [global]) and restart it
 * on that: its own pool still gets a worker, but once a moved pool joins, php-fpm starts, listens
 * on every socket and leaves a pool without any worker (pools take processes in file order), so
 * that pool's FastCGI probe gets no answer.
 */
export async function capFpmProcesses(host: LabHost, max: number): Promise<void> {
  const before = await host.readFile(FPM_MAIN_CONFIG)
  const capped = before.replace(/^\[global\]$/m, `[global]\nprocess.max = ${max}`)
  if (capped === before) throw new Error(`${FPM_MAIN_CONFIG} on ${host.name} has no [global] section`)
  await host.writeFile(FPM_MAIN_CONFIG, capped)
  await restartFpm(host)
}
