import { openDataset, revealPath } from '../state/actions';
import { formatBytes, formatCount, formatSpan, isOpenable, type CatalogNode } from '../tree/treeModel';

/** What a layer or a version group (`cleaned/MES`) holds, when it is selected: its children with their counts. */
export function GroupSummary({ node }: { node: CatalogNode }) {
  const children = node.children ?? [];
  return (
    <div className="scroll-pane">
      <h3>
        {node.kind === 'layer' ? `The ${node.name} layer` : `${node.name}: ${children.length} ${children.length === 1 ? 'version' : 'versions'}`}
      </h3>
      {children.length === 0 ? <p className="muted">Nothing here yet.</p> : null}
      <table className="data-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th className="num">Rows</th>
            <th className="num">Size</th>
            <th>Dates</th>
            <th>Validation</th>
          </tr>
        </thead>
        <tbody>
          {children.map((child) => (
            <tr key={child.path}>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() => {
                    if (isOpenable(child)) openDataset(child.path, { reveal: true });
                    else void revealPath(child.path);
                  }}
                >
                  {child.name}
                </button>
              </td>
              <td className="muted">{child.kind}</td>
              <td className="num">{formatCount(child.rows)}</td>
              <td className="num">{formatBytes(child.bytes)}</td>
              <td>{formatSpan(child.from, child.to)}</td>
              <td>{child.kind === 'version' ? (child.valid === true ? 'valid' : child.valid === false ? 'invalid' : '—') : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
