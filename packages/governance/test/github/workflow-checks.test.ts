import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWorkflowJobs, requiredCheckProblems } from '../../src/github/workflow-checks.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'matriz-workflows-'));
  mkdirSync(path.join(dir, 'wf'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function workflow(name: string, text: string): void {
  writeFileSync(path.join(dir, 'wf', name), text);
}

describe('check names produced by workflows', () => {
  it('names a check by the job name, else by the job id', async () => {
    workflow('a.yml', 'on: pull_request\njobs:\n  build:\n    name: Build and test\n  lint: {}\n');
    const jobs = await readWorkflowJobs(path.join(dir, 'wf'));
    expect(jobs.map((j) => j.checkNames)).toEqual([['Build and test'], ['lint']]);
    expect(requiredCheckProblems(['Build and test', 'lint', 'build'], jobs, 'wf')).toEqual([
      {
        context: 'build',
        message:
          'required check "build" is produced by no job in wf/ (a job\'s check is named by its name: or its id)',
      },
    ]);
  });

  it('expands an unnamed matrix job into one check per combination', async () => {
    workflow(
      'm.yaml',
      'on: { pull_request: { branches: [main] } }\njobs:\n  test:\n    strategy:\n      matrix:\n        node: [20, 22]\n        os: [linux]\n',
    );
    const jobs = await readWorkflowJobs(path.join(dir, 'wf'));
    expect(jobs[0]?.checkNames).toEqual(['test (20, linux)', 'test (22, linux)']);
    expect(requiredCheckProblems(['test (22, linux)'], jobs, 'wf')).toEqual([]);
  });

  it('lets a ${{ }} expression in a job name match any text', async () => {
    workflow('e.yml', 'on: [pull_request]\njobs:\n  t:\n    name: test on ${{ matrix.node }}\n');
    const jobs = await readWorkflowJobs(path.join(dir, 'wf'));
    expect(requiredCheckProblems(['test on 22'], jobs, 'wf')).toEqual([]);
    expect(requiredCheckProblems(['test on '], jobs, 'wf')).toHaveLength(1);
  });

  it('refuses a required check that only runs outside pull requests', async () => {
    workflow('p.yml', 'on:\n  push:\n    branches: [main]\njobs:\n  deploy: {}\n');
    const problems = requiredCheckProblems(
      ['deploy'],
      await readWorkflowJobs(path.join(dir, 'wf')),
      'wf',
    );
    expect(problems[0]?.message).toBe(
      'required check "deploy" comes from p.yml#deploy, which never runs on pull_request, so pull requests would wait for it forever',
    );
  });

  it('finds no jobs when the directory is missing and skips unparsable files', async () => {
    expect(await readWorkflowJobs(path.join(dir, 'absent'))).toEqual([]);
    workflow('bad.yml', 'jobs: [\n');
    workflow('notes.txt', 'jobs: {}\n');
    expect(await readWorkflowJobs(path.join(dir, 'wf'))).toEqual([]);
  });
});
