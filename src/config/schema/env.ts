/** `env` (root, roles, tags, accessories): `{KEY: value}` or `{clear, secret, tags}`. */
import * as v from "valibot";
import { type AnySchema, arrayOf, hash, hashOf, isHash, str, TYPE_MARK } from "./common.ts";

const SECTION_KEYS = ["clear", "secret", "tags"];

/** The simple form: every key is a clear variable. */
function simpleEnv(): AnySchema {
  return hashOf(str("env values are strings; secrets go under `secret:`"));
}

function complexEnv(allowTags: boolean): AnySchema {
  const entries: Record<string, AnySchema> = {
    clear: hashOf(str("env values are strings; secrets go under `secret:`"), "e.g. clear: { DB_HOST: db1 }"),
    secret: arrayOf(str(), "e.g. secret: [ DB_PASSWORD ]"),
  };
  if (allowTags) entries.tags = hashOf(envSchema({ allowTags: false, context: "tag" }), "e.g. tags: { monitoring: { MYSQL_USER: monitoring } }");
  return hash(entries);
}

export function envSchema(options: { allowTags: boolean; context?: "root" | "role" | "accessory" | "tag" }): AnySchema {
  const complex = complexEnv(options.allowTags);
  const simple = simpleEnv();
  const notHash = v.custom(() => false, TYPE_MARK + "should be a hash\u0000e.g. env: { clear: { DB_HOST: db1 }, secret: [ DB_PASSWORD ] }");
  const tagsOnlyAtRoot = v.custom(
    () => false,
    options.context === "tag" ? "tags can not be nested inside a tag's env" : "tags are only allowed in the root env\u0000move the `tags:` section to the top-level `env:`",
  );
  return v.lazy((input) => {
    if (!isHash(input)) return notHash;
    const keys = Object.keys(input);
    if (keys.some((k) => SECTION_KEYS.includes(k))) {
      if (!options.allowTags && keys.includes("tags")) return tagsOnlyAtRoot;
      return complex;
    }
    return simple;
  }) as AnySchema;
}
