/**
 * The request body as the upstream reads it, with two hooks: `onEnd` when the client has sent all of it
 * (where `--target-timeout` starts: it must never count the client's upload), and a per-read stall timer
 * (the request-body timeout) that fires only while the proxy is waiting for the client's next bytes. An
 * upload that keeps moving is never cut; one that stops for the whole timeout is abandoned (408).
 */

class BodyTimeoutError extends Error {
  constructor() {
    super("timed out waiting for request body");
  }
}

export interface WatchedBody {
  stream: ReadableStream<Uint8Array>;
  readonly timedOut: boolean;
  /** Stop the timer when the request is over, whether or not the body was read to its end. */
  dispose(): void;
}

export function watchBody(body: ReadableStream<Uint8Array>, timeoutMs: number, onEnd: () => void, onTimeout: () => void): WatchedBody {
  const reader = body.getReader();
  let waitingSince = 0;
  let reading = false;
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const state = { timedOut: false };
  let fail: ((e: Error) => void) | undefined;

  // One timer per timeout period rather than one per chunk: it re-arms itself for what is left.
  const check = () => {
    timer = undefined;
    if (finished) return;
    const waited = reading ? performance.now() - waitingSince : 0;
    if (reading && waited >= timeoutMs) {
      state.timedOut = true;
      finished = true;
      fail?.(new BodyTimeoutError());
      void reader.cancel().catch(() => undefined);
      onTimeout();
      return;
    }
    timer = setTimeout(check, timeoutMs - waited);
  };
  const stop = () => {
    finished = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        fail = (e) => controller.error(e);
        if (timeoutMs > 0) timer = setTimeout(check, timeoutMs);
      },
      async pull(controller) {
        reading = true;
        waitingSince = performance.now();
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (finished) return;
          stop();
          controller.error(e);
          return;
        } finally {
          reading = false;
        }
        if (finished) return;
        if (chunk.done) {
          stop();
          controller.close();
          onEnd();
        } else controller.enqueue(chunk.value);
      },
      cancel(reason) {
        stop();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    stream,
    get timedOut() {
      return state.timedOut;
    },
    dispose: stop,
  };
}
