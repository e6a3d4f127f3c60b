/** The `logging:` section (root, merged under each role's): Docker's log driver and options. */

import { hashOrEmpty, type Raw, text } from "./raw.ts";
import { argumentize, optionize } from "./shell.ts";

export interface LoggingSettings {
  driver?: string;
  options: Record<string, unknown>;
  /** `--log-driver "D" --log-opt k="v"`, or `--log-opt max-size="10m"` when nothing is set. */
  args: string[];
}

export function loggingSettings(raw: Raw): LoggingSettings {
  const driver = text(raw.driver);
  const options = hashOrEmpty(raw.options);
  const args =
    driver !== undefined || Object.keys(options).length > 0
      ? [...optionize(driver === undefined ? {} : { "log-driver": driver }), ...argumentize("--log-opt", options)]
      : argumentize("--log-opt", { "max-size": "10m" });
  return { driver, options, args };
}
