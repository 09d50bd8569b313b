/**
 * OpenAPI 3.1 description of the OTA API, served at `/openapi.json`. A test compares it with
 * the routes express actually registers, so the two cannot drift apart.
 */
const error = { $ref: '#/components/schemas/Error' };
const jsonOf = (schema: object) => ({ 'application/json': { schema } });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: 'error', content: jsonOf(error) }]));
const ok = (description: string, schema: object = { type: 'object' }, status = '200') => ({
  [status]: { description, content: jsonOf(schema) },
});
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const query = (name: string, description: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  schema,
  description,
});
const body = (schema: object) => ({ required: true, content: jsonOf(schema) });
const scoped = (scope: string) => ({ security: [{ apiToken: [scope] }], 'x-zenthos-scope': scope });

const model = pathParam('device_model', 'device model, e.g. esp32-s3');
const kindParam = { name: 'kind', in: 'path', required: true, schema: { type: 'string', enum: ['firmware', 'model'] } };
const rolloutId = pathParam('rollout_id', 'rollout id (UUID)');
const deviceId = pathParam('device_id', 'device id');

const releaseGet = (kind: 'firmware' | 'model') => ({
  get: {
    summary: `${kind === 'firmware' ? 'Firmware' : 'ML model'} metadata or binary (spec §5)`,
    description:
      '`version` may be `latest`, resolved for the calling device (device token or `device_id`) according to rollouts. ' +
      '`Accept: application/octet-stream` or `?download=true` sends the binary (single byte range supported) or redirects to a presigned URL.',
    security: [{}, { deviceToken: [] }],
    parameters: [
      model,
      pathParam('version', kind === 'firmware' ? 'vMAJOR.MINOR.PATCH or latest' : 'm-YYYYMMDD-<sha> or latest'),
      query('download', 'true for the binary', { type: 'string', enum: ['true', 'false'] }),
      query('device_id', 'device to resolve latest for, without a device token'),
      { name: 'Range', in: 'header', required: false, schema: { type: 'string' }, description: 'bytes=N- to resume a download' },
    ],
    responses: {
      ...ok('release metadata', { $ref: '#/components/schemas/ReleaseMetadata' }),
      '206': {
        description: 'part of the binary',
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      },
      '302': { description: 'redirect to a presigned download URL' },
      ...errors(400, 401, 403, 404, 409, 416),
    },
  },
});

const rolloutAction = (action: string, scope: string, summary: string) => ({
  post: {
    summary,
    ...scoped(scope),
    parameters: [rolloutId],
    requestBody: { required: false, content: jsonOf({ type: 'object', properties: { reason: { type: 'string' } } }) },
    responses: { ...ok(`rollout after ${action}`, { $ref: '#/components/schemas/Rollout' }), ...errors(401, 403, 404, 409, 503) },
  },
});

