import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/store/schema.ts", "./src/store/gateway-schema.ts", "./src/store/provider-schema.ts"],
  out: "./migrations",
});
