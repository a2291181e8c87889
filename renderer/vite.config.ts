import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  plugins: [svelte()],
  resolve: { alias: { '@engine/api': here('../engine/api') } },
  build: { outDir: here('../dist/renderer'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
});
