/**
 * Building blocks shared by the section schemas. Kamal's rules (its docs YAMLs are its schema):
 * hashes reject unknown keys, "string" keys also take numbers and booleans (Kamal calls them
 * "stringish"), integer keys take integers only, booleans take true/false only.
 *
 * A message may carry a hint after HINT_SEPARATOR; validate.ts splits it off.
 */
import * as v from "valibot";

export const HINT_SEPARATOR = "\u0000";
/** Marks a type mismatch ("should be a string"), so the error can add what was found. */
export const TYPE_MARK = "\u0001";

export type AnySchema = v.GenericSchema<unknown, unknown>;

export function isHash(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function withHint(message: string, hint?: string): string {
  return hint ? `${message}${HINT_SEPARATOR}${hint}` : message;
}

/** A string, or a number/boolean used as one (Kamal's "stringish"). */
export function str(hint?: string): AnySchema {
  return v.custom((x) => typeof x === "string" || (typeof x === "number" && Number.isFinite(x)) || typeof x === "boolean", withHint(TYPE_MARK + "should be a string", hint));
}

export function int(hint?: string): AnySchema {
  return v.custom((x) => typeof x === "number" && Number.isInteger(x), withHint(TYPE_MARK + "should be an integer", hint));
}

export function bool(hint?: string): AnySchema {
  return v.custom((x) => typeof x === "boolean", withHint(TYPE_MARK + "should be a boolean (true or false)", hint));
}

export function arrayOf(item: AnySchema, hint?: string): AnySchema {
  return v.pipe(
    v.custom<unknown[]>((x) => Array.isArray(x), withHint(TYPE_MARK + "should be an array", hint)),
    v.array(item),
  );
}

/** A hash with exactly these (optional) keys. Unknown keys are reported, each one. */
export function hash(entries: Record<string, AnySchema>, hint?: string): AnySchema {
  const optionalEntries: v.ObjectEntries = {};
  for (const [key, schema] of Object.entries(entries)) optionalEntries[key] = v.optional(schema);
  const known = Object.keys(entries);
  return v.pipe(
    v.custom<Record<string, unknown>>(isHash, withHint(TYPE_MARK + "should be a hash", hint)),
    v.looseObject(optionalEntries),
    v.rawCheck(({ dataset, addIssue }) => {
      const input = dataset.value as Record<string, unknown>;
      if (!isHash(input)) return;
      for (const key of Object.keys(input)) {
        if (known.includes(key)) continue;
        addIssue({
          message: unknownKeyMessage(key, known),
          path: [{ type: "object", origin: "key", input, key, value: input[key] }],
        });
      }
    }),
  ) as AnySchema;
}

export const UNKNOWN_KEY = "unknown key";

function unknownKeyMessage(key: string, known: readonly string[]): string {
  return `${UNKNOWN_KEY}${HINT_SEPARATOR}${JSON.stringify({ key, known })}`;
}

/** A hash of any keys whose values all match `value`. */
export function hashOf(value: AnySchema, hint?: string): AnySchema {
  return v.pipe(v.custom<Record<string, unknown>>(isHash, withHint(TYPE_MARK + "should be a hash", hint)), v.record(v.string(), value)) as AnySchema;
}

/** Any hash (docker options, build args). */
export function anyHash(hint?: string): AnySchema {
  return v.custom(isHash, withHint(TYPE_MARK + "should be a hash", hint));
}

/**
 * Pick the schema by the shape of the value (string / array / hash / boolean / number), so the
 * error is about the form the user chose, not a list of every alternative.
 */
export function oneOf(options: { string?: AnySchema; array?: AnySchema; hash?: AnySchema; boolean?: AnySchema; integer?: AnySchema }, message: string): AnySchema {
  const fallback = v.custom(() => false, TYPE_MARK + message);
  return v.lazy((input) => {
    if (Array.isArray(input)) return options.array ?? fallback;
    if (isHash(input)) return options.hash ?? fallback;
    if (typeof input === "boolean") return options.boolean ?? options.string ?? fallback;
    if (typeof input === "number") return (Number.isInteger(input) ? options.integer : undefined) ?? options.string ?? fallback;
    if (typeof input === "string") return options.string ?? fallback;
    return fallback;
  }) as AnySchema;
}

/** A list of hosts, each a name or `{name: tag}` / `{name: [tags]}` (Kamal's server list). */
export function hostList(): AnySchema {
  const tagged = v.pipe(
    v.custom<Record<string, unknown>>(isHash),
    v.check((h) => Object.keys(h).length === 1, "multiple hosts found"),
    v.record(v.string(), oneOf({ string: str(), array: arrayOf(str()) }, "should be a string or an array")),
  );
  return arrayOf(oneOf({ string: str(), hash: tagged as AnySchema }, "should be a string or a hash"), "e.g. hosts: [ 192.168.0.1, 192.168.0.2 ]");
}

const RESTART = /^(no|always|unless-stopped|on-failure|on-failure:\d+)$/;

/** `docker run` options; `restart` must be a valid restart policy. */
export function dockerOptions(): AnySchema {
  return v.pipe(
    anyHash("e.g. options: { memory: 2g, cpus: 4 }"),
    v.rawCheck(({ dataset, addIssue }) => {
      const input = dataset.value as Record<string, unknown>;
      if (!isHash(input) || !("restart" in input)) return;
      const restart = input.restart;
      const path: [v.IssuePathItem] = [{ type: "object", origin: "value", input, key: "restart", value: restart }];
      if (typeof restart !== "string") addIssue({ message: 'should be a string. Use "no" to disable restarts', path });
      else if (!RESTART.test(restart)) addIssue({ message: "should be no, always, unless-stopped, on-failure, or on-failure:N", path });
    }),
  ) as AnySchema;
}

/** Labels: a hash of strings. */
export function labels(): AnySchema {
  return hashOf(str(), "e.g. labels: { my-label: my-value }");
}
