/** What the SSH layer reports as it works, for the output layer (-v prints every command). */

export type SshEvent =
  | { type: "connect"; host: string; user: string; port: number; via?: string }
  | { type: "connected"; host: string; ms: number }
  | { type: "host-key-added"; host: string; keyType: string; fingerprint: string; file: string }
  | { type: "exec"; host: string; command: string }
  | { type: "exit"; host: string; command: string; code: number | null; ms: number }
  | { type: "upload"; host: string; remotePath: string; mode: number; bytes: number }
  | { type: "disconnect"; host: string; reason: string }
  | { type: "warning"; host: string; message: string }
  | { type: "debug"; host: string; message: string };

/** Options every entry point of the layer accepts. */
export interface SshObserver {
  /** Called for every event; must not throw. */
  onEvent?: (event: SshEvent) => void;
  /** Hides secrets in command lines before they're reported or put in errors. */
  redact?: (text: string) => string;
}

export function emit(observer: SshObserver, event: SshEvent): void {
  try {
    observer.onEvent?.(event);
  } catch {
    // an observer's bug must not break a deploy
  }
}

export function redacted(observer: SshObserver, text: string): string {
  return observer.redact ? observer.redact(text) : text;
}
