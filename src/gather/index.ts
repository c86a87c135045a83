export {gather, type GatherOptions} from './gather.js'
export {parseGatherOutput} from './parse-gather-output.js'
export {buildGatherScript, GATHER_SCRIPT_VERSION} from './script.js'
