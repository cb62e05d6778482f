"use strict";
// Small helpers the resources share.

const { fromNative, fromRunner } = require("../errors.js");

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

/**
 * An openai-node helper runner whose `error` / `abort` listeners and rejected promises get
 * this package's error classes, as `create()`'s callers do. The runner starts on a later
 * tick, so the hook is in place before anything is emitted.
 */
function withKestrelErrors(runner) {
  const emit = runner._emit;
  runner._emit = function (event, ...args) {
    if (event === "error" || event === "abort") args[0] = fromRunner(args[0]);
    return emit.call(this, event, ...args);
  };
  return runner;
}

module.exports = { nextAbortId, rethrow, hidden, withKestrelErrors, AUTHORIZED };
