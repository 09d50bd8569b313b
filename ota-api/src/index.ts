export { otaConfigShape, loadOtaConfig, type OtaConfig } from './config';
export { httpStatusOf, otaErrorCodes } from './errors';
export { canonicalManifest, signManifest, verifyManifest, checkArtifact, type Manifest } from './domain/manifest';
export { isValidVersion, requireValidVersion, kindOfVersion, parseKind, RELEASE_KINDS, type ReleaseKind } from './domain/versions';
export { resolveLatest, storageKeyOf, type ReleaseView, type LatestContext } from './domain/release';
export {
  bucketOf,
  inCohort,
  isTargeted,
  judgeStage,
  transition,
  parseCohort,
  parseStages,
  stagesFromPercents,
  DEFAULT_STAGES,
  OTA_STATES,
  type Cohort,
  type Stage,
  type Rollout,
  type RolloutStatus,
  type OtaState,
  type DeviceFacts,
} from './domain/rollout';
export { verifyGithubSignature, githubSignature } from './domain/webhook-signature';
export { parseScopes, SCOPES, type Scope } from './domain/scopes';
export { createFsArtifactStore } from './adapters/fs-artifact-store';
export { createS3ArtifactStore, type S3StoreOptions } from './adapters/s3-artifact-store';
export type { ArtifactStore, StagedArtifact } from './adapters/artifact-store';
export { createOtaApp, type OtaAppDeps } from './adapters/http/app';
export { openApiDocument } from './adapters/http/openapi';
export { createOtaParts, startOtaServer, DEV_SIGNING_KEY_NAME, type OtaParts, type OtaServer, type OtaPartsOptions } from './main';
export { registerOtaCommands } from './cli';
