export { type CalibrateOptions, type CalibrationResult, calibrate } from './calibrate.js';
export { candidateSettings } from './candidates.js';
export { cheapestWithin, type Measured, paretoFrontier } from './frontier.js';
export { barsSvg, calibrationHtml } from './html.js';
export { type HeadRecording, recordHeads } from './record.js';
export { tradeoffSvg } from './svg.js';
