/** Preload bridge entry; the typed bridge is delivered with the Electron shell. */
export const PRELOAD_READY = false;
