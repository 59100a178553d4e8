/** A passphrase prompt on the controlling terminal, without echo. */
import { createInterface } from 'node:readline';
import type { PassphrasePrompt } from './passphrase.js';

/** The prompt when standard input and standard error are terminals; `undefined` otherwise. */
export function terminalPrompt(): PassphrasePrompt | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return (question) =>
    new Promise((resolve, reject) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      // Print the question, then mute echo of what is typed.
      process.stderr.write(question);
      const output = rl as unknown as { _writeToOutput: (text: string) => void };
      output._writeToOutput = () => undefined;
      rl.question('', (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
      rl.on('SIGINT', () => {
        rl.close();
        reject(new Error('interrupted'));
      });
    });
}
