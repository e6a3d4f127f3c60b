/**
 * Automatic certificates (ACME) for TLS services without a custom certificate: kamal-proxy's
 * autocert, on the `acme-client` library (RFC 8555: accounts, orders, JWS, CSRs).
 *
 * * Every host of such a service gets an ECDSA certificate, issued through HTTP-01 (the challenge is
 *   answered on plain HTTP before any redirect, see `intercept`). TLS-ALPN-01 is not offered: Bun.serve
 *   cannot negotiate the `acme-tls/1` protocol nor pick a certificate by ALPN (proxy/README.md).
 * * Account key and certificates live in the cache (store.ts): a restart serves the cached certificate
 *   without contacting the CA; only missing, expiring or unusable certificates are ordered.
 * * Renewal starts a third of the lifetime before expiry (at most 30 days before, as autocert), and the
 *   old certificate keeps serving until the new one is in place. Failures are retried with exponential
 *   backoff (2 min doubling to 1 h by default), so a broken setup stays under the CA's rate limits.
 * * Any ACME directory works (`--tls-acme-directory` on run or deploy), with an external account binding
 *   when the CA wants one (`--tls-acme-eab-kid`/`--tls-acme-eab-hmac-key`), and extra CA certificates
 *   can be trusted for talking to it (`--tls-acme-ca`: Pebble's and private CAs' test certificates).
 * * On-demand TLS: Bun.serve takes a static certificate list, so a certificate cannot be ordered during a
 *   handshake. Instead the first plain-HTTP request for a host of an on-demand service asks the policy
 *   URL, orders the certificate (waiting for it briefly) and only then redirects to HTTPS. Cached
 *   on-demand certificates are loaded at start, so they serve at once after a restart.
 */
import { readdirSync } from "node:fs";
// Loaded on the first order: a proxy without TLS services never pays its memory (tens of MB).
import type * as AcmeLib from "acme-client";
import type { RequestContext } from "../context.ts";
import type { Logger } from "../logging.ts";
import type { ServiceOptions } from "../protocol.ts";
import { AcmeStore, cacheDirectory, LETS_ENCRYPT_PRODUCTION, type StoredCertificate } from "./store.ts";

export interface AcmeService {
  name: string;
  options: ServiceOptions;
  tlsEnabled: boolean;
}

export interface CertificateEntry {
  serverName: string;
  cert: string;
  key: string;
}

export interface AcmeManagerOptions {
  logger: Logger;
  /** The directory for services that name none; "" means Let's Encrypt production. */
  defaultDirectory?: string;
  /** The cache root for services that name none. */
  defaultCachePath: string;
  /** Extra CA certificates (PEM) trusted on the connection to the ACME server. */
  caPem?: string;
  /** External account binding (RFC 8555 §7.3.4), for CAs that require one (ZeroSSL, Google, ...). */
  eab?: { kid: string; hmacKey: string };
  /** Called whenever a certificate was added or replaced. */
  onChange: () => void;
  /** First retry delay after a failed order; doubles up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long a plain-HTTP request waits for an on-demand certificate before it carries on. */
  onDemandWaitMs?: number;
  /** Sends a synthetic request through the proxy's own handler (on-demand policy paths). */
  localRequest?: (host: string, pathAndQuery: string) => Promise<Response>;
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  now?: () => number;
}

interface Managed {
  host: string;
  directory: string;
  store: AcmeStore;
  cert?: StoredCertificate;
  failures: number;
  timer?: ReturnType<typeof setTimeout>;
  inflight?: Promise<void>;
  onDemand: boolean;
}

const DAY = 86_400_000;
const CHALLENGE_PREFIX = "/.well-known/acme-challenge/";
const MAX_TIMER = 2 ** 31 - 1;
const ON_DEMAND_TIMEOUT_MS = 2000;

/** When to renew: a third of the lifetime before expiry, at most 30 days before. */
export function renewalTime(cert: { notBefore: number; notAfter: number }): number {
  return cert.notAfter - Math.min(30 * DAY, (cert.notAfter - cert.notBefore) / 3);
}

