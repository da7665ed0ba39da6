import type { CatalogNode } from '../../../renderer/src/tree/treeModel.ts';

/** A catalog as `tree {depth: 3}` returns it: raw dates without files, cleaned versions without partitions. */
export function catalog(): CatalogNode {
  return {
    kind: 'store',
    name: 'store',
    path: '',
    children: [
      {
        kind: 'layer',
        name: 'raw',
        path: 'raw',
        children: [
          {
            kind: 'asset',
            name: 'ES',
            path: 'raw/ES',
            rows: 10,
            children: [{ kind: 'date', name: '2024-01-02', path: 'raw/ES/2024-01-02', rows: 10 }],
          },
          {
            kind: 'asset',
            name: 'MES',
            path: 'raw/MES',
            rows: 30,
            children: [
              { kind: 'date', name: '2024-01-02', path: 'raw/MES/2024-01-02', rows: 10 },
              { kind: 'date', name: '2024-01-03', path: 'raw/MES/2024-01-03', rows: 20 },
            ],
          },
        ],
      },
      {
        kind: 'layer',
        name: 'cleaned',
        path: 'cleaned',
        children: [
          {
            kind: 'asset',
            name: 'MES',
            path: 'cleaned/MES',
            children: [{ kind: 'version', name: 'v1', path: 'cleaned/v1/MES', version: 1, valid: true, rows: 28 }],
          },
        ],
      },
      { kind: 'layer', name: 'features', path: 'features', children: [] },
    ],
  };
}
