/** Validate: paste or drop a NodeSpec; the registry's validator's findings at line:column. */
import { useRef, useState } from 'preact/hooks';
import { postJson, type ValidateResult } from '../api.js';
import { ErrorLine } from './common.js';

export function ValidatePage() {
  const [text, setText] = useState('');
  const [lint, setLint] = useState(true);
  const [result, setResult] = useState<ValidateResult | Error | 'checking' | undefined>();
  const [dragging, setDragging] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);

  const validate = (event: Event) => {
    event.preventDefault();
    setResult('checking');
    postJson<ValidateResult>(`api/v1/registry/validate${lint ? '?lint=true' : ''}`, text).then(
      setResult,
      (error: unknown) => {
        setResult(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer?.files[0];
    if (file !== undefined) void file.text().then(setText);
  };

  /** Puts the caret at `line`:`column` of the text (1-based) and focuses it. */
  const goTo = (line: number, column: number) => {
    const element = area.current;
    if (element === null) return;
    const lines = element.value.split('\n');
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1;
    offset += column - 1;
    element.focus();
    element.setSelectionRange(offset, offset + 1);
  };

  return (
    <section aria-labelledby="validate-title">
      <h1 id="validate-title">Validate a NodeSpec</h1>
      <form onSubmit={validate}>
        <label for="nodespec-text">NodeSpec JSON (paste it, or drop a file on the box)</label>
        <textarea
          id="nodespec-text"
          ref={area}
          class={dragging ? 'drop dragging' : 'drop'}
          rows={18}
          spellcheck={false}
          value={text}
          onInput={(event) => {
            setText(event.currentTarget.value);
          }}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => {
            setDragging(false);
          }}
          onDrop={drop}
        />
        <p class="row">
          <label>
            <input
              type="file"
              accept=".json,application/json"
              onChange={(event) => {
                const file = event.currentTarget.files?.[0];
                if (file !== undefined) void file.text().then(setText);
              }}
            />
            <span class="visually-hidden">Open a NodeSpec file</span>
          </label>
          <label>
            <input
              type="checkbox"
              checked={lint}
              onChange={(event) => {
                setLint(event.currentTarget.checked);
              }}
            />{' '}
            Also run the lint rules
          </label>
          <button type="submit" disabled={text.trim() === ''}>
            Validate
          </button>
        </p>
      </form>
      <div id="validate-result">
        {result === 'checking' && <p role="status">Validating…</p>}
        {result instanceof Error && <ErrorLine error={result} />}
        {result !== undefined && result !== 'checking' && !(result instanceof Error) && (
          <>
            <p role="status" class={result.valid ? 'verified-line' : 'error'} id="validate-verdict">
              {result.valid ? '✔ Valid' : '✘ Not valid'}:{' '}
              {result.finding_count ?? result.findings.length} finding
              {(result.finding_count ?? result.findings.length) === 1 ? '' : 's'}
              {result.truncated === true ? ' (the first 100 are listed)' : ''}
            </p>
            <ol class="findings">
              {result.findings.map((finding, i) => (
                <li key={i} class={`finding finding-${finding.severity}`}>
                  {finding.line !== undefined && finding.column !== undefined ? (
                    <button
                      type="button"
                      class="link"
                      onClick={() => {
                        goTo(finding.line ?? 1, finding.column ?? 1);
                      }}
                    >
                      {finding.line}:{finding.column}
                    </button>
                  ) : (
                    <span>—</span>
                  )}{' '}
                  <strong>{finding.severity}</strong> <span class="mono">{finding.rule_id}</span>:{' '}
                  {finding.message} <span class="mono">{finding.pointer}</span>
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </section>
  );
}
