"use strict";
// `client.models`: the catalog models this client can route to.

const { fromNative, NotFoundError } = require("../errors.js");
const { hidden } = require("./shared.js");

function toModel(spec) {
  return { id: spec.id, object: "model", created: 0, owned_by: spec.provider, ...spec };
}

class Models {
  constructor(client) {
    hidden(this, "_client", client);
  }

  /**
   * The catalog models reachable with the configured keys, as an OpenAI model page. Like
   * openai-node's PagePromise, the Promise itself can be iterated with `for await`.
   */
  list() {
    let promise;
    try {
      const data = JSON.parse(this._client._native.models()).map(toModel);
      const page = {
        object: "list",
        data,
        [Symbol.asyncIterator]: async function* () {
          yield* data;
        },
      };
      promise = Promise.resolve(page);
    } catch (e) {
      promise = Promise.reject(fromNative(e));
    }
    promise[Symbol.asyncIterator] = async function* () {
      yield* (await promise).data;
    };
    return promise;
  }

  /** One reachable model by id; rejects with NotFoundError otherwise. */
  async retrieve(model) {
    const page = await this.list();
    const found = page.data.find((m) => m.id === model);
    if (found) return found;
    const message = `The model \`${model}\` does not exist or you do not have access to it.`;
    throw new NotFoundError(404, { message, type: "invalid_request_error", param: null, code: "model_not_found" }, message, new Headers());
  }
}

module.exports = { Models };
