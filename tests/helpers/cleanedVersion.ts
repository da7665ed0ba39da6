import { writeLayerVersion, type WriteVersionOptions } from '../../core/store/layerIO.js';
import { checkAssetName } from '../../core/store/storeNames.js';
import type { Store } from '../../core/store/storeLayout.js';
import type { CommitVersionResult } from '../../core/store/versionCommit.js';

/**
 * A cleaned version of an asset (`cleaned/v{N}/{ASSET}/`) written from tables in memory, as
 * one commit: fixtures for the tests that read cleaned data without running a promotion.
 */
export function writeCleanedData(store: Store, options: WriteVersionOptions & { asset: string }): Promise<CommitVersionResult> {
  return writeLayerVersion(store, 'cleaned', checkAssetName(options.asset), options);
}
