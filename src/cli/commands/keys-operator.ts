/**
 * `matriz keys rotate|retire|revoke` (docs/security.md): the log key and owner key operations on
 * a registry's storage, added to the `keys` group. Exit codes as `matriz trust`.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { describeRoot } from './trust.js';
import {
  type SetExitCode,
  type StorageOptions,
  storageOptions,
  expiresOption,
  parseExpires,
  withOperator,
  logged,
} from '../operator-storage.js';

export function addKeyOperatorCommands(group: Command, io: CliIo, setExitCode: SetExitCode): void {
  storageOptions(
    group
      .command('rotate')
      .description(
        'rotate the log key: a new key, trust root N+1 listing old and new (both sign during the overlap) and a rotation record signed by both',
      )
      .addOption(new Option('--role <role>', 'the role whose key rotates').choices(['log'])),
  )
    .addOption(expiresOption())
    .action(async (opts: StorageOptions & { role?: string; expires?: string }) => {
      if (opts.role !== 'log')
        throw new UsageError('--role log is required (the only role rotated here)');
      await withOperator(io, setExitCode, opts, async (operator) => {
        const { root, newKeyid, result } = await operator.rotateLogKey(
          opts.expires === undefined ? {} : { expires: parseExpires(opts.expires, Date.now()) },
        );
        if (opts.json)
          io.stdout(
            `${JSON.stringify({ new_keyid: newKeyid, ...describeRoot(root), ...logged(result) })}\n`,
          );
        else
          io.stdout(
            `new log key ${newKeyid}; trust root v${root.version} lists ${root.roles.log.keyids.length} log keys and both sign during the overlap. End it with: matriz keys retire ${root.roles.log.keyids.filter((k) => k !== newKeyid).join(' ')} --data-dir ${opts.dataDir}\n`,
          );
      });
    });

  storageOptions(
    group
      .command('retire')
      .description('end a rotation overlap: trust root N+1 without this log key')
      .argument('<keyid>', 'the old log key'),
  )
    .addOption(expiresOption())
    .action(async (keyid: string, opts: StorageOptions & { expires?: string }) =>
      withOperator(io, setExitCode, opts, async (operator) => {
        const { root, result } = await operator.retireLogKey(
          keyid,
          opts.expires === undefined ? {} : { expires: parseExpires(opts.expires, Date.now()) },
        );
        if (opts.json)
          io.stdout(
            `${JSON.stringify({ retired: keyid, ...describeRoot(root), ...logged(result) })}\n`,
          );
        else
          io.stdout(`retired ${keyid}; trust root v${root.version} at log index ${result.index}\n`);
      }),
    );

  storageOptions(
    group
      .command('revoke')
      .description(
        'revoke a key (owner or log key): a new revocation list version signed by the revocation role, recorded in the log',
      )
      .argument('<keyid>', 'the key to revoke')
      .requiredOption('--reason <text>', 'why (kept in the signed list, at most 500 characters)'),
  ).action(async (keyid: string, opts: StorageOptions & { reason: string }) =>
    withOperator(io, setExitCode, opts, async (operator) => {
      const { list, result } = await operator.revokeKey(keyid, opts.reason);
      if (opts.json)
        io.stdout(
          `${JSON.stringify({ revoked: keyid, revocations_version: list.version, ...logged(result) })}\n`,
        );
      else
        io.stdout(
          `revoked ${keyid}; revocation list v${list.version} (${list.revoked.length} keys) at log index ${result.index}\n`,
        );
    }),
  );
}
