export {startLab, type Lab, type LabOptions} from './start-lab.js'
export type {LabHost, ExecOptions, ExecResult} from './lab-host.js'
export type {HttpResult} from './http-probe.js'
export {LabError, LabExecError} from './lab-error.js'
export {
  LAB_LIMITED_PASSWORD,
  LAB_USERS,
  LAB_WEB_ROOT,
  LAB_SITE_AVAILABLE,
  LAB_SITE_ENABLED,
  FPM_SOCKET,
  FPM_POOL_FILE,
  FPM_SERVICE,
} from './host-files.js'
export {defaultLabBase} from './paths.js'
export {destroyLabRoot, listLabRoots} from './state.js'
export * from './faults.js'
export {setPoolDirectiveText} from './pool-directive.js'
