/**
 * Shell text for an image archive that one server passes to others: registry-less delivery's layers
 * and sextant's proxy image travel the same way, so they share one download, check and load.
 */
import { shellEscape } from "./shell.ts";

/**
 * Fetch the archive from a peer (curl, else wget), check its sha256, load it; the file is removed
 * whatever happened. `what` names the archive in the error messages ("the proxy image"); they show
 * the peer's address but not the URL's last part, the download token.
 */
export function fetchFromPeer(url: string, sha256: string, path: string, what: string): string {
  const p = shellEscape(path);
  const u = shellEscape(url);
  const peer = url.replace(/\/[^/]*$/, "/…");
  return removeAfter(
    `if { curl -fsS --connect-timeout 5 --max-time 600 --retry 3 --retry-connrefused -o ${p} ${u} || wget -q -T 30 -t 3 -O ${p} ${u}; }; then ` +
      `${loadIfIntact(path, sha256, `${what} from ${peer}`)}; ` +
      `else echo "cannot download ${what} from a peer (is curl or wget installed?)" >&2; false; fi`,
    path,
  );
}

/** `docker load` the archive in `path` only if its sha256 is `sha256`; else fail, saying `what` arrived damaged. */
export function loadIfIntact(path: string, sha256: string, what: string): string {
  const p = shellEscape(path);
  return `if ${checksumMatches(p, sha256)}; then docker load --quiet --input ${p}; else echo "${what} arrived damaged (sha256 mismatch)" >&2; false; fi`;
}

/** Run `command`, remove `path` whatever happened, and exit with the command's status. */
export function removeAfter(command: string, path: string): string {
  return `${command}; s=$?; rm -f ${shellEscape(path)}; exit $s`;
}

/** Run `command`; if it fails, remove `path` (a partial or useless copy) and exit with its status. */
export function removeIfFailed(command: string, path: string): string {
  return `${command} || { s=$?; rm -f ${shellEscape(path)}; exit $s; }`;
}

/** sha256 of a file on the server (`escapedPath`) equals `sha256`, with coreutils only. */
function checksumMatches(escapedPath: string, sha256: string): string {
  return `[ "$(sha256sum ${escapedPath} | cut -c1-64)" = ${sha256} ]`;
}
