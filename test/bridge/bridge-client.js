/* global window, document, EventSource */
// TEST-ONLY. Served by test/bridge/bridge.ts as /__bridge-client.js, never part of a build.
// Defines window.certificateManager with the same shape as the preload's object
// (electron/preload/api-shape.ts): one async function per contract operation, resolving with the
// value or rejecting with a plain {name:'CertManagerError', kind, code, message, details}, and
// on(event, listener) -> unsubscribe, where the listener gets only the payload.
// The bridge replaces the CONFIG placeholder with the operation and event names of the contract.
(function () {
  'use strict';
  var CONFIG = /*@@BRIDGE_CONFIG@@*/ { operations: [], events: [] };
  var script = document.currentScript;
  var token = script ? script.getAttribute('data-bridge-token') : null;
  if (!token) throw new Error('bridge client: no token (load the page through the URL the bridge printed)');

  function rendererError(error) {
    error = error || {};
    return {
      name: 'CertManagerError',
      kind: error.kind || 'internal',
      code: typeof error.code === 'string' ? error.code : 'INTERNAL',
      message: typeof error.message === 'string' ? error.message : 'An unexpected error occurred.',
      details: error.details && typeof error.details === 'object' ? error.details : {},
    };
  }

  var api = {};
  CONFIG.operations.forEach(function (key) {
    api[key] = function (request) {
      return fetch('/api/' + encodeURIComponent(key), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
        body: JSON.stringify(request === undefined ? {} : request),
        cache: 'no-store',
      }).then(
        function (response) {
          return response.json().then(
            function (answer) {
              if (answer && answer.ok === true) return answer.value;
              if (answer && answer.ok === false) throw rendererError(answer.error);
              throw rendererError({ code: 'IPC_FAILED', message: 'CertificateManager sent an unexpected answer.' });
            },
            function () {
              throw rendererError({ code: 'IPC_FAILED', message: 'The bridge answered HTTP ' + response.status + '.' });
            },
          );
        },
        function () {
          throw rendererError({ code: 'IPC_FAILED', message: 'The request could not reach CertificateManager.' });
        },
      );
    };
  });

  var listeners = {};
  var source = new EventSource('/events?token=' + encodeURIComponent(token));
  CONFIG.events.forEach(function (event) {
    listeners[event] = new Set();
    source.addEventListener(event, function (message) {
      var payload;
      try {
        payload = JSON.parse(message.data);
      } catch {
        return;
      }
      listeners[event].forEach(function (listener) {
        try {
          listener(payload);
        } catch (e) {
          setTimeout(function () {
            throw e;
          });
        }
      });
    });
  });

  api.on = function (event, listener) {
    if (!Object.prototype.hasOwnProperty.call(listeners, event)) throw new TypeError('Unknown event: ' + String(event));
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function');
    var wrapped = function (payload) {
      listener(payload);
    };
    listeners[event].add(wrapped);
    return function () {
      listeners[event].delete(wrapped);
    };
  };

  Object.defineProperty(window, 'certificateManager', { value: Object.freeze(api), enumerable: true, configurable: false, writable: false });
})();
