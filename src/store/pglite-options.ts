import { setFlagsFromString } from "node:v8";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";

/**
 * How the embedded database is started: sized for one service process rather
 * than for PGlite's defaults (a 128 MB buffer pool, 100 connections' shared
 * state), which alone made up a third of the server's resident memory.
 *
 * Durability is PGlite's and is not changed here: every commit is written to
 * the data directory (write(2), synchronously, before the call is answered),
 * so a crash of the process loses nothing acknowledged; but PGlite on Node
 * never fsyncs (it starts PostgreSQL with fsync off and its file system layer
 * has no fsync), so an OS crash or power loss can lose recent commits and, as
 * with any PostgreSQL run with fsync off, leave the cluster unrecoverable.
 * The README says when that calls for PostgreSQL.
 */
export function pgliteOptions(sharedBuffersMb: number): PGliteOptions {
  compileWasmCheaply();
  return {
    // On Node PGlite's per-query "sync to file system" is a no-op (writes already went to the files): not waiting for it
    // saves a turn of its lock per query and changes nothing on disk.
    relaxedDurability: true,
    startParams: [
      ...PGlite.defaultStartParams,
      // PostgreSQL zeroes its whole buffer pool at start, so its size is resident from the first moment (the default
      // 128 MB was a third of the server's memory); pages that do not fit are read back from the OS page cache.
      "-c",
      `shared_buffers=${sharedBuffersMb}MB`,
      // One backend (single-user mode): shared state for 100 is memory never used.
      "-c",
      "max_connections=5",
    ],
  };
}

let flagsSet = false;

/**
 * V8 compiles PGlite's 9 MB WebAssembly module twice by default: at once with
 * its baseline compiler (Liftoff), then again, function by function, with its
 * optimizing one (TurboFan) in background threads while the server runs.
 * Measured here, the second pass cost 60-90 MiB of resident memory and seconds
 * of CPU in the first minutes after every start (reads cost twice as much then);
 * after warm-up, reads cost the same either way and writes up to ~25 % more on
 * Liftoff's code. It only affects WebAssembly, which in this process is PGlite
 * alone, and must be set before the module is compiled.
 */
function compileWasmCheaply(): void {
  if (flagsSet) return;
  flagsSet = true;
  setFlagsFromString("--liftoff-only");
}
