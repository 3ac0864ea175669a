export { SefazSimulator, type SefazSimulatorOptions } from './simulator.js';
export {
  DistributionService,
  anText,
  type CompanyOptions,
  type CompanySnapshot,
  type DistributionServiceOptions,
  type DocumentView,
  type FaultKind,
  type RetDist,
  type SimCall,
  type SimCause,
  type SimOp,
  type SimQuery,
  type SimRule,
  type SimViolation,
  type ViolatedRule,
} from './service.js';
export { checkedFaultSpec, type Fault, type FaultSpec } from './faults.js';
export { DocumentFactory, SCHEMA_OF, type SimDocKind, type SimDocument } from './documents.js';
export { SimulatorError, type SimulatorErrorCode } from './errors.js';