/** The document. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Zenthos OTA API',
    version: '0.1.0',
    description: 'Signed firmware and ML model releases, staged rollouts, device management.',
  },
  components: {
    securitySchemes: {
      apiToken: { type: 'http', scheme: 'bearer', description: 'management token (zenthos tokens create --scope read,publish,rollback)' },
      deviceToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'device token (EdDSA JWT)' },
      githubSignature: { type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256' },
    },
    schemas: {
      Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
      ReleaseMetadata: {
        type: 'object',
        required: ['device_model', 'version', 'binary_url', 'sha256', 'signature', 'uploaded_at', 'size', 'key_id', 'manifest'],
        properties: {
          kind: { type: 'string', enum: ['firmware', 'model'] },
          device_model: { type: 'string' },
          version: { type: 'string' },
          binary_url: { type: 'string', format: 'uri' },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          signature: { type: 'string', description: 'base64 ed25519 signature of manifest' },
          uploaded_at: { type: 'string', format: 'date-time' },
          size: { type: 'integer' },
          key_id: { type: 'string' },
          manifest: {
            type: 'string',
            description: 'canonical JSON: created_at, device_model, expires_at, key_id, kind, sha256, size, version',
          },
          release_notes: { type: ['string', 'null'] },
        },
      },
      Release: {
        allOf: [
          { $ref: '#/components/schemas/ReleaseMetadata' },
          {
            type: 'object',
            properties: { yanked_at: { type: ['string', 'null'] }, yank_reason: { type: ['string', 'null'] }, source: { type: 'string' } },
          },
        ],
      },
      Cohort: {
        oneOf: [
          { type: 'object', required: ['type'], properties: { type: { const: 'all' } } },
          {
            type: 'object',
            required: ['type', 'deviceIds'],
            properties: { type: { const: 'devices' }, deviceIds: { type: 'array', items: { type: 'string' } } },
          },
          { type: 'object', required: ['type', 'tag'], properties: { type: { const: 'tag' }, tag: { type: 'string' } } },
          { type: 'object', required: ['type', 'percent'], properties: { type: { const: 'percentage' }, percent: { type: 'number' } } },
        ],
      },
      Stage: {
        type: 'object',
        required: ['percent'],
        properties: { percent: { type: 'number' }, failureThreshold: { type: 'number' }, minDevices: { type: 'integer' } },
      },
      Rollout: { type: 'object', required: ['id', 'kind', 'device_model', 'version', 'status', 'current_stage', 'stages', 'cohort'] },
      NewRollout: {
        type: 'object',
        required: ['device_model', 'version'],
        properties: {
          kind: { type: 'string', enum: ['firmware', 'model'] },
          device_model: { type: 'string' },
          version: { type: 'string' },
          cohort: { $ref: '#/components/schemas/Cohort' },
          stages: { type: 'array', items: { $ref: '#/components/schemas/Stage' } },
        },
      },
      NewDevice: {
        type: 'object',
        required: ['id', 'model'],
        properties: {
          id: { type: 'string' },
          model: { type: 'string' },
          owner: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
          metadata: { type: 'object' },
        },
      },
      OtaReport: {
        type: 'object',
        required: ['version', 'state'],
        properties: {
          kind: { type: 'string', enum: ['firmware', 'model'] },
          version: { type: 'string' },
          state: { type: 'string', enum: ['downloading', 'installed', 'failed', 'rolled_back'] },
          detail: { type: 'string' },
        },
      },
    },
  },
  paths: {
    '/health': {
      get: {
        summary: 'Liveness',
        responses: ok('alive', {
          type: 'object',
          required: ['status', 'ts'],
          properties: { status: { const: 'ok' }, ts: { type: 'integer' } },
        }),
      },
    },
    '/ready': { get: { summary: 'Readiness of Postgres, cache and storage', responses: { ...ok('ready'), ...errors(503) } } },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'text exposition', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: ok('OpenAPI document') } },
    '/keys': {
      get: {
        summary: 'Release-signing public keys, including older and revoked ones',
        responses: ok('keys', { type: 'object', properties: { keys: { type: 'array' } } }),
      },
    },
    '/firmware/{device_model}/{version}': releaseGet('firmware'),
    '/models/{device_model}/{version}': releaseGet('model'),
    '/device/{device_id}/ota-report': {
      post: {
        summary: 'A device reports an update state (spec §11)',
        security: [{ deviceToken: [] }],
        parameters: [deviceId],
        requestBody: body({ $ref: '#/components/schemas/OtaReport' }),
        responses: { ...ok('recorded', { type: 'object' }, '202'), ...errors(400, 401, 403, 404) },
      },
    },
    '/device/{device_id}/status': {
      get: {
        summary: 'Device status: last seen, versions, rollout state, online',
        security: [{ apiToken: ['read'] }, { deviceToken: [] }],
        'x-zenthos-scope': 'read',
        parameters: [deviceId],
        responses: { ...ok('status'), ...errors(401, 403, 404) },
      },
    },
    '/hooks/github-release': {
      post: {
        summary: 'GitHub release webhook (HMAC X-Hub-Signature-256)',
        security: [{ githubSignature: [] }],
        parameters: [
          { name: 'X-GitHub-Delivery', in: 'header', required: true, schema: { type: 'string' } },
          { name: 'X-GitHub-Event', in: 'header', required: true, schema: { type: 'string' } },
        ],
        requestBody: body({ type: 'object' }),
        responses: {
          ...ok('ignored or duplicate'),
          ...ok('accepted; processing continues in the background', { type: 'object' }, '202'),
          ...errors(400, 401, 404),
        },
      },
    },
    '/hooks/github-release/deliveries/{delivery_id}': {
      get: {
        summary: 'Outcome of a webhook delivery',
        ...scoped('read'),
        parameters: [pathParam('delivery_id', 'X-GitHub-Delivery')],
        responses: { ...ok('delivery'), ...errors(401, 403, 404) },
      },
    },
    '/releases': {
      get: {
        summary: 'List releases',
        ...scoped('read'),
        parameters: [
          query('kind', 'firmware or model'),
          query('device_model', 'only this model'),
          query('include_yanked', 'false to hide yanked'),
        ],
        responses: {
          ...ok('releases', {
            type: 'object',
            properties: { releases: { type: 'array', items: { $ref: '#/components/schemas/Release' } } },
          }),
          ...errors(400, 401, 403),
        },
      },
      post: {
        summary: 'Publish a release: sign the manifest, store the artifact, commit atomically',
        ...scoped('publish'),
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['device_model', 'version', 'file'],
                properties: {
                  kind: { type: 'string', enum: ['firmware', 'model'] },
                  device_model: { type: 'string' },
                  version: { type: 'string' },
                  release_notes: { type: 'string' },
                  file: { type: 'string', format: 'binary' },
                },
              },
            },
          },
        },
        responses: { ...ok('published', { $ref: '#/components/schemas/Release' }, '201'), ...errors(400, 401, 403, 409, 413, 503) },
      },
    },
    '/releases/{kind}/{device_model}/{version}': {
      get: {
        summary: 'One release',
        ...scoped('read'),
        parameters: [kindParam, model, pathParam('version', 'version')],
        responses: { ...ok('release', { $ref: '#/components/schemas/Release' }), ...errors(400, 401, 403, 404) },
      },
    },
    '/releases/{kind}/{device_model}/{version}/yank': {
      post: {
        summary: 'Yank a release: no device is offered it any more',
        ...scoped('rollback'),
        parameters: [kindParam, model, pathParam('version', 'version')],
        requestBody: { required: false, content: jsonOf({ type: 'object', properties: { reason: { type: 'string' } } }) },
        responses: { ...ok('yanked', { $ref: '#/components/schemas/Release' }), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    '/devices': {
      get: {
        summary: 'List devices',
        ...scoped('read'),
        parameters: [query('model', 'only this model'), query('tag', 'only this tag')],
        responses: { ...ok('devices'), ...errors(401, 403) },
      },
      post: {
        summary: 'Register a device; answers the device token the MQTT bridge and this API accept',
        ...scoped('publish'),
        requestBody: body({ $ref: '#/components/schemas/NewDevice' }),
        responses: {
          ...ok('registered', { type: 'object', required: ['device_id', 'model', 'token'] }, '201'),
          ...errors(400, 401, 403, 409),
        },
      },
    },
    '/devices/{device_id}': {
      patch: {
        summary: "Replace a device's tags; the device is notified when that moves its offered release (tag cohorts)",
        ...scoped('publish'),
        parameters: [deviceId],
        requestBody: body({
          type: 'object',
          required: ['tags'],
          additionalProperties: false,
          properties: { tags: { type: 'array', items: { type: 'string' } } },
        }),
        responses: { ...ok('the device', { type: 'object', required: ['id', 'model', 'tags'] }), ...errors(400, 401, 403, 404, 503) },
      },
    },
    '/devices/{device_id}/token': {
      post: {
        summary: 'Issue another token for a device (rotation)',
        ...scoped('publish'),
        parameters: [deviceId],
        responses: { ...ok('token', { type: 'object' }, '201'), ...errors(401, 403, 404) },
      },
    },
    '/devices/{device_id}/revoke': {
      post: {
        summary: 'Revoke a device and all its credentials',
        ...scoped('rollback'),
        parameters: [deviceId],
        responses: { ...ok('revoked'), ...errors(401, 403, 404) },
      },
    },
    '/rollouts': {
      get: {
        summary: 'List rollouts',
        ...scoped('read'),
        parameters: [query('status', 'active, paused, aborted, completed'), query('device_model', 'only this model')],
        responses: { ...ok('rollouts'), ...errors(401, 403) },
      },
      post: {
        summary: 'Start a staged rollout of a release to a cohort',
        ...scoped('publish'),
        requestBody: body({ $ref: '#/components/schemas/NewRollout' }),
        responses: { ...ok('created', { $ref: '#/components/schemas/Rollout' }, '201'), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    '/rollouts/{rollout_id}': {
      get: {
        summary: 'A rollout with per-stage report counts',
        ...scoped('read'),
        parameters: [rolloutId],
        responses: { ...ok('rollout', { $ref: '#/components/schemas/Rollout' }), ...errors(401, 403, 404) },
      },
    },
    '/rollouts/{rollout_id}/pause': rolloutAction('pause', 'rollback', 'Pause: no further devices are reached'),
    '/rollouts/{rollout_id}/resume': rolloutAction('resume', 'publish', 'Resume a paused rollout'),
    '/rollouts/{rollout_id}/abort': rolloutAction('abort', 'rollback', 'Abort: every device is offered the previous release again'),
    '/rollouts/{rollout_id}/advance': rolloutAction('advance', 'publish', 'Widen to the next stage (completes after the last)'),
  },
} as const;
