import type http2 from "node:http2";

/** New HTTP/2 streams in one turn of the event loop beyond which the process is busy and flooding connections take turns. */
const BUSY_TURN_STREAMS = 128;
/** A connection that opens this many streams in a busy turn is flooding. */
const FLOODING_STREAMS = 16;
/** Flooding connections given their turn (read again) per turn of the event loop. */
const TURNS_PER_LOOP = 1;

/** What Node's own net.Socket uses to stop and restart reading; it has no public way to pause an HTTP/2 session. */
type ReadControl = { readStop(): number; readStart(): number };

export interface StreamPacer {
  /** Paces a session's new streams from now on. */
  add(session: http2.ServerHttp2Session): void;
  /** Reads every paused connection again, for good: on shutdown they must read their clients' last frames. */
  stop(): void;
}

/**
 * Node's HTTP/2 server handles every stream a socket read brings in one go,
 * and reads every ready socket in each turn of the event loop: 80
 * connections with 256 streams each make a turn of a second or more, however
 * fast each call is refused, and every other client (a health check
 * included) waits it out. Once a turn has brought more than
 * BUSY_TURN_STREAMS new streams, a connection that brings its
 * FLOODING_STREAMSth in that turn stops being read and joins a queue; each
 * turn of the loop, the next one in the queue is read again. A turn then
 * carries a flooding connection or two, and a connection with a few calls
 * in flight is read in every turn. No stream is refused: a paused client's
 * frames wait in its socket.
 */
export function createStreamPacer(): StreamPacer {
  const opened = new Map<http2.ServerHttp2Session, number>();
  const waiting: http2.ServerHttp2Session[] = [];
  const paused = new Set<http2.ServerHttp2Session>();
  let streams = 0;
  let scheduled = false;
  let stopped = false;

  const control = (s: http2.ServerHttp2Session) => (s.socket as unknown as { _handle?: ReadControl | null })._handle;
  const resume = (s: http2.ServerHttp2Session) => {
    paused.delete(s);
    if (!s.destroyed) control(s)?.readStart();
  };
  const endOfTurn = () => {
    scheduled = false;
    opened.clear();
    streams = 0;
    for (let i = 0; i < TURNS_PER_LOOP && waiting.length > 0; i++) resume(waiting.shift()!);
    // Idle turns must keep handing out turns too, or a queue whose clients went quiet would never be read again.
    if (waiting.length > 0) schedule();
  };
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    // setImmediate runs after this turn's socket reads.
    setImmediate(endOfTurn);
  };

  return {
    add(session) {
      session.on("stream", () => {
        if (stopped) return;
        const n = (opened.get(session) ?? 0) + 1;
        opened.set(session, n);
        streams++;
        schedule();
        // Stopped at once: the rest of the socket read in progress is still handled, but no further read this turn.
        if (streams > BUSY_TURN_STREAMS && n >= FLOODING_STREAMS && !paused.has(session)) {
          control(session)?.readStop();
          paused.add(session);
          waiting.push(session);
        }
      });
    },
    stop() {
      stopped = true;
      for (const s of waiting.splice(0)) resume(s);
      opened.clear();
    },
  };
}
