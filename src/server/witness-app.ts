/**
 * The HTTP face of a witness (witness/witness.ts): `POST /add-checkpoint` as C2SP tlog-witness
 * defines it, and `GET /healthz`. Bodies are text, at most 64 KiB (a checkpoint note is at most
 * that, a proof a few KiB more is refused as a proof can be at most 128 hashes).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Witness } from '../witness/witness.js';

const BODY_LIMIT = 80 * 1024;

export async function buildWitnessApp(witness: Witness): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, body);
  });
  app.post('/add-checkpoint', async (request, reply) => {
    if (typeof request.body !== 'string')
      return reply.code(400).type('text/plain; charset=utf-8').send('the body must be text\n');
    const answer = await witness.addCheckpoint(request.body);
    return reply.code(answer.status).type(answer.contentType).send(answer.body);
  });
  app.get('/healthz', () => ({ status: 'ok', witness: witness.name }));
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('text/plain; charset=utf-8')
      .send(`no route ${request.method} ${request.url}\n`),
  );
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) =>
    reply
      .code(error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500)
      .type('text/plain; charset=utf-8')
      .send(
        `${error.statusCode !== undefined && error.statusCode < 500 ? error.message : 'internal error'}\n`,
      ),
  );
  await app.ready();
  return app;
}
