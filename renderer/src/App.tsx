import { useEffect, useState } from 'react';
import { invoke, type ApiError } from './api/transport';

/** Placeholder shell: shows which host and store the app is connected to. */
export function App() {
  const [info, setInfo] = useState<string>('connecting…');
  useEffect(() => {
    invoke('app.info', {}).then(
      (result) => setInfo(`MES Data ${result.version} · ${result.host} · ${result.store ?? 'no store open'}`),
      (error: ApiError) => setInfo(`${error.code}: ${error.message}`),
    );
  }, []);
  return <main style={{ font: '14px system-ui', padding: 24 }}>{info}</main>;
}
