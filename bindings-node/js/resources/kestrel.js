"use strict";
// `client.kestrel`: what Kestrel adds beside openai-node's surface, starting with the
// catalog of models the router can use. `client.models` is the server's own list, as with
// the SDK; the routing facts (tier, prices, limits, lifecycle, quality) live here.

const { fromNative, NotFoundError } = require("../errors.js");
const { hidden } = require("./shared.js");

function toModel(spec) {
  return { id: spec.id, object: "model", created: 0, owned_by: spec.provider, ...spec };
}

class Kestrel {
  constructor(client) {
    hidden(this, "_client", client);
  }

  /** The catalog models reachable with the configured keys (local: no I/O, no Promise). */
  models() {
    try {
      return JSON.parse(this._client._native.models()).map(toModel);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** One reachable catalog model by id or alias; throws NotFoundError otherwise. */
  model(id) {
    const found = this.models().find((m) => m.id === id || (m.aliases ?? []).includes(id));
    if (found) return found;
    const message = `The model \`${id}\` is not in Kestrel's catalog or no configured provider serves it.`;
    throw new NotFoundError(404, { message, type: "invalid_request_error", param: null, code: "model_not_found" }, message, new Headers());
  }
}

module.exports = { Kestrel };
