/** `builder`: how the image is built. */
import { type AnySchema, anyHash, arrayOf, bool, hash, oneOf, str } from "./common.ts";

export function builderSchema(): AnySchema {
  return hash(
    {
      arch: oneOf({ string: str(), array: arrayOf(str()) }, "should be an array or a string\u0000e.g. arch: amd64, or arch: [ amd64, arm64 ]"),
      remote: str("e.g. remote: ssh://docker@docker-builder"),
      local: bool(),
      pack: hash({ builder: str(), buildpacks: arrayOf(str()) }),
      cache: hash({ type: str("gha or registry"), options: str(), image: str() }),
      context: str("e.g. context: ."),
      dockerfile: str(),
      target: str(),
      args: anyHash("e.g. args: { RUBY_VERSION: 3.3.0 }"),
      secrets: arrayOf(str(), "e.g. secrets: [ GITHUB_TOKEN ]"),
      ssh: str(),
      driver: str(),
      provenance: str(),
      sbom: str(),
      delivery: str("registry (the default) or ssh"),
    },
    "e.g. builder: { arch: amd64 }",
  );
}
