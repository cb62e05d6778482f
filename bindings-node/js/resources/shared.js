"use strict";
// Small helpers the resources share.

const { fromNative } = require("../errors.js");

/** Ids for abortable calls (per process; the addon maps each to its in-flight call). */
let lastAbortId = 0;
function nextAbortId() {
  lastAbortId = lastAbortId >= 0xfffffff0 ? 1 : lastAbortId + 1;
  return lastAbortId;
}

const rethrow = (e) => {
  throw fromNative(e);
};

/** A property left out of JSON, `util.inspect` and enumeration (clients hold keys). */
function hidden(obj, name, value) {
  Object.defineProperty(obj, name, { value, enumerable: false, writable: true, configurable: true });
}

/** Marks per-request options that already carry the credential fetched for that request. */
const AUTHORIZED = Symbol("kestrel.authorized");

module.exports = { nextAbortId, rethrow, hidden, AUTHORIZED };
