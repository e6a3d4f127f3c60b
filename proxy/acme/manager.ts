/**
 * Automatic certificates (ACME) for TLS services without a custom certificate: kamal-proxy's
 * autocert, on the `acme-client` library (RFC 8555: accounts, orders, JWS, CSRs). This file follows the
 * services and keeps one entry per host (cached certificate, renewal timer, order in flight); the parts
 * live beside it: client.ts (the CA: accounts, orders), challenges.ts (HTTP-01 answers), renewal.ts
 * (when to renew, backoff), on-demand.ts (the on-demand policy), store.ts (the cache).
 *
 * * Every host of such a service gets an ECDSA certificate, issued through HTTP-01 (the challenge is
 *   answered on plain HTTP before any redirect, see `intercept`). TLS-ALPN-01 is not offered: the HTTPS
 *   front end does not negotiate the `acme-tls/1` protocol (proxy/README.md).
 * * Account key and certificates live in the cache (store.ts): a restart serves the cached certificate
 *   without contacting the CA; only missing, expiring or unusable certificates are ordered.
 * * Renewal starts a third of the lifetime before expiry (at most 30 days before, as autocert), and the
 *   old certificate keeps serving until the new one is in place. Failures are retried with exponential
 *   backoff (2 min doubling to 1 h by default), so a broken setup stays under the CA's rate limits.
 * * Any ACME directory works (`--tls-acme-directory` on run or deploy), with an external account binding
 *   when the CA wants one (`--tls-acme-eab-kid`/`--tls-acme-eab-hmac-key`), and extra CA certificates
 *   can be trusted for talking to it (`--tls-acme-ca`: Pebble's and private CAs' test certificates).
 * * On-demand TLS: the first TLS handshake for a host of an on-demand service without a certificate
 *   (`duringHandshake`, from the HTTPS front end's SNI lookup), or the first plain-HTTP request for it,
 *   asks the policy URL, orders the certificate and waits for it briefly; the handshake then gets the new
 *   certificate, the request its redirect to HTTPS. Cached
 *   on-demand certificates are loaded at start, so they serve at once after a restart.
 */
import { readdirSync } from "node:fs";
import type { RequestContext } from "../context.ts";
import type { Logger } from "../logging.ts";
import type { ServiceOptions } from "../protocol.ts";
import { Http01Answers } from "./challenges.ts";
import { AcmeClients } from "./client.ts";
import { OnDemandPolicy } from "./on-demand.ts";
import { MAX_TIMER_MS, renewalTime, retryDelay } from "./renewal.ts";
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

const acmeManaged = (o: ServiceOptions): boolean => o.tls_enabled && !o.tls_certificate_path && !o.tls_on_demand_url;

export class AcmeManager {
  private readonly managed = new Map<string, Managed>();
  private readonly answers = new Http01Answers();
  private readonly clients: AcmeClients;
  private readonly policy: OnDemandPolicy;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: AcmeManagerOptions) {
    this.now = o.now ?? Date.now;
    this.clients = new AcmeClients({ caPem: o.caPem, eab: o.eab });
    this.policy = new OnDemandPolicy({ logger: o.logger, localRequest: o.localRequest, fetch: o.fetch, now: this.now });
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
        if (delay > MAX_TIMER_MS) return this.schedule(entry, at);
        void this.attempt(entry);
      },
      Math.min(delay, MAX_TIMER_MS),
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
        const cert = await this.clients.order(entry.directory, entry.store, entry.host, this.answers);
        if (this.managed.get(entry.host) !== entry) return;
        entry.cert = cert;
        entry.failures = 0;
        logger.info("Certificate obtained", { host: entry.host, not_after: new Date(cert.notAfter).toISOString(), duration_ms: this.now() - started });
        this.o.onChange();
        this.schedule(entry, renewalTime(cert));
      } catch (e) {
        entry.failures++;
        const delay = retryDelay(entry.failures, this.o.retryBaseMs, this.o.retryMaxMs);
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
    if (Http01Answers.isChallengePath(ctx.path)) {
      const answer = this.answers.answer(ctx.path);
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

  /**
   * A TLS handshake names a host with no certificate: for an on-demand service, order one (policy
   * first) and wait briefly, as kamal-proxy's autocert does. Resolves once there is nothing more to wait for.
   */
  duringHandshake(host: string, service: AcmeService | undefined): Promise<void> {
    const name = host.toLowerCase().replace(/\.$/, "");
    if (!service?.tlsEnabled || !service.options.tls_on_demand_url || !name || this.managed.get(name)?.cert) return Promise.resolve();
    return this.onDemand(name, service);
  }

  private async onDemand(host: string, service: AcmeService): Promise<void> {
    if (this.policy.recentlyDenied(host)) return;
    const existing = this.managed.get(host);
    if (existing) {
      await this.waitBriefly(existing.inflight);
      return;
    }
    if (!(await this.policy.allows(host, service.options.tls_on_demand_url))) return;
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

  stop(): void {
    this.stopped = true;
    for (const entry of this.managed.values()) clearTimeout(entry.timer);
  }
}
