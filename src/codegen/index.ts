export { type GeneratedFile, generateSdk, SDK_DIR } from './generate-sdk.js';
export { ORT_VERSION_RANGE } from './package-files.js';
export { defaultClassName, packageNameOf, type SdkOptions, type SdkRuntime, setterName } from './sdk-plan.js';
