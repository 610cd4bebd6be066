// `npm run build`: the initialized, migrated database that a new embedded one starts from (./pglite-template.ts).
import { MIGRATIONS_DIR } from "./database.js";
import { pgliteOptions } from "./pglite-options.js";
import { writeTemplate } from "./pglite-template.js";

await writeTemplate(MIGRATIONS_DIR, pgliteOptions(16));
