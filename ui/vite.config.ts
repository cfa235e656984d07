import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// One build, embedded into the berth binary (crates/api/build.rs reads dist/).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: { proxy: { "/api": "http://127.0.0.1:8420" } },
});
