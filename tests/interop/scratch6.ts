import { Table, DateDay, Int32, Float64, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import { tableToJsonRows } from '../../core/arrow/arrowJson.js';
for (const v of [2932896, 2932897, -719528, -719529, -2440588, 99_999_999, 100_000_001]) {
  const t = new Table({ d: makeVector(makeData({ type: new DateDay(), length: 1, data: new Int32Array([v]) })) });
  try { console.log(v, JSON.stringify(tableToJsonRows(t))); } catch (e) { console.log(v, 'ERR', (e as Error).name, (e as Error).message); }
}
const t = new Table({ i: vectorFromArray([10, 20, 30, 40], new Int32()), f: vectorFromArray([1.5, 2.5, 3.5, 4.5], new Float64()) });
console.log('full', JSON.stringify(tableToJsonRows(t)));
console.log('slice(2)', JSON.stringify(tableToJsonRows(t.slice(2))), 'arrow says', JSON.stringify(t.slice(2).toArray().map(r => r.toJSON())));
