/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

/** In `--mode mock`, serve the MSW service worker from mock-public/ (never copied into dist/). */
function mockWorker(): Plugin {
  return {
    name: 'wasmart-mock-worker',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/mockServiceWorker.js', (_req, res) => {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(readFileSync(new URL('./mock-public/mockServiceWorker.js', import.meta.url)));
      });
    },
  };
}

const backend = process.env.API_TARGET ?? 'http://127.0.0.1:3000';
const proxy = { '/api': { target: backend, changeOrigin: false } };

export default defineConfig(({ mode }) => ({
  plugins: mode === 'mock' ? [react(), mockWorker()] : [react()],
  server: { port: 5173, strictPort: true, proxy: mode === 'mock' ? undefined : proxy },
  preview: { port: 4173, proxy },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
  test: {
    environment: 'jsdom',
    // A host nothing answers on: a request MSW does not handle can never reach a real server.
    environmentOptions: { jsdom: { url: 'http://wasmart.test/' } },
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    pool: 'threads',
    poolOptions: { threads: { maxThreads: 2, minThreads: 1 } },
    // The flow tests click through several screens in jsdom, which takes seconds when the
    // 2 cores are busy with other work; 5 s (the default) made them flaky, not faster.
    testTimeout: 20_000,
  },
}));
