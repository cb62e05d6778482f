"use strict";
// `client.usage`: what the client has spent and saved, read locally.

const { fromNative } = require("../errors.js");
const { hidden, rethrow } = require("./shared.js");

class Usage {
  constructor(client) {
    hidden(this, "_client", client);
  }

  _view(view, tenant, limit) {
    try {
      return JSON.parse(this._client._native.usage(view, tenant ?? undefined, limit ?? undefined));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Requests, baseline cost (what the requested models would have cost), actual cost, savings. */
  savings(tenant) {
    return this._view("savings", tenant);
  }

  /** How requests were distributed over tiers and models. */
  routing(tenant) {
    return this._view("routing", tenant);
  }

  /** Per-model requests, tokens, cost and latency. */
  analytics(tenant) {
    return this._view("analytics", tenant);
  }

  /** Per-provider requests, errors and latency. */
  providers(tenant) {
    return this._view("providers", tenant);
  }

  /** The most recent usage records, newest last. */
  records(options = {}) {
    return this._view("records", options.tenant, options.limit);
  }

  /** Cache hits (exact, semantic), misses, bypasses, hit rate and what hits saved. */
  cache(tenant) {
    return this._view("cache", tenant);
  }

  /** The tenants usage was recorded for. */
  tenants() {
    return this._view("tenants");
  }

  /** Writes the recent usage records to a CSV file. */
  exportCsv(path, tenant) {
    try {
      return this._client._native.exportCsv(String(path), tenant ?? undefined).catch(rethrow);
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
  }

  /** Writes one self-contained HTML report (savings over time, routing, models, providers,
   * tenants, CSV download); resolves to the number of records in it. */
  report(path) {
    try {
      return this._client._native.usageReport(String(path)).catch(rethrow);
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
  }

  /** The usage reporter's counters (sent, pending, spooled, dropped, last_error), or null
   * when reporting is off. */
  reporter() {
    const raw = this._client._native.reporterStats();
    return raw === null || raw === undefined ? null : JSON.parse(raw);
  }

  /** Resolves once every record so far is in the JSONL file and sent to the collector or
   * spooled to disk (when those are configured). */
  flush() {
    return this._client._native.flushUsage().catch(rethrow);
  }
}

module.exports = { Usage };
