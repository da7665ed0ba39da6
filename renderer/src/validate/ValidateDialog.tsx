import { useState } from 'react';
import { closeDialog, startValidation } from '../state/actions';
import { Dialog } from '../shell/Dialog';
import { ErrorPanel } from '../shell/ErrorPanel';
import { useSchemas } from './useSchemas';

type Mode = 'strict' | 'coerce' | 'ignore';

const MODE_HELP: Record<Mode, string> = {
  strict: 'types must match exactly',
  coerce: 'convert types where it is safe',
  ignore: 'check rules only, not types',
};

/** Click to validate: pick a schema and a mode; the report panel follows the job. */
export function ValidateDialog({ target }: { target: string }) {
  const { schemas, error } = useSchemas();
  const [schema, setSchema] = useState('ohlcv');
  const [mode, setMode] = useState<Mode>('strict');
  const chosen = schemas.find((s) => s.name === schema);
  return (
    <Dialog
      title="Validate"
      onClose={closeDialog}
      testId="validate-dialog"
      footer={
        <>
          <button type="button" onClick={closeDialog}>
            Cancel
          </button>
          <button
            type="submit"
            form="validate-form"
            className="primary"
            disabled={schemas.length > 0 && !chosen}
          >
            Validate
          </button>
        </>
      }
    >
      <form
        id="validate-form"
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          closeDialog();
          void startValidation(target, schema, mode);
        }}
      >
        <p>
          Check <code>{target}</code> against a schema and the trading rules.
        </p>
        {error ? <ErrorPanel error={error} context="The schemas could not be listed" compact /> : null}
        <label className="field">
          <span>Schema</span>
          <select value={schema} onChange={(event) => setSchema(event.target.value)} aria-label="Schema">
            {schemas.length === 0 ? <option value="ohlcv">ohlcv</option> : null}
            {schemas.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} {s.version}
              </option>
            ))}
          </select>
        </label>
        {chosen ? (
          <p className="muted small">
            {chosen.description || `${chosen.columns.length} columns`} · columns {chosen.columns.map((c) => c.name).join(', ')}
          </p>
        ) : null}
        <fieldset className="field">
          <legend>Mode</legend>
          {(['strict', 'coerce', 'ignore'] as Mode[]).map((m) => (
            <label key={m} className="radio">
              <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
              {m} <span className="muted small">— {MODE_HELP[m]}</span>
            </label>
          ))}
        </fieldset>
      </form>
    </Dialog>
  );
}
