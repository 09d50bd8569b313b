import type { Request } from 'express';

/** A query or body value when it is a string. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A path parameter as a string. */
export const param = (req: Request, name: string): string => String(req.params[name] ?? '');
