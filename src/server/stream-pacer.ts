import type http2 from "node:http2";

/** New HTTP/2 streams in one turn of the event loop beyond which the process is busy and flooding connections take turns. */
const BUSY_TURN_STREAMS = 128;
/** A connection that opens this many streams in a busy turn is flooding. */
const FLOODING_STREAMS = 16;
/** Idle time between one flooding connection's turn and the next one's: the loop serves everyone else in it. */
const TURN_GAP_MS = 10;

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
 * FLOODING_STREAMSth in that turn stops being read and joins a queue; every
 * TURN_GAP_MS the next one in the queue is read again, until it floods a
 * busy turn again. The flood then arrives one connection's worth at a time,
 * with room between for connections with a few calls in flight, which are
 * read in every turn. No stream is refused: a paused client's frames wait in
 * its socket.
 */
export function createStreamPacer(): StreamPacer {
  const opened = new Map<http2.ServerHttp2Session, number>();
  const waiting: http2.ServerHttp2Session[] = [];
  const paused = new Set<http2.ServerHttp2Session>();
  let streams = 0;
  let counting = false;
  // Whether a turn is coming (its timer set, or about to be), and the timer.
  let turnComing = false;
  let turn: NodeJS.Timeout | undefined;
  let stopped = false;

  const control = (s: http2.ServerHttp2Session) => (s.socket as unknown as { _handle?: ReadControl | null })._handle;
  const resume = (s: http2.ServerHttp2Session) => {
    paused.delete(s);
    if (!s.destroyed) control(s)?.readStart();
  };
  const nextTurn = () => {
    const s = waiting.shift();
    if (s) resume(s);
    turnComing = waiting.length > 0;
    // The gap starts once the resumed connection's read is handled (setImmediate runs after this turn's socket reads), not
    // when it is resumed: a read of a few hundred streams takes longer than the gap, and the next one would follow at once.
    if (turnComing) setImmediate(() => !stopped && (turn = setTimeout(nextTurn, TURN_GAP_MS)));
  };
  const pause = (s: http2.ServerHttp2Session) => {
    // Stopped at once: the rest of the socket read in progress is still handled, but no further read until its turn.
    control(s)?.readStop();
    paused.add(s);
    waiting.push(s);
    if (!turnComing) {
      turnComing = true;
      turn = setTimeout(nextTurn, TURN_GAP_MS);
    }
  };
  const endOfTurn = () => {
    counting = false;
    opened.clear();
    streams = 0;
  };

  return {
    add(session) {
      session.on("stream", () => {
        if (stopped) return;
        const n = (opened.get(session) ?? 0) + 1;
        opened.set(session, n);
        streams++;
        if (!counting) {
          counting = true;
          // setImmediate runs once this turn's socket reads are done.
          setImmediate(endOfTurn);
        }
        if (streams > BUSY_TURN_STREAMS && n >= FLOODING_STREAMS && !paused.has(session)) pause(session);
      });
    },
    stop() {
      stopped = true;
      clearTimeout(turn);
      for (const s of waiting.splice(0)) resume(s);
      opened.clear();
    },
  };
}
