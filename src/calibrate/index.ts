export {
  type CalibrateOptions,
  type CalibrationResult,
  calibrate,
  calibrateModels,
  type RiskControlResult,
} from './calibrate.js';
export { candidateSettings } from './candidates.js';
export { comparisonCharts, policyCharts, type TradeoffCharts } from './charts.js';
export { type CalibrationData, JSONL_PAD_ID, readCalibrationData } from './data.js';
export { cheapestWithin, type Measured, paretoFrontier } from './frontier.js';
export { barsSvg, calibrationHtml, comparisonHtml, flopsText } from './html.js';
export {
  type LatencyModel,
  type LatencyOptions,
  meanCost,
  measureSegments,
  type SegmentCost,
} from './latency.js';
export { type HeadRecording, recordHeads } from './record.js';
export { binomialLowerTail, fixedSequenceTest, type RiskCandidate, type RiskTest } from './risk-control.js';
export { comparisonSvg, tradeoffSvg } from './svg.js';
