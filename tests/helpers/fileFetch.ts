import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * `fetch` for `file:` URLs, for readers that only speak HTTP (icebird reads a table's
 * metadata, manifests and Parquet files with `fetch`, and Node's `fetch` has no `file:`).
 * Answers whole files, HEAD with the length, and `Range: bytes=a-b` with 206; a missing
 * file is 404. Other URLs go to the real `fetch`. Returns the function that restores it.
 */
export function serveFileUrls(): () => void {
  const real = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file:')) return real(input, init);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(fileURLToPath(url));
    } catch {
      return new Response(null, { status: 404, statusText: 'Not Found' });
    }
    if (init?.method === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(bytes.length) } });
    const range = /^bytes=(\d+)-(\d*)$/.exec(new Headers(init?.headers).get('range') ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === '' ? bytes.length : Number(range[2]) + 1;
      return new Response(bytes.subarray(start, end), { status: 206 });
    }
    return new Response(bytes, { status: 200 });
  };
  return () => {
    globalThis.fetch = real;
  };
}
