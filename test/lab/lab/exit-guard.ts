import {killNamespaceNow, type NamespaceProcess} from './namespace.js'

const running = new Set<NamespaceProcess>()
let installed = false

/**
 * Make sure `ns` is SIGKILLed when this process exits without stopping it (failed test, thrown
 * error, process.exit). Death by signal is covered separately by the kernel's parent-death signal.
 */
export function killOnExit(ns: NamespaceProcess): void {
  running.add(ns)
  if (installed) return
  installed = true
  process.on('exit', () => {
    for (const entry of running) killNamespaceNow(entry)
  })
}

export function forgetOnExit(ns: NamespaceProcess): void {
  running.delete(ns)
}