const acmeManaged = (o: ServiceOptions): boolean => o.tls_enabled && !o.tls_certificate_path && !o.tls_on_demand_url;

export class AcmeManager {
  private readonly managed = new Map<string, Managed>();
  private readonly challenges = new Map<string, string>();
  private readonly clients = new Map<string, Promise<AcmeLib.Client>>();
  private library?: Promise<typeof AcmeLib>;
  private readonly denied = new Map<string, number>();
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: AcmeManagerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** acme-client, imported when the first certificate is ordered. */
  private lib(): Promise<typeof AcmeLib> {
    // node:https and node:tls are imported here too: loaded at start they cost ~8 MB of idle RSS.
    return (this.library ??= Promise.all([import("acme-client"), import("node:https"), import("node:tls")]).then(([acme, https, tls]) => {
      if (this.o.caPem) {
        // acme-client talks through its own axios instance; trust the extra CA next to the public roots.
        (acme as unknown as { axios: { defaults: { httpsAgent?: unknown } } }).axios.defaults.httpsAgent = new https.Agent({
          ca: [...tls.rootCertificates, this.o.caPem],
          keepAlive: true,
        });
      }
      return acme;
    }));
  }

  private directoryFor(options: ServiceOptions): string {
    return options.acme_directory || this.o.defaultDirectory || LETS_ENCRYPT_PRODUCTION;
  }

  private storeFor(options: ServiceOptions): AcmeStore {
    return new AcmeStore(cacheDirectory(options.acme_cache_path || this.o.defaultCachePath, this.directoryFor(options)));
  }

  /** Follow the services: order certificates for new hosts, forget removed ones. */
  sync(services: Iterable<AcmeService>): void {
    if (this.stopped) return;
    const wanted = new Map<string, ServiceOptions>();
    const onDemand: AcmeService[] = [];
    for (const s of services) {
      if (acmeManaged(s.options)) for (const host of s.options.hosts) wanted.set(host.toLowerCase(), s.options);
      else if (s.options.tls_enabled && s.options.tls_on_demand_url) onDemand.push(s);
    }
    for (const [host, entry] of this.managed) {
      const keep = entry.onDemand ? onDemand.length > 0 && !wanted.has(host) : wanted.has(host);
      const sameStore = !wanted.has(host) || this.storeFor(wanted.get(host)!).dir === entry.store.dir;
      if (!keep || !sameStore) this.forget(entry);
    }
    for (const [host, options] of wanted) {
      if (this.managed.has(host)) continue;
      this.track(host, this.directoryFor(options), this.storeFor(options), false);
    }
    // On-demand certificates must be in the listener's list before any handshake asks for them.
    for (const s of onDemand) this.loadCachedOnDemand(s.options);
  }

  private forget(entry: Managed): void {
    clearTimeout(entry.timer);
    this.managed.delete(entry.host);
  }

  private track(host: string, directory: string, store: AcmeStore, onDemand: boolean): Managed {
    const entry: Managed = { host, directory, store, failures: 0, onDemand };
    this.managed.set(host, entry);
    const cached = store.readCertificate(host);
    if (cached && cached.notAfter > this.now() && cached.names.includes(host)) {
      entry.cert = cached;
      this.o.logger.info("Loaded cached certificate", { host, not_after: new Date(cached.notAfter).toISOString() });
      this.schedule(entry, renewalTime(cached));
    } else this.schedule(entry, this.now());
    return entry;
  }

  private loadCachedOnDemand(options: ServiceOptions): void {
    const store = this.storeFor(options);
    let names: string[];
    try {
      names = readdirSync(store.dir);
    } catch {
      return;
    }
    for (const host of names) {
      if (host.includes("+") || host.endsWith(".tmp") || this.managed.has(host)) continue;
      const cached = store.readCertificate(host);
      if (cached && cached.notAfter > this.now() && cached.names.includes(host)) this.track(host, this.directoryFor(options), store, true);
    }
  }

