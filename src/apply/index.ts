export {
  applyHostPlan,
  attachTransaction,
  followTransaction,
  runTransaction,
  startTransaction,
  type FollowOptions,
} from './run-apply.js'
export {
  buildUndoSpec,
  nothingToRollBack,
  previewRollback,
  readUndoSource,
  rollbackLast,
  type RollbackOptions,
  type RollbackPreview,
  type UndoSource,
} from './rollback.js'
export {forceUnlock, readHostJournal, type ForceUnlockResult, type HostJournalStatus} from './lock.js'
export {applyResultError} from './result-error.js'
export {COMMIT_STEP, START_STEP, stepLabels, transactionStepList} from './steps.js'
export {fpmBinaryMatchesService, fpmServiceNameFor} from './service-names.js'
export {bootstrapProgram, specRecords, transactionManifest, transactionPayload, RUNTIME_FILES} from './payload.js'
export {buildTxSpec, newTxid, planDigest, type ServiceVerb, type TxSpec} from './tx-spec.js'
export {DEFAULT_STATE_DIR, isTxid} from '../protocol/journal.js'
export type * from './types.js'
