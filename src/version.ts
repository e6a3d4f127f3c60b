/** The version of sextant itself (not of the app being deployed; that is `--version` / VERSION / git). */
export const SEXTANT_VERSION = "0.1.0";
