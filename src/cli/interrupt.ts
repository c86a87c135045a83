import {ExitCode} from '../exit-codes.js'

/** Hosts on which this process started an apply transaction, with its id once the host reported it. */
const transactions = new Map<string, string | undefined>()

/** An apply transaction may be running on `host` from now on (with `txid`, once known). */
export function transactionStarted(host: string, txid?: string): void {
  transactions.set(host, txid ?? transactions.get(host))
}

export function transactionEnded(host: string): void {
  transactions.delete(host)
}

/**
 * What Ctrl-C leaves behind. Gathering only reads; an apply transaction runs detached on its
 * host (setsid, its own journal), so it commits or rolls back by itself whether or not this
 * client is there to see it.
 */
export function interruptMessage(): string {
  if (transactions.size === 0) return 'Interrupted; no host was changed by this command.\n'
  const hosts = [...transactions].map(([host, txid]) => (txid === undefined ? host : `${host} (transaction ${txid})`))
  return [
    `Interrupted while applying to ${hosts.join(', ')}.`,
    'A transaction that had started keeps running on its host, detached from this client, and commits or rolls back on its own;',
    'nothing is left half-written. `fpmfix plan` on those hosts reports how each ended.',
    '',
  ].join('\n')
}

let installed = false

/** Ctrl-C: say what happens to the hosts, and exit 130 (128 + SIGINT). */
export function exitOnInterrupt(): void {
  if (installed) return
  installed = true
  process.once('SIGINT', () => {
    // A spinner may have hidden the cursor.
    if (process.stderr.isTTY) process.stderr.write('\u001B[?25h\n')
    process.stderr.write(interruptMessage())
    process.exit(ExitCode.INTERRUPTED)
  })
}
