import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ZenthosError } from '@zenthos/core';
import type { DeviceIdentity, DeviceRegistry } from '@zenthos/devices';
import { API_TOKEN_PATTERN, type Scope } from '../../domain/scopes';
import type { ApiPrincipal, ApiTokens } from '../api-tokens';

/** The bearer token of a request, if any; ZEN_UNAUTHORIZED for a malformed header. */
export function bearerOf(req: Request): string | undefined {
  const h = req.get('authorization');
  if (h === undefined) return undefined;
  const m = /^Bearer +([^\s]+)$/i.exec(h);
  if (!m) throw new ZenthosError('ZEN_UNAUTHORIZED', 'Authorization must be "Bearer <token>"');
  return m[1];
}

/** Who is calling: an operator's API token or a device's token. */
export type Caller =
  { readonly type: 'api'; readonly principal: ApiPrincipal } | { readonly type: 'device'; readonly device: DeviceIdentity };

/** Authentication helpers for the routes. */
export interface Auth {
  /** Middleware: an API token holding `scope` (401 without a valid token, 403 without the scope). */
  requireScope(scope: Scope): RequestHandler;
  /** Middleware: a device token (or, with `orScope`, an API token with that scope). */
  requireDeviceOr(orScope?: Scope): RequestHandler;
  /** The caller, when a token is present; throws 401 for a bad one. */
  caller(req: Request): Promise<Caller | undefined>;
}

/** Reads the caller stored by the middlewares. */
export const callerOf = (res: Response): Caller | undefined => res.locals.caller as Caller | undefined;

/** Creates the helpers over the token stores. */
export function createAuth(tokens: ApiTokens, devices: DeviceRegistry): Auth {
  const caller = async (req: Request): Promise<Caller | undefined> => {
    const token = bearerOf(req);
    if (token === undefined) return undefined;
    if (API_TOKEN_PATTERN.test(token)) return { type: 'api', principal: await tokens.authenticate(token) };
    return { type: 'device', device: await devices.verifyDeviceToken(token) };
  };
  return {
    caller,
    requireScope: (scope) => async (req: Request, res: Response, next: NextFunction) => {
      const token = bearerOf(req);
      if (token === undefined) throw new ZenthosError('ZEN_UNAUTHORIZED', 'a bearer API token is required');
      const principal = await tokens.authenticate(token);
      if (!principal.scopes.includes(scope)) throw new ZenthosError('ZEN_FORBIDDEN', `this route needs the ${scope} scope`);
      res.locals.caller = { type: 'api', principal } satisfies Caller;
      next();
    },
    requireDeviceOr: (orScope) => async (req: Request, res: Response, next: NextFunction) => {
      const c = await caller(req);
      if (!c) throw new ZenthosError('ZEN_UNAUTHORIZED', 'a bearer token is required');
      if (c.type === 'api' && (!orScope || !c.principal.scopes.includes(orScope))) {
        throw new ZenthosError(
          'ZEN_FORBIDDEN',
          orScope ? `this route needs a device token or the ${orScope} scope` : 'this route needs a device token',
        );
      }
      res.locals.caller = c;
      next();
    },
  };
}
