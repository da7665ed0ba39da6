// core/ runs in every host (CLI, worker threads, the browser-mode server, Electron's main
// process), so it may not use Electron or React. core/tsconfig.json maps those modules here,
// where they export nothing: any import of them in core/ fails to compile.
export {};
