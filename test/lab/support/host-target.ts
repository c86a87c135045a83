import type {HostTarget} from '../../../src/model/target.js'
import type {Lab, LabHost} from '../lab/index.js'

/** How fpmfix reaches a lab host over SSH: root on its loopback port, with the lab's client key. */
export function labSshTarget(lab: Lab, host: LabHost): HostTarget {
  return {
    name: host.name,
    connection: 'ssh',
    address: '127.0.0.1',
    port: host.sshPort,
    user: 'root',
    privateKeyFile: lab.clientKeyPath,
    vars: {},
  }
}
