/** The versioned store: layout, lock, raw snapshots, version commits, catalog, metadata, partitioned reads, verification. */
export { initStore, openStore, recoverStore, type StoreMarker } from './openStore.js';
export { LAYERS, SIDECAR, STAGING_DIR, STORE_MARKER, VERSION_LEDGER, parseVersionFolder, rawDatePath, versionPath, type Layer, type Store, type VersionedLayer } from './storeLayout.js';
export { MAX_NAME_LENGTH, checkAssetName, checkDate, checkFeatureSetName, checkFileName, isIsoDate, parquetFileName } from './storeNames.js';
export { acquireStoreLock, isProcessAlive, readLockOwner, withStoreLock, type LockOptions, type LockOwner, type StoreLock } from './storeLock.js';
export { createStagingDir, findLeftoverStaging, type StagingDir } from './stagingArea.js';
export {
  commitRawSnapshots,
  rawSnapshotKeyValue,
  readRawSidecar,
  writeRawSnapshot,
  type RawCommitOptions,
  type RawFileExtras,
  type RawSnapshotInput,
  type RawSnapshotResult,
} from './rawSnapshot.js';
export {
  DEFAULT_LOCK_WAIT_MS,
  commitVersion,
  type CommitVersionOptions,
  type CommitVersionResult,
  type VersionSidecarInput,
  type VersionWriteContext,
} from './versionCommit.js';
export { latestVersion, listVersions, nextVersionNumber, readLedger } from './versionLedger.js';
export { listTree, normalizeTreePath, type CatalogKind, type CatalogNode, type ListTreeOptions } from './catalog.js';
export {
  MetadataManager,
  SIDECAR_FORMAT_VERSION,
  type CreateMetadataOptions,
  type DatasetMetadata,
  type Dependency,
  type FileInfo,
  type QualityMetrics,
  type RawSourceInfo,
  type Recipe,
  type SchemaRef,
  type ValidationSummary,
} from './metadataManager.js';
export { METADATA_SCHEMA, checkSidecar } from './sidecarSchema.js';
export { KV, inputsDigest, rawKeyValue, versionKeyValue } from './parquetKeyValue.js';
export {
  planPartitionedRead,
  readPartitionedDataset,
  scanPartitionedDataset,
  type DatasetPiece,
  type DatasetPlan,
  type PartitionColumn,
  type PartitionedReadOptions,
  type PlannedFile,
} from './partitionedDataset.js';
export { FILTER_OPS, type DatasetFilter, type FilterOp, type FilterScalar } from './datasetFilters.js';
export { verifyStore, type VerifyOptions, type VerifyProblem, type VerifyResult } from './verifyStore.js';
export {
  partitionFolder,
  readCleanedData,
  readFeatures,
  readRawData,
  writeCleanedData,
  writeFeatures,
  type RawSelection,
  type ReadVersionOptions,
  type TablePart,
  type WriteVersionOptions,
} from './layerIO.js';
export { hashFile, type FileDigest } from './fileHash.js';
