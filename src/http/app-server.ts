import http from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** Node's IncomingMessage and ServerResponse are pre-class constructors: callable on a new `this`. */
type ConstructorFunction = (this: object, ...args: unknown[]) => void;

/**
 * The http.Server of an Express app whose requests and responses are born with the app's own
 * prototypes (`app.request`, `app.response`).
 *
 * Express gives every request and response the app's prototypes with Object.setPrototypeOf as it
 * enters the app. Changing an object's prototype makes V8 migrate its hidden class and leaves the
 * property accesses of everything downstream megamorphic: on these machines it was most of a bare
 * Express app's CPU per request (docs/PERFORMANCE.md, "Express's per-request prototype swap").
 * When the object already has that prototype V8 has nothing to change, so the same call costs
 * nothing. Express itself is unchanged: a sub-app, or a request that reached the app some other
 * way, still gets its prototype set as before.
 */
export function createAppServer(app: Express, options: http.ServerOptions = {}): http.Server {
  // Plain constructor functions, as Node's own are, so that `prototype` is exactly the app's object.
  function AppRequest(this: http.IncomingMessage, socket: Socket): void {
    (http.IncomingMessage as unknown as ConstructorFunction).call(this, socket);
  }
  AppRequest.prototype = app.request;

  // Node passes the response its options (high-water mark, body-write rules) after the request.
  function AppResponse(this: http.ServerResponse, ...args: unknown[]): void {
    (http.ServerResponse as unknown as ConstructorFunction).apply(this, args);
  }
  AppResponse.prototype = app.response;

  return http.createServer(
    {
      ...options,
      IncomingMessage: AppRequest as unknown as typeof http.IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof http.ServerResponse,
    },
    app,
  );
}
