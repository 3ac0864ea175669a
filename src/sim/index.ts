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
  type SimCallOp,
  type SimCause,
  type SimEventAnswer,
  type SimOp,
  type SimQuery,
  type SimRule,
  type SimViolation,
  type ViolatedRule,
} from './service.js';
export { checkedFaultSpec, type Fault, type FaultSpec } from './faults.js';
export { DocumentFactory, SCHEMA_OF, type NFeFacts, type NFeSituation, type SimDocKind, type SimDocument } from './documents.js';
export {
  DEFAULT_EVENT_DEADLINE_DAYS,
  DEFAULT_FULL_DOCUMENT_DELAY_MS,
  type ManifestationCode,
  type SimEventView,
} from './eventService.js';
export { verifyEnvEventoSignatures, type SignatureProblem, type SignatureVerdict } from './eventSignature.js';
export { extractEnvEvento } from './eventSoap.js';
export { SimulatorError, type SimulatorErrorCode } from './errors.js';
