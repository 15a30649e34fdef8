import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isProblem, Problem } from '../core/errors.js';
import { limits } from '../core/limits.js';

/** Sends any error as an RFC 9457 problem detail (`application/problem+json`). */
export function problemHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const problem = toProblem(error);
  if (problem.kind === 'internal') request.log.error({ err: error }, 'internal error');
  const body = { ...problem.toJSON(), instance: request.url };
  void reply.status(problem.status).type('application/problem+json').send(body);
}

export function toProblem(error: unknown): Problem {
  if (isProblem(error)) return error;
  const code = (error as { code?: string } | null)?.code;
  const statusCode = (error as { statusCode?: number } | null)?.statusCode;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem('document-too-large', `the body exceeds ${limits.maxDocumentBytes} bytes`, [
        { rule: 'limits.maxDocumentBytes', message: 'body too large' },
      ]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Problem('unsupported-media-type', 'send application/json or application/ld+json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new Problem('malformed-json', 'the body is empty');
    case 'FST_ERR_VALIDATION':
      return new Problem('bad-request', message);
    default:
      if (statusCode === 404) return new Problem('not-found', message);
      if (statusCode !== undefined && statusCode >= 400 && statusCode < 500)
        return new Problem('bad-request', message);
      return new Problem('internal', 'an internal error occurred; it has been logged');
  }
}

/**
 * Answers a request Node's HTTP parser refused before Fastify saw it (a URL or headers over Node's 16 KiB, a
 * malformed request line) with a problem detail too, not Node's own JSON. The connection is closed after it.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new Problem(
          'request-too-large',
          'the request line and headers exceed 16 KiB (a lot id in the URL?)',
          [{ rule: 'http:max-header-size', message: 'request too large' }],
        )
      : new Problem('bad-request', `the HTTP request is malformed (${error.code ?? error.message})`);
  const body = JSON.stringify(problem.toJSON());
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.toJSON().title}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
