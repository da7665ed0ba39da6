import { describe, it } from 'vitest';
import * as scenarios from './scenarios.js';
import { useAppInChromium } from './support/appSession.js';
import { buildRawStore } from './support/storeFixtures.js';

/**
 * Promote in the real UI: raw MES (one clean date, one with known defects) → the gate fails
 * with "fail", passes with "drop", and the new version v1 appears selected in the tree with
 * its lineage.
 */
describe('promote raw → cleaned', () => {
  const app = useAppInChromium('mes-data-e2e-promote-', buildRawStore);

  it('the gate fails with "fail", passes by dropping rows, and v1 appears selected with its lineage', () => scenarios.promoteWithGate(app.ui));
});