  private schedule(entry: Managed, at: number): void {
    clearTimeout(entry.timer);
    if (this.stopped) return;
    const delay = Math.max(0, at - this.now());
    entry.timer = setTimeout(
      () => {
        if (delay > MAX_TIMER) return this.schedule(entry, at);
        void this.attempt(entry);
      },
      Math.min(delay, MAX_TIMER),
    );
    entry.timer.unref?.();
  }

  private attempt(entry: Managed): Promise<void> {
    if (entry.inflight) return entry.inflight;
    const { logger } = this.o;
    entry.inflight = (async () => {
      const renewing = !!entry.cert;
      const started = this.now();
      try {
        logger.info(renewing ? "Renewing certificate" : "Requesting certificate", { host: entry.host, directory: entry.directory });
        const cert = await this.order(entry);
        if (this.managed.get(entry.host) !== entry) return;
        entry.cert = cert;
        entry.failures = 0;
        logger.info("Certificate obtained", { host: entry.host, not_after: new Date(cert.notAfter).toISOString(), duration_ms: this.now() - started });
        this.o.onChange();
        this.schedule(entry, renewalTime(cert));
      } catch (e) {
        entry.failures++;
        const base = this.o.retryBaseMs ?? 120_000;
        const delay = Math.min(base * 2 ** (entry.failures - 1), this.o.retryMaxMs ?? 3_600_000);
        logger.error("Unable to obtain certificate", { host: entry.host, error: (e as Error).message, attempt: entry.failures, retry_in_ms: delay });
        if (this.managed.get(entry.host) === entry) this.schedule(entry, this.now() + delay);
        throw e;
      } finally {
        entry.inflight = undefined;
      }
    })();
    entry.inflight.catch(() => undefined);
    return entry.inflight;
  }

  private client(directory: string, store: AcmeStore): Promise<AcmeLib.Client> {
    const key = `${directory}\n${store.dir}`;
    let client = this.clients.get(key);
    if (!client) {
      client = (async () => {
        const acme = await this.lib();
        let accountKey = store.readAccountKey();
        if (!accountKey) {
          accountKey = (await acme.crypto.createPrivateEcdsaKey()).toString();
          store.writeAccountKey(accountKey);
        }
        const c = new acme.Client({
          directoryUrl: directory,
          accountKey,
          ...(this.o.eab ? { externalAccountBinding: this.o.eab } : {}),
          // Status polls (challenge, order): from 1 s rather than the library's 5 s, as validation
          // usually takes a second or two.
          backoffMin: 1000,
          backoffMax: 10_000,
        });
        // A cached key finds its account (RFC 8555 §7.3.1); otherwise register one, terms accepted and
        // no contact e-mail, as kamal-proxy does. (Sending the terms again for an existing account is an
        // "empty update" that strict servers such as Pebble refuse.)
        try {
          await c.createAccount({ onlyReturnExisting: true });
        } catch {
          await c.createAccount({ termsOfServiceAgreed: true });
        }
        return c;
      })();
      this.clients.set(key, client);
      client.catch(() => this.clients.delete(key));
    }
    return client;
  }

