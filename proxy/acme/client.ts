/**
 * Talking to the CA: acme-client loaded on the first order (a proxy without TLS services never pays
 * its memory, tens of MB with node:https and node:tls), one client per (directory, cache) with its
 * account, and one order for one host name validated through HTTP-01.
 *
 * acme-client sends every request through one axios instance shared by the whole process. An extra CA
 * (`--tls-acme-ca`) is therefore given to each client's own requests, never set on that shared
 * instance, so one manager's trust settings cannot leak into another's (or into anything else that
 * loads the library).
 */
import type * as AcmeLib from "acme-client";
import type { Http01Answers } from "./challenges.ts";
import type { AcmeStore, StoredCertificate } from "./store.ts";

export interface AcmeClientOptions {
  /** Extra CA certificates (PEM) trusted on the connection to the ACME server. */
  caPem?: string;
  /** External account binding (RFC 8555 §7.3.4), for CAs that require one (ZeroSSL, Google, ...). */
  eab?: { kid: string; hmacKey: string };
}

type Loaded = { acme: typeof AcmeLib; agent: unknown };

/** The part of acme-client's per-client HTTP helper used to pass per-request options (acme-client 5). */
interface ClientHttp {
  request(url: string, method: string, opts?: Record<string, unknown>): Promise<unknown>;
}

export class AcmeClients {
  private loaded?: Promise<Loaded>;
  private readonly clients = new Map<string, Promise<AcmeLib.Client>>();

  constructor(private readonly o: AcmeClientOptions) {}

  private load(): Promise<Loaded> {
    return (this.loaded ??= Promise.all([import("acme-client"), import("node:https"), import("node:tls")]).then(([acme, https, tls]) => ({
      acme,
      // The extra CA is trusted next to the public roots, not instead of them.
      agent: this.o.caPem ? new https.Agent({ ca: [...tls.rootCertificates, this.o.caPem], keepAlive: true }) : undefined,
    })));
  }

  /** The client for a directory and cache, with its account found or registered. */
  client(directory: string, store: AcmeStore): Promise<AcmeLib.Client> {
    const key = `${directory}\n${store.dir}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.connect(directory, store);
      this.clients.set(key, client);
      client.catch(() => this.clients.delete(key));
    }
    return client;
  }

  private async connect(directory: string, store: AcmeStore): Promise<AcmeLib.Client> {
    const { acme, agent } = await this.load();
    let accountKey = store.readAccountKey();
    if (!accountKey) {
      accountKey = (await acme.crypto.createPrivateEcdsaKey()).toString();
      store.writeAccountKey(accountKey);
    }
    const c = new acme.Client({
      directoryUrl: directory,
      accountKey,
      ...(this.o.eab ? { externalAccountBinding: this.o.eab } : {}),
      // Status polls (challenge, order): from 1 s rather than the library's 5 s, as validation usually
      // takes a second or two.
      backoffMin: 1000,
      backoffMax: 10_000,
    });
    if (agent) useAgent(c, agent);
    // A cached key finds its account (RFC 8555 §7.3.1); otherwise register one, terms accepted and no
    // contact e-mail, as kamal-proxy does. (Sending the terms again for an existing account is an
    // "empty update" that strict servers such as Pebble refuse.)
    try {
      await c.createAccount({ onlyReturnExisting: true });
    } catch {
      await c.createAccount({ termsOfServiceAgreed: true });
    }
    return c;
  }

  /** One order for one host name, validated through HTTP-01; the certificate is written to the cache. */
  async order(directory: string, store: AcmeStore, host: string, answers: Http01Answers): Promise<StoredCertificate> {
    const client = await this.client(directory, store);
    const order = await client.createOrder({ identifiers: [{ type: "dns", value: host }] });
    const authorizations = await client.getAuthorizations(order);
    for (const authz of authorizations) {
      if (authz.status === "valid") continue;
      const challenge = authz.challenges.find((c) => c.type === "http-01");
      if (!challenge) throw new Error(`the CA offers no http-01 challenge for ${host}`);
      answers.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } finally {
        answers.delete(challenge.token);
      }
    }
    const { acme } = await this.load();
    const [key, csr] = await acme.crypto.createCsr({ altNames: [host] }, await acme.crypto.createPrivateEcdsaKey());
    const finalized = await client.finalizeOrder(order, csr);
    const cert = await client.getCertificate(finalized);
    return store.writeCertificate(host, key.toString(), cert);
  }
}

/** Route one client's requests through `agent` by adding it to each request's axios options. */
function useAgent(client: AcmeLib.Client, agent: unknown): void {
  const http = (client as unknown as { http?: ClientHttp }).http;
  if (typeof http?.request !== "function") throw new Error("acme-client no longer exposes its HTTP helper: --tls-acme-ca cannot be applied (pin acme-client 5)");
  const request = http.request.bind(http);
  http.request = (url, method, opts = {}) => request(url, method, { ...opts, httpsAgent: agent });
}
