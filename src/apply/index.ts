export {
  applyHostPlan,
  attachTransaction,
  followTransaction,
  runTransaction,
  stepLabels,
  type FollowOptions,
} from './run-apply.js'
export {rollbackLast, buildUndoSpec, type RollbackOptions} from './rollback.js'
export {forceUnlock, readHostJournal, type ForceUnlockResult, type HostJournalStatus} from './lock.js'
export {applyResultError} from './result-error.js'
export {
  stateProbe,
  canonicalState,
  stateFingerprintSha256,
  parseStateKey,
  type StateKey,
  type StateKeyKind,
} from './state-probes.js'
export {
  DETECT_MANAGER_FUNCTION,
  SERVICE_MANAGERS,
  directFpmCommand,
  directNginxCommand,
  fpmBinaryMatchesService,
  fpmServiceNameFor,
  managedServiceCommand,
  serviceCommand,
  type ServiceVerb,
} from './service-manager.js'
export {buildTransactionScript, bootstrapCommand, journalDir, transactionManifest} from './transaction-script.js'
export {buildTxSpec, newTxid, isTxid, DEFAULT_STATE_DIR, type TxSpec} from './tx-spec.js'
export type * from './types.js'