  /** One order for one host name, validated through HTTP-01. */
  private async order(entry: Managed): Promise<StoredCertificate> {
    const client = await this.client(entry.directory, entry.store);
    const order = await client.createOrder({ identifiers: [{ type: "dns", value: entry.host }] });
    const authorizations = await client.getAuthorizations(order);
    for (const authz of authorizations) {
      if (authz.status === "valid") continue;
      const challenge = authz.challenges.find((c) => c.type === "http-01");
      if (!challenge) throw new Error(`the CA offers no http-01 challenge for ${entry.host}`);
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      this.challenges.set(challenge.token, keyAuthorization);
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } finally {
        this.challenges.delete(challenge.token);
      }
    }
    const acme = await this.lib();
    const [key, csr] = await acme.crypto.createCsr({ altNames: [entry.host] }, await acme.crypto.createPrivateEcdsaKey());
    const finalized = await client.finalizeOrder(order, csr);
    const cert = await client.getCertificate(finalized);
    return entry.store.writeCertificate(entry.host, key.toString(), cert);
  }

  /** Certificates to serve, one entry per host. */
  certificates(): CertificateEntry[] {
    const out: CertificateEntry[] = [];
    for (const entry of this.managed.values()) if (entry.cert) out.push({ serverName: entry.host, cert: entry.cert.cert, key: entry.cert.key });
    return out;
  }

  /** The certificate currently held for a host (tests, diagnostics). */
  certificate(host: string): StoredCertificate | undefined {
    return this.managed.get(host.toLowerCase())?.cert;
  }

  /**
   * Before a plain-HTTP request reaches its service: answer an HTTP-01 challenge, or (on-demand
   * services) order a certificate for a new host first. Undefined means: carry on as usual.
   */
  intercept(ctx: RequestContext, service: AcmeService): Response | Promise<Response | undefined> | undefined {
    if (ctx.conn.tls) return undefined;
    if (ctx.path.startsWith(CHALLENGE_PREFIX)) {
      const answer = this.challenges.get(ctx.path.slice(CHALLENGE_PREFIX.length));
      if (answer !== undefined) {
        ctx.service = service.name;
        return new Response(answer, { headers: { "content-type": "text/plain" } });
      }
      return undefined;
    }
    if (service.tlsEnabled && service.options.tls_on_demand_url) {
      const host = ctx.hostname.toLowerCase().replace(/\.$/, "");
      if (host && !this.managed.get(host)?.cert) return this.onDemand(host, service).then(() => undefined);
    }
    return undefined;
  }

  private async onDemand(host: string, service: AcmeService): Promise<void> {
    const now = this.now();
    if ((this.denied.get(host) ?? 0) > now) return;
    const existing = this.managed.get(host);
    if (existing) {
      await this.waitBriefly(existing.inflight);
      return;
    }
    if (!(await this.allowed(host, service.options.tls_on_demand_url))) {
      // Bounded: random Host headers must not grow this without limit.
      if (this.denied.size >= 10_000) for (const [h, until] of this.denied) if (until <= now || this.denied.size >= 10_000) this.denied.delete(h);
      this.denied.set(host, now + 10_000);
      return;
    }
    if (this.managed.has(host)) return this.waitBriefly(this.managed.get(host)!.inflight);
    const entry = this.track(host, this.directoryFor(service.options), this.storeFor(service.options), true);
    if (!entry.cert) {
      clearTimeout(entry.timer);
      await this.waitBriefly(this.attempt(entry));
    }
  }

  private async waitBriefly(p: Promise<void> | undefined): Promise<void> {
    if (!p) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, this.o.onDemandWaitMs ?? 10_000)))]);
    clearTimeout(timer);
  }

  /** kamal-proxy's on-demand policy: only a 200 from the URL (or the app's path) allows the host. */
  private async allowed(host: string, url: string): Promise<boolean> {
    let res: Response;
    try {
      if (url.startsWith("/")) {
        const u = new URL(url, "http://placeholder");
        u.searchParams.set("host", host);
        u.searchParams.sort();
        if (!this.o.localRequest) return false;
        res = await withTimeout(this.o.localRequest(host, `${u.pathname}${u.search}`), ON_DEMAND_TIMEOUT_MS);
      } else {
        const u = new URL(url);
        u.searchParams.set("host", host);
        u.searchParams.sort();
        res = await (this.o.fetch ?? fetch)(u.toString(), { redirect: "manual", signal: AbortSignal.timeout(ON_DEMAND_TIMEOUT_MS) });
      }
    } catch (e) {
      this.o.logger.warn("TLS on-demand check failed", { host, error: (e as Error).message });
      return false;
    }
    if (res.status === 200) {
      await res.body?.cancel().catch(() => undefined);
      return true;
    }
    const body = (await res.text().catch(() => "")).slice(0, 256);
    this.o.logger.warn("TLS on-demand check denied host", { host, status: res.status, body });
    return false;
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.managed.values()) clearTimeout(entry.timer);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), ms)))]).finally(() => clearTimeout(timer));
}
