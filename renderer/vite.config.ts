/**
 * Builds the control-room UI into renderer/dist. The server serves that folder at `/`; the
 * Electron shell loads the same files. The output must run under the server's CSP
 * (script-src 'self'): Vite emits module scripts as files, never inline.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The folder of this file, without node:path (this file sits in renderer/, where lint refuses
// Node imports; URL is a web API).
const rendererRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root: rendererRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // Blueprint alone is ~700 kB; the app is loaded once per shift over the site network.
    chunkSizeWarningLimit: 2500,
    target: 'es2022',
  },
  server: {
    // `vite --config renderer/vite.config.ts` during development: the API from a local server.
    proxy: {
      '/api': { target: 'http://127.0.0.1:8443', ws: true, changeOrigin: true },
      '/health': { target: 'http://127.0.0.1:8443' },
    },
  },
});
